"""A clerk corrects a word and redacts a range; a reporter's old quote link shows the change."""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from hearings.extensions import db
from hearings.models import Body, Hearing, Recording
from hearings.models.base import utcnow
from hearings.transcripts import store_transcript
from tests.conftest import shared
from tests.e2e.conftest import sign_in
from tests.fakes import sample_transcript
from tests.web.test_redaction import decoded, rms

pytestmark = pytest.mark.browser
SCREENSHOTS = Path("/tmp/hearing-screens")


@pytest.fixture
def hearing_id(app) -> int:
    """JFK's address under the sample transcript's three lines, published."""
    source = shared("whisper-jfk", "jfk.wav")
    with app.app_context():
        target = Path(app.config["UPLOAD_FOLDER"]) / "jf" / "jfk.wav"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        hearing = Hearing(
            title="Facial recognition hearing",
            body=Body(name="Equal Rights Commission"),
            date=date(2026, 3, 12),
            recording=Recording(
                sha256=hashlib.sha256(target.read_bytes()).hexdigest(),
                original_filename="jfk.wav",
                stored_name="jf/jfk.wav",
                size_bytes=target.stat().st_size,
                duration_ms=11_000,
                media_type="audio/wav",
            ),
        )
        db.session.add(hearing)
        db.session.commit()
        store_transcript(db.session, hearing, sample_transcript())
        hearing.published_at = utcnow()
        db.session.commit()
        return hearing.id


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def test_correct_a_word_see_it_in_search_and_on_an_old_quote_link(
    page, live_server, clerk, hearing_id, browser
):
    from playwright.sync_api import expect

    cited_before = date.today() - timedelta(days=2)
    old_link = f"/hearings/{hearing_id}/at/3200-7150?as_of={cited_before}"

    sign_in(page, clerk)
    page.goto(f"/hearings/{hearing_id}")
    page.evaluate("window.noReloadMarker = true")
    line = page.locator("#seg-3200")
    line.get_by_role("link", name=re.compile("^Correct")).click()
    box = page.locator("#seg-3200 textarea.line-text")
    expect(box).to_be_focused()
    box.fill("Facial recognition is a lead generator, not an arrest warrant.")
    shot(page, "editor")
    box.press("Control+Enter")
    expect(page.locator("#seg-3200 .text")).to_have_text(
        "Facial recognition is a lead generator, not an arrest warrant."
    )
    # Saved in place: the page was not reloaded.
    assert page.evaluate("window.noReloadMarker") is True

    page.goto("/search?q=warrant")
    expect(page.locator("#results .hit").first).to_contain_text("arrest warrant")

    reader = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 720})
    tab = reader.new_page()
    tab.goto(old_link)
    note = tab.locator("#corrected-note")
    expect(note).to_contain_text("Corrected on")
    note.locator("summary").click()
    expect(note.locator("del")).to_have_text(
        "Facial recognition is a lead generator, not an arrest tool."
    )
    # The cited lines and the citation box are both in view on arrival.
    expect(tab.locator("#transcript .segment.quoted").first).to_be_in_viewport()
    expect(tab.locator("#citation-text")).to_be_in_viewport()
    shot(tab, "old-quote-link")
    reader.close()


def test_select_lines_for_one_link_and_link_to_the_moment(page, live_server, hearing_id):
    from playwright.sync_api import expect

    page.goto(f"/hearings/{hearing_id}")
    expect(page.locator("#moment-link")).to_be_visible()
    page.evaluate(
        """() => {
        const range = document.createRange();
        range.setStart(document.querySelector('#seg-3200 .text').firstChild, 3);
        range.setEnd(document.querySelector('#seg-9500 .text').firstChild, 5);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
    }"""
    )
    offer = page.locator("#selection-link")
    expect(offer).to_have_text("Quote these 2 lines")
    shot(page, "selection")
    offer.click()
    page.wait_for_url(re.compile(rf"/hearings/{hearing_id}/at/3200-13450$"))
    expect(page.locator("#transcript .segment.quoted")).to_have_count(2)
    expect(page.locator("#citation-text")).to_have_value(re.compile("0:00:03–0:00:13"))


def test_redact_a_range_and_the_public_recording_is_silent_there(
    page, live_server, clerk, hearing_id, browser
):
    from playwright.sync_api import expect

    live_server.start_worker()
    sign_in(page, clerk)
    page.goto(f"/hearings/{hearing_id}")
    page.get_by_text("Redact part of the hearing").click()
    form = page.locator("details.redact form")
    form.locator('[name="start"]').fill("0:00:05.5")
    form.locator('[name="end"]').fill("0:00:07.2")
    form.locator('[name="reason"]').fill("A resident's home address")
    form.get_by_role("button", name="Redact").click()
    expect(page.locator("#seg-3200 .text")).to_contain_text("[redacted]")
    expect(page.locator("#seg-3200 .text")).not_to_contain_text("arrest")
    shot(page, "redacted")

    reader = browser.new_context(base_url=live_server.url)
    response = None
    for _ in range(60):
        response = reader.request.get(f"/hearings/{hearing_id}/recording")
        if response.status == 200:
            break
        assert response.status == 503  # being prepared: never the original
        page.wait_for_timeout(500)
    assert response is not None and response.status == 200
    assert response.headers["content-type"].startswith("audio/mp4")
    samples = decoded(response.body())
    assert rms(samples, 5.6, 7.1) < 0.001
    assert rms(samples, 1.0, 5.0) > 0.02
    reader.close()
