"""Search that stays fast at archive size: speakers, organizations and matters typed by name
instead of listed, and words found in too many lines to rank shown latest first with a
bounded count. The limits are lowered here so a few dozen lines stand for an archive; the
speed itself is measured by bench/search_speed.py. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from hearings import search
from hearings.extensions import db
from hearings.models import Matter, Organization, Person, Speaker
from tests.web.test_search_record import hits


@pytest.fixture
def lindqvist(app, budget_hearings) -> int:
    """Gregory Lindqvist of the Riverwest Privacy Alliance spoke all 15 April lines."""
    _, april = budget_hearings
    with app.app_context():
        person = Person(
            name="Gregory Lindqvist", organization=Organization(name="Riverwest Privacy Alliance")
        )
        speaker = db.session.scalar(
            db.select(Speaker).where(Speaker.hearing_id == april, Speaker.label == "SPEAKER_00")
        )
        speaker.person = person
        db.session.add(Matter(file_number="CB 119583", title="Surveillance ordinance"))
        db.session.commit()
        return person.id


def test_the_filters_list_no_people_and_a_name_typed_as_heard_filters(client, lindqvist):
    form = client.get("/search").get_data(as_text=True)
    assert "Gregory Lindqvist" not in form and "Riverwest" not in form
    assert 'name="person_name"' in form and 'list="person-choices"' in form
    page = client.get("/search?q=budget&person_name=lindquist").get_data(as_text=True)
    assert "15 lines for “budget”" in page
    # The filter now shows who was chosen, with a way back to any speaker.
    assert "Speaker: Gregory Lindqvist" in page
    assert f'name="person" value="{lindqvist}"' in page
    organization = client.get("/search?q=budget&organization_name=riverwest+privacy")
    assert "15 lines for “budget”" in organization.get_data(as_text=True)


def test_a_name_that_means_no_one_finds_nothing_and_says_so(client, lindqvist):
    response = client.get("/search?q=budget&person_name=zzyzx+qwrtp")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No speaker on record is named or numbered like “zzyzx qwrtp”" in page
    assert hits(page) == []
    # An id that names no one is not an error either.
    assert client.get("/search?q=budget&person=99999").status_code == 200


def test_names_are_suggested_as_they_are_typed(client, lindqvist):
    people = client.get("/search/choices/person?person_name=lindq").get_data(as_text=True)
    assert '<option value="Gregory Lindqvist">' in people
    matters = client.get("/search/choices/matter?matter_name=surveillance").get_data(as_text=True)
    assert '<option value="CB 119583">Surveillance ordinance</option>' in matters
    assert client.get("/search/choices/matter?matter_name=").get_data(as_text=True).strip() == ""
    assert client.get("/search/choices/voices?voices_name=a").status_code == 404
    by_number = client.get("/search?matter_name=cb+119583").get_data(as_text=True)
    assert "Matter: CB 119583: Surveillance ordinance" in by_number


def test_words_in_too_many_lines_come_latest_first_with_a_bounded_count(
    client,
    budget_hearings,
    monkeypatch,
):
    march, april = budget_hearings
    monkeypatch.setattr(search, "RANK_LIMIT", 10)
    monkeypatch.setattr(search, "COUNT_LIMIT", 20)
    page = client.get("/search?q=budget").get_data(as_text=True)
    assert "More than 20 lines for “budget”, latest first · page 1" in page
    assert "too many lines to rank" in page
    links = re.findall(r'href="/hearings/(\d+)/at/(\d+)"', page)
    assert links[0] == (str(april), "56000")  # the last line stored
    assert 'rel="next"' in page
    # Every line can still be reached page by page.
    seen = set()
    for number in (1, 2, 3, 4):
        more = client.get(f"/search?q=budget&page={number}").get_data(as_text=True)
        seen |= set(re.findall(r'href="(/hearings/\d+/at/\d+)"', more))
    assert len(seen) == 45
    # Words in few lines are still ranked, and counted exactly.
    assert "15 lines for “agree”" in client.get("/search?q=agree").get_data(as_text=True)


@pytest.mark.parametrize("query", ["budget", "budg*", '"budget item" OR "budget line"'])
def test_a_narrow_filter_checks_its_own_lines_against_the_words(
    client, lindqvist, monkeypatch, query
):
    monkeypatch.setattr(search, "RANK_LIMIT", 10)
    page = client.get("/search", query_string={"q": query, "person": lindqvist})
    text = page.get_data(as_text=True)
    assert "15 lines for" in text and "latest first" in text
    assert len(hits(text)) == 15 and text.count("<mark>") >= 15
    # Without the speaker, the same words find both hearings.
    everyone = client.get("/search", query_string={"q": query}).get_data(as_text=True)
    assert "15 lines for" not in everyone


def _lines_in_order(client, query: str, pages: int) -> list[tuple[str, int]]:
    found = []
    for number in range(1, pages + 1):
        page = client.get(f"/search?{query}&page={number}").get_data(as_text=True)
        found += [(h, int(ms)) for h, ms in re.findall(r'href="/hearings/(\d+)/at/(\d+)"', page)]
    return found


def test_latest_first_is_one_order_across_shallow_and_deep_pages(
    client, budget_hearings, monkeypatch
):
    """PostgreSQL reads the first pages hearing by hearing and deeper ones in one statement
    (WALK_OFFSET); the pages must still join up: every line once, newest hearing first."""
    march, april = budget_hearings
    monkeypatch.setattr(search, "RANK_LIMIT", 10)
    monkeypatch.setattr(search, "COUNT_LIMIT", 100)
    monkeypatch.setattr(search, "WALK_OFFSET", 20)
    found = _lines_in_order(client, "q=budget", 3)
    expected = [(str(april), i * 4000) for i in reversed(range(15))]
    expected += [(str(march), i * 4000) for i in reversed(range(30))]
    assert found == expected


def test_a_position_with_common_words_comes_latest_first(app, client, budget_hearings, monkeypatch):
    from hearings import models
    from hearings import testimony as clerk

    march, april = budget_hearings
    with app.app_context():
        matter = models.Matter(file_number="CB 1", title="Budget")
        db.session.add(matter)
        for hearing_id, take in ((march, range(0, 30, 3)), (april, range(0, 15, 5))):
            hearing = db.session.get(models.Hearing, hearing_id)
            lines = sorted(hearing.segments, key=lambda s: s.start_ms)
            clerk.create_oral_testimony(
                db.session,
                None,
                hearing,
                matter,
                [lines[i].id for i in take],
                person_name="Ana Okafor",
                position="oppose",
            )
        db.session.commit()
    monkeypatch.setattr(search, "RANK_LIMIT", 10)
    monkeypatch.setattr(search, "WALK_OFFSET", 5)
    page = client.get("/search?q=budget&position=oppose").get_data(as_text=True)
    assert "13 lines for “budget”, latest first" in page
    found = _lines_in_order(client, "q=budget&position=oppose", 1)
    assert found == [(str(april), ms) for ms in (40000, 20000, 0)] + [
        (str(march), i * 4000) for i in reversed(range(0, 30, 3))
    ]
    # Page 2 (past WALK_OFFSET) in one statement: nothing left, nothing repeated.
    again = client.get("/search?q=budget&position=oppose&page=2").get_data(as_text=True)
    assert hits(again) == []
