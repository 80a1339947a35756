"""Database URLs read without SQLAlchemy (so that commands which never open the database, such
as `yizhan classify`, do not import it)."""

from __future__ import annotations

import re
from pathlib import Path

# sqlite:///relative.db, sqlite+aiosqlite:////absolute.db, with an optional ?query
_SQLITE = re.compile(r"^(sqlite(?:\+\w+)?):///([^?]*)(\?.*)?$")


def resolve_url(url: str, root: Path) -> str:
    """A SQLite path relative to the project root becomes absolute (and its folder exists)."""
    found = _SQLITE.match(url)
    if found is None or found.group(2) in ("", ":memory:"):
        return url
    path = Path(found.group(2))
    if not path.is_absolute():
        path = root / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"{found.group(1)}:///{path}{found.group(3) or ''}"
