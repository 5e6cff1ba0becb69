"""Counting positions and concerns in testimony on a matter."""

import pytest

from hearings import models
from hearings.extensions import db
from hearings.models import Concern, Matter, Organization, Person
from hearings.tally import concern_counts, position_tally


def _testify(
    session,
    matter,
    person,
    position=None,
    organizations=(),
    concerns=(),
    confirmed=True,
    suggested=None,
):
    testimony = models.Testimony(
        matter=matter,
        person=person,
        position=position or "not_stated",
        position_confirmed=confirmed and position is not None,
        suggested_position=suggested,
        organizations=list(organizations),
        concerns=list(concerns),
    )
    session.add(testimony)
    return testimony


def test_an_organization_is_counted_once_however_many_of_its_people_testify(app):
    with app.app_context():
        session = db.session
        matter = Matter(title="Surveillance technology ordinance")
        aclu = Organization(name="ACLU of Washington")
        union = Organization(name="Police Officers Guild")
        for index in range(4):
            _testify(session, matter, Person(name=f"ACLU member {index}"), "oppose", [aclu])
        _testify(session, matter, Person(name="Guild president"), "support", [union])
        _testify(session, matter, Person(name="Resident"), "oppose")
        session.commit()

        tally = position_tally(session, matter)
        assert tally.organizations == {"support": 1, "oppose": 1, "neutral": 0, "not_stated": 0}
        assert tally.people == {"support": 1, "oppose": 5, "neutral": 0, "not_stated": 0}
        assert tally.organizations_by_position["oppose"] == [aclu]
        assert tally.conflicts == []
        assert tally.summary == "1 organization supports, 1 opposes"
        assert tally.people_summary == "5 people oppose, 1 supports"


def test_unconfirmed_suggestions_count_as_not_stated(app):
    with app.app_context():
        session = db.session
        matter = Matter(title="Budget amendment")
        group = Organization(name="Tenants Union")
        _testify(
            session,
            matter,
            Person(name="A"),
            "oppose",
            [group],
            confirmed=False,
            suggested="oppose",
        )
        _testify(session, matter, Person(name="B"), suggested="support")
        session.commit()

        tally = position_tally(session, matter)
        assert tally.people == {"support": 0, "oppose": 0, "neutral": 0, "not_stated": 2}
        assert tally.organizations["not_stated"] == 1
        assert tally.summary == "1 organization stated no position"


def test_a_person_is_counted_once_per_position_however_often_they_testify(app):
    with app.app_context():
        session = db.session
        matter = Matter(title="Zoning change")
        person = Person(name="Frequent speaker")
        _testify(session, matter, person, "oppose")
        _testify(session, matter, person, "oppose")
        # An unconfirmed later card does not add them to "not stated" as well.
        _testify(session, matter, person, suggested="oppose")
        session.commit()
        assert position_tally(session, matter).people["oppose"] == 1
        assert position_tally(session, matter).people["not_stated"] == 0


def test_an_organization_under_two_positions_is_counted_under_each_and_flagged(app):
    with app.app_context():
        session = db.session
        matter = Matter(title="Transit levy")
        chamber = Organization(name="Chamber of Commerce")
        _testify(session, matter, Person(name="Director"), "support", [chamber])
        _testify(session, matter, Person(name="Board member"), "oppose", [chamber])
        session.commit()
        tally = position_tally(session, matter)
        assert tally.organizations["support"] == tally.organizations["oppose"] == 1
        assert tally.conflicts == [chamber]


def test_a_speakers_own_affiliation_is_not_representation(app):
    with app.app_context():
        session = db.session
        matter = Matter(title="Parking rates")
        employer = Organization(name="Big Software Company")
        _testify(session, matter, Person(name="Engineer", organization=employer), "oppose")
        session.commit()
        tally = position_tally(session, matter)
        assert sum(tally.organizations.values()) == 0
        assert tally.summary == "No organizations testified"


def test_only_this_matters_testimony_counts(app):
    with app.app_context():
        session = db.session
        matter, other = Matter(title="One"), Matter(title="Two")
        _testify(session, other, Person(name="Elsewhere"), "support")
        session.commit()
        assert sum(position_tally(session, matter).people.values()) == 0


def test_concern_counts_speakers_and_organizations(app):
    with app.app_context():
        session = db.session
        matter = Matter(title="Facial recognition")
        sharing = Concern(matter=matter, name="data sharing")
        bias = Concern(matter=matter, name="racial bias")
        Concern(matter=matter, name="cost")
        aclu, tenants = Organization(name="ACLU"), Organization(name="Tenants Union")
        repeat = Person(name="Repeat speaker")
        _testify(session, matter, repeat, "oppose", [aclu], [sharing, bias])
        _testify(session, matter, repeat, "oppose", [aclu], [sharing])
        _testify(session, matter, Person(name="Second"), "oppose", [aclu, tenants], [sharing])
        _testify(session, matter, Person(name="Third"), "oppose", [], [bias])
        session.commit()

        counts = concern_counts(session, matter)
        assert [(c.concern.name, c.speakers, c.organizations) for c in counts] == [
            ("data sharing", 2, 2),
            ("racial bias", 2, 1),
            ("cost", 0, 0),
        ]
        assert len(counts[0].testimonies) == 3
        assert counts[0].summary == "data sharing: raised by 2 speakers, 2 organizations"
        assert counts[1].summary == "racial bias: raised by 2 speakers, 1 organization"
        assert counts[2].summary == "cost: not raised"


@pytest.mark.parametrize(
    ("position", "confirmed", "suggested", "counted"),
    [
        ("oppose", True, None, "oppose"),
        ("oppose", False, "oppose", "not_stated"),
        ("not_stated", False, "support", "not_stated"),
        ("neutral", True, "oppose", "neutral"),
    ],
)
def test_the_counted_position_is_the_clerks_never_the_machines(
    position, confirmed, suggested, counted
):
    # One rule behind the tally, the pages, the feeds and the search filter's labels.
    testimony = models.Testimony(
        position=position, position_confirmed=confirmed, suggested_position=suggested
    )
    assert testimony.counted_position == counted
