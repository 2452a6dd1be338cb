"""Latin spellings of Greek and Cyrillic names: kept in community.text with the rest of folding."""

from community.text import latinise

__all__ = ["latinise"]
