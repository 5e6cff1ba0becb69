"""Declarative base shared by every model."""

from datetime import UTC, datetime

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime:
    """Return the current time, timezone-aware, for created/updated columns."""
    return datetime.now(UTC)
