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

from sqlalchemy import func, select, update

from hearings.audit import audited
from hearings.errors import Conflict, Refused
from hearings.models import Organization, OrganizationAlias, Testimony
from hearings.models.audit import record
from hearings.models.base import DbSession
from hearings.models.testimony import testimony_order, testimony_organizations

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


# --- the organization pages ---------------------------------------------------------------


def organization_list(session: DbSession, query: str) -> dict:
    """Return organizations whose name contains the query, with how often each testified."""
    query = " ".join(query.split())[:200]
    stmt = select(Organization).order_by(Organization.name)
    if query:
        stmt = stmt.where(func.lower(Organization.name).contains(query.lower(), autoescape=True))
    counts: dict[int, int] = dict(
        session.execute(
            # Through Testimony, so the public record's rule (no drafts) applies to the count.
            select(testimony_organizations.c.organization_id, func.count())
            .join(Testimony, Testimony.id == testimony_organizations.c.testimony_id)
            .group_by(testimony_organizations.c.organization_id)
        ).all()
    )
    return {
        "organizations": list(session.scalars(stmt.limit(1000))),
        "counts": counts,
        "query": query,
    }


def positions_by_matter(testimonies: list[Testimony]) -> list[dict]:
    """Return, per matter, how many testimonies on the organization's behalf took each position."""
    matters: dict[int, dict] = {}
    for testimony in testimonies:
        row = matters.setdefault(testimony.matter_id, {"matter": testimony.matter, "counts": {}})
        position = testimony.counted_position
        row["counts"][position] = row["counts"].get(position, 0) + 1
    for row in matters.values():
        stated = [p for p in ("support", "oppose", "neutral") if row["counts"].get(p)]
        row["stance"] = " and ".join(stated) if stated else "not stated"
        row["mixed"] = len(stated) > 1
    return sorted(matters.values(), key=lambda r: r["matter"].label)


def organization_record(session: DbSession, organization: Organization) -> dict:
    """Return an organization's positions across matters and its representatives' testimony."""
    testimonies = sorted(
        session.scalars(
            select(Testimony)
            .join(testimony_organizations, testimony_organizations.c.testimony_id == Testimony.id)
            .where(testimony_organizations.c.organization_id == organization.id)
        ),
        key=testimony_order,
    )
    representatives = {t.person.id: t.person for t in testimonies}
    return {
        "organization": organization,
        "testimonies": testimonies,
        "positions": positions_by_matter(testimonies),
        "representatives": sorted(representatives.values(), key=lambda p: p.name),
    }
