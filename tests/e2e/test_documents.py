"""A clerk attaches an agenda packet to a hearing; a resident searches a phrase from its page 7
and lands on page 7. Real chromium, the live server and its real queue worker."""

from __future__ import annotations

import re

import pytest

from tests.documents import packet
from tests.e2e.conftest import sign_in
from tests.web.conftest import HeardMatter, build_heard_matter

pytestmark = pytest.mark.browser

PHRASE = "documents provided at the meeting show the department already uses it"


@pytest.fixture
def heard_matter(app) -> HeardMatter:
    return build_heard_matter(app)


def test_a_packet_attached_by_a_clerk_is_found_at_its_page_seven(
    browser, live_server, page, heard_matter, clerk, tmp_path
):
    from playwright.sync_api import expect

    path = tmp_path / "Agenda packet 2026-03-12.pdf"
    path.write_bytes(packet(12, {7: f"Memorandum from the Equal Rights Commission: {PHRASE}."}))

    sign_in(page, clerk)
    page.goto(f"/hearings/{heard_matter.hearing_id}")
    section = page.locator("#documents")
    expect(section).to_contain_text("No documents attached.")
    section.get_by_text("Attach a document").click()
    section.locator("input[type=file]").set_input_files(str(path))
    section.get_by_label("Kind").select_option(label="Agenda packet")
    section.get_by_label("Title").fill("Agenda packet, March 12")
    section.get_by_role("button", name="Attach").click()

    # The document's page polls the worker's progress, then shows the pages it read.
    expect(page.locator("h1")).to_have_text("Agenda packet, March 12")
    expect(page.locator("#document-status")).to_contain_text(
        "12 pages read and searchable", timeout=60_000
    )
    expect(page.locator("#pages li")).to_have_count(12)
    page.goto(f"/hearings/{heard_matter.hearing_id}")
    expect(page.locator("#documents")).to_contain_text("Agenda packet, March 12")

    # A resident, in a browser of their own, searches the phrase from page 7.
    context = browser.new_context(base_url=live_server.url)
    resident = context.new_page()
    try:
        resident.goto("/search")
        resident.get_by_label("Words to find").fill("already uses it department")
        resident.keyboard.press("Enter")
        hit = resident.locator("#document-results a.document-page-link").first
        expect(hit).to_contain_text("department")
        expect(resident.locator("#document-results")).to_contain_text(
            "Agenda packet, March 12, page 7"
        )
        hit.click()
        resident.wait_for_url(re.compile(r"/documents/\d+/pages/7$"))
        expect(resident.locator("h1")).to_contain_text("page 7 of 12")
        expect(resident.locator(".page-text")).to_contain_text(PHRASE)
        in_file = resident.locator("a.page-in-file")
        expect(in_file).to_have_attribute("href", re.compile(r"/documents/\d+/file#page=7$"))
        served = resident.request.get(in_file.get_attribute("href").split("#")[0])
        assert served.status == 200
        assert served.headers["content-type"] == "application/pdf"
        assert served.body() == path.read_bytes()
    finally:
        context.close()
