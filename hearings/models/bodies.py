"""Legislative bodies (a council, a committee, a commission) and the seats on them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hearings.models.base import Base
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
