"""Matters (ordinances, resolutions), their history, agenda items and concerns.

Vocabulary follows Open Civic Data and the Council Data Project: Matter, MatterAction,
AgendaItem.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hearings.models.base import Base
from hearings.models.bodies import Body
from hearings.models.hearings import Hearing
from hearings.models.people import Person

if TYPE_CHECKING:
    # Resolved by name at mapping time; imported here only for the type checker.
    from hearings.models.testimony import Testimony
    from hearings.models.votes import VoteEvent


matter_sponsors = Table(
    "matter_sponsors",
    Base.metadata,
    Column("matter_id", ForeignKey("matters.id"), primary_key=True),
    Column("person_id", ForeignKey("people.id"), primary_key=True),
)


class Matter(Base):
    """A piece of legislation or business: an ordinance, resolution, communication."""

    __tablename__ = "matters"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_number: Mapped[str | None] = mapped_column(String(50), unique=True)
    title: Mapped[str] = mapped_column(Text)
    matter_type: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str | None] = mapped_column(String(100))
    intro_date: Mapped[date | None]
    summary: Mapped[str | None] = mapped_column(Text)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    legistar_id: Mapped[int | None] = mapped_column(unique=True)

    body: Mapped[Body | None] = relationship()
    sponsors: Mapped[list[Person]] = relationship(secondary=matter_sponsors)
    actions: Mapped[list[MatterAction]] = relationship(
        back_populates="matter", order_by="MatterAction.date", cascade="all, delete-orphan"
    )
    agenda_items: Mapped[list[AgendaItem]] = relationship(back_populates="matter")
    testimonies: Mapped[list[Testimony]] = relationship(back_populates="matter")
    concerns: Mapped[list[Concern]] = relationship(
        back_populates="matter", order_by="Concern.name", cascade="all, delete-orphan"
    )
    vote_events: Mapped[list[VoteEvent]] = relationship(
        back_populates="matter", order_by="VoteEvent.date"
    )

    @property
    def label(self) -> str:
        return f"{self.file_number}: {self.title}" if self.file_number else self.title


class MatterAction(Base):
    """One step in a matter's history: introduced, referred, held, passed, vetoed ..."""

    __tablename__ = "matter_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"))
    date: Mapped[date | None]
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    action: Mapped[str] = mapped_column(String(300))
    result: Mapped[str | None] = mapped_column(String(100))
    legistar_id: Mapped[int | None] = mapped_column(unique=True)

    matter: Mapped[Matter] = relationship(back_populates="actions")
    body: Mapped[Body | None] = relationship()


class AgendaItem(Base):
    """A matter on a hearing's agenda, with where in the recording it was heard."""

    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id"))
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id"), index=True)
    sequence: Mapped[int] = mapped_column(default=0)
    title: Mapped[str | None] = mapped_column(Text)
    start_ms: Mapped[int | None]
    end_ms: Mapped[int | None]
    legistar_id: Mapped[int | None] = mapped_column(unique=True)

    hearing: Mapped[Hearing] = relationship()
    matter: Mapped[Matter | None] = relationship(back_populates="agenda_items")


class Concern(Base):
    """A topic from a matter's vocabulary that testimony can raise (e.g. "racial bias")."""

    __tablename__ = "concerns"
    __table_args__ = (UniqueConstraint("matter_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"))
    name: Mapped[str] = mapped_column(String(100))

    matter: Mapped[Matter] = relationship(back_populates="concerns")
    testimonies: Mapped[list[Testimony]] = relationship(
        secondary="testimony_concerns", back_populates="concerns"
    )
