"""Threshold arithmetic of roll-call votes and the check of recorded results."""

from datetime import date

import pytest

from hearings.extensions import db
from hearings.models import Body, Person, PersonVote, VoteEvent
from hearings.votes import compute_outcome, outcome, result_disagrees


def test_majority_present_counts_yes_no_abstain_and_not_voting_as_present():
    result = compute_outcome("majority_present", {"yes": 8, "no": 5, "excused": 2}, 15)
    assert (result.present, result.needed, result.basis, result.passed) == (13, 7, 13, True)
    assert result.explanation == "8 yes, 5 no of 13 present; 7 needed: passes"


def test_abstentions_count_as_present_and_work_against_the_motion():
    without = compute_outcome("majority_present", {"yes": 6, "no": 5}, None)
    with_abstentions = compute_outcome("majority_present", {"yes": 6, "no": 5, "abstain": 2}, None)
    assert without.passed and without.needed == 6
    assert not with_abstentions.passed and with_abstentions.needed == 7
    assert with_abstentions.explanation == "6 yes, 5 no, 2 abstain of 13 present; 7 needed: fails"


def test_excused_and_absent_members_are_not_present():
    result = compute_outcome("majority_present", {"yes": 4, "no": 3, "excused": 5, "absent": 3}, 15)
    assert (result.present, result.needed, result.passed) == (7, 4, True)


def test_not_voting_counts_as_present():
    result = compute_outcome("majority_present", {"yes": 4, "no": 3, "not_voting": 2}, None)
    assert (result.present, result.needed, result.passed) == (9, 5, False)


def test_a_tie_fails_a_majority_of_those_present():
    assert not compute_outcome("majority_present", {"yes": 6, "no": 6}, 15).passed


def test_majority_of_the_body_counts_seats_not_those_present():
    result = compute_outcome("majority_body", {"yes": 7, "no": 1, "excused": 7}, 15)
    assert (result.basis, result.needed, result.passed) == (15, 8, False)
    assert result.explanation == "7 yes of 15 members; 8 needed: fails"
    assert compute_outcome("majority_body", {"yes": 8}, 15).passed
    assert compute_outcome("majority_body", {"yes": 7}, 14).needed == 8


@pytest.mark.parametrize(
    ("size", "needed"), [(15, 10), (14, 10), (13, 9), (12, 8), (9, 6), (7, 5), (3, 2), (1, 1)]
)
def test_two_thirds_of_the_body_rounds_up(size, needed):
    assert compute_outcome("two_thirds_body", {"yes": 0}, size).needed == needed


def test_ten_of_fifteen_passes_two_thirds_but_fails_an_explicit_eleven():
    counts = {"yes": 10, "no": 5}
    two_thirds = compute_outcome("two_thirds_body", counts, 15)
    override = compute_outcome("explicit", counts, 15, required_yes=11)
    assert two_thirds.passed and two_thirds.needed == 10
    assert two_thirds.explanation == "10 yes of 15 members; 10 needed: passes"
    assert not override.passed
    assert override.explanation == "10 yes of 15 members; 11 needed: fails"
    assert compute_outcome("explicit", {"yes": 11, "no": 4}, 15, required_yes=11).passed


def test_a_vacancy_lowers_the_body_size_but_not_two_thirds_of_fourteen():
    assert compute_outcome("two_thirds_body", {"yes": 9, "no": 5}, 14).needed == 10
    assert not compute_outcome("two_thirds_body", {"yes": 9, "no": 5}, 14).passed
    assert compute_outcome("two_thirds_body", {"yes": 10, "no": 4}, 14).passed
    assert compute_outcome("majority_body", {"yes": 7, "no": 5}, 12).passed


def test_explicit_without_a_body_size_is_computed_on_those_present():
    result = compute_outcome("explicit", {"yes": 6, "no": 1}, None, required_yes=6)
    assert result.passed and result.basis == 7
    assert result.explanation == "6 yes, 1 no of 7 present; 6 needed: passes"


def test_nobody_present_fails():
    result = compute_outcome("majority_present", {"excused": 3}, 3)
    assert (result.present, result.needed, result.passed) == (0, 1, False)


@pytest.mark.parametrize(
    ("rule", "counts", "size", "required", "message"),
    [
        ("supermajority", {"yes": 5}, 9, None, "Unknown threshold rule"),
        ("majority_body", {"yes": 5}, None, None, "number of seats"),
        ("two_thirds_body", {"yes": 5}, None, None, "number of seats"),
        ("explicit", {"yes": 5}, 9, None, "yes votes required"),
        ("explicit", {"yes": 5}, 9, 0, "At least one"),
        ("explicit", {"yes": 5}, 9, 10, "10 yes votes required on a body of 9"),
        ("majority_present", {"yes": 9, "no": 6, "excused": 1}, 15, None, "16 members recorded"),
        ("majority_present", {"yes": -1}, None, None, "whole number"),
        ("majority_present", {"yea": 3}, None, None, "Unknown vote value"),
        ("majority_body", {"yes": 1}, 0, None, "at least one seat"),
    ],
)
def test_impossible_inputs_raise_a_clear_value_error(rule, counts, size, required, message):
    with pytest.raises(ValueError, match=message):
        compute_outcome(rule, counts, size, required)


def _roll_call(
    session,
    values,
    *,
    body_size=None,
    rule="majority_present",
    recorded=None,
    required_yes=None,
    seats=15,
    body_name="City Council",
):
    body = Body(name=body_name, size=seats)
    event = VoteEvent(
        body=body,
        date=date(2026, 3, 12),
        motion="Override the veto",
        threshold_rule=rule,
        body_size=body_size,
        recorded_result=recorded,
        required_yes=required_yes,
    )
    for index, value in enumerate(values):
        event.votes.append(PersonVote(person=Person(name=f"Member {index}"), value=value))
    session.add(event)
    session.commit()
    return event


def test_outcome_counts_the_recorded_votes_and_prefers_the_vote_body_size(app):
    with app.app_context():
        event = _roll_call(
            db.session, ["yes"] * 9 + ["no"] * 5, body_size=14, rule="two_thirds_body"
        )
        result = outcome(event)
        assert (result.yes, result.no, result.basis, result.needed) == (9, 5, 14, 10)
        assert not result.passed
        event.body_size = None  # falls back to Body.size, 15 seats
        assert outcome(event).basis == 15


def test_result_disagrees_flags_a_recorded_pass_the_votes_do_not_give(app):
    with app.app_context():
        event = _roll_call(
            db.session, ["yes"] * 10 + ["no"] * 5, rule="explicit", required_yes=11, recorded="pass"
        )
        assert result_disagrees(event)
        event.recorded_result = "fail"
        assert not result_disagrees(event)
        event.recorded_result = None
        assert not result_disagrees(event)


def test_result_disagrees_is_false_when_there_is_nothing_to_compare(app):
    with app.app_context():
        voice_vote = _roll_call(db.session, [], recorded="pass")
        assert not result_disagrees(voice_vote)
        no_size = _roll_call(
            db.session,
            ["yes", "no"],
            rule="majority_body",
            recorded="fail",
            seats=None,
            body_name="Committee",
        )
        with pytest.raises(ValueError, match="number of seats"):
            outcome(no_size)
        assert not result_disagrees(no_size)


@pytest.mark.parametrize(
    "counts, needed, passes",
    [
        # 15 seats, 12 present: 8 of 12 is two thirds; 7 is not.
        ({"yes": 8, "no": 4, "excused": 3}, 8, True),
        ({"yes": 7, "no": 5, "absent": 3}, 8, False),
        # An abstention is present: 9 yes of 14 present needs 10.
        ({"yes": 9, "no": 4, "abstain": 1, "excused": 1}, 10, False),
    ],
)
def test_two_thirds_of_those_present_counts_the_members_present(counts, needed, passes):
    result = compute_outcome("two_thirds_present", counts, 15)
    assert (result.needed, result.passed, result.basis) == (needed, passes, result.present)
    assert result.explanation.endswith(
        f"present; {needed} needed: {'passes' if passes else 'fails'}"
    )


def test_two_thirds_of_those_present_and_of_the_body_differ_when_members_are_absent():
    # 10 yes, 2 no, 3 absent: two thirds of those present (8) carries; of the body (10) too.
    counts = {"yes": 10, "no": 2, "absent": 3}
    assert compute_outcome("two_thirds_present", counts, 15).needed == 8
    assert compute_outcome("two_thirds_body", counts, 15).needed == 10
