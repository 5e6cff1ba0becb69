"""A long hearing's page: the transcript comes in chunks as the reader scrolls, plays or follows
a link, every line is reached exactly once, and the timeline is drawn from speaker turns.

The chunk is lowered to 10 lines so a 47-line hearing stands for a 3-hour one (1,800 lines);
bench/hearing_page.py measures the real size.
"""

from __future__ import annotations

import re

import pytest

from hearings import transcript_chunks
from tests.fakes import sample_transcript
from tests.web.test_speakers import HTMX, speaker_ids, stored_hearing

CHUNK = 10


def long_lines():
    """47 lines: turns of four lines each by SPEAKER_01..03, the chair (00) between them;
    lines 20 and 21 (0-based) start at the same moment, across a chunk boundary."""
    lines, t = [], 0.0
    for n in range(47):
        speaker = "SPEAKER_00" if n % 5 == 4 else f"SPEAKER_0{1 + (n // 5) % 3}"
        lines.append((t, speaker, f"Line number {n} of the long hearing."))
        if n != 19:  # line 20 starts when line 19 does
            t += 4.0
    return lines


@pytest.fixture
def long_hearing(app, monkeypatch):
    monkeypatch.setattr(transcript_chunks, "CHUNK_LINES", CHUNK)
    return stored_hearing(app, title="A long hearing", transcript=sample_transcript(long_lines()))


def start_ms(n: int) -> int:
    """When line n starts (line 20 with line 19)."""
    return (n if n < 20 else n - 1) * 4000


def numbers(html: str) -> list[int]:
    """The lines in the transcript list (not the quote above it), in the page's order."""
    transcript = html.split('id="transcript"', 1)[-1]
    return [int(n) for n in re.findall(r"Line number (\d+) of", transcript)]


def link(html: str, which: str) -> str | None:
    found = re.search(rf'<li class="more-lines {which}"><a href="([^"]+)"', html)
    return found[1].replace("&amp;", "&") if found else None


def test_the_page_shows_the_first_chunk_and_a_link_to_the_rest(client, long_hearing):
    html = client.get(f"/hearings/{long_hearing}").get_data(as_text=True)
    assert numbers(html) == list(range(CHUNK))
    assert link(html, "earlier") is None
    assert "after=" in link(html, "later")
    assert "Show the lines after 0:00:36" in html
    assert f'href="/hearings/{long_hearing}?whole=1">Show all 47 lines on one page' in html


def test_scrolling_down_reaches_every_line_once_in_order(client, long_hearing):
    html = client.get(f"/hearings/{long_hearing}").get_data(as_text=True)
    seen, requests = numbers(html), 0
    while (more := link(html, "later")) is not None:
        response = client.get(more, headers=HTMX)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        # A chunk is list items to put in place of the link, not a whole list or page.
        assert '<ol id="transcript"' not in html and "<html" not in html
        assert link(html, "earlier") is None  # the lines above are on the page already
        seen += numbers(html)
        requests += 1
    assert seen == list(range(47))
    assert requests == 4


def test_scrolling_up_from_a_quote_reaches_every_earlier_line_once(client, long_hearing):
    html = client.get(f"/hearings/{long_hearing}/at/{start_ms(40)}").get_data(as_text=True)
    seen = numbers(html)
    assert seen[0] == 40 - transcript_chunks.LINES_BEFORE  # a few lines lead up to the quote
    assert link(html, "later")  # lines 45 and 46 are after the window
    while (earlier := link(html, "earlier")) is not None:
        html = client.get(earlier, headers=HTMX).get_data(as_text=True)
        assert link(html, "later") is None
        seen = numbers(html) + seen
    assert seen == list(range(45))


def test_a_quote_deep_in_the_hearing_opens_at_it_highlighted(client, long_hearing):
    html = client.get(f"/hearings/{long_hearing}/at/{start_ms(30)}").get_data(as_text=True)
    assert 'id="seg-116000" class="segment quoted' in html
    assert 30 in numbers(html) and 0 not in numbers(html)
    assert link(html, "earlier") and link(html, "later")
    # The next chunk keeps the quote's time so a reload can highlight it again.
    assert "quoted=116000" in link(html, "later")


def test_a_moment_in_the_address_opens_the_transcript_there(client, long_hearing):
    html = client.get(f"/hearings/{long_hearing}?t=100").get_data(as_text=True)
    assert start_ms(26) == 100_000
    assert numbers(html)[0] == 26 - transcript_chunks.LINES_BEFORE
    assert 'data-start="100.0"' in html


def test_the_whole_transcript_on_one_page(client, long_hearing):
    html = client.get(f"/hearings/{long_hearing}?whole=1").get_data(as_text=True)
    assert numbers(html) == list(range(47))
    assert link(html, "later") is None and link(html, "earlier") is None
    assert "Show the transcript in parts" in html


def test_a_turn_cut_by_a_chunk_says_it_continues(client, long_hearing):
    first = client.get(f"/hearings/{long_hearing}").get_data(as_text=True)
    assert "(continued)" not in first
    html = client.get(link(first, "later"), headers=HTMX).get_data(as_text=True)
    # Lines 10..13 are SPEAKER_03's; the chunk before ended with the chair's line 9.
    assert "(continued)" not in html
    page = client.get(f"/hearings/{long_hearing}/at/{12 * 4000}").get_data(as_text=True)
    # This window starts at line 7 (SPEAKER_02's turn began at line 5).
    assert numbers(page)[0] == 7
    assert re.search(r'turn-speaker">.*?SPEAKER_02.*?\(continued\)', page)


def test_one_speakers_lines_come_in_chunks_with_their_turns_apart(app, client, long_hearing):
    chair = speaker_ids(app, long_hearing)["SPEAKER_00"]
    url = f"/hearings/{long_hearing}/transcript?speaker={chair}"
    html = client.get(url, headers=HTMX).get_data(as_text=True)
    assert numbers(html) == [4, 9, 14, 19, 24, 29, 34, 39, 44]
    # Others spoke between each of the chair's lines: each is its own turn.
    assert html.count('class="speaker-turn"') == 9
    assert link(html, "later") is None
    speaker = speaker_ids(app, long_hearing)["SPEAKER_01"]
    html = client.get(
        f"/hearings/{long_hearing}/transcript?speaker={speaker}", headers=HTMX
    ).get_data(as_text=True)
    assert numbers(html) == [0, 1, 2, 3, 15, 16, 17, 18, 30, 31]
    assert html.count('class="speaker-turn"') == 3
    more = client.get(link(html, "later"), headers=HTMX).get_data(as_text=True)
    assert numbers(more) == [32, 33, 45, 46]
    assert f"speaker={speaker}" in link(html, "later")


def test_without_javascript_the_links_open_the_next_window(client, long_hearing):
    html = client.get(f"/hearings/{long_hearing}").get_data(as_text=True)
    page = client.get(link(html, "later"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<html" in text and numbers(text) == list(range(10, 20))


def test_the_timeline_draws_turns_not_lines(client, long_hearing):
    html = client.get(f"/hearings/{long_hearing}").get_data(as_text=True)
    bands = html.split('class="timeline"')[1].split('id="transcript"')[0]
    drawn = len(re.findall(r'class="turn[ "]', bands))
    # 47 lines in 19 turns; SPEAKER_01's three turns are far apart, so each is drawn.
    assert 9 <= drawn <= 19


@pytest.mark.parametrize(
    "query",
    ["after=nonsense", "before=12_x", "after=99999999999_1", "at=-5", "at=99999999999999999999",
     "speaker=abc", "before=0_0"],
)  # fmt: skip
def test_odd_places_get_a_clear_answer(client, long_hearing, query):
    response = client.get(f"/hearings/{long_hearing}/transcript?{query}", headers=HTMX)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "not a place in the transcript" in response.get_data(as_text=True)


@pytest.mark.parametrize("t", ["nan", "inf", "-inf", "-3", "1e300", "abc"])
def test_odd_moments_open_the_page(client, long_hearing, t):
    response = client.get(f"/hearings/{long_hearing}?t={t}")
    assert response.status_code == 200
    assert numbers(response.get_data(as_text=True))
