"""Roll calls as a clerk enters them: checking the form's values, storing them, the form itself.

Functions take the submitted fields (the checked RollCallForm, or for redrawing the form a
werkzeug MultiDict, where repeated fields such as extra_name keep every value), never the
request.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from werkzeug.datastructures import MultiDict

from hearings.audit import audited
from hearings.bodies import bodies_by_name
from hearings.errors import Refused
from hearings.matters import recent_hearings
from hearings.memberships import current_members
from hearings.models import Body, Hearing, Matter, Person, PersonVote, VoteEvent
from hearings.models.base import DbSession
from hearings.models.votes import THRESHOLD_RULES, VOTE_VALUES
from hearings.record_ids import record_id
from hearings.testimony import person_for
from hearings.votes import Outcome, checked_outcome, compute_outcome

if TYPE_CHECKING:
    from hearings.forms import RollCallForm

RULE_LABELS = {
    "majority_present": "Majority of members present and voting",
    "majority_body": "Majority of the full body",
    "two_thirds_present": "Two-thirds of members present and voting",
    "two_thirds_body": "Two-thirds of the full body",
    "explicit": "A set number of yes votes (e.g. 11 of 15 to override a veto)",
}
RESULTS = ("", "pass", "fail")


@dataclass
class RollCall:
    """A roll call as the clerk entered it, checked but not yet stored."""

    body: Body
    date: date
    motion: str
    threshold_rule: str
    required_yes: int | None
    body_size: int
    recorded_result: str | None
    hearing: Hearing | None
    votes: list[tuple[Person, str]] = field(default_factory=list)


def added_rows(names: list[str], values: list[str]) -> list[tuple[str, str]]:
    """Return (name, vote) of the rows added for people who are not listed members."""
    return [(name, value) for name, value in zip(names, values, strict=False) if name.strip()]


def _extra_votes(form: MultiDict) -> list[tuple[str, str]]:
    return added_rows(form.getlist("extra_name"), form.getlist("extra_value"))


def check_roll_call(session: DbSession, form: RollCallForm) -> RollCall:
    """Check a submitted roll call and return it; raise Refused saying what is wrong."""
    body = session.get(Body, form.body_id.data) if form.body_id.data else None
    if body is None:
        raise Refused("Choose the body that voted.")
    when = form.date.data
    if when is None:
        raise Refused("Give the date of the vote (YYYY-MM-DD).")
    motion = " ".join(form.motion.data.split())
    if not motion:
        raise Refused("Write the motion voted on, for example “Adopt the ordinance”.")
    if len(motion) > 2000:
        raise Refused("The motion is too long (2,000 characters at most).")
    rule = form.threshold_rule.data or "majority_present"
    if rule not in THRESHOLD_RULES:
        raise Refused(f"“{rule}” is not a voting rule.")
    hearing_id = form.hearing_id.data
    hearing = session.get(Hearing, hearing_id) if hearing_id else None
    if hearing_id and hearing is None:
        raise Refused("That hearing is not in the record.")
    result = form.recorded_result.data.strip()
    if result not in RESULTS:
        raise Refused("The recorded result is pass, fail, or left blank.")

    votes: list[tuple[Person, str]] = []
    for person_id, value in form.member_votes:
        try:
            person = session.get(Person, record_id(person_id))
        except ValueError:
            person = None
        if person is None:
            raise Refused("A member in the roll call is not in the record; reload the form.")
        votes.append((person, _vote_value(value, person.name)))
    for name, value in added_rows(form.extra_name.data, form.extra_value.data):
        person = person_for(session, None, name)
        votes.append((person, _vote_value(value, name.strip())))
    if not votes:
        raise Refused("Record at least one member's vote.")
    people = Counter(id(person) for person, _ in votes)
    if max(people.values()) > 1:
        twice = next(p.name for p, _ in votes if people[id(p)] > 1)
        raise Refused(f"{twice} is in the roll call twice.")

    body_size = form.body_size.data
    if body_size is None:
        body_size = body.size or len(votes)
    if body_size < 1:
        raise Refused("The number of seats must be at least 1.")
    if len(votes) > body_size:
        raise Refused(
            f"{len(votes)} members voted but the body has {body_size} seats; correct the seats "
            "or remove a member."
        )
    required = form.required_yes.data
    if rule == "explicit":
        if not required or required > body_size:
            raise Refused(
                f"For a set number of votes, give the yes votes needed (1 to {body_size})."
            )
    else:
        required = None
    return RollCall(body, when, motion, rule, required, body_size, result or None, hearing, votes)


def _vote_value(value: str | None, name: str) -> str:
    value = (value or "").strip()
    if value not in VOTE_VALUES:
        raise Refused(
            f"Record {name}'s vote: {', '.join(v.replace('_', ' ') for v in VOTE_VALUES)}."
        )
    return value


def save_roll_call(
    session: DbSession, user, matter: Matter, roll_call: RollCall, event: VoteEvent | None = None
) -> VoteEvent:
    """Store a new roll call on the matter, or replace an existing one's details."""
    action = "vote_event.create" if event is None else "vote_event.update"
    if event is None:
        event = VoteEvent(matter=matter)
    hearing_id = roll_call.hearing.id if roll_call.hearing else None
    with audited(session, user, action, event, _snapshot, hearing_id=hearing_id):
        session.add(event)
        _fill(session, event, roll_call)
    return event


def _fill(session: DbSession, event: VoteEvent, roll_call: RollCall) -> None:
    event.body = roll_call.body
    event.date = roll_call.date
    event.motion = roll_call.motion
    event.threshold_rule = roll_call.threshold_rule
    event.required_yes = roll_call.required_yes
    event.body_size = roll_call.body_size
    event.recorded_result = roll_call.recorded_result
    event.hearing = roll_call.hearing
    # Update rows in place: deleting and re-adding a member's vote in one flush would clash
    # with the one-vote-per-member constraint.
    existing = {vote.person_id: vote for vote in event.votes if vote.person_id is not None}
    wanted = {}
    for person, value in roll_call.votes:
        if person.id is None:
            session.flush()
        wanted[person.id] = value
    for person_id, vote in existing.items():
        if person_id in wanted:
            vote.value = wanted.pop(person_id)
        else:
            event.votes.remove(vote)
    for person, value in roll_call.votes:
        if person.id in wanted:
            event.votes.append(PersonVote(person=person, value=value))


def _snapshot(event: VoteEvent) -> dict:
    return {
        "body_id": event.body_id,
        "date": event.date.isoformat() if event.date else None,
        "motion": event.motion,
        "threshold_rule": event.threshold_rule,
        "required_yes": event.required_yes,
        "body_size": event.body_size,
        "recorded_result": event.recorded_result,
        "votes": {str(v.person_id): v.value for v in event.votes},
    }


# --- the roll-call form ------------------------------------------------------------------


def roll_call_form(
    session: DbSession, matter: Matter, form: MultiDict, event: VoteEvent | None = None
) -> dict:
    """Return what the roll-call form shows: an empty form, a stored roll call, or a retry.

    Args:
        form: the fields the clerk submitted; empty to start from the event or a blank form.
    """
    bodies = bodies_by_name(session)
    body_id = form.get("body_id", type=record_id)
    body = session.get(Body, body_id) if body_id else (event.body if event else matter.body)
    body = body or (bodies[0] if bodies else None)
    on = vote_day(form.get("date"), event)
    if form:
        values = form
    elif event:
        values = MultiDict(
            {
                "date": event.date.isoformat(),
                "motion": event.motion,
                "threshold_rule": event.threshold_rule,
                "required_yes": event.required_yes or "",
                "body_size": event.body_size or "",
                "recorded_result": event.recorded_result or "",
                "hearing_id": event.hearing_id or "",
            }
        )
    else:
        values = MultiDict({"date": on.isoformat(), "body_size": (body.size if body else "") or ""})
    return {
        "matter": matter,
        "event": event,
        "values": values,
        "bodies": bodies,
        "body": body,
        "rows": member_rows(session, body, on, form, event),
        "extra": _extra_votes(form),
        "hearings": recent_hearings(session),
        "rule_labels": RULE_LABELS,
        "vote_values": VOTE_VALUES,
        "preview": preview_outcome(session, form) if form else _stored_outcome(event),
    }


def _stored_outcome(event: VoteEvent | None) -> Outcome | str | None:
    if event is None:
        return None
    result, problem = checked_outcome(event)
    return result or problem


def vote_day(raw: str | None, event: VoteEvent | None = None) -> date:
    """Return the day typed in the form, else the stored vote's day, else today."""
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return event.date if event else date.today()


def member_rows(
    session: DbSession,
    body: Body | None,
    on: date,
    form: MultiDict | None = None,
    event: VoteEvent | None = None,
) -> list[tuple[Person, str | None, str]]:
    """Return (person, seat, chosen value) for the body's members and anyone already voting."""
    if body is None:
        return []
    recorded = {v.person_id: v.value for v in event.votes} if event else {}
    rows = [(m.person, m.seat, None) for m in current_members(session, body, on)]
    listed = {person.id for person, _, _ in rows}
    rows += [
        (v.person, None, None) for v in (event.votes if event else []) if v.person_id not in listed
    ]
    chosen = []
    for person, seat, _ in rows:
        value = form.get(f"vote-{person.id}") if form else None
        chosen.append((person, seat, value or recorded.get(person.id, "")))
    return chosen


def preview_outcome(session: DbSession, form: MultiDict) -> Outcome | str:
    """Return the outcome of the entered votes, or a message saying what is missing."""
    values = [value for key, value in form.items(multi=True) if key.startswith("vote-")]
    values += [value for _, value in _extra_votes(form)]
    entered = Counter(value for value in values if value in VOTE_VALUES)
    counts = {value: entered[value] for value in VOTE_VALUES}
    rule = form.get("threshold_rule") or "majority_present"
    if rule not in THRESHOLD_RULES:
        return "Choose a voting rule."
    body = session.get(Body, form.get("body_id", type=record_id) or 0)
    size = form.get("body_size", type=int) or (body.size if body else None)
    if not size:
        return "Give the number of seats to compute the outcome."
    required = form.get("required_yes", type=int)
    if rule == "explicit" and not required:
        return "Give the yes votes needed to compute the outcome."
    if not sum(counts.values()):
        return "Record the members' votes to see the outcome."
    try:
        return compute_outcome(rule, counts, size, required if rule == "explicit" else None)
    except ValueError as problem:
        return str(problem)
