"""The intent engine: pure and synchronous, text in, scored matches out."""

from intents.engine import Candidate, Classification, IntentEngine
from intents.phrasebook import Entry, Phrasebook

__all__ = ["Candidate", "Classification", "Entry", "IntentEngine", "Phrasebook"]
