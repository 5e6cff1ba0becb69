"""E-mail alerts: a resident's subscription to a matter, a person, an organization, a body or
a saved search. The address is stored only for this, and deleted with the subscription."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hearings.models.base import Base, utcnow

ALERT_KINDS = ("matter", "person", "organization", "body", "search")


class Subscription(Base):
    __tablename__ = "subscriptions"
    # One subscription per address and subject: subscribing again re-sends the confirmation.
    __table_args__ = (UniqueConstraint("email", "kind", "target_id", "query", name="uq_alert"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # The matter, person, organization or body followed (None for a saved search).
    target_id: Mapped[int | None]
    # A saved search: the search page's own arguments, as a query string ("" otherwise).
    query: Mapped[str] = mapped_column(Text, default="")
    # Secret: in every link of every message (confirm, unsubscribe, forget the address).
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Double opt-in: nothing but the confirmation is sent before this is set.
    confirmed_at: Mapped[datetime | None]
    # What was published after this is news for the next digest.
    checked_at: Mapped[datetime | None]
