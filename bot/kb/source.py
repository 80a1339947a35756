"""Reading TOML files while remembering where each entry and key stands, for precise problems."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in the knowledge base, with where it is."""

    path: str
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class TomlSource:
    """A parsed TOML file plus a map from tables and keys to line numbers."""

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self.text = path.read_text(encoding="utf-8")
        self.lines = self.text.splitlines()
        self.data: dict[str, Any] = tomllib.loads(self.text)
        # (header name, occurrence index of its array-of-tables parent) -> line numbers
        self._headers: list[tuple[int, str, bool]] = []
        for number, line in enumerate(self.lines, start=1):
            match = _HEADER.match(line)
            if match and not line.lstrip().startswith("#"):
                self._headers.append((number, match.group(2).strip(), match.group(1) == "[["))

    def entry_line(self, table: str, index: int) -> int:
        """Line of the header of the index-th `[[table]]` entry (1 if not found)."""
        seen = 0
        for number, name, is_array in self._headers:
            if is_array and name == table:
                if seen == index:
                    return number
                seen += 1
        return 1

    def _section_end(self, start: int) -> int:
        for number, _name, _is_array in self._headers:
            if number > start:
                return number
        return len(self.lines) + 1

    def key_line(self, key: str, table: str | None = None, index: int = 0,
                 subtable: str | None = None) -> int:
        """Line where `key` is set: top level, in the index-th `[[table]]`, or its `[table.sub]`."""
        start = self.entry_line(table, index) if table else 0
        if subtable and table:
            wanted = f"{table}.{subtable}"
            for number, name, _is_array in self._headers:
                if number > start and name == wanted:
                    start = number
                    break
                if number > start and name == table:
                    break
        end = self._section_end(start) if (table or subtable) else (
            self._headers[0][0] if self._headers else len(self.lines) + 1)
        for number in range(start + 1, end):
            match = _KEY.match(self.lines[number - 1])
            if match and match.group(1).strip("\"'") == key:
                return number
        return start or 1

    def section_key_line(self, section: str, key: str | None = None) -> int:
        """Line of a plain `[section]` table, or of `key` inside it."""
        start = next((n for n, name, is_array in self._headers
                      if name == section and not is_array), 0)
        if not start:
            return 1
        if key is None:
            return start
        for number in range(start + 1, self._section_end(start)):
            match = _KEY.match(self.lines[number - 1])
            if match and match.group(1).strip("\"'") == key:
                return number
        return start

    def find_text(self, needle: str, start_line: int = 1) -> int:
        """First line at or after start_line containing needle (for list values)."""
        for number in range(max(start_line, 1), len(self.lines) + 1):
            if needle in self.lines[number - 1]:
                return number
        return start_line
