"""Row ids as forms and links carry them: text that must name a key the database can hold."""

from __future__ import annotations

# The largest key a database integer column holds; larger numbers would fail in the driver.
MAX_ID = 2**63 - 1


def record_id(raw: str) -> int:
    """Return a row id from text; ValueError for anything a database key cannot be."""
    raw = raw.strip()
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise ValueError(f"{raw!r} is not a record id")
    return int(raw)
