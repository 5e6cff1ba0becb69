"""Roll-call votes: the motion, the rule that decides it, and each member's vote.

Vocabulary follows Open Civic Data: VoteEvent, PersonVote.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hearings.models.base import Base, utcnow
from hearings.models.bodies import Body
from hearings.models.hearings import Hearing
from hearings.models.matters import Matter
from hearings.models.people import Person

VOTE_VALUES = ("yes", "no", "abstain", "excused", "absent", "not_voting")
THRESHOLD_RULES = (
    "majority_present",
    "majority_body",
    "two_thirds_present",
    "two_thirds_body",
    "explicit",
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
    # When it entered the record (alerts tell of votes recorded since their last digest).
    recorded_at: Mapped[datetime | None] = mapped_column(default=utcnow)

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
