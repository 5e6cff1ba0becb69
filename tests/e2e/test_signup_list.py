"""A clerk pastes the sign-up list, checks the voice suggested for a card, and confirms it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in
from tests.web.test_signups import LIST, hearing_with_list

pytestmark = pytest.mark.browser


def test_clerk_imports_the_list_and_confirms_a_card_with_its_voice(page, live_server, clerk):
    from playwright.sync_api import expect

    hearing_id, matter_id = hearing_with_list(live_server.app)
    sign_in(page, clerk)
    page.goto(f"/hearings/{hearing_id}")
    page.get_by_role("link", name="Sign-up list and speaker cards").click()
    expect(page.get_by_text("No sign-up list yet for this hearing.")).to_be_visible()

    # A bad row first: the report names it, and the text stays to be fixed.
    page.get_by_label("Paste the list").fill(LIST + "Lee Smith,,maybe,\n")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("1 row of the list could not be read")
    expect(page.get_by_role("alert")).to_contain_text("the position “maybe” is not support")
    expect(page.get_by_label("Paste the list")).to_have_value(LIST + "Lee Smith,,maybe,\n")

    page.get_by_label("Paste the list").fill(LIST)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("4 rows of the list imported.")).to_be_visible()

    def row(name: str):
        return page.get_by_role("row").filter(has=page.get_by_role("cell", name=name, exact=True))

    tamika = row("Tamika Harris")
    expect(tamika.get_by_role("combobox")).to_have_value(
        tamika.locator("option", has_text="SPEAKER_01").get_attribute("value") or "missing"
    )
    expect(tamika).to_contain_text("name heard or given: “Tamika Harris”")
    tamika.get_by_role("button", name="Confirm").click()
    expect(
        page.get_by_text("Tamika Harris recorded: card testimony, and SPEAKER_01")
    ).to_be_visible()
    expect(row("Tamika Harris")).to_contain_text("spoke at 0:00:09")

    row("Pat Doe").get_by_role("button", name="Card only").click()
    expect(row("Pat Doe")).to_contain_text("did not speak")

    page.goto(f"/matters/{matter_id}")
    expect(page.get_by_text("Signed a card (oppose) and spoke at")).to_be_visible()
    expect(page.get_by_text("Signed a card (oppose) without speaking.")).to_be_visible()
