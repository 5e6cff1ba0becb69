"""Naming a speaker when the record holds thousands of people: the name form offers the likely
few (the hearing's speakers, the body's members, its recent speakers) and finds anyone else by
a name typed as heard, with or without JavaScript. The page no longer lists every person for
every speaker (30 speakers x 3,000 people made a 4.5 MB page)."""

from __future__ import annotations

import re

import pytest

from hearings import people
from hearings.extensions import db
from hearings.models import Hearing, Membership, Person, Speaker
from tests.web.conftest import csrf_token
from tests.web.test_speakers import HTMX, speaker_ids, stored_hearing


@pytest.fixture
def crowded_record(app, monkeypatch):
    """A hearing, and 40 other people in the record, two of them members of its body."""
    monkeypatch.setattr(people, "PEOPLE_OFFERED", 5)
    hearing_id = stored_hearing(app)
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        crowd = [Person(name=f"Resident Number {n}") for n in range(40)]
        lindqvist = Person(name="Gregory Lindqvist")
        member = Person(name="Alderperson Ruth Okafor")
        db.session.add_all([*crowd, lindqvist, member])
        db.session.flush()
        db.session.add(Membership(person_id=member.id, body_id=hearing.body_id))
        named = db.session.scalars(db.select(Speaker).where(Speaker.hearing_id == hearing_id))
        first = named.first()
        first.person_id = crowd[7].id
        db.session.commit()
        return {"hearing": hearing_id, "speaker": first.id, "lindqvist": lindqvist.id,
                "member": member.id, "named": crowd[7].id}  # fmt: skip


def offered(html: str) -> list[str]:
    return re.findall(r'<option value="\d+"[^>]*>([^<(]+)', html)


def test_the_form_offers_the_likely_people_not_everyone(clerk_client, crowded_record):
    html = clerk_client.get(f"/hearings/{crowded_record['hearing']}").get_data(as_text=True)
    names = {name.strip() for name in offered(html)}
    assert "Alderperson Ruth Okafor" in names  # a member of the body
    assert "Resident Number 7" in names  # already names a speaker of this hearing
    assert "Gregory Lindqvist" not in names
    assert sum(1 for n in names if n.startswith("Resident Number")) == 1
    assert 'placeholder="Type a name"' in html


def test_a_name_typed_as_heard_finds_the_person_first_and_chosen(clerk_client, crowded_record):
    url = f"/hearings/{crowded_record['hearing']}/speakers/{crowded_record['speaker']}/people"
    response = clerk_client.get(url, query_string={"find": "greg lindquist"}, headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.strip().startswith('<span class="person-choice"')
    assert re.search(
        rf'Named like “greg lindquist”">\s*<option value="{crowded_record["lindqvist"]}" selected>',
        html,
    )
    assert "Alderperson Ruth Okafor" in html  # the likely ones stay offered below


def test_a_name_no_one_has_says_so(clerk_client, crowded_record):
    url = f"/hearings/{crowded_record['hearing']}/speakers/{crowded_record['speaker']}/people"
    html = clerk_client.get(url, query_string={"find": "Zzyzx Qwv"}, headers=HTMX).get_data(
        as_text=True
    )
    assert "No one in the record is named like “Zzyzx Qwv”" in html
    assert " selected" not in html.split("Likely at this hearing")[0]


def test_finding_without_javascript_opens_the_form_with_the_person(clerk_client, crowded_record):
    url = f"/hearings/{crowded_record['hearing']}/speakers/{crowded_record['speaker']}/people"
    response = clerk_client.get(url, query_string={"find": "Lindqvist", "person_id": ""})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    form = html.split(f'id="speaker-{crowded_record["speaker"]}"')[1].split("</details>")[0]
    assert "<details open>" in form
    assert f'<option value="{crowded_record["lindqvist"]}" selected>' in form
    assert 'value="Lindqvist"' in form


def test_the_found_person_can_be_saved(app, clerk_client, crowded_record):
    hearing, speaker = crowded_record["hearing"], crowded_record["speaker"]
    token = csrf_token(clerk_client, f"/hearings/{hearing}")
    response = clerk_client.post(
        f"/hearings/{hearing}/speakers/{speaker}/name",
        data={"person_id": crowded_record["lindqvist"], "find": "lindquist", "csrf_token": token},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Speaker, speaker).person_id == crowded_record["lindqvist"]


def test_the_public_cannot_look_people_up_here(client, crowded_record):
    url = f"/hearings/{crowded_record['hearing']}/speakers/{crowded_record['speaker']}/people"
    response = client.get(url, query_string={"find": "Lindqvist"}, headers=HTMX)
    assert response.status_code in (302, 401, 403)
    assert "person-choice" not in response.get_data(as_text=True)


def test_another_hearings_speaker_is_not_found_here(app, clerk_client, crowded_record):
    other = stored_hearing(app, title="Another hearing")
    stranger = speaker_ids(app, other)["SPEAKER_00"]
    url = f"/hearings/{crowded_record['hearing']}/speakers/{stranger}/people"
    assert clerk_client.get(url, query_string={"find": "x"}).status_code == 404
