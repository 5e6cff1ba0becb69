"""Recording a roll call per matter: members, the computed outcome, a disagreeing result flagged."""

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from hearings import models
from hearings.extensions import db
from tests.web.conftest import token


def roll_call(heard_matter, yes=10, **fields):
    """Return a form for the 15-member council: the first `yes` members yes, the rest no."""
    data = {
        "body_id": heard_matter.council_id,
        "date": "2026-04-07",
        "motion": "Override the mayor's veto",
        "threshold_rule": "explicit",
        "required_yes": "11",
        "body_size": "15",
        "recorded_result": "",
    }
    for index, person_id in enumerate(heard_matter.member_ids):
        data[f"vote-{person_id}"] = "yes" if index < yes else "no"
    data.update(fields)
    return data


def record_vote(client, heard_matter, **fields):
    data = {"csrf_token": token(client), **roll_call(heard_matter, **fields)}
    return client.post(f"/matters/{heard_matter.matter_id}/votes/new", data=data)


def stored(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(models.VoteEvent)),
            db.session.scalar(select(func.count()).select_from(models.PersonVote)),
        )


def test_vote_form_needs_a_clerk_and_a_token(client, clerk_client, app, heard_matter):
    path = f"/matters/{heard_matter.matter_id}/votes/new"
    assert clerk_client.post(path, data=roll_call(heard_matter)).status_code == 400
    clerk_client.post("/auth/logout", data={"csrf_token": token(clerk_client, "/")})
    assert client.get(path).status_code == 302
    anonymous = client.post(
        path, data={"csrf_token": token(client, "/auth/login"), **roll_call(heard_matter)}
    )
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    assert stored(app) == (0, 0)


def test_form_lists_the_current_members_of_the_body(clerk_client, heard_matter):
    html = clerk_client.get(f"/matters/{heard_matter.matter_id}/votes/new").get_data(as_text=True)
    assert html.count('aria-label="Vote of Member ') == 15
    assert "District 15" in html


def test_recorded_vote_shows_its_arithmetic(clerk_client, app, heard_matter):
    response = record_vote(clerk_client, heard_matter)
    assert response.status_code == 302
    assert stored(app) == (1, 15)
    vote_page = clerk_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "10 yes of 15 members; 11 needed: fails" in vote_page
    assert "disagrees" not in vote_page
    matter_page = clerk_client.get(f"/matters/{heard_matter.matter_id}").get_data(as_text=True)
    assert "10 yes of 15 members; 11 needed: fails" in matter_page
    votes = matter_page[matter_page.index('id="votes"') :]
    assert votes.count('class="vote vote-yes"') >= 10 and "Member O" in votes


def test_a_recorded_result_that_disagrees_is_flagged(clerk_client, heard_matter):
    response = record_vote(clerk_client, heard_matter, recorded_result="pass")
    assert response.status_code == 302
    html = clerk_client.get(f"/matters/{heard_matter.matter_id}").get_data(as_text=True)
    assert "disagrees with the votes as recorded" in html
    agreeing = record_vote(
        clerk_client, heard_matter, yes=11, recorded_result="pass", motion="Again"
    )
    assert agreeing.status_code == 302
    page = clerk_client.get(agreeing.headers["Location"]).get_data(as_text=True)
    assert "11 yes of 15 members; 11 needed: passes" in page
    assert "disagrees with the votes" not in page


def test_majority_of_those_present(clerk_client, heard_matter):
    fields = {"threshold_rule": "majority_present", "required_yes": ""}
    fields[f"vote-{heard_matter.member_ids[14]}"] = "excused"
    response = record_vote(clerk_client, heard_matter, yes=7, **fields)
    page = clerk_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "7 yes, 7 no of 14 present; 8 needed: fails" in page


def test_two_thirds_of_those_present(clerk_client, heard_matter):
    fields = {"threshold_rule": "two_thirds_present", "required_yes": ""}
    for person_id in heard_matter.member_ids[12:]:
        fields[f"vote-{person_id}"] = "absent"
    response = record_vote(clerk_client, heard_matter, yes=8, **fields)
    page = clerk_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "8 yes, 4 no of 12 present; 8 needed: passes" in page
    form = clerk_client.get(f"/matters/{heard_matter.matter_id}/votes/new").get_data(as_text=True)
    assert "Two-thirds of members present and voting" in form


def test_a_person_who_is_not_a_listed_member_can_be_added(clerk_client, app, heard_matter):
    fields = {
        f"vote-{heard_matter.member_ids[14]}": "",
        "extra_name": "Acting Member Q",
        "extra_value": "yes",
    }
    data = roll_call(heard_matter, **fields)
    del data[f"vote-{heard_matter.member_ids[14]}"]
    response = clerk_client.post(
        f"/matters/{heard_matter.matter_id}/votes/new",
        data={"csrf_token": token(clerk_client), **data},
    )
    assert response.status_code == 302
    with app.app_context():
        names = db.session.scalars(
            select(models.Person.name)
            .join(models.PersonVote)
            .where(models.PersonVote.value == "yes")
        ).all()
    assert "Acting Member Q" in names and len(names) == 11


def test_a_body_the_form_could_not_offer_is_a_bad_request(clerk_client, app, heard_matter):
    # The body is a choice from a list, so a number too large to be a key was not sent by the
    # page: 400, with the same message and nothing stored.
    assert record_vote(clerk_client, heard_matter).status_code == 302
    before = stored(app)
    response = record_vote(clerk_client, heard_matter, body_id="99999999999999999999999")
    assert response.status_code == 400
    assert "The body must be a whole number" in response.get_data(as_text=True)
    assert stored(app) == before


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"motion": " "}, "Write the motion"),
        ({"date": "April 7"}, "date of the vote"),
        ({"body_id": "9999"}, "Choose the body"),
        ({"threshold_rule": "unanimity"}, "not a voting rule"),
        ({"required_yes": ""}, "yes votes needed"),
        ({"required_yes": "16"}, "yes votes needed"),
        ({"body_size": "12"}, "15 members voted but the body has 12 seats"),
        ({"body_size": "0"}, "at least 1"),
        ({"vote-99999999999999999999999": "yes"}, "not in the record"),
        ({"recorded_result": "tabled"}, "recorded result"),
        ({"vote-PLACEHOLDER": ""}, "Record Member A's vote"),
        ({"vote-PLACEHOLDER": "maybe"}, "Record Member A's vote"),
        ({"extra_name": "Member A", "extra_value": "yes"}, "in the roll call twice"),
    ],
)
def test_bad_roll_calls_are_refused_and_nothing_is_stored(
    clerk_client, app, heard_matter, fields, message
):
    assert record_vote(clerk_client, heard_matter).status_code == 302
    before = stored(app)
    fields = {
        k.replace("PLACEHOLDER", str(heard_matter.member_ids[0])): v for k, v in fields.items()
    }
    response = record_vote(clerk_client, heard_matter, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert str(escape(message)) in html
    # The clerk's entries come back for correcting.
    motion = fields.get("motion", "Override the mayor's veto")
    assert f'name="motion" required maxlength="2000" value="{escape(motion)}"' in html
    assert stored(app) == before


def test_preview_shows_the_outcome_before_saving(clerk_client, app, heard_matter):
    response = clerk_client.post(
        "/votes/preview",
        data={"csrf_token": token(clerk_client), **roll_call(heard_matter, yes=11)},
    )
    assert response.status_code == 200
    assert "11 yes of 15 members; 11 needed: passes" in response.get_data(as_text=True)
    incomplete = clerk_client.post(
        "/votes/preview",
        data={"csrf_token": token(clerk_client), **roll_call(heard_matter), "required_yes": ""},
    )
    assert "yes votes needed" in incomplete.get_data(as_text=True)
    assert stored(app) == (0, 0)


def test_member_rows_follow_the_body_and_date(clerk_client, heard_matter):
    html = clerk_client.get(
        f"/votes/members?body_id={heard_matter.council_id}&date=2026-04-07"
    ).get_data(as_text=True)
    assert html.count('<select name="vote-') == 15
    before_terms = clerk_client.get(
        f"/votes/members?body_id={heard_matter.council_id}&date=2020-01-01"
    ).get_data(as_text=True)
    assert "no members on record" in before_terms


def test_correcting_a_roll_call_updates_votes_in_place(clerk_client, app, heard_matter):
    response = record_vote(clerk_client, heard_matter, recorded_result="pass")
    vote_path = response.headers["Location"]
    vote_id = int(vote_path.rsplit("/", 1)[1])
    form = clerk_client.get(f"/votes/{vote_id}/edit").get_data(as_text=True)
    assert "Override the mayor" in form and "10 yes of 15 members" in form
    corrected = clerk_client.post(
        f"/votes/{vote_id}/edit",
        data={
            "csrf_token": token(clerk_client),
            **roll_call(heard_matter, yes=11, recorded_result="pass"),
        },
    )
    assert corrected.status_code == 302
    page = clerk_client.get(vote_path).get_data(as_text=True)
    assert "11 yes of 15 members; 11 needed: passes" in page
    assert "disagrees with the votes" not in page
    assert stored(app) == (1, 15)
    with app.app_context():
        actions = db.session.scalars(
            select(models.AuditEntry.action).where(models.AuditEntry.action.not_like("auth.%"))
        ).all()
    assert actions == ["vote_event.create", "vote_event.update"]
