"""Whether a roll-call vote carries, by the rule that governs it.

Who counts as present: a member who answered the roll call on the motion, that is voted yes,
no, abstained or was recorded "not voting". Excused and absent members are not present. An
abstention therefore counts as present and raises the number of yes votes needed without adding
one: under "majority_present" it works exactly like a no vote. Councils that do not count
abstentions as present should record those members as excused.

Rules (THRESHOLD_RULES):

- majority_present: more than half of the members present, floor(present / 2) + 1.
- majority_body: more than half of the full body, floor(size / 2) + 1.
- two_thirds_present: two thirds of the members present, rounded up: ceil(2 * present / 3)
  (Robert's Rules' two-thirds vote, e.g. to suspend the rules).
- two_thirds_body: two thirds of the full body, rounded up: ceil(2 * size / 3).
- explicit: a fixed number of yes votes, e.g. 11 of 15 to override a veto.

The "full body" is the seats filled when the vote was taken: VoteEvent.body_size when the clerk
recorded it (vacancies lower it), otherwise Body.size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import object_session

from hearings.models import Membership
from hearings.models.votes import THRESHOLD_RULES, VOTE_VALUES, VoteEvent

PRESENT_VALUES = ("yes", "no", "abstain", "not_voting")
BODY_RULES = ("majority_body", "two_thirds_body")
PRESENT_RULES = ("majority_present", "two_thirds_present")
RECORDED_RESULTS = {"pass": True, "passed": True, "fail": False, "failed": False}


@dataclass(frozen=True)
class Outcome:
    """The computed result of a vote and the arithmetic behind it."""

    passed: bool
    yes: int
    no: int
    present: int
    needed: int
    # What the rule is computed on: members present, or seats on the body.
    basis: int
    explanation: str
    rule: str = "majority_present"
    abstain: int = 0


def compute_outcome(
    rule: str,
    counts: Mapping[str, int],
    body_size: int | None,
    required_yes: int | None = None,
) -> Outcome:
    """Return whether a vote with these counts carries under the rule.

    Args:
        rule: one of THRESHOLD_RULES.
        counts: votes by value (VOTE_VALUES); missing values count as 0.
        body_size: seats filled when the vote was taken; needed by the body rules.
        required_yes: yes votes needed under "explicit".

    Raises:
        ValueError: unknown rule or vote value, negative counts, a body rule without a size,
            "explicit" without required_yes, or more votes than seats.
    """
    if rule not in THRESHOLD_RULES:
        raise ValueError(
            f"Unknown threshold rule {rule!r}; use one of {', '.join(THRESHOLD_RULES)}."
        )
    unknown = sorted(set(counts) - set(VOTE_VALUES))
    if unknown:
        raise ValueError(
            f"Unknown vote value {', '.join(map(repr, unknown))}; use {', '.join(VOTE_VALUES)}."
        )
    tally = {value: counts.get(value, 0) for value in VOTE_VALUES}
    for value, count in tally.items():
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError(
                f"The count of {value!r} votes must be a whole number ≥ 0, not {count!r}."
            )
    if body_size is not None and body_size < 1:
        raise ValueError(f"A body has at least one seat, not {body_size}.")
    recorded = sum(tally.values())
    if body_size is not None and recorded > body_size:
        raise ValueError(f"{recorded} members recorded on a body of {body_size} seats.")

    yes, no = tally["yes"], tally["no"]
    present = sum(tally[value] for value in PRESENT_VALUES)
    if rule == "majority_present":
        basis, needed = present, present // 2 + 1
    elif rule == "two_thirds_present":
        basis, needed = present, -(-2 * present // 3)
    elif rule in BODY_RULES:
        if body_size is None:
            raise ValueError(f"{rule} needs the number of seats on the body; none is recorded.")
        basis = body_size
        needed = body_size // 2 + 1 if rule == "majority_body" else -(-2 * body_size // 3)
    else:
        if required_yes is None:
            raise ValueError("An explicit threshold needs the number of yes votes required.")
        if required_yes < 1:
            raise ValueError(f"At least one yes vote is required, not {required_yes}.")
        if body_size is not None and required_yes > body_size:
            raise ValueError(f"{required_yes} yes votes required on a body of {body_size} seats.")
        basis = body_size if body_size is not None else present
        needed = required_yes

    passed = yes >= needed
    if rule in PRESENT_RULES or (rule == "explicit" and body_size is None):
        votes = f"{yes} yes, {no} no"
        if tally["abstain"]:
            votes += f", {tally['abstain']} abstain"
        if tally["not_voting"]:
            votes += f", {tally['not_voting']} not voting"
        scope = f"{votes} of {present} present"
    else:
        scope = f"{yes} yes of {basis} {'member' if basis == 1 else 'members'}"
    explanation = f"{scope}; {needed} needed: {'passes' if passed else 'fails'}"
    return Outcome(
        passed=passed,
        yes=yes,
        no=no,
        present=present,
        needed=needed,
        basis=basis,
        explanation=explanation,
        rule=rule,
        abstain=tally["abstain"],
    )


def vote_counts(vote_event: VoteEvent) -> Counter[str]:
    """Return the number of members recorded under each vote value."""
    return Counter(vote.value for vote in vote_event.votes)


def outcome(vote_event: VoteEvent) -> Outcome:
    """Return the computed outcome of a recorded roll call.

    Raises:
        ValueError: the rule cannot be applied (see compute_outcome).
    """
    size = vote_event.body_size if vote_event.body_size is not None else vote_event.body.size
    return compute_outcome(
        vote_event.threshold_rule, vote_counts(vote_event), size, vote_event.required_yes
    )


def result_disagrees(vote_event: VoteEvent) -> bool:
    """Return True when the recorded result contradicts the one the votes give.

    False when there is nothing to compare: no recorded result (or one other than pass/fail),
    no individual votes (a voice vote), or a rule that cannot be applied; outcome() says why.
    """
    recorded = RECORDED_RESULTS.get((vote_event.recorded_result or "").strip().casefold())
    if recorded is None or not vote_event.votes:
        return False
    try:
        computed = outcome(vote_event)
    except ValueError:
        return False
    return computed.passed != recorded


def checked_outcome(event: VoteEvent) -> tuple[Outcome | None, str | None]:
    """Return (the computed outcome, None), or (None, why it cannot be computed)."""
    try:
        return outcome(event), None
    except ValueError as problem:
        return None, f"cannot be computed: {problem}"


def seats_on(event: VoteEvent) -> dict[int, str | None]:
    """Return person id -> seat held on the vote's body on the day of the vote."""
    session = object_session(event)
    if session is None:
        return {}
    memberships = session.scalars(
        select(Membership).where(
            Membership.body_id == event.body_id,
            or_(Membership.start_date.is_(None), Membership.start_date <= event.date),
            or_(Membership.end_date.is_(None), Membership.end_date >= event.date),
        )
    )
    return {m.person_id: m.seat for m in memberships}


def roll_call_view(event: VoteEvent) -> dict:
    """Return a roll call as the vote partial shows it: outcome, flag, members with seats."""
    seats = seats_on(event)
    result, problem = checked_outcome(event)
    return {
        "event": event,
        "outcome": result,
        "problem": problem,
        "disagrees": result_disagrees(event),
        "members": sorted(
            (
                {"person": v.person, "value": v.value, "seat": seats.get(v.person_id)}
                for v in event.votes
            ),
            key=lambda m: m["person"].name,
        ),
    }
