"""A resident reads a long transcript: paragraphs per speaker, playback followed, the keyboard.

The hearing is built from a real (generated) recording and a transcript of many short turns, so
the page is long enough that following playback has to scroll.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import pytest

from hearings.extensions import db
from hearings.models import Body, Hearing, Recording
from hearings.models.base import utcnow
from hearings.transcripts import store_transcript
from tests.e2e.conftest import sign_in
from tests.fakes import sample_transcript
from tests.web.conftest import tone_wav

pytestmark = pytest.mark.browser

SECONDS = 240
# Four lines per turn, two speakers taking turns, one line every 3 s.
LINES = [
    (i * 3.0, f"SPEAKER_0{(i // 4) % 2}", f"Line number {i} of the long hearing.")
    for i in range(SECONDS // 3 - 2)
]


@pytest.fixture
def long_hearing(app, tmp_path) -> int:
    wav = tone_wav(tmp_path / "long.wav", seconds=SECONDS)
    with app.app_context():
        target = Path(app.config["UPLOAD_FOLDER"]) / "lo" / "long.wav"
        target.parent.mkdir(parents=True)
        target.write_bytes(wav.read_bytes())
        hearing = Hearing(
            title="Budget hearing",
            body=Body(name="Common Council"),
            date=date(2026, 5, 4),
            published_at=utcnow(),
        )
        hearing.recording = Recording(
            sha256=hashlib.sha256(wav.read_bytes()).hexdigest(),
            original_filename="long.wav",
            stored_name="lo/long.wav",
            size_bytes=wav.stat().st_size,
            duration_ms=SECONDS * 1000,
            media_type="audio/wav",
        )
        db.session.add(hearing)
        db.session.commit()
        store_transcript(db.session, hearing, sample_transcript(LINES))
        # A new machine transcript waits for review; these tests read it as the public.
        hearing.published_at = utcnow()
        db.session.commit()
        return hearing.id


def player_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def wait_for_player(page) -> None:
    page.wait_for_function("document.getElementById('player').readyState >= 1")


def in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight;
        }""",
        selector,
    )


def test_lines_are_paragraphs_per_speaker_with_each_time_still_a_link(page, long_hearing):
    page.goto(f"/hearings/{long_hearing}")
    wait_for_player(page)
    turns = page.locator("#transcript > li.speaker-turn")
    assert turns.count() == -(-len(LINES) // 4)
    first = turns.nth(0)
    assert first.locator(".turn-speaker").inner_text() == "SPEAKER_00"
    assert first.locator(".segment").count() == 4
    # Readers see running text: the lines of a turn sit on shared rows, not one row each.
    tops = first.locator(".segment").evaluate_all(
        "lines => lines.map(line => line.getBoundingClientRect().top)"
    )
    assert len(set(round(top) for top in tops)) < 4
    # The timeline's bands above still sit inside their rows (they share no class with turns).
    inside = page.locator(".band").first.evaluate(
        """band => {
            const row = band.getBoundingClientRect();
            return Array.from(band.querySelectorAll(".turn")).every(turn => {
                const box = turn.getBoundingClientRect();
                return box.width > 0 && box.height > row.height / 2
                    && box.top >= row.top && box.bottom <= row.bottom;
            });
        }"""
    )
    assert inside
    first.locator(".segment").nth(2).locator("a.time").click()
    page.wait_for_url(re.compile(rf"/hearings/{long_hearing}/at/6000$"))


def test_playback_is_followed_until_the_reader_stops_it(page, long_hearing):
    page.goto(f"/hearings/{long_hearing}")
    wait_for_player(page)
    last = f"#seg-{int(LINES[-1][0] * 1000)}"
    middle = f"#seg-{int(LINES[40][0] * 1000)}"
    assert not in_view(page, last)

    page.evaluate(f"document.getElementById('player').currentTime = {LINES[-1][0] + 0.5}")
    page.wait_for_selector(f"{last}.playing")
    page.wait_for_function(
        "(s) => { const b = document.querySelector(s).getBoundingClientRect();"
        " return b.top >= 0 && b.bottom <= window.innerHeight; }",
        arg=last,
    )

    toggle = page.get_by_role("button", name="Follow playback")
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false"
    page.evaluate("window.scrollTo(0, 0)")
    page.evaluate(f"document.getElementById('player').currentTime = {LINES[40][0] + 0.5}")
    page.wait_for_selector(f"{middle}.playing")
    assert page.evaluate("window.scrollY") == 0
    assert not in_view(page, middle)


def test_the_keyboard_skips_to_the_transcript_and_plays_a_line_in_place(page, long_hearing):
    page.goto(f"/hearings/{long_hearing}")
    wait_for_player(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the transcript"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "transcript"
    url = page.url

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "seg-0"
    page.keyboard.press("Tab")  # the line's time link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "seg-3000"
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('player').currentTime >= 3")
    assert player_time(page) == pytest.approx(3.0, abs=0.3)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    scrolled = page.evaluate("window.scrollY")
    page.keyboard.press(" ")
    page.wait_for_function("document.getElementById('player').currentTime >= 6")
    assert player_time(page) == pytest.approx(6.0, abs=0.3)
    # Played in place: no page load, and Space did not scroll the page down a screen.
    assert page.url == url
    assert abs(page.evaluate("window.scrollY") - scrolled) < 200


def test_a_clerk_reaches_the_selection_boxes_without_passing_the_player(page, long_hearing, clerk):
    sign_in(page, clerk)
    page.goto(f"/hearings/{long_hearing}")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    focused = []
    for _ in range(4):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.outerHTML.slice(0, 80)"))
        if page.evaluate("document.activeElement.getAttribute('form')") == "testimony-form":
            break
    assert page.evaluate("document.activeElement.name") == "segment_ids", focused
    assert not any("<audio" in element for element in focused)


@pytest.fixture
def in_chunks(monkeypatch):
    """Chunks of 20 lines, so the 78-line hearing comes in four as a 3-hour one would."""
    from hearings import transcript_chunks

    monkeypatch.setattr(transcript_chunks, "CHUNK_LINES", 20)


def shown(page) -> int:
    return page.locator("#transcript .segment").count()


def test_scrolling_down_brings_the_rest_of_the_transcript(page, long_hearing, in_chunks):
    page.goto(f"/hearings/{long_hearing}")
    assert shown(page) == 20
    for expected in (40, 60, len(LINES)):
        page.locator("#transcript .more-lines.later").scroll_into_view_if_needed()
        page.wait_for_function(
            "(n) => document.querySelectorAll('#transcript .segment').length >= n", arg=expected
        )
    assert shown(page) == len(LINES)
    assert page.locator("#transcript .more-lines").count() == 0
    starts = page.locator("#transcript .segment").evaluate_all(
        "lines => lines.map(line => Number(line.dataset.startMs))"
    )
    assert starts == [int(start * 1000) for start, _, _ in LINES]  # each once, in order


def test_playing_far_ahead_opens_the_transcript_there(page, long_hearing, in_chunks):
    page.goto(f"/hearings/{long_hearing}")
    wait_for_player(page)
    last = f"#seg-{int(LINES[-1][0] * 1000)}"
    assert page.locator(last).count() == 0
    # As a click on the timeline does: the player jumps to the end of the hearing.
    page.evaluate(f"document.getElementById('player').currentTime = {LINES[-1][0] + 0.5}")
    page.wait_for_selector(f"{last}.playing")
    assert in_view(page, last)
    assert page.locator("#transcript .more-lines.earlier").count() == 1


def test_a_quote_late_in_the_hearing_can_be_read_from_the_start(page, long_hearing, in_chunks):
    quoted_ms = int(LINES[60][0] * 1000)
    page.goto(f"/hearings/{long_hearing}/at/{quoted_ms}")
    quote = f"#seg-{quoted_ms}"
    page.wait_for_selector(f"{quote}.quoted")
    page.get_by_role("button", name="Hide").click()  # the pinned citation box
    earlier = page.get_by_role("link", name=re.compile("Show the lines before"))
    earlier.scroll_into_view_if_needed()
    page.locator(quote).scroll_into_view_if_needed()
    top = page.evaluate(f"document.querySelector('{quote}').getBoundingClientRect().top")
    earlier.click()
    page.wait_for_selector(f"#seg-{int(LINES[54][0] * 1000)}")  # the last of the earlier lines
    # The lines arrived above without moving the quote the reader was looking at.
    page.wait_for_function(
        "([s, top]) => Math.abs(document.querySelector(s).getBoundingClientRect().top - top) < 5",
        arg=[quote, top],
        timeout=3000,
    )


def test_naming_a_speaker_keeps_the_clerk_at_the_lines_they_read(
    page, long_hearing, in_chunks, clerk
):
    sign_in(page, clerk)
    page.goto(f"/hearings/{long_hearing}")
    page.locator("#transcript .more-lines.later").scroll_into_view_if_needed()
    reading = f"#seg-{int(LINES[30][0] * 1000)}"
    page.wait_for_selector(reading)
    page.locator(reading).scroll_into_view_if_needed()
    page.evaluate(f"document.querySelector('{reading}').scrollIntoView({{block: 'center'}})")
    top = page.evaluate(f"document.querySelector('{reading}').getBoundingClientRect().top")
    # Name SPEAKER_01 from the panel, as the clerk would in a second window on the same page
    # (a script submits the form so that this window stays where the clerk reads).
    page.evaluate(
        """() => {
            const item = Array.from(document.querySelectorAll('.speaker-list > li'))
                .find(li => li.querySelector('strong').textContent === 'SPEAKER_01');
            const form = item.querySelector('form.name-form');
            form.querySelector('input[name=name]').value = 'Ana Example';
            htmx.trigger(form, 'submit');
        }"""
    )
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('#transcript .speaker'))"
        ".some(s => s.textContent.includes('Ana Example'))"
    )
    page.wait_for_function(
        "([s, top]) => Math.abs(document.querySelector(s).getBoundingClientRect().top - top) < 5",
        arg=[reading, top],
        timeout=3000,
    )
