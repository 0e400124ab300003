"""The four agents (plus finalize), one module each. Each exposes a node factory that receives its
dependencies (LLM, brand knowledge, caches) and holds no global state. None of them loads a model."""
