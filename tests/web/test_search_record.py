"""One search box for the record: lines paged with a total, then matters, people,
organizations and concerns; names found as they were heard; filters alone browse. The web
suite also runs on PostgreSQL, so every expectation here holds on both databases."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from hearings.extensions import db
from hearings.models import Concern, Hearing, Matter, Organization, Person
from tests.fakes import sample_transcript
from tests.web.test_speakers import stored_hearing


def results(page: str) -> str:
    """Return the results part of the page (the filters above list every organization)."""
    return page[page.index('<section id="results"') :]


def hits(page: str) -> list[str]:
    return re.findall(r'<li class="hit">.*?</li>', page, re.S)


def test_lines_are_paged_with_a_total(client, budget_hearings):
    first = client.get("/search?q=budget").get_data(as_text=True)
    assert "45 lines for “budget” · page 1 of 3" in first
    assert len(hits(first)) == 20
    assert 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/search?q=budget&page=3").get_data(as_text=True)
    assert len(hits(last)) == 5 and '<ol class="hits" start="41">' in last
    assert 'rel="prev"' in last and 'rel="next"' not in last
    # Past the end, or nonsense: an empty page or the first, never an error.
    assert hits(client.get("/search?q=budget&page=99").get_data(as_text=True)) == []
    assert len(hits(client.get("/search?q=budget&page=abc").get_data(as_text=True))) == 20
    every = set()
    for page in (1, 2, 3):
        text = client.get(f"/search?q=budget&page={page}").get_data(as_text=True)
        every |= set(re.findall(r'href="(/hearings/\d+/at/\d+)"', text))
    assert len(every) == 45


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("survei*", 30),  # a prefix, on PostgreSQL too
        ("don't", 15),  # punctuation inside a word
        ("the people", 15),  # common words are searched, not dropped
        ('"surveillance fund"', 30),
        ("surveillance OR agree", 45),
        ("budget -surveillance", 15),
        ("funds", 30),  # stemmed
    ],
)
def test_the_query_language_finds_the_same_lines_on_both_databases(
    client, budget_hearings, query, count
):
    page = client.get("/search", query_string={"q": query}).get_data(as_text=True)
    assert f"{count} lines for" in page, page


def test_filters_alone_browse_newest_first(client, budget_hearings):
    march, april = budget_hearings
    page = client.get("/search?from=2026-01-01").get_data(as_text=True)
    assert "45 lines, newest hearing first" in page
    links = re.findall(r'href="/hearings/(\d+)/at/(\d+)"', page)
    assert links[0] == (str(april), "0") and links[14] == (str(april), "56000")
    assert links[15] == (str(march), "0")
    # No words and no filter: the form's hint, not an empty result.
    empty = client.get("/search").get_data(as_text=True)
    assert "Type words to find" in empty and "Nothing found" not in empty
    none = client.get("/search?from=2030-01-01").get_data(as_text=True)
    assert "Nothing found with these filters" in none


def test_the_rest_of_the_record_is_found_grouped_after_the_lines(app, client, budget_hearings):
    with app.app_context():
        matter = Matter(
            file_number="CCFN 26-0301",
            title="Ordinance regulating surveillance technology",
            summary="Requires council approval before any department acquires it.",
            concerns=[Concern(name="surveillance of protesters")],
        )
        db.session.add_all(
            [
                matter,
                Person(name="Gregory Lindqvist", title="Chief of Staff"),
                Person(name="Tamika Harris"),
                Organization(name="ACLU of Wisconsin"),
                Organization(name="Riverwest Privacy Alliance"),
            ]
        )
        db.session.commit()
    page = client.get("/search?q=surveillance").get_data(as_text=True)
    order = [m.start() for m in re.finditer(r'class="results-heading">([^<]+)<', page)]
    headings = re.findall(r'class="results-heading">([^<]+)<', page)
    assert headings == ["Lines of testimony and debate", "Matters", "Concerns raised"]
    assert order == sorted(order)
    assert "CCFN 26-0301: Ordinance regulating surveillance technology" in page
    assert "surveillance of protesters" in page
    # A file number, words of a summary.
    assert "CCFN 26-0301" in client.get("/search?q=ccfn+26-0301").get_data(as_text=True)
    assert "CCFN 26-0301" in client.get("/search?q=council+approval").get_data(as_text=True)
    # Names as they were heard or half-remembered.
    misheard = client.get("/search?q=Lindquist").get_data(as_text=True)
    assert "Gregory Lindqvist" in misheard and "Chief of Staff" in misheard
    assert "Tamika Harris" in client.get("/search?q=harris").get_data(as_text=True)
    assert "Tamika Harris" in client.get("/search?q=tamika+haris").get_data(as_text=True)
    aclu = results(client.get("/search?q=aclu").get_data(as_text=True))
    assert "ACLU of Wisconsin" in aclu and "Riverwest" not in aclu
    # Only the first page of lines carries the rest of the record.
    assert "Concerns raised" not in client.get("/search?q=surveillance&page=2").get_data(
        as_text=True
    )


def test_a_page_of_results_costs_the_same_queries_however_many_hits(app, client, budget_hearings):
    def statements(url: str) -> int:
        with app.app_context():
            engine = db.engine
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements("/search?q=agree&page=1")  # 15 hits
    many = statements("/search?q=budget")  # 20 hits of 45
    assert few == many


def test_drafts_stay_out_of_the_search_for_the_public(app, client, budget_hearings):
    march, _ = budget_hearings
    with app.app_context():
        db.session.get(Hearing, march).published_at = None
        db.session.commit()
    page = client.get("/search?q=budget").get_data(as_text=True)
    assert "15 lines for" in page and f"/hearings/{march}/at/" not in page


def test_punctuated_numbers_prefixes_and_long_queries_alike_on_both_databases(app, client):
    stored_hearing(
        app,
        transcript=sample_transcript(
            [
                (0.0, "SPEAKER_00", "File 23-1234 is the survey of cameras."),
                (4.0, "SPEAKER_01", "The surveys cost 4.2 million dollars."),
            ]
        ),
    )
    assert "2 lines for" in client.get("/search?q=survei*").get_data(as_text=True)
    assert "1 line for" in client.get("/search?q=23-1234").get_data(as_text=True)
    assert "1 line for" in client.get("/search?q=4.2").get_data(as_text=True)
    # Hundreds of words: read up to a limit, never an error.
    many = client.get("/search", query_string={"q": " ".join(["a"] * 300)})
    assert many.status_code == 200
