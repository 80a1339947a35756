"""Adding a resident's wording as an alias of an item or FAQ, in its TOML file, the way a clerk
would: one line changed, the file otherwise untouched. Shown first, written on confirmation,
undone when `kb check` finds the result broken."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

_ALIASES = re.compile(r'^aliases\s*=\s*\[(.*)\]\s*$')
_ID = re.compile(r'^id\s*=\s*"([^"]+)"\s*$')


@dataclass(frozen=True)
class AliasEdit:
    """One alias added to one entry: the file, the line, and the line before and after."""

    path: Path
    line: int            # 1-based
    before: str
    after: str
    ref: str
    alias: str


def propose_alias(knowledge_dir: Path, ref: str, alias: str) -> AliasEdit | None:
    """The change adding `alias` to the entry `ref` (A082, station.hours); None when the entry
    has no one-line aliases list to extend, or already holds the alias."""
    alias = " ".join(alias.split())
    if not alias or '"' in alias or "\\" in alias:
        return None
    files = [*sorted((knowledge_dir / "affairs").glob("*.toml")), knowledge_dir / "faq.toml"]
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        current: str | None = None
        for number, line in enumerate(lines, start=1):
            found = _ID.match(line.strip())
            if found:
                current = found.group(1)
                continue
            if current != ref:
                continue
            listed = _ALIASES.match(line.strip())
            if listed is None:
                continue
            try:
                existing = json.loads(f"[{listed.group(1)}]") if listed.group(1).strip() else []
            except ValueError:
                return None     # written another way (single quotes): edited by hand
            if alias in existing:
                return None
            joined = ", ".join(json.dumps(a, ensure_ascii=False) for a in [*existing, alias])
            return AliasEdit(path, number, line, f"aliases = [{joined}]", ref, alias)
    return None


def apply(edit: AliasEdit) -> str:
    """Write the change; the file's former text (to undo it with `restore`)."""
    text = edit.path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    ending = "\n" if lines[edit.line - 1].endswith("\n") else ""
    if lines[edit.line - 1].rstrip("\r\n") != edit.before:
        raise ValueError(f"{edit.path.name}:{edit.line} changed since the proposal")
    lines[edit.line - 1] = edit.after + ending
    _write(edit.path, "".join(lines))
    return text


def restore(edit: AliasEdit, former: str) -> None:
    """Put the file back as it was."""
    _write(edit.path, former)


def _write(path: Path, text: str) -> None:
    """Replace the file whole (a reader never sees half of it)."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent,
                                     suffix=".writing", delete=False) as scratch:
        scratch.write(text)
    Path(scratch.name).replace(path)
