"""A clerk names a speaker in a record of many people: types the name as it was heard, gets
the person chosen, saves it, and the transcript shows the name."""

from __future__ import annotations

import pytest

from hearings.extensions import db
from hearings.models import Person
from tests.e2e.conftest import sign_in
from tests.e2e.test_reading_the_transcript import long_hearing  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


def test_a_name_typed_as_heard_finds_the_person_to_save(app, page, long_hearing, clerk):  # noqa: F811
    from playwright.sync_api import expect

    with app.app_context():
        db.session.add_all([Person(name=f"Resident Number {n}") for n in range(80)])
        db.session.add(Person(name="Gregory Lindqvist"))
        db.session.commit()
    sign_in(page, clerk)
    page.goto(f"/hearings/{long_hearing}")
    item = page.locator(".speaker-list > li").filter(has_text="SPEAKER_01")
    item.locator("summary").click()
    choice = item.locator("select[name=person_id]")
    # Before typing, the form offers the likely few, not the 81 people on record.
    assert choice.locator("option").count() < 10
    item.locator("input[name=find]").fill("greg lindquist")
    expect(choice.locator("optgroup[label^='Named like']")).to_have_count(1)
    assert choice.evaluate("s => s.options[s.selectedIndex].text") == "Gregory Lindqvist"
    item.get_by_role("button", name="Save the name").click()
    expect(page.locator("#hearing-speakers .flash.success")).to_contain_text(
        "SPEAKER_01 is now Gregory Lindqvist"
    )
    expect(page.locator("#transcript .speaker", has_text="Gregory Lindqvist").first).to_be_visible()
