"""The audit log: who changed what in the record, when, from what to what."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hearings.models.accounts import User
from hearings.models.base import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # e.g. "speaker.name", "speaker.merge", "segment.reassign", "testimony.create"
    action: Mapped[str] = mapped_column(String(50))
    # The changed row, as "<table>:<id>".
    target: Mapped[str] = mapped_column(String(100))
    hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearings.id"))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    user: Mapped[User | None] = relationship()


def record(
    session, user, action: str, target, before=None, after=None, hearing_id=None
) -> AuditEntry:
    """Add an audit entry for a change in the current transaction (the caller commits)."""
    entry = AuditEntry(
        user_id=getattr(user, "id", None),
        action=action,
        target=f"{target.__tablename__}:{target.id}",
        hearing_id=hearing_id,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


def sign_in_attempt(session, username: str, user, address: str | None) -> AuditEntry:
    """Add an audit entry for a sign-in: ``user`` is None when the password was wrong."""
    entry = AuditEntry(
        user_id=getattr(user, "id", None),
        action="auth.sign_in" if user is not None else "auth.sign_in_failed",
        target=f"account:{(username or '')[:80]}",
        after={"address": address},
    )
    session.add(entry)
    return entry
