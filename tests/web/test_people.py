"""People pages: who is in the record, and everything each person said, linked to the quotes."""

from __future__ import annotations

import html as markup
import re
from datetime import date

import pytest

from hearings.extensions import db
from hearings.models import AuditEntry, Hearing, Organization, Person, Speaker
from hearings.organizations import organization_named
from hearings.people import person_quotes
from tests.fakes import sample_transcript
from tests.web.conftest import csrf_token
from tests.web.test_speakers import speaker_ids, stored_hearing

BUDGET = [
    (0.0, "SPEAKER_00", "Good evening, this is the budget hearing."),
    (4.0, "SPEAKER_01", "Library hours were cut twice in three years."),
    (8.0, "SPEAKER_00", "Thank you, next speaker please."),
]


def name(app, hearing_id, label, person_id):
    with app.app_context():
        db.session.get(Speaker, speaker_ids(app, hearing_id)[label]).person_id = person_id
        db.session.commit()


@pytest.fixture
def record(app):
    """Shelby Kerr speaks in two hearings; Chair Rivera in one; Lee Park in none."""
    march = stored_hearing(
        app,
        "Facial recognition hearing",
        sample_transcript(sha256="a" * 64),
        when=date(2026, 3, 12),
    )
    april = stored_hearing(
        app, "Budget hearing", sample_transcript(BUDGET, sha256="b" * 64), when=date(2026, 4, 2)
    )
    with app.app_context():
        kerr = Person(
            name="Shelby Kerr",
            title="Chief of Staff",
            organization=organization_named(db.session, "Milwaukee Police Department"),
        )
        rivera = Person(name="Chair Rivera")
        park = Person(name="Lee Park", title="Resident")
        db.session.add_all([kerr, rivera, park])
        db.session.commit()
        ids = {"kerr": kerr.id, "rivera": rivera.id, "park": park.id}
    name(app, march, "SPEAKER_01", ids["kerr"])
    name(app, april, "SPEAKER_01", ids["kerr"])
    name(app, march, "SPEAKER_00", ids["rivera"])
    return {"march": march, "april": april, **ids}


def test_people_are_listed_with_what_they_said(client, record):
    response = client.get("/people")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("Chair Rivera") < html.index("Lee Park") < html.index("Shelby Kerr")
    assert cells(html, record["kerr"]) == [
        "Chief of Staff",
        "Milwaukee Police Department",
        "2",
        "2",
    ]
    assert cells(html, record["rivera"]) == ["", "", "1", "1"]
    assert cells(html, record["park"]) == ["Resident", "", "0", "0"]


def cells(html: str, person_id: int) -> list[str]:
    """Return the cells after the name in a person's row of the listing."""
    row = html[html.index(f'/people/{person_id}"') :].split("</tr>")[0]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]


def test_people_can_be_found_by_name(client, record):
    html = client.get("/people?q=kerr").get_data(as_text=True)
    assert "Shelby Kerr" in html and "Chair Rivera" not in html
    assert "No one named" in client.get("/people?q=100%25_").get_data(as_text=True)


def test_nav_links_to_people(client):
    assert 'href="/people"' in client.get("/").get_data(as_text=True)


def test_person_page_lists_every_quote_across_hearings(client, record):
    response = client.get(f"/people/{record['kerr']}")
    assert response.status_code == 200
    html = markup.unescape(response.get_data(as_text=True))
    assert "Shelby Kerr" in html and "Chief of Staff" in html
    assert "Milwaukee Police Department" in html
    # Newest hearing first, each quote linked to its moment in the recording.
    assert html.index("Budget hearing") < html.index("Facial recognition hearing")
    assert f'href="/hearings/{record["april"]}/at/4000"' in html
    assert f'href="/hearings/{record["march"]}/at/3200"' in html
    assert "Library hours were cut twice in three years." in html
    assert "Facial recognition is a lead generator, not an arrest tool." in html
    assert "The hearing will come to order." not in html  # Rivera's line
    assert "2 lines in the record" in html
    assert f"/search?person={record['kerr']}" in html


def test_quote_links_resolve_to_the_quoted_line(client, record):
    page = client.get(f"/hearings/{record['april']}/at/4000")
    assert page.status_code == 200
    assert "— Shelby Kerr, Chief of Staff (Milwaukee Police Department)" in page.get_data(
        as_text=True
    )


def test_person_who_said_nothing_yet(client, record):
    html = client.get(f"/people/{record['park']}").get_data(as_text=True)
    assert "Nothing in the transcripts is attributed to Lee Park yet." in html


def test_unknown_person_is_not_found(client):
    assert client.get("/people/999999").status_code == 404


def test_person_quotes_are_paged(app, record):
    with app.app_context():
        kerr = db.session.get(Person, record["kerr"])
        first = person_quotes(db.session, kerr, page=1, per_page=1)
        second = person_quotes(db.session, kerr, page=2, per_page=1)
        beyond = person_quotes(db.session, kerr, page=9, per_page=1)
        assert (first.total, first.pages) == (2, 2)
        assert [g.hearing.title for g in first.groups] == ["Budget hearing"]
        assert [g.hearing.title for g in second.groups] == ["Facial recognition hearing"]
        assert beyond.page == 2


def test_person_page_always_shows_the_persons_part_in_the_record(client, record):
    # Seats, votes, sponsorships and testimony are a section of the page itself, not an
    # optional include: the section is there even for a resident with none of them.
    html = client.get(f"/people/{record['kerr']}").get_data(as_text=True)
    assert 'id="person-record"' in html


# --- Editing a person ---------------------------------------------------------------------


def test_editing_needs_sign_in_and_csrf(app, client, clerk_client, record):
    url = f"/people/{record['kerr']}/edit"
    assert clerk_client.post(url, data={"name": "Changed"}).status_code == 400
    app.config["WTF_CSRF_ENABLED"] = False
    anonymous = app.test_client()
    assert anonymous.get(url).status_code == 302
    response = anonymous.post(url, data={"name": "Changed"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    with app.app_context():
        assert db.session.get(Person, record["kerr"]).name == "Shelby Kerr"
        edits = db.select(AuditEntry).where(AuditEntry.action.not_like("auth.%"))
        assert db.session.scalars(edits).all() == []


def test_editor_changes_title_and_affiliation(app, clerk_client, record):
    url = f"/people/{record['kerr']}/edit"
    assert 'value="Milwaukee Police Department"' in clerk_client.get(url).get_data(as_text=True)
    response = clerk_client.post(
        url,
        data={
            "name": "Shelby Kerr",
            "title": "Deputy Chief",
            "organization": "Fire and Police Commission",
            "csrf_token": csrf_token(clerk_client, url),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        kerr = db.session.get(Person, record["kerr"])
        assert (kerr.title, kerr.organization.name) == (
            "Deputy Chief",
            "Fire and Police Commission",
        )
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "person.update")
        ).one()
        assert entry.before["title"] == "Chief of Staff"
        assert entry.after["organization"] == "Fire and Police Commission"
        assert entry.user_id is not None
    # Exports and citations follow the new title.
    quote = clerk_client.get(f"/hearings/{record['april']}/at/4000").get_data(as_text=True)
    assert "— Shelby Kerr, Deputy Chief (Fire and Police Commission)" in quote


def test_blank_name_is_refused(app, clerk_client, record):
    url = f"/people/{record['kerr']}/edit"
    response = clerk_client.post(
        url, data={"name": " ", "title": "x", "csrf_token": csrf_token(clerk_client, url)}
    )
    assert response.status_code == 422
    assert "Give the person" in response.get_data(as_text=True)
    with app.app_context():
        kerr = db.session.get(Person, record["kerr"])
        assert (kerr.name, kerr.title) == ("Shelby Kerr", "Chief of Staff")
        assert len(db.session.scalars(db.select(Organization)).all()) == 1
        assert db.session.get(Hearing, record["march"]).speakers[1].person_id == kerr.id
