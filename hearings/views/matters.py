"""Matters: the page that ties testimony to votes, their concerns, exports and feed."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from hearings import concerns
from hearings.bodies import bodies_by_name
from hearings.extensions import db
from hearings.feeds import matter_feed
from hearings.forms import ConcernForm, MatterForm, submitted
from hearings.matters import add_matter, matter_list, matter_page_context
from hearings.models import Concern, Matter
from hearings.spreadsheets import testimonies_csv, votes_csv
from hearings.views.auth import clerk_required
from hearings.views.changes import change_to_the_record

bp = Blueprint("matters", __name__)


def absolute_link(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


# --- matters -----------------------------------------------------------------------------


@bp.get("/matters")
def index():
    """List matters, most recently introduced first, with how much testimony each drew."""
    return render_template("matters/index.html", **matter_list(db.session))


@bp.route("/matters/new", methods=["GET", "POST"])
@clerk_required
def new():
    """Add a matter by hand (most arrive from the legislative system's import)."""
    bodies = bodies_by_name(db.session)
    if request.method == "GET":
        return render_template("matters/new.html", bodies=bodies, values={})
    values = request.form

    def refused(problem):
        page = render_template("matters/new.html", bodies=bodies, values=values, error=str(problem))
        return page, problem.status

    with change_to_the_record(refused):
        form = submitted(MatterForm)
        matter = add_matter(
            db.session,
            current_user,
            title=form.title.data,
            file_number=form.file_number.data,
            body_id=form.body_id.data,
            matter_type=form.matter_type.data,
            status=form.status.data,
            intro_date=form.intro_date.data,
            summary=form.summary.data,
        )
    flash("Matter added.", "success")
    return redirect(url_for("matters.detail", matter_id=matter.id))


@bp.get("/matters/<int:matter_id>")
def detail(matter_id: int):
    """Show a matter: history, hearings, what the public said, and how the council voted."""
    matter = db.get_or_404(Matter, matter_id)
    return render_template("matters/detail.html", **matter_page_context(db.session, matter))


def _matter_with_error(matter: Matter, status: int, **errors):
    page = matter_page_context(db.session, matter)
    return render_template("matters/detail.html", **page, **errors), status


def _refused_concern(matter: Matter):
    return lambda problem: _matter_with_error(matter, problem.status, concern_error=str(problem))


@bp.post("/matters/<int:matter_id>/concerns")
@clerk_required
def add_concern(matter_id: int):
    """Add a concern to the matter's vocabulary."""
    matter = db.get_or_404(Matter, matter_id)
    with change_to_the_record(_refused_concern(matter)):
        concern = concerns.add_concern(
            db.session, current_user, matter, submitted(ConcernForm).name.data
        )
    flash(f"Added the concern “{concern.name}”.", "success")
    return redirect(url_for("matters.detail", matter_id=matter.id, _anchor="concerns"))


@bp.post("/concerns/<int:concern_id>/delete")
@clerk_required
def remove_concern(concern_id: int):
    """Remove an unused concern from its matter's vocabulary."""
    concern = db.get_or_404(Concern, concern_id)
    matter = concern.matter
    with change_to_the_record(_refused_concern(matter)):
        concerns.remove_concern(db.session, current_user, concern)
    flash("Concern removed.", "success")
    return redirect(url_for("matters.detail", matter_id=matter.id, _anchor="concerns"))


@bp.get("/matters/<int:matter_id>/testimonies.csv")
def testimonies_export(matter_id: int):
    """Download the matter's testimony, with positions, as CSV."""
    matter = db.get_or_404(Matter, matter_id)
    return _csv(testimonies_csv(matter, absolute_link), f"matter-{matter.id}-testimonies.csv")


@bp.get("/matters/<int:matter_id>/votes.csv")
def votes_export(matter_id: int):
    """Download the matter's roll-call votes, one row per member's vote, as CSV."""
    matter = db.get_or_404(Matter, matter_id)
    return _csv(votes_csv(matter, absolute_link), f"matter-{matter.id}-votes.csv")


def _csv(text: str, filename: str) -> Response:
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/matters/<int:matter_id>/feed.atom")
def feed(matter_id: int):
    """Atom feed of the matter's hearings, testimony and votes."""
    matter = db.get_or_404(Matter, matter_id)
    xml = matter_feed(matter, absolute_link, current_app.config["SITE_NAME"])
    return Response(xml, mimetype="application/atom+xml")
