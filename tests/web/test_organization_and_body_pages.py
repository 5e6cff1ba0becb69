"""Organization, body and member pages."""

from datetime import date

import pytest
from sqlalchemy import select

from hearings import models
from hearings import testimony as clerk
from hearings.extensions import db
from tests.web.conftest import token


@pytest.fixture
def voted(app, heard_matter):
    with app.app_context():
        hearing = db.session.get(models.Hearing, heard_matter.hearing_id)
        matter = db.session.get(models.Matter, heard_matter.matter_id)
        member = db.session.get(models.Person, heard_matter.member_ids[0])
        matter.sponsors.append(member)
        clerk.create_oral_testimony(
            db.session,
            None,
            hearing,
            matter,
            [heard_matter.segments["SPEAKER_02"]],
            organization_names=["ACLU of Wisconsin"],
            position="oppose",
        )
        db.session.commit()
        event = models.VoteEvent(
            body_id=heard_matter.council_id,
            matter=matter,
            date=date(2026, 4, 7),
            motion="Adopt",
            threshold_rule="majority_present",
            votes=[
                models.PersonVote(person_id=pid, value="yes") for pid in heard_matter.member_ids
            ],
        )
        db.session.add(event)
        db.session.commit()
        organization_id = db.session.scalars(select(models.Organization.id)).one()
    heard_matter.organization_id = organization_id
    return heard_matter


def test_organization_page_shows_positions_and_quotes(client, voted):
    assert "ACLU of Wisconsin" in client.get("/organizations").get_data(as_text=True)
    html = client.get(f"/organizations/{voted.organization_id}").get_data(as_text=True)
    assert "Positions across matters" in html
    assert "ERC 26-0148" in html and 'class="position position-oppose"' in html
    assert "We oppose this proposal" in html and "Maria Lopez" in html
    assert (
        client.get("/organizations?q=aclu").get_data(as_text=True).count("ACLU of Wisconsin") == 1
    )
    assert "No organization named like" in client.get("/organizations?q=zzz").get_data(as_text=True)


def test_body_page_lists_members_meetings_and_votes(client, voted):
    listing = client.get("/bodies").get_data(as_text=True)
    assert "Common Council" in listing
    html = client.get(f"/bodies/{voted.council_id}").get_data(as_text=True)
    assert "15 current members" in html and "District 7" in html
    assert "Adopt" in html
    commission = client.get(f"/bodies/{voted.council_id + 1}").get_data(as_text=True)
    assert "Facial recognition hearing" in commission


def test_member_record_lists_seats_votes_and_sponsorships(client, app, voted):
    from flask import render_template

    from hearings.people import person_activity

    with app.test_request_context():
        person = db.session.get(models.Person, voted.member_ids[0])
        activity = person_activity(db.session, person)
        html = render_template("people/_activity.html", person=person, activity=activity)
    assert "District 1" in html and "Common Council" in html
    assert 'class="vote vote-yes"' in html and "Adopt" in html
    assert "Sponsored" in html and "ERC 26-0148" in html


def test_person_page_includes_the_record(client, app, voted):
    html = client.get(f"/people/{voted.member_ids[0]}").get_data(as_text=True)
    assert 'id="person-record"' in html and "District 1" in html


def test_clerk_records_members_and_seats(clerk_client, app, heard_matter):
    path = f"/bodies/{heard_matter.council_id}"
    added = clerk_client.post(
        f"{path}/members",
        data={
            "csrf_token": token(clerk_client),
            "person_name": "New Member",
            "seat": "District 16",
            "start_date": "2026-01-01",
        },
    )
    assert added.status_code == 302
    backwards = clerk_client.post(
        f"{path}/members",
        data={
            "csrf_token": token(clerk_client),
            "person_name": "X",
            "start_date": "2026-01-02",
            "end_date": "2026-01-01",
        },
    )
    assert backwards.status_code == 422
    nameless = clerk_client.post(f"{path}/members", data={"csrf_token": token(clerk_client)})
    assert nameless.status_code == 422 and "member&#39;s name" in nameless.get_data(as_text=True)
    bad_size = clerk_client.post(
        f"{path}/size", data={"csrf_token": token(clerk_client), "size": "0"}
    )
    assert bad_size.status_code == 422
    with app.app_context():
        membership = db.session.scalars(
            select(models.Membership).where(models.Membership.seat == "District 16")
        ).one()
        assert db.session.get(models.Body, heard_matter.council_id).size == 15
    ended = clerk_client.post(
        f"/memberships/{membership.id}/end",
        data={"csrf_token": token(clerk_client), "end_date": "2026-02-01"},
    )
    assert ended.status_code == 302
    with app.app_context():
        assert db.session.get(models.Membership, membership.id).end_date == date(2026, 2, 1)
