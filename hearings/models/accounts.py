"""Staff accounts: editors who correct transcripts, clerks who keep the record, admins."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, true
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from hearings.models.base import Base, utcnow

# Each role may do what the one before it may, and more: an editor corrects transcripts and
# names speakers; a clerk also uploads, records testimony and votes, redacts and publishes; an
# admin also deletes hearings, lifts redactions and hears the unredacted recording.
ROLES = ("editor", "clerk", "admin")


def new_session_token() -> str:
    return secrets.token_hex(32)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default="clerk")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of every session and remember-me cookie of this account; a new value ends them all
    # (sign-out, a new password, a disabled account).
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Sign this account out everywhere: every cookie carries the old token."""
        self.session_token = new_session_token()

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def can_correct(self) -> bool:
        """May correct transcripts and name speakers, and sees drafts."""
        return self.role in ROLES

    @property
    def can_edit(self) -> bool:
        """May keep the record: uploads, testimony, votes, redaction, publishing."""
        return self.role in ("clerk", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
