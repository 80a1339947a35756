"""Test support shared by the fixtures and the tests: project paths, the fixed clock and a
helper to copy the knowledge base."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
CATALOGUE_DIR = ROOT / "catalogue"
DEV_QUESTIONS = ROOT / "tests" / "data" / "dev_questions.jsonl"
ZONE = ZoneInfo("Asia/Shanghai")
# Monday 23 November 2026, 10:00 in Shanghai: the first day of the menu calendar's 2nd week.
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)
TODAY = NOW.date()


def copy_knowledge(destination: Path) -> Path:
    """A private copy of the real knowledge base, to break."""
    root = destination / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, root)
    return root
