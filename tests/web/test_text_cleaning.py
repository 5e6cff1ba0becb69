"""Text from any source is stored clean: NFC, no control characters, cut to the column."""

from __future__ import annotations

import unicodedata
from datetime import date

from hearings import models
from hearings.extensions import db
from hearings.models import Body, Matter, Organization, Person


def test_names_lose_control_characters_and_are_cut_to_the_column(app):
    decomposed = unicodedata.normalize("NFD", "José Nuñez")
    with app.app_context():
        person = Person(name="Ron\x01 Jansen\x00", title="Resident\r\nNorth side")
        organization = Organization(name="A" * 500)
        named = Person(name=decomposed)
        db.session.add_all([person, organization, named])
        db.session.commit()
        db.session.expire_all()
        assert person.name == "Ron Jansen"
        assert person.title == "Resident North side"
        assert len(organization.name) == 200
        assert named.name == unicodedata.normalize("NFC", "José Nuñez")


def test_multiline_text_keeps_its_line_breaks(app):
    with app.app_context():
        matter = Matter(title="Facial recognition", summary="First line.\r\nSecond\x07 line.")
        db.session.add(matter)
        db.session.commit()
        db.session.expire_all()
        assert matter.summary == "First line.\nSecond line."


def test_a_matter_feed_survives_a_name_that_held_a_control_character(app, client):
    with app.app_context():
        matter = Matter(title="Facial recognition ordinance", body=Body(name="Common Council"))
        testimony = models.Testimony(
            matter=matter,
            person=Person(name="Tamika\x01 Harris"),
            kind="written",
            written_text="I oppose it.",
            received_on=date(2026, 3, 12),
        )
        db.session.add_all([matter, testimony])
        db.session.commit()
        matter_id = matter.id

    response = client.get(f"/matters/{matter_id}/feed.atom")

    assert response.status_code == 200
    assert "Tamika Harris" in response.get_data(as_text=True)
