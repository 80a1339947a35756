"""The knowledge base: typed model, TOML loader and the `kb check` validator."""

from bot.kb.loader import KnowledgeError, load_knowledge
from bot.kb.model import Knowledge

__all__ = ["Knowledge", "KnowledgeError", "load_knowledge"]
