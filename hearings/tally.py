"""Who testified for and against a matter, and which concerns they raised.

Counting conventions:

- Only positions a clerk confirmed count. A testimony whose position is unconfirmed (a machine
  suggestion, or nothing yet) counts as "not_stated".
- A person is counted once per position per matter, however many times they testified. A
  person whose every testimony is "not_stated" is counted there once; a person with any stated
  position is not also counted as "not_stated".
- An organization is represented by the testimony that names it (Testimony.organizations), and
  is counted once per position however many of its people testify. A speaker's own affiliation
  (Person.organization) is not representation: a resident who works for a company speaks for
  themselves unless the testimony says they speak for it.
- An organization with testimony under two stated positions (support and oppose) is counted
  under each and listed in PositionTally.conflicts, so a clerk can check it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hearings.models import Concern, Matter, Organization, Testimony
from hearings.models.base import DbSession
from hearings.models.testimony import POSITIONS

STATED = tuple(position for position in POSITIONS if position != "not_stated")
# Verb phrases by position, singular then plural: "1 supports", "19 oppose".
_VERBS = {
    "support": ("supports", "support"),
    "oppose": ("opposes", "oppose"),
    "neutral": ("is neutral", "are neutral"),
    "not_stated": ("stated no position", "stated no position"),
}


@dataclass
class PositionTally:
    """People and organizations on a matter, counted by confirmed position."""

    people: dict[str, int]
    organizations: dict[str, int]
    organizations_by_position: dict[str, list[Organization]]
    conflicts: list[Organization] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """Return e.g. "19 organizations oppose, 1 supports"."""
        return _summary(self.organizations, "organization", "organizations")

    @property
    def people_summary(self) -> str:
        """Return e.g. "31 people oppose, 4 support, 2 stated no position"."""
        return _summary(self.people, "person", "people")


@dataclass
class ConcernCount:
    """How many people and organizations raised one concern about a matter."""

    concern: Concern
    speakers: int
    organizations: int
    testimonies: list[Testimony]

    @property
    def summary(self) -> str:
        """Return e.g. "data sharing: raised by 9 speakers, 6 organizations"."""
        if not self.speakers:
            return f"{self.concern.name}: not raised"
        text = f"{self.concern.name}: raised by {_plural(self.speakers, 'speaker', 'speakers')}"
        if self.organizations:
            text += f", {_plural(self.organizations, 'organization', 'organizations')}"
        return text


def position_tally(session: DbSession, matter: Matter) -> PositionTally:
    """Count the people and organizations supporting, opposing or neutral on a matter."""
    person_positions: dict[int, set[str]] = defaultdict(set)
    organization_positions: dict[int, set[str]] = defaultdict(set)
    organizations: dict[int, Organization] = {}
    for testimony in _testimonies(session, matter):
        position = testimony.counted_position
        person_positions[testimony.person_id].add(position)
        for organization in testimony.organizations:
            organizations[organization.id] = organization
            organization_positions[organization.id].add(position)

    people = dict.fromkeys(POSITIONS, 0)
    for position in _counted(person_positions.values()):
        people[position] += 1

    by_position: dict[str, list[Organization]] = {position: [] for position in POSITIONS}
    conflicts = []
    for organization_id, positions in organization_positions.items():
        organization = organizations[organization_id]
        counted = _positions_counted(positions)
        for position in counted:
            by_position[position].append(organization)
        if len(counted) > 1:
            conflicts.append(organization)
    for listed in by_position.values():
        listed.sort(key=lambda organization: organization.name.casefold())
    conflicts.sort(key=lambda organization: organization.name.casefold())
    return PositionTally(
        people=people,
        organizations={position: len(listed) for position, listed in by_position.items()},
        organizations_by_position=by_position,
        conflicts=conflicts,
    )


def concern_counts(session: DbSession, matter: Matter) -> list[ConcernCount]:
    """Count, for each concern of the matter, the speakers and organizations that raised it.

    Every concern in the matter's vocabulary is listed, those nobody raised last with 0.
    """
    concerns = session.scalars(
        select(Concern)
        .where(Concern.matter_id == matter.id)
        .options(
            selectinload(Concern.testimonies).selectinload(Testimony.organizations),
            selectinload(Concern.testimonies).selectinload(Testimony.segments),
        )
    )
    counts = []
    for concern in concerns:
        raised = [
            testimony for testimony in concern.testimonies if testimony.matter_id == matter.id
        ]
        raised.sort(
            key=lambda testimony: (testimony.hearing_id or 0, testimony.start_ms or 0, testimony.id)
        )
        people = {testimony.person_id for testimony in raised}
        groups = {
            organization.id for testimony in raised for organization in testimony.organizations
        }
        counts.append(ConcernCount(concern, len(people), len(groups), raised))
    counts.sort(
        key=lambda count: (-count.speakers, -count.organizations, count.concern.name.casefold())
    )
    return counts


def _testimonies(session: DbSession, matter: Matter) -> list[Testimony]:
    return list(
        session.scalars(
            select(Testimony)
            .where(Testimony.matter_id == matter.id)
            .options(selectinload(Testimony.organizations))
            .order_by(Testimony.id)
        )
    )


def _positions_counted(positions: set[str]) -> list[str]:
    """Return the positions an entity is counted under: its stated ones, else "not_stated"."""
    stated = [position for position in STATED if position in positions]
    return stated or ["not_stated"]


def _counted(position_sets) -> list[str]:
    return [position for positions in position_sets for position in _positions_counted(positions)]


def _summary(counts: dict[str, int], singular: str, plural: str) -> str:
    ordered = sorted(
        (position for position in POSITIONS if counts.get(position)),
        key=lambda position: (-counts[position], POSITIONS.index(position)),
    )
    if not ordered:
        return f"No {plural} testified"
    parts = []
    for index, position in enumerate(ordered):
        count = counts[position]
        verb = _VERBS[position][0 if count == 1 else 1]
        noun = f" {singular if count == 1 else plural}" if index == 0 else ""
        parts.append(f"{count}{noun} {verb}")
    return ", ".join(parts)


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"
