"""Organizations: the positions they took across matters and what their representatives said."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from hearings.civic_exports import testimony_order
from hearings.extensions import db
from hearings.models import Organization, Testimony
from hearings.models.civic import testimony_organizations

bp = Blueprint("organizations", __name__)


@bp.get("/organizations")
def index():
    """List organizations, with how often they testified; ?q= narrows by name."""
    query = " ".join(request.args.get("q", "").split())[:200]
    stmt = select(Organization).order_by(Organization.name)
    if query:
        stmt = stmt.where(func.lower(Organization.name).contains(query.lower(), autoescape=True))
    counts = dict(
        db.session.execute(
            select(testimony_organizations.c.organization_id, func.count()).group_by(
                testimony_organizations.c.organization_id
            )
        ).all()
    )
    return render_template(
        "organizations/index.html",
        organizations=list(db.session.scalars(stmt.limit(1000))),
        counts=counts,
        query=query,
    )


def positions_by_matter(testimonies: list[Testimony]) -> list[dict]:
    """Return, per matter, how many testimonies on the organization's behalf took each position."""
    matters: dict[int, dict] = {}
    for testimony in testimonies:
        row = matters.setdefault(testimony.matter_id, {"matter": testimony.matter, "counts": {}})
        position = testimony.position if testimony.position_confirmed else "not_stated"
        row["counts"][position] = row["counts"].get(position, 0) + 1
    for row in matters.values():
        stated = [p for p in ("support", "oppose", "neutral") if row["counts"].get(p)]
        row["stance"] = " and ".join(stated) if stated else "not stated"
        row["mixed"] = len(stated) > 1
    return sorted(matters.values(), key=lambda r: r["matter"].label)


@bp.get("/organizations/<int:organization_id>")
def detail(organization_id: int):
    """Show an organization: its positions across matters and its representatives' quotes."""
    organization = db.get_or_404(Organization, organization_id)
    testimonies = sorted(
        db.session.scalars(
            select(Testimony)
            .join(testimony_organizations, testimony_organizations.c.testimony_id == Testimony.id)
            .where(testimony_organizations.c.organization_id == organization.id)
        ),
        key=testimony_order,
    )
    representatives = {t.person.id: t.person for t in testimonies}
    return render_template(
        "organizations/detail.html",
        organization=organization,
        testimonies=testimonies,
        positions=positions_by_matter(testimonies),
        representatives=sorted(representatives.values(), key=lambda p: p.name),
    )
