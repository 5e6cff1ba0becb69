"""Search narrowed by matter and position finds the testimony's transcript lines."""

from hearings import models
from hearings import testimony as clerk
from hearings.extensions import db


def test_search_by_matter_and_position_finds_testimony(client, app, heard_matter):
    with app.app_context():
        hearing = db.session.get(models.Hearing, heard_matter.hearing_id)
        matter = db.session.get(models.Matter, heard_matter.matter_id)
        clerk.create_oral_testimony(
            db.session,
            None,
            hearing,
            matter,
            [heard_matter.segments["SPEAKER_02"]],
            position="oppose",
        )
        db.session.commit()
    found = client.get(
        f"/search?q=misidentification&matter={heard_matter.matter_id}&position=oppose"
    ).get_data(as_text=True)
    assert "1 line for" in found and "racial bias" in found
    assert f"/hearings/{heard_matter.hearing_id}/at/" in found
    other_side = client.get(
        f"/search?q=misidentification&matter={heard_matter.matter_id}&position=support"
    ).get_data(as_text=True)
    assert "Nothing found" in other_side


def test_an_unconfirmed_suggestion_is_not_a_position_in_search(client, app, heard_matter):
    with app.app_context():
        hearing = db.session.get(models.Hearing, heard_matter.hearing_id)
        matter = db.session.get(models.Matter, heard_matter.matter_id)
        testimony = clerk.create_oral_testimony(
            db.session, None, hearing, matter, [heard_matter.segments["SPEAKER_02"]]
        )
        db.session.commit()
        assert testimony.suggested_position == "oppose"
    html = client.get(
        f"/search?q=misidentification&matter={heard_matter.matter_id}&position=oppose"
    ).get_data(as_text=True)
    assert "Nothing found" in html
