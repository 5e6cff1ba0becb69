"""The one family of refusals: a change the record will not take, and the HTTP status it earns.

Services raise these with a message written for the clerk; views show the message beside the
form that was sent (``hearings.views.changes.change_to_the_record``), never a traceback.
"""

from __future__ import annotations


class Refused(ValueError):
    """The input cannot be recorded as it stands; the message says what to change."""

    status = 422


class Malformed(Refused):
    """The form holds what its page could not have sent (a stale page or an edited form)."""

    status = 400


class Conflict(Refused):
    """The change clashes with what is already recorded (or changed since the page loaded)."""

    status = 409


def clean_field(text: str | None, limit: int, what: str) -> str:
    """Return typed text with its whitespace collapsed; refuse it if longer than ``limit``."""
    text = " ".join((text or "").split())
    if len(text) > limit:
        raise Refused(f"{what} is too long (at most {limit} characters).")
    return text
