"""Organization names, aliases and merging duplicates."""

from datetime import date

import pytest
from sqlalchemy import func, select

from hearings import models
from hearings.extensions import db
from hearings.models import Matter, Organization, OrganizationAlias, Person
from hearings.organizations import (
    add_alias,
    merge_organizations,
    normalise_name,
    organization_named,
)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("The ACLU of Wisconsin", "aclu of wisconsin"),
        ("  ACLU   of  Wisconsin. ", "aclu of wisconsin"),
        ("A.C.L.U.", "aclu"),
        ("ACLU-WI", "aclu wi"),
        ("Friends & Neighbors of the Park", "friends and neighbors of park"),
        ("Women's Alliance", "womens alliance"),
        ("Asociación de Vecinos", "asociacion de vecinos"),
        ("THEATRE GUILD", "theatre guild"),
        ("!!!", ""),
    ],
)
def test_normalise_name(name, key):
    assert normalise_name(name) == key


def test_organization_named_finds_one_organization_under_spellings(app):
    with app.app_context():
        first = organization_named(db.session, "ACLU of Wisconsin")
        again = organization_named(db.session, "the aclu of wisconsin.")
        assert again is first
        assert first.name == "ACLU of Wisconsin"
        assert db.session.scalar(select(func.count(Organization.id))) == 1


def test_an_alias_joins_a_different_spelling(app):
    with app.app_context():
        aclu = organization_named(db.session, "ACLU of Wisconsin")
        assert organization_named(db.session, "ACLU-WI", create=False) is None
        add_alias(db.session, aclu, "ACLU-WI")
        db.session.commit()
        assert organization_named(db.session, "aclu wi") is aclu
        assert organization_named(db.session, "ACLU-WI", create=True) is aclu
        assert db.session.scalar(select(func.count(Organization.id))) == 1


def test_organizations_made_elsewhere_are_found_by_name(app):
    with app.app_context():
        db.session.add(Organization(name="The Urban League"))
        db.session.commit()
        found = organization_named(db.session, "urban league", create=False)
        assert found is not None and found.name == "The Urban League"


def test_blank_names_are_not_organizations(app):
    with app.app_context():
        assert organization_named(db.session, "   ") is None
        assert organization_named(db.session, "the") is None
        with pytest.raises(ValueError, match="needs a name"):
            add_alias(db.session, organization_named(db.session, "Sierra Club"), " - ")


def test_an_alias_of_another_organization_is_refused(app):
    with app.app_context():
        aclu = organization_named(db.session, "ACLU of Wisconsin")
        organization_named(db.session, "ACLU-WI")
        with pytest.raises(ValueError, match="already names 'ACLU-WI'; merge"):
            add_alias(db.session, aclu, "ACLU WI")
        assert add_alias(db.session, aclu, "the ACLU of Wisconsin").organization is aclu


def test_merge_moves_members_testimony_and_aliases(app):
    with app.app_context():
        session = db.session
        keep = organization_named(session, "ACLU of Wisconsin")
        absorb = organization_named(session, "ACLU-WI")
        absorb.url = "https://aclu-wi.org"
        add_alias(session, absorb, "Wisconsin ACLU")
        member = Person(name="Dana Ruiz", organization=absorb)
        speaker = Person(name="Lee Park")
        matter = Matter(title="Facial recognition ordinance")
        both = models.Testimony(matter=matter, person=member, organizations=[keep, absorb])
        only_absorbed = models.Testimony(matter=matter, person=speaker, organizations=[absorb])
        session.add_all([member, speaker, matter, both, only_absorbed])
        session.commit()
        absorb_id = absorb.id

        merge_organizations(session, keep, absorb)
        session.commit()

        assert session.get(Organization, absorb_id) is None
        assert member.organization is keep
        assert [o.name for o in both.organizations] == ["ACLU of Wisconsin"]
        assert [o.name for o in only_absorbed.organizations] == ["ACLU of Wisconsin"]
        assert keep.url == "https://aclu-wi.org"
        keys = set(session.scalars(select(OrganizationAlias.key)))
        assert keys == {"aclu of wisconsin", "aclu wi", "wisconsin aclu"}
        for name in ("ACLU-WI", "Wisconsin ACLU", "aclu of wisconsin"):
            assert organization_named(session, name, create=False) is keep
        # The log keeps what the absorbed organization was, so a wrong merge can be undone.
        merged = session.scalars(
            select(models.AuditEntry).where(models.AuditEntry.action == "organization.merge")
        ).one()
        assert merged.target == f"organizations:{keep.id}"
        assert merged.before["absorbed"]["id"] == absorb_id
        assert merged.before["absorbed"]["aliases"] == ["ACLU-WI", "Wisconsin ACLU"]
        assert merged.after == {"absorbed_members": [member.id]}
        aliased = session.scalars(
            select(models.AuditEntry).where(models.AuditEntry.action == "organization.alias")
        ).one()
        assert aliased.after["aliases"] == ["ACLU-WI", "Wisconsin ACLU"]


def test_merging_an_organization_into_itself_is_refused(app):
    with app.app_context():
        aclu = organization_named(db.session, "ACLU of Wisconsin")
        with pytest.raises(ValueError, match="into itself"):
            merge_organizations(db.session, aclu, aclu)


def test_merge_keeps_an_organization_made_without_aliases(app):
    with app.app_context():
        session = db.session
        keep = Organization(name="Sierra Club")
        absorb = Organization(name="Sierra Club Wisconsin Chapter")
        session.add_all(
            [
                keep,
                absorb,
                models.Testimony(
                    matter=Matter(title="Budget"),
                    person=Person(name="Ann"),
                    organizations=[absorb],
                    received_on=date(2026, 1, 5),
                ),
            ]
        )
        session.commit()
        merge_organizations(session, keep, absorb)
        session.commit()
        assert organization_named(session, "Sierra Club Wisconsin Chapter", create=False) is keep
        assert session.scalar(select(func.count(Organization.id))) == 1
