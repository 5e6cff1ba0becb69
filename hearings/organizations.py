"""One organization under many names: lookup by alias, adding aliases, merging duplicates.

Every name is compared by its key (normalise_name), so "The ACLU of Wisconsin" and "aclu of
wisconsin" are the same name, and an alias such as "ACLU-WI" joins a different spelling to the
same organization. Organizations created here also get an alias for their own name, so a lookup
is one indexed query; organizations created elsewhere are still found by their name.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import select, update

from hearings.audit import audited
from hearings.errors import Conflict, Refused
from hearings.models import Organization, OrganizationAlias
from hearings.models.audit import record
from hearings.models.base import DbSession
from hearings.models.testimony import testimony_organizations

# Dropped without a gap, so "A.C.L.U." is "aclu" and "Women's" is "womens".
_JOINING = re.compile(r"[.'’`]")
_SEPARATING = re.compile(r"[^\w\s]|_")
_ARTICLE = re.compile(r"\bthe\b")
_SPACES = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """Return the key names are compared by: no case, accents, punctuation or "the"."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    text = text.replace("&", " and ")
    text = _SEPARATING.sub(" ", _JOINING.sub("", text))
    text = _ARTICLE.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def organization_named(session: DbSession, name: str, create: bool = True) -> Organization | None:
    """Return the organization known by this name or alias, creating it if asked.

    Returns None for a blank name, or when nothing matches and create is False.
    """
    key = normalise_name(name or "")
    if not key:
        return None
    found = _organization_by_key(session, key)
    if found is not None or not create:
        return found
    organization = Organization(name=_SPACES.sub(" ", name).strip())
    organization.aliases.append(OrganizationAlias(key=key, name=organization.name))
    session.add(organization)
    session.flush()
    return organization


def add_alias(
    session: DbSession, organization: Organization, alias: str, user: Any = None
) -> OrganizationAlias:
    """Record another name of the organization and return the alias row.

    Args:
        user: who added it, for the audit log (None for the system).

    Raises:
        Refused: the name is blank.
        Conflict: the name already names a different organization (merge the two instead).
    """
    key = normalise_name(alias or "")
    if not key:
        raise Refused("An alias needs a name.")
    holder = _organization_by_key(session, key)
    if holder is not None and holder is not organization:
        raise Conflict(
            f"{alias.strip()!r} already names {holder.name!r}; merge the two organizations instead."
        )
    existing = session.scalars(
        select(OrganizationAlias).where(OrganizationAlias.key == key)
    ).first()
    if existing is not None:
        return existing
    row = OrganizationAlias(key=key, name=_SPACES.sub(" ", alias).strip())
    with audited(session, user, "organization.alias", organization, _names_state):
        organization.aliases.append(row)
    return row


def merge_organizations(
    session: DbSession, keep: Organization, absorb: Organization, user: Any = None
) -> Organization:
    """Fold absorb into keep: its members, testimony, aliases and name; then delete it.

    Details keep lacks (kind, url, description) are taken from absorb. The audit log keeps
    what absorb was, so the merge can be undone by hand. The caller commits.

    Raises:
        Refused: keep and absorb are the same organization.
    """
    if keep is absorb or (keep.id is not None and keep.id == absorb.id):
        raise Refused("An organization cannot be merged into itself.")
    session.flush()
    record(
        session,
        user,
        "organization.merge",
        keep,
        before={"kept": _names_state(keep), "absorbed": {"id": absorb.id, **_names_state(absorb)}},
        after={"absorbed_members": [person.id for person in absorb.members]},
    )
    for person in list(absorb.members):
        person.organization = keep
    keys = {alias.key for alias in keep.aliases}
    for alias in list(absorb.aliases):
        absorb.aliases.remove(alias)
        if alias.key in keys:
            session.delete(alias)
        else:
            keep.aliases.append(alias)
            keys.add(alias.key)
    for name in (absorb.name, keep.name):
        key = normalise_name(name)
        if key and key not in keys:
            keep.aliases.append(OrganizationAlias(key=key, name=name))
            keys.add(key)
    for field in ("kind", "url", "description"):
        if not getattr(keep, field) and getattr(absorb, field):
            setattr(keep, field, getattr(absorb, field))
    session.flush()

    links = testimony_organizations.c
    already = select(links.testimony_id).where(links.organization_id == keep.id)
    session.execute(
        update(testimony_organizations)
        .where(links.organization_id == absorb.id, links.testimony_id.not_in(already))
        .values(organization_id=keep.id)
    )
    session.execute(testimony_organizations.delete().where(links.organization_id == absorb.id))
    # Testimony loaded before the UPDATE still lists absorb; reload it from the rows.
    session.expire_all()
    session.delete(absorb)
    session.flush()
    return keep


def _names_state(organization: Organization) -> dict:
    return {
        "name": organization.name,
        "aliases": sorted(alias.name for alias in organization.aliases),
    }


def _organization_by_key(session: DbSession, key: str) -> Organization | None:
    alias = session.scalars(select(OrganizationAlias).where(OrganizationAlias.key == key)).first()
    if alias is not None:
        return alias.organization
    for organization in session.scalars(select(Organization).order_by(Organization.id)):
        if normalise_name(organization.name) == key:
            return organization
    return None
