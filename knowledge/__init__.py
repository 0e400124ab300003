"""Brand knowledge: channel limits, exact rule checks, rulebooks, guideline index and knowledge graph."""
