"""A saved search as an Atom feed: its newest published lines, whatever their rank, each
linking to its quote; drafts never in it; the search page links to it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hearings.extensions import db
from hearings.models import Hearing
from tests.fakes import sample_transcript
from tests.web.test_speakers import stored_hearing

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(response) -> list[ET.Element]:
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return ET.fromstring(response.get_data()).findall(f"{ATOM}entry")


def test_the_feed_lists_the_newest_lines_first_with_their_quote_links(client, budget_hearings):
    march, april = budget_hearings
    items = entries(client.get("/search/feed.atom?q=budget"))
    assert len(items) == 45
    links = [e.find(f"{ATOM}link").get("href") for e in items]
    # April's hearing is the newer: its lines come first, whatever their rank.
    assert f"/hearings/{april}/at/" in links[0] and f"/hearings/{march}/at/" in links[-1]
    first = items[0]
    assert "Budget hearing, April" in first.find(f"{ATOM}title").text
    assert "Budget item" in first.find(f"{ATOM}content").text


def test_filters_narrow_the_feed_and_drafts_stay_out(app, client, budget_hearings):
    march, april = budget_hearings
    draft = stored_hearing(app, title="Draft budget hearing", transcript=sample_transcript(
        [(0.0, "SPEAKER_00", "The budget draft nobody has checked.")]))  # fmt: skip
    with app.app_context():
        db.session.get(Hearing, draft).published_at = None
        db.session.commit()
    items = entries(client.get("/search/feed.atom?q=budget&from=2026-03-15"))
    links = {e.find(f"{ATOM}link").get("href") for e in items}
    assert len(items) == 15 and all(f"/hearings/{april}/at/" in link for link in links)
    everything = entries(client.get("/search/feed.atom?q=budget"))
    assert not any(f"/hearings/{draft}/" in e.find(f"{ATOM}link").get("href") for e in everything)


def test_the_search_page_links_its_feed(client, budget_hearings):
    page = client.get("/search?q=budget&page=2").get_data(as_text=True)
    feed = re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', page)
    assert feed and feed[1] == "/search/feed.atom?q=budget"
    assert "Follow this search" in page
    assert "Follow this search" not in client.get("/search").get_data(as_text=True)


def test_a_feed_of_nothing_is_a_clear_400(client, budget_hearings):
    response = client.get("/search/feed.atom")
    assert response.status_code == 400
    assert "A feed follows a search" in response.get_data(as_text=True)


def test_words_xml_cannot_carry_still_give_a_feed(client, budget_hearings):
    response = client.get("/search/feed.atom", query_string={"q": "budget\x00\x07\x1b"})
    assert response.status_code == 200
    title = ET.fromstring(response.get_data()).find(f"{ATOM}title").text
    assert title.startswith("“budget”")
