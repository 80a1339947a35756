"""What the database layer tells the rest of the product when something goes wrong."""

from __future__ import annotations


class ConcurrentChange(Exception):
    """Someone else changed the same thing at the same moment (two claims of one ticket, a
    redelivered message handled by another worker): nothing of this unit was kept."""
