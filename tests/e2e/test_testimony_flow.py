"""A clerk turns transcript lines into testimony and sees it beside the council's vote."""

from __future__ import annotations

import re
from datetime import date

import pytest

from hearings import models
from hearings.extensions import db
from tests.e2e.conftest import sign_in
from tests.web.conftest import build_heard_matter

pytestmark = pytest.mark.browser


@pytest.fixture
def live_app_config(live_app_config):
    # The phrase method only: loading the embedding model would slow the page for nothing here.
    return {**live_app_config, "POSITION_EMBEDDINGS": False}


@pytest.fixture
def record(app):
    """The sample hearing, a matter with concerns, a 15-seat council and its 10-5 veto override."""
    heard_matter = build_heard_matter(app)
    with app.app_context():
        event = models.VoteEvent(
            body_id=heard_matter.council_id,
            matter_id=heard_matter.matter_id,
            date=date(2026, 4, 7),
            motion="Override the mayor's veto",
            threshold_rule="explicit",
            required_yes=11,
            body_size=15,
            recorded_result="fail",
            votes=[
                models.PersonVote(person_id=pid, value="yes" if i < 10 else "no")
                for i, pid in enumerate(heard_matter.member_ids)
            ],
        )
        db.session.add(event)
        db.session.commit()
    return heard_matter


def test_clerk_records_testimony_and_sees_it_beside_the_vote(page, live_server, clerk, record):
    from playwright.sync_api import expect

    sign_in(page, clerk)
    page.goto(f"/hearings/{record.hearing_id}")
    page.get_by_text("Record testimony from this transcript").click()
    form = page.locator("#testimony-form")
    expect(form).to_be_visible()

    line = page.locator("#transcript .segment", has_text="We oppose this proposal")
    line.locator('input[form="testimony-form"]').check()
    expect(page.locator("#testimony-selection")).to_have_text(
        "1 line selected (0:00:09–0:00:13), spoken by Maria Lopez."
    )
    expect(line).to_have_class(re.compile("selected-for-testimony"))

    # Choosing the matter swaps in its concerns (htmx).
    form.locator('[name="matter_id"]').select_option(str(record.matter_id))
    concerns = page.locator("#testimony-concerns")
    expect(concerns.get_by_label("racial bias")).to_be_visible()
    concerns.get_by_label("racial bias").check()
    concerns.get_by_label("misidentification").check()
    form.locator('[name="position"]').select_option("oppose")
    form.get_by_label("Organization 1").fill("ACLU of Wisconsin")
    form.get_by_role("button", name="Record testimony").click()

    page.wait_for_url(re.compile(r"/testimony/\d+$"))
    expect(page.locator("h1")).to_have_text("Testimony by Maria Lopez")
    expect(page.locator(".position-panel")).to_contain_text("oppose")
    expect(page.locator(".position-panel")).to_contain_text("confirmed by a clerk")

    page.get_by_role("link", name=re.compile("ERC 26-0148")).first.click()
    page.wait_for_url(re.compile(rf"/matters/{record.matter_id}$"))
    expect(page.locator("#positions")).to_contain_text("1 organization opposes")
    expect(page.locator("#positions .bar.position-oppose").first).to_have_attribute(
        "style", "width: 100.0%"
    )
    expect(page.locator("#concerns")).to_contain_text(
        "racial bias: raised by 1 speaker, 1 organization"
    )
    expect(page.locator("#testimony")).to_contain_text("We oppose this proposal")
    votes = page.locator("#votes")
    expect(votes).to_contain_text("Fails.")
    expect(votes).to_contain_text("10 yes of 15 members; 11 needed: fails")
    expect(votes.locator(".roll-call tbody tr")).to_have_count(15)
    compare = page.locator("#compare")
    expect(compare).to_contain_text("1 organization opposes")
    expect(compare).to_contain_text("10 yes")

    # The quote link on the matter page opens the hearing at that line.
    page.locator("#testimony .where a", has_text="0:00:09").click()
    page.wait_for_url(re.compile(rf"/hearings/{record.hearing_id}/at/9500$"))
    expect(page.locator("#transcript .segment.quoted")).to_contain_text("We oppose this proposal")


def test_vote_form_shows_the_outcome_as_the_clerk_enters_votes(page, live_server, clerk, record):
    from playwright.sync_api import expect

    sign_in(page, clerk)
    page.goto(f"/matters/{record.matter_id}/votes/new")
    form = page.locator("#vote-form")
    form.locator('[name="motion"]').fill("Adopt the ordinance")
    form.locator('[name="threshold_rule"]').select_option("two_thirds_body")
    selects = form.locator('select[name^="vote-"]')
    expect(selects).to_have_count(15)
    for index in range(15):
        selects.nth(index).select_option("yes" if index < 10 else "no")
    expect(page.locator("#vote-outcome")).to_contain_text("10 yes of 15 members; 10 needed: passes")
    form.get_by_role("button", name="Record the vote").click()
    page.wait_for_url(re.compile(r"/votes/\d+$"))
    expect(page.locator(".outcome")).to_contain_text("10 yes of 15 members; 10 needed: passes")
