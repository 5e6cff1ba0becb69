"""Declarative base shared by every model."""

from datetime import UTC, datetime
from typing import Any, TypeAlias

from sqlalchemy.orm import DeclarativeBase, Session, scoped_session


class Base(DeclarativeBase):
    pass


# What the services are handed: a plain Session (the worker, scripts, tests) or the site's
# db.session, a scoped_session that stands in for one Session per request. Defined here, not
# in extensions.py, so the services need not import the Flask app's extensions to name it.
DbSession: TypeAlias = Session | scoped_session[Any]


def utcnow() -> datetime:
    """Return the current time, timezone-aware, for created/updated columns."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Return a stored moment as timezone-aware UTC (SQLite gives back naive UTC values)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Control characters other than line breaks and tabs have no place in a public record, and
# some break what is built from it (an Atom feed refuses \x01 for good).
_LINE_BREAKS = {"\n", "\t"}


def clean_text(value: str, length: int | None = None, multiline: bool = True) -> str:
    """Return text as the record keeps it: NFC, no control characters, at most ``length``."""
    import unicodedata

    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for ch in value:
        if ch in _LINE_BREAKS:
            kept.append(ch if multiline else " ")
        elif unicodedata.category(ch) not in ("Cc", "Cs") and ch not in ("\u2028", "\u2029"):
            kept.append(ch)
    cleaned = "".join(kept)
    return cleaned[:length] if length else cleaned


def stored_form(instance, key: str, value):
    """Return the value as the record would store it in this attribute (see clean_text)."""
    from sqlalchemy import String, Text, inspect

    if not isinstance(value, str):
        return value
    columns = getattr(inspect(instance).mapper.attrs.get(key), "columns", None)
    if not columns or not isinstance(columns[0].type, String):
        return value
    kind = columns[0].type
    multiline = isinstance(kind, Text)
    return clean_text(value, None if multiline else kind.length, multiline)


def _clean_text_columns(session, flush_context, instances) -> None:
    """Clean every string about to be written, whichever form, import or job set it."""
    from sqlalchemy import inspect

    for instance in list(session.new) + list(session.dirty):
        for prop in inspect(instance).mapper.column_attrs:
            value = instance.__dict__.get(prop.key)
            cleaned = stored_form(instance, prop.key, value)
            if cleaned != value:
                setattr(instance, prop.key, cleaned)


def install_text_cleaning() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "before_flush", _clean_text_columns):
        event.listen(Session, "before_flush", _clean_text_columns)
