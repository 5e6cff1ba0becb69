"""The matter page: positions, concerns with counts and quotes, hearings, and the clerk's edits."""

import re

import pytest
from sqlalchemy import select

from hearings import models
from hearings import testimony as clerk
from hearings.extensions import db
from tests.web.conftest import token


@pytest.fixture
def testified(app, heard_matter):
    """Three people: two for the ACLU against, one for the Urban League in support."""
    with app.app_context():
        hearing = db.session.get(models.Hearing, heard_matter.hearing_id)
        matter = db.session.get(models.Matter, heard_matter.matter_id)
        ids = heard_matter.concern_ids
        clerk.create_oral_testimony(
            db.session,
            None,
            hearing,
            matter,
            [heard_matter.segments["SPEAKER_02"]],
            organization_names=["ACLU of Wisconsin"],
            position="oppose",
            concern_ids=[ids["misidentification"], ids["racial bias"]],
        )
        db.session.commit()
        clerk.create_card_testimony(
            db.session,
            None,
            matter,
            person_name="Sam Reyes",
            hearing_id=hearing.id,
            organization_names=["aclu of wisconsin"],
            position="oppose",
            concern_ids=[ids["misidentification"]],
        )
        db.session.commit()
        clerk.create_card_testimony(
            db.session,
            None,
            matter,
            person_name="Jo Park",
            hearing_id=hearing.id,
            organization_names=["Urban League"],
            position="support",
            concern_ids=[ids["misidentification"], ids["data storage and sharing"]],
        )
        db.session.commit()
    return heard_matter


def test_matter_list_links_to_the_matter(client, testified):
    html = client.get("/matters").get_data(as_text=True)
    assert f'href="/matters/{testified.matter_id}"' in html
    assert "ERC 26-0148" in html


def test_concerns_are_counted_by_speakers_and_organizations(client, testified):
    html = client.get(f"/matters/{testified.matter_id}").get_data(as_text=True)
    assert "misidentification: raised by 3 speakers, 2 organizations" in html
    assert "racial bias: raised by 1 speaker, 1 organization" in html
    assert "data storage and sharing: raised by 1 speaker, 1 organization" in html
    assert "cost: not raised" in html


def test_concerns_link_to_the_quotes(client, app, testified):
    with app.app_context():
        start_ms = db.session.get(models.Segment, testified.segments["SPEAKER_02"]).start_ms
    html = client.get(f"/matters/{testified.matter_id}").get_data(as_text=True)
    concerns = html[html.index('id="concerns"') : html.index('id="testimony"')]
    assert f'href="/hearings/{testified.hearing_id}/at/{start_ms}"' in concerns
    assert "We oppose this proposal" in concerns


def test_tally_counts_organizations_once_under_any_of_their_names(client, testified):
    html = client.get(f"/matters/{testified.matter_id}").get_data(as_text=True)
    assert "1 organization supports, 1 opposes" in html
    assert "2 people oppose, 1 supports" in html
    # The chart writes its numbers out, and its bars are sized by share.
    chart = html[html.index('aria-label="Organizations by position"') :]
    assert re.search(r'class="bar position-oppose" style="width: 50.0%"', chart)


def test_testimony_list_shows_quotes_positions_and_links(client, testified):
    html = client.get(f"/matters/{testified.matter_id}").get_data(as_text=True)
    listing = html[html.index('id="testimony"') : html.index('id="votes"')]
    assert "Maria Lopez" in listing and "ACLU of Wisconsin" in listing
    assert "“We oppose this proposal because of misidentification and racial bias.”" in listing
    assert 'class="position position-oppose"' in listing
    assert f'href="/hearings/{testified.hearing_id}/at/' in listing


def test_the_clerk_maintains_the_concerns_vocabulary(clerk_client, app, testified):
    matter = f"/matters/{testified.matter_id}"
    response = clerk_client.post(
        f"{matter}/concerns",
        data={"csrf_token": token(clerk_client), "name": "  chilling  effect "},
    )
    assert response.status_code == 302
    duplicate = clerk_client.post(
        f"{matter}/concerns", data={"csrf_token": token(clerk_client), "name": "Racial Bias"}
    )
    assert duplicate.status_code == 409
    assert "already a concern" in duplicate.get_data(as_text=True)
    blank = clerk_client.post(
        f"{matter}/concerns", data={"csrf_token": token(clerk_client), "name": " "}
    )
    assert blank.status_code == 422
    used = clerk_client.post(
        f"/concerns/{testified.concern_ids['racial bias']}/delete",
        data={"csrf_token": token(clerk_client)},
    )
    assert used.status_code == 409
    assert "untag them" in used.get_data(as_text=True)
    unused = clerk_client.post(
        f"/concerns/{testified.concern_ids['cost']}/delete",
        data={"csrf_token": token(clerk_client)},
    )
    assert unused.status_code == 302
    with app.app_context():
        names = db.session.scalars(
            select(models.Concern.name).where(models.Concern.matter_id == testified.matter_id)
        ).all()
    assert "chilling effect" in names and "racial bias" in names and "cost" not in names


def test_concern_editing_needs_a_clerk_and_a_token(client, clerk_client, app, testified):
    path = f"/matters/{testified.matter_id}/concerns"
    assert clerk_client.post(path, data={"name": "noise"}).status_code == 400
    clerk_client.post("/auth/logout", data={"csrf_token": token(clerk_client, "/")})
    anonymous = client.post(
        path, data={"name": "noise", "csrf_token": token(client, "/auth/login")}
    )
    assert anonymous.status_code == 302
    with app.app_context():
        assert "noise" not in db.session.scalars(select(models.Concern.name)).all()


def test_linking_a_hearing_with_a_time_range(clerk_client, app, testified):
    path = f"/hearings/{testified.hearing_id}/agenda"
    good = {"csrf_token": token(clerk_client), "matter_id": testified.matter_id}
    response = clerk_client.post(path, data={**good, "start": "0:00:03", "end": "0:00:12"})
    assert response.status_code == 302
    html = clerk_client.get(f"/matters/{testified.matter_id}").get_data(as_text=True)
    heard = html[html.index('id="hearings"') :]
    assert f'href="/hearings/{testified.hearing_id}?t=3"' in heard
    assert "0:00:03–0:00:12" in heard
    hearing_page = clerk_client.get(f"/hearings/{testified.hearing_id}").get_data(as_text=True)
    assert "Matters heard" in hearing_page and "ERC 26-0148" in hearing_page

    for times, message in [
        ({"start": "0:00:12", "end": "0:00:03"}, "end time must be after"),
        ({"start": "soon", "end": ""}, "h:mm:ss"),
        ({"start": "", "end": ""}, "Give the time"),
        ({"start": "2:00:00", "end": ""}, "past the end"),
    ]:
        response = clerk_client.post(path, data={**good, **times})
        assert response.status_code == 422, times
        assert message in response.get_data(as_text=True), times
    missing = clerk_client.post(path, data={**good, "matter_id": "", "start": "0:00:01"})
    assert missing.status_code == 422
    with app.app_context():
        items = db.session.scalars(select(models.AgendaItem)).all()
        assert [(i.start_ms, i.end_ms) for i in items] == [(3000, 12000)]


def test_clerk_adds_a_matter_by_hand(clerk_client, app, testified):
    response = clerk_client.post(
        "/matters/new",
        data={"csrf_token": token(clerk_client), "file_number": "CC 26-0001", "title": "Budget"},
    )
    assert response.status_code == 302
    again = clerk_client.post(
        "/matters/new",
        data={"csrf_token": token(clerk_client), "file_number": "CC 26-0001", "title": "Other"},
    )
    assert again.status_code == 409
    untitled = clerk_client.post(
        "/matters/new", data={"csrf_token": token(clerk_client), "title": ""}
    )
    assert untitled.status_code == 422
    with app.app_context():
        assert db.session.scalars(
            select(models.Matter.title).where(models.Matter.file_number == "CC 26-0001")
        ).all() == ["Budget"]
        # A matter typed in by a clerk is in the audit log, with who added it; refusals are not.
        entries = db.session.scalars(
            select(models.AuditEntry).where(models.AuditEntry.action == "matter.create")
        ).all()
        assert [e.after["file_number"] for e in entries] == ["CC 26-0001"]
        assert entries[0].user_id is not None and entries[0].before is None


def test_unknown_matter_is_not_found(client):
    assert client.get("/matters/999").status_code == 404
