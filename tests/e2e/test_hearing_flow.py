"""A clerk uploads a recording, watches it being transcribed; a reader finds and cites a quote."""

from __future__ import annotations

import re

import pytest

from tests.conftest import shared
from tests.e2e.conftest import SLOW_MS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.model]


def test_upload_progress_search_and_quote(page, live_server, clerk, tmp_path):
    from playwright.sync_api import expect

    recording = shared("whisper-jfk", "jfk.flac")
    polls = []
    page.on("response", lambda r: polls.append(r.status) if r.url.endswith("/job") else None)

    sign_in(page, clerk)
    page.goto("/hearings/new")
    form = page.locator("#upload-form")
    form.locator('[name="title"]').fill("Inaugural address")
    form.locator('[name="body"]').fill("Joint Session of Congress")
    form.locator('[name="date"]').fill("1961-01-20")
    form.locator('[name="recording"]').set_input_files(recording)

    with live_server.jobs_held():
        page.get_by_role("button", name="Upload and transcribe").click()
        page.wait_for_url(re.compile(r"/hearings/\d+$"))
        hearing_url = page.url
        expect(page.locator("#job-status progress")).to_be_visible()
        expect(page.locator("#job-status")).to_contain_text("Waiting in queue")
        # The widget polls while the job waits: at least one round trip before the worker starts.
        with page.expect_response(lambda r: r.url.endswith("/job")):
            pass

    # The worker transcribes; the widget sees the job done and HX-Refresh reloads the page.
    expect(page.locator("#transcript .segment").first).to_be_visible(timeout=SLOW_MS)
    assert page.url == hearing_url
    assert polls and set(polls) == {200}
    expect(page.locator("#job-status")).to_have_count(0)
    expect(page.locator(".banner.machine")).to_contain_text("machine transcript")
    expect(page.locator("#transcript")).to_contain_text("ask not what your country can do for you")
    # A draft until the clerk publishes it.
    expect(page.locator(".banner.draft")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".banner.draft")).to_have_count(0)

    page.goto("/search")
    # A full page load would drop this; htmx swapping the results in place keeps it.
    page.evaluate("window.searchPageMarker = true")
    page.locator("#q").fill("country")
    page.locator("#q").press("Enter")
    hits = page.locator("#results .hit")
    expect(hits.first).to_be_visible()
    expect(hits.first.locator("mark").first).to_have_text(re.compile("country", re.I))
    expect(hits.first).to_contain_text("Inaugural address")
    expect(hits.first).to_contain_text("1961-01-20")
    assert page.evaluate("window.searchPageMarker") is True
    # hx-push-url put the query in the address bar, so the results can be shared.
    assert "q=country" in page.url

    hits.first.locator("a.quote-link").click()
    page.wait_for_url(re.compile(r"/hearings/\d+/at/\d+$"))
    quoted = page.locator("#transcript .segment.quoted")
    expect(quoted).to_have_count(1)
    expect(quoted).to_contain_text("country")
    expect(quoted).to_be_in_viewport()
    citation = page.locator("#citation-text")
    expect(page.locator("#cite")).to_be_visible()
    expect(citation).to_have_value(
        re.compile(
            r"Inaugural address, Joint Session of Congress, "
            r"January 20, 1961, at 0:00:\d\d"
        )
    )
    # The link cited names the quoted range of the recording and the day it was cited.
    cited = re.search(
        r"(http://\S+/at/(\d+)-(\d+))\?as_of=\d{4}-\d\d-\d\d$", citation.input_value()
    )
    assert cited and page.url.startswith(cited.group(1).rsplit("-", 1)[0])
    assert page.locator('meta[property="og:url"]').get_attribute("content") == cited.group(1)

    screenshot = tmp_path / "quote.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot: {screenshot}")
