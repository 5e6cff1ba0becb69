"""Row ids as forms and links carry them: text that must name a key the database can hold."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

# The largest key a database integer column holds; larger numbers would fail in the driver.
MAX_ID = 2**63 - 1
# The largest value the (32-bit) integer columns hold: counts, and times in milliseconds.
MAX_INT = 2**31 - 1


def record_id(raw: str) -> int:
    """Return a row id from text; ValueError for anything a database key cannot be."""
    raw = raw.strip()
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise ValueError(f"{raw!r} is not a record id")
    return int(raw)


def optional_record_id(raw: str | None) -> int | None:
    """Return a row id from an optional filter value; None when absent or not a key."""
    if raw is None or not raw.strip():
        return None
    try:
        return record_id(raw)
    except ValueError:
        return None


class RecordIdConverter(IntegerConverter):
    """Flask's ``int`` converter, matching only numbers a database key can hold.

    Without the bound, /hearings/99999999999999999999 reached the database driver and failed
    with an OverflowError (a 500); now no route matches and the answer is 404.
    """

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
