"""Testimony from transcript lines: clerks only; a suggestion is kept apart from the position."""

import re

from sqlalchemy import func, select

from hearings import models
from hearings.extensions import db
from hearings.models import AuditEntry, Organization, Person
from tests.web.conftest import token


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def post_testimony(client, heard_matter, **overrides):
    data = {
        "csrf_token": token(client, f"/hearings/{heard_matter.hearing_id}"),
        "matter_id": heard_matter.matter_id,
        "segment_ids": [heard_matter.segments["SPEAKER_02"]],
        "organization": ["ACLU of Wisconsin", ""],
        "position": "not_stated",
        "concern_ids": [
            heard_matter.concern_ids["misidentification"],
            heard_matter.concern_ids["racial bias"],
        ],
        **overrides,
    }
    return client.post(f"/hearings/{heard_matter.hearing_id}/testimony", data=data)


def test_anonymous_is_sent_to_sign_in_and_nothing_is_created(client, app, heard_matter):
    response = client.post(
        f"/hearings/{heard_matter.hearing_id}/testimony",
        data={
            "csrf_token": token(client, "/auth/login"),
            "matter_id": heard_matter.matter_id,
            "segment_ids": heard_matter.segments["SPEAKER_02"],
        },
    )
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert count(app, models.Testimony) == 0


def test_form_without_csrf_token_is_refused(clerk_client, app, heard_matter):
    response = clerk_client.post(
        f"/hearings/{heard_matter.hearing_id}/testimony",
        data={
            "matter_id": heard_matter.matter_id,
            "segment_ids": heard_matter.segments["SPEAKER_02"],
        },
    )
    assert response.status_code == 400
    assert count(app, models.Testimony) == 0


def test_account_that_cannot_edit_is_refused(reader_client, app, heard_matter):
    response = post_testimony(reader_client, heard_matter)
    assert response.status_code == 403
    assert count(app, models.Testimony) == 0


def test_transcript_lines_have_checkboxes_for_the_form_only_for_clerks(
    client, clerk_client, heard_matter
):
    html = clerk_client.get(f"/hearings/{heard_matter.hearing_id}").get_data(as_text=True)
    assert 'id="testimony-form"' in html
    assert html.count('form="testimony-form"') == 3
    assert "ERC 26-0148" in html
    client.post("/auth/logout", data={"csrf_token": token(client, "/")})
    public = client.get(f"/hearings/{heard_matter.hearing_id}").get_data(as_text=True)
    assert 'form="testimony-form"' not in public and 'id="testimony-form"' not in public


def test_the_form_offers_every_matter_with_those_on_the_agenda_starred(
    clerk_client, app, heard_matter
):
    from hearings import agenda
    from hearings.models import Hearing, Matter

    html = clerk_client.get(f"/hearings/{heard_matter.hearing_id}").get_data(as_text=True)
    form = html[html.index('id="testimony-form"') :]
    assert re.search(rf'<option value="{heard_matter.matter_id}"\s*>ERC 26-0148', form)
    with app.app_context():
        hearing = db.session.get(Hearing, heard_matter.hearing_id)
        matter = db.session.get(Matter, heard_matter.matter_id)
        agenda.link_agenda_item(db.session, None, hearing, matter, 0, None)
        db.session.commit()
    html = clerk_client.get(f"/hearings/{heard_matter.hearing_id}").get_data(as_text=True)
    form = html[html.index('id="testimony-form"') :]
    assert re.search(rf'<option value="{heard_matter.matter_id}"\s*>★ ERC 26-0148', form)


def test_testimony_from_selected_lines(clerk_client, app, heard_matter):
    response = post_testimony(clerk_client, heard_matter)
    assert response.status_code == 302
    with app.app_context():
        testimony = db.session.scalars(select(models.Testimony)).one()
        assert response.headers["Location"].endswith(f"/testimony/{testimony.id}")
        assert testimony.kind == "oral"
        # The person defaults to the confirmed speaker of the selected lines.
        assert testimony.person.name == "Maria Lopez"
        assert [s.id for s in testimony.segments] == [heard_matter.segments["SPEAKER_02"]]
        assert testimony.hearing_id == heard_matter.hearing_id
        assert [o.name for o in testimony.organizations] == ["ACLU of Wisconsin"]
        assert sorted(c.name for c in testimony.concerns) == ["misidentification", "racial bias"]
        audit = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.not_like("auth.%"))
        ).one()
        assert (audit.action, audit.target) == ("testimony.create", f"testimonies:{testimony.id}")
    page = clerk_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We oppose this proposal" in page


def test_suggestion_is_stored_with_reasons_but_never_as_the_position(
    clerk_client, app, heard_matter
):
    assert post_testimony(clerk_client, heard_matter).status_code == 302
    with app.app_context():
        testimony = db.session.scalars(select(models.Testimony)).one()
        assert testimony.suggested_position == "oppose"
        assert any("We oppose" in reason for reason in testimony.suggestion_reasons)
        assert (testimony.position, testimony.position_confirmed) == ("not_stated", False)
        testimony_id = testimony.id
    page = clerk_client.get(f"/testimony/{testimony_id}").get_data(as_text=True)
    assert "Confirm: oppose" in page and "not part of the record until you confirm" in page
    matter_page = clerk_client.get(f"/matters/{heard_matter.matter_id}").get_data(as_text=True)
    # The unconfirmed suggestion is not counted as opposition.
    assert "1 organization stated no position" in matter_page
    assert "organization opposes" not in matter_page

    response = clerk_client.post(
        f"/testimony/{testimony_id}/confirm",
        data={"csrf_token": token(clerk_client), "suggested": "oppose"},
    )
    assert response.status_code == 302
    with app.app_context():
        testimony = db.session.get(models.Testimony, testimony_id)
        assert (testimony.position, testimony.position_confirmed) == ("oppose", True)
    assert "1 organization opposes" in clerk_client.get(
        f"/matters/{heard_matter.matter_id}"
    ).get_data(as_text=True)


def test_confirming_a_suggestion_other_than_the_one_shown_is_refused(
    clerk_client, app, heard_matter
):
    post_testimony(clerk_client, heard_matter)
    with app.app_context():
        testimony_id = db.session.scalars(select(models.Testimony.id)).one()
    response = clerk_client.post(
        f"/testimony/{testimony_id}/confirm",
        data={"csrf_token": token(clerk_client), "suggested": "support"},
    )
    assert response.status_code == 409
    with app.app_context():
        testimony = db.session.get(models.Testimony, testimony_id)
        assert (testimony.position, testimony.position_confirmed) == ("not_stated", False)


def test_a_line_without_position_phrases_gets_no_suggestion(clerk_client, app, heard_matter):
    response = post_testimony(
        clerk_client,
        heard_matter,
        segment_ids=[heard_matter.segments["SPEAKER_01"]],
        person_name="Chief Lee",
    )
    assert response.status_code == 302
    with app.app_context():
        testimony = db.session.scalars(select(models.Testimony)).one()
        assert testimony.person.name == "Chief Lee"
        assert testimony.suggested_position is None
        assert (
            testimony.suggestion_reasons
            and "No position phrases" in testimony.suggestion_reasons[0]
        )


def test_position_chosen_by_the_clerk_is_confirmed(clerk_client, app, heard_matter):
    assert post_testimony(clerk_client, heard_matter, position="oppose").status_code == 302
    with app.app_context():
        testimony = db.session.scalars(select(models.Testimony)).one()
        assert (testimony.position, testimony.position_confirmed) == ("oppose", True)
        testimony_id = testimony.id
    response = clerk_client.post(
        f"/testimony/{testimony_id}/position",
        data={"csrf_token": token(clerk_client), "position": "neutral"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(models.Testimony, testimony_id).position == "neutral"
    blank = clerk_client.post(
        f"/testimony/{testimony_id}/position",
        data={"csrf_token": token(clerk_client), "position": ""},
    )
    assert blank.status_code == 422 and "Choose a position" in blank.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(models.Testimony, testimony_id).position == "neutral"


def test_bad_input_is_refused_with_a_reason_and_nothing_is_lost(clerk_client, app, heard_matter):
    assert post_testimony(clerk_client, heard_matter).status_code == 302
    people_before = count(app, Person)
    cases = [
        ({"segment_ids": []}, 422, "Select the speaker"),
        ({"matter_id": ""}, 422, "Choose the matter"),
        ({"segment_ids": [heard_matter.segments["SPEAKER_02"]]}, 409, "already testimony"),
        # SPEAKER_01 is not named: the clerk must say who it was.
        ({"segment_ids": [heard_matter.segments["SPEAKER_01"]]}, 422, "no named speaker"),
        ({"segment_ids": [999999]}, 422, "not part of this hearing"),
        (
            {"segment_ids": [heard_matter.segments["SPEAKER_01"]], "person_id": 999999},
            422,
            "not in the record",
        ),
        (
            {
                "segment_ids": [heard_matter.segments["SPEAKER_00"]],
                "person_name": "Chair",
                "position": "x",
            },
            422,
            "not a position",
        ),
        ({"segment_ids": ["abc"]}, 400, "not a valid choice"),
        ({"segment_ids": ["9" * 30]}, 400, "not a valid choice"),
        (
            {"segment_ids": [heard_matter.segments["SPEAKER_00"]], "person_name": "x" * 300},
            422,
            "too long",
        ),
    ]
    for overrides, status, message in cases:
        response = post_testimony(clerk_client, heard_matter, **overrides)
        assert response.status_code == status, overrides
        assert message in response.get_data(as_text=True), overrides
    assert count(app, models.Testimony) == 1
    assert count(app, Person) == people_before
    assert count(app, Organization) == 1


def test_a_refused_form_keeps_the_clerks_choices(clerk_client, heard_matter):
    line = heard_matter.segments["SPEAKER_01"]
    response = post_testimony(
        clerk_client, heard_matter, segment_ids=[line], organization=["Tenants Union"]
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(rf'value="{line}" form="testimony-form"[^>]*checked', html)
    assert not re.search(
        rf'value="{heard_matter.segments["SPEAKER_02"]}" form="testimony-form"[^>]*checked', html
    )
    assert 'value="Tenants Union"' in html


def test_concerns_can_be_retagged_but_only_from_the_matters_vocabulary(
    clerk_client, app, heard_matter
):
    post_testimony(clerk_client, heard_matter)
    with app.app_context():
        testimony_id = db.session.scalars(select(models.Testimony.id)).one()
    response = clerk_client.post(
        f"/testimony/{testimony_id}/concerns",
        data={
            "csrf_token": token(clerk_client),
            "concern_ids": [heard_matter.concern_ids["cost"], 999],
        },
    )
    assert response.status_code == 422
    response = clerk_client.post(
        f"/testimony/{testimony_id}/concerns",
        data={"csrf_token": token(clerk_client), "concern_ids": [heard_matter.concern_ids["cost"]]},
    )
    assert response.status_code == 302
    with app.app_context():
        assert [c.name for c in db.session.get(models.Testimony, testimony_id).concerns] == ["cost"]


def test_concern_choices_follow_the_chosen_matter(clerk_client, heard_matter):
    html = clerk_client.get(
        f"/testimony/concern-choices?matter_id={heard_matter.matter_id}"
    ).get_data(as_text=True)
    assert 'id="testimony-concerns"' in html
    assert html.count('name="concern_ids"') == 6
    nothing = clerk_client.get(f"/testimony/concern-choices?matter_id={'9' * 30}")
    assert nothing.status_code == 200 and "Choose a matter" in nothing.get_data(as_text=True)


def test_a_speaker_named_with_an_affiliation_testifies_on_its_behalf(
    clerk_client, client, app, heard_matter
):
    """Unless the clerk says the person spoke for themselves."""
    with app.app_context():
        maria = db.session.get(Person, heard_matter.speaker_person_id)
        maria.organization = Organization(name="Riverwest Privacy Alliance")
        db.session.commit()
    response = post_testimony(clerk_client, heard_matter, organization=["", ""], position="oppose")
    assert response.status_code == 302
    with app.app_context():
        testimony = db.session.scalars(select(models.Testimony)).one()
        assert [o.name for o in testimony.organizations] == ["Riverwest Privacy Alliance"]
        db.session.delete(testimony)
        db.session.commit()
    page = client.get(f"/matters/{heard_matter.matter_id}").get_data(as_text=True)
    assert "No organizations testified" in page
    post_testimony(clerk_client, heard_matter, organization=["", ""], position="oppose")
    page = client.get(f"/matters/{heard_matter.matter_id}").get_data(as_text=True)
    assert "Riverwest Privacy Alliance" in page and "No organizations testified" not in page

    with app.app_context():
        db.session.delete(db.session.scalars(select(models.Testimony)).one())
        db.session.commit()
    post_testimony(clerk_client, heard_matter, organization=["", ""], own_behalf="y")
    with app.app_context():
        assert db.session.scalars(select(models.Testimony)).one().organizations == []
