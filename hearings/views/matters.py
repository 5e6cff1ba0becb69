"""Matters: the page that ties testimony to votes, testimony itself, concerns, agenda items."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from hearings import agenda, concerns
from hearings import testimony as record
from hearings.bodies import bodies_by_name
from hearings.errors import Refused
from hearings.extensions import db
from hearings.feeds import matter_feed
from hearings.forms import (
    AgendaItemForm,
    AgendaTimesForm,
    CardTestimonyForm,
    ConcernForm,
    ConcernsForm,
    ConfirmSuggestionForm,
    MatterForm,
    OralTestimonyForm,
    OrganizationsForm,
    PositionForm,
    WrittenTestimonyForm,
    submitted,
)
from hearings.matters import (
    add_matter,
    matter_list,
    matter_page_context,
    organization_names,
    testimony_choices,
)
from hearings.models import AgendaItem, Concern, Hearing, Matter, Testimony
from hearings.models.testimony import POSITIONS
from hearings.record_ids import record_id
from hearings.spreadsheets import testimonies_csv, votes_csv
from hearings.views.auth import clerk_required
from hearings.views.changes import change_to_the_record
from hearings.views.hearings import hearing_page

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


# --- testimony ---------------------------------------------------------------------------


def _chosen_matter(matter_id: int | None, missing: str) -> Matter:
    """Return the matter the form chose; Refused saying `missing` if there is none."""
    matter = db.session.get(Matter, matter_id) if matter_id else None
    if matter is None:
        raise Refused(missing)
    return matter


@bp.post("/hearings/<int:hearing_id>/testimony")
@clerk_required
def create_oral(hearing_id: int):
    """Record the selected transcript lines as testimony on a matter."""
    hearing = db.get_or_404(Hearing, hearing_id)

    def refused(problem):
        return hearing_page(
            hearing, problem.status, testimony_error=str(problem), testimony_values=request.form
        )

    with change_to_the_record(refused):
        form = submitted(OralTestimonyForm)
        matter = _chosen_matter(form.matter_id.data, "Choose the matter the testimony was on.")
        testimony = record.create_oral_testimony(
            db.session,
            current_user,
            hearing,
            matter,
            form.segment_ids.data,
            use_embeddings=current_app.config["POSITION_EMBEDDINGS"],
            **form.testimony_fields(),
        )
    flash(f"Testimony by {testimony.person.name} recorded.", "success")
    return redirect(url_for("matters.testimony", testimony_id=testimony.id))


@bp.route("/matters/<int:matter_id>/testimony/<kind>", methods=["GET", "POST"])
@clerk_required
def create_other(matter_id: int, kind: str):
    """Record a written comment (text or PDF) or a sign-up card on a matter."""
    matter = db.get_or_404(Matter, matter_id)
    if kind not in ("written", "card"):
        abort(404)
    page = {"matter": matter, "kind": kind, **testimony_choices(db.session)}
    if request.method == "GET":
        return render_template("matters/other_testimony.html", values={}, **page)

    def refused(problem):
        form_page = render_template(
            "matters/other_testimony.html", values=request.form, error=str(problem), **page
        )
        return form_page, problem.status

    with change_to_the_record(refused):
        if kind == "written":
            written = submitted(WrittenTestimonyForm)
            testimony = record.create_written_testimony(
                db.session,
                current_user,
                matter,
                upload_folder=current_app.config["UPLOAD_FOLDER"],
                text=written.written_text.data,
                document=written.document.data,
                received_on=written.received_on.data,
                hearing_id=written.hearing_id.data,
                max_pdf_bytes=current_app.config["TESTIMONY_MAX_PDF_BYTES"],
                use_embeddings=current_app.config["POSITION_EMBEDDINGS"],
                **written.testimony_fields(),
            )
        else:
            card = submitted(CardTestimonyForm)
            testimony = record.create_card_testimony(
                db.session,
                current_user,
                matter,
                received_on=card.received_on.data,
                hearing_id=card.hearing_id.data,
                **card.testimony_fields(),
            )
    flash(
        f"{'Written comment' if kind == 'written' else 'Sign-up card'} by "
        f"{testimony.person.name} recorded.",
        "success",
    )
    return redirect(url_for("matters.testimony", testimony_id=testimony.id))


@bp.get("/testimony/concern-choices")
@clerk_required
def concern_choices():
    """Return the concern checkboxes of the chosen matter (the testimony form swaps them in)."""
    matter_id = request.args.get("matter_id", type=record_id)
    matter = db.session.get(Matter, matter_id) if matter_id else None
    return render_template("matters/_concern_choices.html", matter=matter, chosen=[])


@bp.get("/testimony/<int:testimony_id>")
def testimony(testimony_id: int):
    """Show one testimony; clerks also see the suggested position and its reasons."""
    item = db.get_or_404(Testimony, testimony_id)
    return _testimony_page(item)


def _testimony_page(item: Testimony, status: int = 200, error: str | None = None):
    return render_template(
        "matters/testimony.html",
        testimony=item,
        positions=POSITIONS,
        position_labels=record.POSITION_LABELS,
        error=error,
        organization_names=organization_names(db.session),
    ), status


@bp.get("/testimony/<int:testimony_id>/document")
def testimony_document(testimony_id: int):
    """Serve a written comment's PDF."""
    item = db.get_or_404(Testimony, testimony_id)
    if not item.document_name:
        abort(404)
    path = Path(current_app.config["UPLOAD_FOLDER"]) / item.document_name
    if not path.is_file():
        abort(404)
    response = send_file(
        path, mimetype="application/pdf", download_name=path.name, conditional=True, max_age=3600
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _testimony_change(testimony_id: int, change):
    item = db.get_or_404(Testimony, testimony_id)
    with change_to_the_record(lambda problem: _testimony_page(item, problem.status, str(problem))):
        change(item)
    flash("Saved.", "success")
    return redirect(url_for("matters.testimony", testimony_id=item.id))


@bp.post("/testimony/<int:testimony_id>/position")
@clerk_required
def set_position(testimony_id: int):
    """Record the position the clerk chose."""
    return _testimony_change(
        testimony_id,
        lambda item: record.set_position(
            db.session, current_user, item, submitted(PositionForm).position.data
        ),
    )


@bp.post("/testimony/<int:testimony_id>/confirm")
@clerk_required
def confirm_suggestion(testimony_id: int):
    """Confirm the suggested position the clerk was shown."""
    return _testimony_change(
        testimony_id,
        lambda item: record.confirm_suggestion(
            db.session, current_user, item, submitted(ConfirmSuggestionForm).suggested.data
        ),
    )


@bp.post("/testimony/<int:testimony_id>/concerns")
@clerk_required
def set_concerns(testimony_id: int):
    """Tag the testimony with concerns from its matter's vocabulary."""
    return _testimony_change(
        testimony_id,
        lambda item: record.set_concerns(
            db.session, current_user, item, submitted(ConcernsForm).concern_ids.data
        ),
    )


@bp.post("/testimony/<int:testimony_id>/organizations")
@clerk_required
def set_organizations(testimony_id: int):
    """Replace the organizations the testimony was given for."""
    return _testimony_change(
        testimony_id,
        lambda item: record.set_organizations(
            db.session, current_user, item, submitted(OrganizationsForm).organization.data
        ),
    )


@bp.post("/testimony/<int:testimony_id>/delete")
@clerk_required
def delete_testimony(testimony_id: int):
    """Delete a testimony recorded by mistake."""
    item = db.get_or_404(Testimony, testimony_id)
    matter_id = item.matter_id
    with change_to_the_record(lambda problem: _testimony_page(item, problem.status, str(problem))):
        record.delete_testimony(db.session, current_user, item)
    flash("Testimony deleted.", "success")
    return redirect(url_for("matters.detail", matter_id=matter_id))


# --- agenda items: which matters a hearing took up, and when -------------------------------


@bp.post("/hearings/<int:hearing_id>/agenda")
@clerk_required
def link_agenda_item(hearing_id: int):
    """Record that a matter was heard in this hearing between two times."""
    hearing = db.get_or_404(Hearing, hearing_id)

    def refused(problem):
        return hearing_page(
            hearing, problem.status, agenda_error=str(problem), agenda_values=request.form
        )

    with change_to_the_record(refused):
        form = submitted(AgendaItemForm)
        matter = _chosen_matter(form.matter_id.data, "Choose the matter that was heard.")
        agenda.link_agenda_item(
            db.session,
            current_user,
            hearing,
            matter,
            form.start.data,
            form.end.data,
            form.title.data,
        )
    flash(f"{matter.label} added to this hearing's agenda.", "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing.id, _anchor="agenda"))


@bp.post("/agenda/<int:item_id>/times")
@clerk_required
def set_agenda_times(item_id: int):
    """Change when in the recording an agenda item was heard."""
    item = db.get_or_404(AgendaItem, item_id)

    def refused(problem):
        return hearing_page(item.hearing, problem.status, agenda_error=str(problem))

    with change_to_the_record(refused):
        times = submitted(AgendaTimesForm)
        agenda.set_agenda_times(db.session, current_user, item, times.start.data, times.end.data)
    flash("Times saved.", "success")
    return redirect(url_for("hearings.detail", hearing_id=item.hearing_id, _anchor="agenda"))


@bp.post("/agenda/<int:item_id>/delete")
@clerk_required
def remove_agenda_item(item_id: int):
    """Take a matter off a hearing's agenda (its testimony stays)."""
    item = db.get_or_404(AgendaItem, item_id)
    hearing_id = item.hearing_id

    def refused(problem):
        return hearing_page(item.hearing, problem.status, agenda_error=str(problem))

    with change_to_the_record(refused):
        agenda.remove_agenda_item(db.session, current_user, item)
    flash("Removed from the agenda.", "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing_id, _anchor="agenda"))
