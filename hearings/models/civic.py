"""The civic record: seats, matters, agenda items, testimony and roll-call votes.

Vocabulary follows Open Civic Data and the Council Data Project: Body, Membership (a seat
held for a term), Matter, AgendaItem, VoteEvent, PersonVote.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hearings.models.base import Base, utcnow
from hearings.models.bodies import Body
from hearings.models.hearings import Hearing, Segment
from hearings.models.people import Organization, Person

POSITIONS = ("support", "oppose", "neutral", "not_stated")
TESTIMONY_KINDS = ("oral", "written", "card")
VOTE_VALUES = ("yes", "no", "abstain", "excused", "absent", "not_voting")
THRESHOLD_RULES = ("majority_present", "majority_body", "two_thirds_body", "explicit")


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
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id"))
    sequence: Mapped[int] = mapped_column(default=0)
    title: Mapped[str | None] = mapped_column(Text)
    start_ms: Mapped[int | None]
    end_ms: Mapped[int | None]
    legistar_id: Mapped[int | None] = mapped_column(unique=True)

    hearing: Mapped[Hearing] = relationship()
    matter: Mapped[Matter | None] = relationship(back_populates="agenda_items")


testimony_segments = Table(
    "testimony_segments",
    Base.metadata,
    Column("testimony_id", ForeignKey("testimonies.id"), primary_key=True),
    Column("segment_id", ForeignKey("segments.id"), primary_key=True),
)
testimony_organizations = Table(
    "testimony_organizations",
    Base.metadata,
    Column("testimony_id", ForeignKey("testimonies.id"), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), primary_key=True),
)
testimony_concerns = Table(
    "testimony_concerns",
    Base.metadata,
    Column("testimony_id", ForeignKey("testimonies.id"), primary_key=True),
    Column("concern_id", ForeignKey("concerns.id"), primary_key=True),
)


class Testimony(Base):
    """One person's contribution on one matter: spoken, written, or a sign-up card."""

    __tablename__ = "testimonies"

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearings.id"))
    kind: Mapped[str] = mapped_column(String(20), default="oral")
    # What the clerk confirmed; "not_stated" until then.
    position: Mapped[str] = mapped_column(String(20), default="not_stated")
    position_confirmed: Mapped[bool] = mapped_column(default=False)
    # A machine suggestion is kept apart from the confirmed position, with its reasons.
    suggested_position: Mapped[str | None] = mapped_column(String(20))
    suggestion_reasons: Mapped[list | None] = mapped_column(JSON)
    written_text: Mapped[str | None] = mapped_column(Text)
    document_name: Mapped[str | None] = mapped_column(String(255))
    received_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Spoken testimony is anchored to a stretch of the recording and the words the clerk saw
    # there, not to transcript rows: a new machine transcript replaces the rows, and the
    # testimony is attached again to whatever lines then cover the same stretch.
    quote_start_ms: Mapped[int | None]
    quote_end_ms: Mapped[int | None]
    quote_text: Mapped[str | None] = mapped_column(Text)

    matter: Mapped[Matter] = relationship(back_populates="testimonies")
    person: Mapped[Person] = relationship()
    hearing: Mapped[Hearing | None] = relationship()
    segments: Mapped[list[Segment]] = relationship(
        secondary=testimony_segments, order_by="Segment.start_ms"
    )
    organizations: Mapped[list[Organization]] = relationship(secondary=testimony_organizations)
    concerns: Mapped[list[Concern]] = relationship(
        secondary=testimony_concerns, back_populates="testimonies"
    )

    @property
    def counted_position(self) -> str:
        """Return the position the public record shows and counts: a clerk's, else "not_stated".

        A machine suggestion is never counted, shown as a position or exported as one.
        """
        if self.position_confirmed and self.position in POSITIONS:
            return self.position
        return "not_stated"

    @property
    def start_ms(self) -> int | None:
        return self.segments[0].start_ms if self.segments else self.quote_start_ms

    @property
    def end_ms(self) -> int | None:
        return self.segments[-1].end_ms if self.segments else self.quote_end_ms

    @property
    def quote(self) -> str:
        """Return the words of the testimony: its lines now, or as the clerk saw them."""
        if self.segments:
            return " ".join(s.text for s in self.segments)
        return self.quote_text or ""

    def anchor_to(self, segments: list[Segment]) -> None:
        """Attach the testimony to these lines and remember their stretch and words."""
        self.segments = segments
        if segments:
            self.quote_start_ms = segments[0].start_ms
            self.quote_end_ms = max(s.end_ms for s in segments)
            self.quote_text = " ".join(s.text for s in segments)


class Concern(Base):
    """A topic from a matter's vocabulary that testimony can raise (e.g. "racial bias")."""

    __tablename__ = "concerns"
    __table_args__ = (UniqueConstraint("matter_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"))
    name: Mapped[str] = mapped_column(String(100))

    matter: Mapped[Matter] = relationship(back_populates="concerns")
    testimonies: Mapped[list[Testimony]] = relationship(
        secondary=testimony_concerns, back_populates="concerns"
    )


class VoteEvent(Base):
    """A roll-call vote on a motion, with the rule that decides whether it carries."""

    __tablename__ = "vote_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matters.id"))
    hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearings.id"))
    date: Mapped[date]
    motion: Mapped[str] = mapped_column(Text)
    threshold_rule: Mapped[str] = mapped_column(String(30), default="majority_present")
    # For "explicit": yes votes needed, e.g. 11 of 15 to override a veto.
    required_yes: Mapped[int | None]
    # Seats on the body when the vote was taken (vacancies lower it); defaults to the body's size.
    body_size: Mapped[int | None]
    # The result as recorded by the clerk or Legistar: "pass" / "fail"; checked against the votes.
    recorded_result: Mapped[str | None] = mapped_column(String(20))
    legistar_id: Mapped[int | None] = mapped_column(unique=True)

    body: Mapped[Body] = relationship()
    matter: Mapped[Matter | None] = relationship(back_populates="vote_events")
    hearing: Mapped[Hearing | None] = relationship()
    votes: Mapped[list[PersonVote]] = relationship(
        back_populates="vote_event", cascade="all, delete-orphan"
    )


class PersonVote(Base):
    __tablename__ = "person_votes"
    __table_args__ = (UniqueConstraint("vote_event_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_event_id: Mapped[int] = mapped_column(ForeignKey("vote_events.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    value: Mapped[str] = mapped_column(String(20))
    legistar_id: Mapped[int | None] = mapped_column(unique=True)

    vote_event: Mapped[VoteEvent] = relationship(back_populates="votes")
    person: Mapped[Person] = relationship()
