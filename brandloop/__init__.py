"""brandloop's user-facing surfaces (CLI, later web) and the local LLM backends."""
