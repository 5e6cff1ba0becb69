"""Legislative bodies (a council, a committee, a commission) and the seats on them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hearings.models.base import Base, utcnow
from hearings.models.people import Person


class Body(Base):
    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Seats on the body; votes need it for "majority of the full body" and "two-thirds".
    size: Mapped[int | None]
    legistar_id: Mapped[int | None] = mapped_column(unique=True)


class Membership(Base):
    """A person's seat on a body for a term."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    role: Mapped[str] = mapped_column(String(100), default="Member")
    # District or seat name, e.g. "District 3" or "At-large Position 9".
    seat: Mapped[str | None] = mapped_column(String(100))
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    legistar_id: Mapped[int | None] = mapped_column(unique=True)

    person: Mapped[Person] = relationship()
    body: Mapped[Body] = relationship()


GLOSSARY_KINDS = ("member", "staff", "department", "organization", "place", "term")


class GlossaryTerm(Base):
    """A local name or term a body's hearings use, spelled as the record should spell it.

    Passed to the speech model as a hint and offered as spellings in the correction editor.
    """

    __tablename__ = "glossary_terms"
    __table_args__ = (UniqueConstraint("body_id", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    term: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="term")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    body: Mapped[Body] = relationship()
