"""Rulebook format: schema, loader and validation with file:line errors."""
from brandloop.errors import Issue, RulebookError
from .loader import chain_hash, chunk_markdown, flatten, load_folder, validate
from .schema import Chunk, Fact, Product, RulebookData

__all__ = ["Issue", "RulebookError", "Chunk", "Fact", "Product", "RulebookData", "chain_hash",
           "chunk_markdown", "flatten", "load_folder", "validate"]
