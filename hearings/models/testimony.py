"""Testimony: one person's contribution on a matter, spoken, written or on a card."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hearings.models.base import Base, utcnow
from hearings.models.hearings import Hearing, Segment
from hearings.models.matters import Concern, Matter
from hearings.models.people import Organization, Person

POSITIONS = ("support", "oppose", "neutral", "not_stated")
TESTIMONY_KINDS = ("oral", "written", "card")


testimony_segments = Table(
    "testimony_segments",
    Base.metadata,
    Column("testimony_id", ForeignKey("testimonies.id"), primary_key=True),
    Column("segment_id", ForeignKey("segments.id"), primary_key=True, index=True),
)
testimony_organizations = Table(
    "testimony_organizations",
    Base.metadata,
    Column("testimony_id", ForeignKey("testimonies.id"), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), primary_key=True, index=True),
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
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearings.id"), index=True)
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
    # A sign-up card points at what its signer then said, so the record shows both as one
    # person's testimony (hearings.signups).
    spoken_testimony_id: Mapped[int | None] = mapped_column(ForeignKey("testimonies.id"))

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
    spoken_testimony: Mapped[Testimony | None] = relationship(remote_side=[id])

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
    def credit(self) -> str:
        """Who testified, and for whom: "Maria Lopez (Riverwest Privacy Alliance)"."""
        if not self.organizations:
            return self.person.name
        return f"{self.person.name} ({', '.join(o.name for o in self.organizations)})"

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


def testimony_order(testimony: Testimony) -> tuple:
    """Sort key: by hearing date, then time in the recording, then when it was recorded."""
    hearing_date = testimony.hearing.date if testimony.hearing else testimony.received_on
    return (hearing_date is None, hearing_date, testimony.start_ms or 0, testimony.id)


class SignupEntry(Base):
    """One row of a hearing's sign-up list or one speaker card, as the clerk imported it.

    It names no speaker label: labels are replaced when a hearing is processed again. A
    confirmed entry keeps the person it was given to and the card testimony it became; the
    person's name on the voice is carried over by hearings.reprocessing like any other.
    """

    __tablename__ = "signup_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("hearings.id"), index=True)
    # Order on the list: public comment is called in this order.
    sequence: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(20), default="not_stated")
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"))
    # Where the row came from: the uploaded file's name, or "pasted".
    source: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # pending, then confirmed (card testimony recorded) or dismissed (set aside).
    state: Mapped[str] = mapped_column(String(20), default="pending")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # Where the signer's speech began, when the card was matched to a voice.
    spoke_at_ms: Mapped[int | None]
    card_testimony_id: Mapped[int | None] = mapped_column(ForeignKey("testimonies.id"))

    hearing: Mapped[Hearing] = relationship()
    matter: Mapped[Matter] = relationship()
    person: Mapped[Person | None] = relationship()
    card_testimony: Mapped[Testimony | None] = relationship()
