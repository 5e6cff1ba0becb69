"""People in the record: adding and editing them, finding them by name, what each said.

A person is one human across hearings; a speaker label (hearings.speakers) is one voice in one
recording, named by linking it to a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from hearings.audit import audit_created, audited
from hearings.errors import Conflict, Refused
from hearings.models import (
    Hearing,
    Matter,
    Membership,
    Organization,
    Person,
    PersonVote,
    Segment,
    Speaker,
    Testimony,
    VoteEvent,
)
from hearings.models.base import DbSession
from hearings.models.matters import matter_sponsors
from hearings.organizations import normalise_name, organization_named


def person_named(session: DbSession, name: str) -> Person | None:
    """Return the person longest in the record with this name in any case, or None.

    The one rule for a person by name: testimony, roll calls, seats and the namesake check
    when naming a speaker all use it, so "maria lopez" and "Maria Lopez" are one person.
    """
    if not (name or "").strip():
        return None
    return session.scalars(people_named(name).limit(1)).first()


def people_named(name: str):
    """Return the query for people with this name in any case and spacing, oldest first."""
    name = " ".join(name.split())
    return select(Person).where(func.lower(Person.name) == name.lower()).order_by(Person.id)


@dataclass
class PersonDetails:
    """What an editor typed about a person: name, title/role and affiliation."""

    name: str = ""
    title: str = ""
    organization: str = ""

    def cleaned(self) -> PersonDetails:
        return PersonDetails(
            *(
                " ".join((value or "").split())
                for value in (self.name, self.title, self.organization)
            )
        )


def person_state(person: Person) -> dict:
    """Return what the audit log keeps about a person."""
    return {
        "name": person.name,
        "title": person.title,
        "organization_id": person.organization_id,
        "organization": person.organization.name if person.organization else None,
        "voice_consent": person.voice_consent,
    }


def create_person(
    session: DbSession, user, details: PersonDetails, *, same_name_ok: bool = False
) -> Person:
    """Add a person (and their organization if new), audited; the caller commits."""
    details = _checked(details)
    if not same_name_ok:
        namesake = person_named(session, details.name)
        if namesake is not None:
            raise Conflict(
                f"{namesake.display} is already in the record. Pick them from the list, or tick "
                "“a different person with the same name”."
            )
    person = Person(
        name=details.name,
        title=details.title or None,
        organization=_organization(session, user, details.organization),
    )
    with audited(session, user, "person.create", person, person_state):
        session.add(person)
    return person


def person_or_new(session: DbSession, user, name: str, organization: str | None = None) -> Person:
    """Return the person of this name in the record, or a new one with this affiliation.

    For names that come from the hearing itself or from a sign-up card, where a namesake in
    the record is taken to be the same person.
    """
    return person_named(session, name) or create_person(
        session, user, PersonDetails(name, "", organization or "")
    )


def update_person(session: DbSession, user, person: Person, details: PersonDetails) -> Person:
    """Change a person's name, title or affiliation, audited."""
    details = _checked(details)
    with audited(session, user, "person.update", person, person_state, skip_unchanged=True):
        person.name = details.name
        person.title = details.title or None
        person.organization = _organization(session, user, details.organization)
    return person


def _checked(details: PersonDetails) -> PersonDetails:
    details = details.cleaned()
    if not details.name:
        raise Refused("Give the person's name, or pick someone already in the record.")
    for label, value in (
        ("name", details.name),
        ("title", details.title),
        ("organization", details.organization),
    ):
        if len(value) > 200:
            raise Refused(f"The {label} is too long (200 characters at most).")
    return details


def _organization(session: DbSession, user, name: str) -> Organization | None:
    """Return the organization known by this name or one of its aliases, adding it if new."""
    if not normalise_name(name):
        return None
    known = organization_named(session, name, create=False)
    if known is not None:
        return known
    organization = organization_named(session, name)
    audit_created(session, user, "organization.create", organization, lambda o: {"name": o.name})
    return organization


@dataclass
class PersonSummary:
    person: Person
    hearings: int
    lines: int


def people_listing(session: DbSession, query: str = "") -> list[PersonSummary]:
    """Return people by name, with how many hearings and lines each spoke in."""
    spoken = (
        select(
            Speaker.person_id,
            func.count(func.distinct(Speaker.hearing_id)).label("hearings"),
            func.count(Segment.id).label("lines"),
        )
        .join(Segment, Segment.speaker_id == Speaker.id)
        .where(Speaker.person_id.is_not(None))
        .group_by(Speaker.person_id)
        .subquery()
    )
    stmt = (
        select(Person, spoken.c.hearings, spoken.c.lines)
        .outerjoin(spoken, spoken.c.person_id == Person.id)
        .options(selectinload(Person.organization))
        .order_by(func.lower(Person.name), Person.id)
    )
    if query.strip():
        stmt = stmt.where(Person.name.ilike(f"%{_escape_like(query.strip())}%", escape="\\"))
    return [PersonSummary(p, h or 0, n or 0) for p, h, n in session.execute(stmt)]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class HearingQuotes:
    hearing: Hearing
    segments: list[Segment]


@dataclass
class PersonQuotes:
    """One page of what a person said, grouped by hearing, newest hearing first."""

    groups: list[HearingQuotes]
    total: int
    page: int
    pages: int


def person_quotes(
    session: DbSession, person: Person, page: int = 1, per_page: int = 200
) -> PersonQuotes:
    """Return everything a person said across hearings, a page at a time."""
    said = (
        select(Segment)
        .join(Speaker, Speaker.id == Segment.speaker_id)
        .join(Hearing, Hearing.id == Segment.hearing_id)
        .where(Speaker.person_id == person.id)
    )
    total = session.scalar(select(func.count()).select_from(said.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    segments = session.scalars(
        said.order_by(Hearing.date.desc(), Hearing.id.desc(), Segment.start_ms)
        .options(selectinload(Segment.hearing).selectinload(Hearing.body))
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    groups = []
    for _, grouped in groupby(segments, key=lambda s: s.hearing_id):
        lines = list(grouped)
        groups.append(HearingQuotes(lines[0].hearing, lines))
    return PersonQuotes(groups, total, page, pages)


# People offered in a speaker's name form before the editor types: enough for a body's members
# and regulars, few enough that the page stays small in an archive of thousands of people.
PEOPLE_OFFERED = 60


def people_to_offer(session: DbSession, hearing: Hearing) -> list[Person]:
    """Return the people a speaker of this hearing is most likely to be, by name.

    Those already naming or suggested for its speakers, the members of its body, and the people
    who spoke before that body most recently; anyone else is found by typing a name.
    """
    likely = (
        select(Speaker.person_id.label("id"))
        .where(Speaker.hearing_id == hearing.id, Speaker.person_id.is_not(None))
        .union(
            select(Speaker.suggested_person_id).where(
                Speaker.hearing_id == hearing.id, Speaker.suggested_person_id.is_not(None)
            ),
            select(Membership.person_id).where(Membership.body_id == hearing.body_id),
        )
        .subquery()
    )
    ids = set(session.scalars(select(likely.c.id)).all())
    if len(ids) < PEOPLE_OFFERED:
        recent = (
            select(Speaker.person_id, func.max(Hearing.date).label("last"))
            .join(Hearing, Hearing.id == Speaker.hearing_id)
            .where(Hearing.body_id == hearing.body_id, Speaker.person_id.is_not(None))
            .group_by(Speaker.person_id)
            .order_by(func.max(Hearing.date).desc(), Speaker.person_id)
            .limit(PEOPLE_OFFERED - len(ids))
        )
        ids |= {row.person_id for row in session.execute(recent)}
    return list(
        session.scalars(
            select(Person)
            .where(Person.id.in_(ids))
            .options(selectinload(Person.organization))
            .order_by(func.lower(Person.name), Person.id)
        )
    )


def people_named_like(session: DbSession, typed: str, limit: int = 15) -> list[Person]:
    """Return the people whose name is like what an editor typed (as heard), most alike first."""
    from hearings.record_search import matching_names

    typed = " ".join(typed.split())[:200]
    return matching_names(session, Person, typed, limit) if typed else []


def organization_choices(session: DbSession) -> list[str]:
    """Return organization names to offer while typing an affiliation."""
    return list(session.scalars(select(Organization.name).order_by(func.lower(Organization.name))))


def person_activity(session: DbSession, person: Person) -> dict:
    """Return a person's seats, votes, sponsorships and testimony, for the person page."""
    return {
        "memberships": list(
            session.scalars(
                select(Membership)
                .where(Membership.person_id == person.id)
                .order_by(Membership.start_date.desc().nulls_last())
            )
        ),
        "votes": list(
            session.scalars(
                select(PersonVote)
                .join(VoteEvent, VoteEvent.id == PersonVote.vote_event_id)
                .where(PersonVote.person_id == person.id)
                .order_by(VoteEvent.date.desc())
                .limit(200)
            )
        ),
        "sponsored": list(
            session.scalars(
                select(Matter)
                .join(matter_sponsors, matter_sponsors.c.matter_id == Matter.id)
                .where(matter_sponsors.c.person_id == person.id)
                .order_by(Matter.intro_date.desc().nulls_last())
            )
        ),
        "testimonies": list(
            session.scalars(
                select(Testimony)
                .where(Testimony.person_id == person.id)
                .order_by(Testimony.id.desc())
            )
        ),
    }
