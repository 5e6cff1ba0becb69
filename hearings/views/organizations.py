"""Organizations: the positions they took across matters and what their representatives said."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from hearings.extensions import db
from hearings.models import Organization
from hearings.organizations import organization_list, organization_record

bp = Blueprint("organizations", __name__)


@bp.get("/organizations")
def index():
    """List organizations, with how often they testified; ?q= narrows by name."""
    page = organization_list(db.session, request.args.get("q", ""))
    return render_template("organizations/index.html", **page)


@bp.get("/organizations/<int:organization_id>")
def detail(organization_id: int):
    """Show an organization: its positions across matters and its representatives' quotes."""
    organization = db.get_or_404(Organization, organization_id)
    return render_template(
        "organizations/detail.html", **organization_record(db.session, organization)
    )
