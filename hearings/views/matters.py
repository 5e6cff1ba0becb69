"""Matters: the page that ties testimony to votes, testimony itself, concerns, agenda items."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from hearings import testimony as record
from hearings.civic_exports import (
    checked_outcome,
    seats_on,
    testimonies_csv,
    testimony_order,
    votes_csv,
)
from hearings.extensions import db
from hearings.feeds import matter_feed
from hearings.models import (
    AgendaItem,
    Body,
    Concern,
    Hearing,
    Matter,
    Organization,
    Person,
    Speaker,
    Testimony,
    VoteEvent,
)
from hearings.models.civic import POSITIONS, testimony_segments
from hearings.tally import concern_counts, position_tally
from hearings.timecodes import parse_time
from hearings.views.auth import clerk_required
from hearings.votes import result_disagrees

bp = Blueprint("matters", __name__)


# --- form parsing shared by the civic views ------------------------------------------------


# The largest key a database integer column holds; larger numbers would fail in the driver.
MAX_ID = 2**63 - 1


def record_id(raw: str) -> int:
    """Return a row id from text; ValueError for anything a database key cannot be."""
    raw = raw.strip()
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise ValueError(f"{raw!r} is not a record id")
    return int(raw)


def form_ints(name: str) -> list[int]:
    """Return the ids in a repeated form field, refusing (400) anything that is not one."""
    values = []
    for raw in request.form.getlist(name):
        if raw.strip() == "":
            continue
        try:
            values.append(record_id(raw))
        except ValueError:
            abort(400, f"“{raw}” is not a valid choice for {name}.")
    return values


def form_int(name: str) -> int | None:
    """Return one optional integer form field; 400 if it is not a whole number."""
    values = form_ints(name)
    return values[0] if values else None


def form_date(name: str) -> date | None:
    """Return an optional ISO date form field; 400 if it is not a date."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, f"“{raw}” is not a date (use YYYY-MM-DD).")


def embeddings_setting() -> bool | None:
    """Return POSITION_EMBEDDINGS: True, False, or None for "if the model is installed"."""
    return current_app.config.get("POSITION_EMBEDDINGS")


def absolute_link(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


# --- matters -----------------------------------------------------------------------------


@bp.get("/matters")
def index():
    """List matters, most recently introduced first, with how much testimony each drew."""
    counts = dict(
        db.session.execute(
            select(Testimony.matter_id, func.count(Testimony.id)).group_by(Testimony.matter_id)
        ).all()
    )
    matters = db.session.scalars(
        select(Matter).order_by(Matter.intro_date.desc().nulls_last(), Matter.id.desc())
    )
    return render_template("matters/index.html", matters=list(matters), counts=counts)


@bp.route("/matters/new", methods=["GET", "POST"])
@clerk_required
def new():
    """Add a matter by hand (most arrive from the legislative system's import)."""
    bodies = list(db.session.scalars(select(Body).order_by(Body.name)))
    if request.method == "GET":
        return render_template("matters/new.html", bodies=bodies, values={})
    values = request.form
    title = " ".join(values.get("title", "").split())
    file_number = " ".join(values.get("file_number", "").split()) or None
    error = None
    if not title:
        error = "Give the matter's title."
    elif len(title) > 5000 or len(file_number or "") > 50:
        error = "The title or file number is too long."
    elif (
        file_number
        and db.session.scalars(select(Matter).where(Matter.file_number == file_number)).first()
    ):
        error = f"A matter with file number {file_number} is already in the record."
    body_id = form_int("body_id")
    if body_id and db.session.get(Body, body_id) is None:
        error = "That body is not in the record."
    if error:
        status = 409 if "already" in error else 422
        return render_template(
            "matters/new.html", bodies=bodies, values=values, error=error
        ), status
    matter = Matter(
        title=title,
        file_number=file_number,
        body_id=body_id,
        matter_type=values.get("matter_type", "").strip()[:100] or None,
        status=values.get("status", "").strip()[:100] or None,
        intro_date=form_date("intro_date"),
        summary=values.get("summary", "").strip() or None,
    )
    db.session.add(matter)
    db.session.commit()
    flash("Matter added.", "success")
    return redirect(url_for("matters.detail", matter_id=matter.id))


def _hearings_of(matter: Matter) -> list[dict]:
    """Return where the matter came up: agenda items, hearings with testimony or a vote on it."""
    rows = [
        {
            "hearing": item.hearing,
            "start_ms": item.start_ms,
            "end_ms": item.end_ms,
            "title": item.title,
            "item": item,
        }
        for item in matter.agenda_items
    ]
    listed = {row["hearing"].id for row in rows}
    for testimony in matter.testimonies:
        hearing = testimony.hearing
        if hearing is not None and hearing.id not in listed:
            listed.add(hearing.id)
            rows.append(
                {
                    "hearing": hearing,
                    "start_ms": testimony.start_ms,
                    "end_ms": None,
                    "title": None,
                    "item": None,
                }
            )
    for event in matter.vote_events:
        if event.hearing is not None and event.hearing.id not in listed:
            listed.add(event.hearing.id)
            rows.append(
                {
                    "hearing": event.hearing,
                    "start_ms": None,
                    "end_ms": None,
                    "title": None,
                    "item": None,
                }
            )
    return sorted(rows, key=lambda r: (r["hearing"].date, r["hearing"].id, r["start_ms"] or 0))


def roll_call_view(event: VoteEvent) -> dict:
    """Return a roll call as the vote partial shows it: outcome, flag, members with seats."""
    seats = seats_on(event)
    result, problem = checked_outcome(event)
    return {
        "event": event,
        "outcome": result,
        "problem": problem,
        "disagrees": result_disagrees(event),
        "members": sorted(
            (
                {"person": v.person, "value": v.value, "seat": seats.get(v.person_id)}
                for v in event.votes
            ),
            key=lambda m: m["person"].name,
        ),
    }


def _public_positions(matter: Matter) -> dict[int, list[str]]:
    """Return person id -> the confirmed positions they took in testimony on the matter."""
    said: dict[int, list[str]] = {}
    for testimony in matter.testimonies:
        if testimony.position_confirmed and testimony.position != "not_stated":
            said.setdefault(testimony.person_id, []).append(testimony.position)
    return said


def matter_page_context(matter: Matter) -> dict:
    """Return everything the matter page shows."""
    return {
        "matter": matter,
        "heard": _hearings_of(matter),
        "tally": position_tally(db.session, matter),
        "concern_counts": concern_counts(db.session, matter),
        "testimonies": sorted(matter.testimonies, key=testimony_order),
        "votes": [roll_call_view(event) for event in matter.vote_events],
        "public_positions": _public_positions(matter),
        "positions": POSITIONS,
        "position_labels": record.POSITION_LABELS,
    }


@bp.get("/matters/<int:matter_id>")
def detail(matter_id: int):
    """Show a matter: history, hearings, what the public said, and how the council voted."""
    matter = db.get_or_404(Matter, matter_id)
    return render_template("matters/detail.html", **matter_page_context(matter))


def _matter_with_error(matter: Matter, status: int, **errors):
    return render_template("matters/detail.html", **matter_page_context(matter), **errors), status


@bp.post("/matters/<int:matter_id>/concerns")
@clerk_required
def add_concern(matter_id: int):
    """Add a concern to the matter's vocabulary."""
    matter = db.get_or_404(Matter, matter_id)
    try:
        concern = record.add_concern(db.session, current_user, matter, request.form.get("name", ""))
    except record.TestimonyError as problem:
        db.session.rollback()
        return _matter_with_error(matter, problem.status, concern_error=str(problem))
    flash(f"Added the concern “{concern.name}”.", "success")
    return redirect(url_for("matters.detail", matter_id=matter.id, _anchor="concerns"))


@bp.post("/concerns/<int:concern_id>/delete")
@clerk_required
def remove_concern(concern_id: int):
    """Remove an unused concern from its matter's vocabulary."""
    concern = db.get_or_404(Concern, concern_id)
    matter = concern.matter
    try:
        record.remove_concern(db.session, current_user, concern)
    except record.TestimonyError as problem:
        return _matter_with_error(matter, problem.status, concern_error=str(problem))
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


def _testimony_fields() -> dict:
    return {
        "person_id": form_int("person_id"),
        "person_name": request.form.get("person_name", ""),
        "organization_names": request.form.getlist("organization"),
        "position": request.form.get("position") or "not_stated",
        "concern_ids": form_ints("concern_ids"),
    }


@bp.post("/hearings/<int:hearing_id>/testimony")
@clerk_required
def create_oral(hearing_id: int):
    """Record the selected transcript lines as testimony on a matter."""
    hearing = db.get_or_404(Hearing, hearing_id)
    matter_id = form_int("matter_id")
    matter = db.session.get(Matter, matter_id) if matter_id else None
    try:
        if matter is None:
            raise record.TestimonyError("Choose the matter the testimony was on.")
        testimony = record.create_oral_testimony(
            db.session,
            current_user,
            hearing,
            matter,
            form_ints("segment_ids"),
            use_embeddings=embeddings_setting(),
            **_testimony_fields(),
        )
    except record.TestimonyError as problem:
        return render_template(
            "hearings/detail.html",
            hearing=hearing,
            job=hearing.latest_job,
            quote=None,
            start_ms=0,
            testimony_error=str(problem),
            testimony_values=request.form,
        ), problem.status
    flash(f"Testimony by {testimony.person.name} recorded.", "success")
    return redirect(url_for("matters.testimony", testimony_id=testimony.id))


@bp.route("/matters/<int:matter_id>/testimony/<kind>", methods=["GET", "POST"])
@clerk_required
def create_other(matter_id: int, kind: str):
    """Record a written comment (text or PDF) or a sign-up card on a matter."""
    matter = db.get_or_404(Matter, matter_id)
    if kind not in ("written", "card"):
        abort(404)
    page = {"matter": matter, "kind": kind, **_clerk_choices()}
    if request.method == "GET":
        return render_template("matters/other_testimony.html", values={}, **page)
    try:
        if kind == "written":
            testimony = record.create_written_testimony(
                db.session,
                current_user,
                matter,
                upload_folder=current_app.config["UPLOAD_FOLDER"],
                text=request.form.get("written_text"),
                document=request.files.get("document"),
                received_on=form_date("received_on"),
                hearing_id=form_int("hearing_id"),
                max_pdf_bytes=current_app.config.get(
                    "TESTIMONY_MAX_PDF_BYTES", record.MAX_PDF_BYTES
                ),
                use_embeddings=embeddings_setting(),
                **_testimony_fields(),
            )
        else:
            testimony = record.create_card_testimony(
                db.session,
                current_user,
                matter,
                received_on=form_date("received_on"),
                hearing_id=form_int("hearing_id"),
                **_testimony_fields(),
            )
    except record.TestimonyError as problem:
        return render_template(
            "matters/other_testimony.html", values=request.form, error=str(problem), **page
        ), problem.status
    flash(
        f"{'Written comment' if kind == 'written' else 'Sign-up card'} by "
        f"{testimony.person.name} recorded.",
        "success",
    )
    return redirect(url_for("matters.testimony", testimony_id=testimony.id))


def _clerk_choices() -> dict:
    """Return people, organizations and hearings to pick from in clerk forms."""
    hearings = select(Hearing).order_by(Hearing.date.desc())
    return {
        "people": list(db.session.scalars(select(Person).order_by(Person.name).limit(2000))),
        "organization_names": list(
            db.session.scalars(select(Organization.name).order_by(Organization.name).limit(2000))
        ),
        "hearings": list(db.session.scalars(hearings.limit(200))),
    }


@bp.get("/testimony/concern-choices")
@clerk_required
def concern_choices():
    """Return the concern checkboxes of the chosen matter (the testimony form swaps them in)."""
    matter_id = request.args.get("matter_id", type=record_id)
    matter = db.session.get(Matter, matter_id) if matter_id else None
    return render_template("civic/_concern_choices.html", matter=matter, chosen=[])


@bp.get("/testimony/<int:testimony_id>")
def testimony(testimony_id: int):
    """Show one testimony; clerks also see the suggested position and its reasons."""
    item = db.get_or_404(Testimony, testimony_id)
    return _testimony_page(item)


def _testimony_page(item: Testimony, status: int = 200, error: str | None = None):
    return render_template(
        "civic/testimony.html",
        testimony=item,
        positions=POSITIONS,
        position_labels=record.POSITION_LABELS,
        error=error,
        organization_names=list(
            db.session.scalars(select(Organization.name).order_by(Organization.name).limit(2000))
        ),
    ), status


@bp.get("/testimony/<int:testimony_id>/document")
def testimony_document(testimony_id: int):
    """Serve a written comment's PDF."""
    from pathlib import Path

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
    try:
        change(item)
    except record.TestimonyError as problem:
        db.session.rollback()
        return _testimony_page(item, problem.status, str(problem))
    flash("Saved.", "success")
    return redirect(url_for("matters.testimony", testimony_id=item.id))


@bp.post("/testimony/<int:testimony_id>/position")
@clerk_required
def set_position(testimony_id: int):
    """Record the position the clerk chose."""
    return _testimony_change(
        testimony_id,
        lambda item: record.set_position(
            db.session, current_user, item, request.form.get("position", "")
        ),
    )


@bp.post("/testimony/<int:testimony_id>/confirm")
@clerk_required
def confirm_suggestion(testimony_id: int):
    """Confirm the suggested position the clerk was shown."""
    return _testimony_change(
        testimony_id,
        lambda item: record.confirm_suggestion(
            db.session, current_user, item, request.form.get("suggested")
        ),
    )


@bp.post("/testimony/<int:testimony_id>/concerns")
@clerk_required
def set_concerns(testimony_id: int):
    """Tag the testimony with concerns from its matter's vocabulary."""
    concern_ids = form_ints("concern_ids")
    return _testimony_change(
        testimony_id, lambda item: record.set_concerns(db.session, current_user, item, concern_ids)
    )


@bp.post("/testimony/<int:testimony_id>/organizations")
@clerk_required
def set_organizations(testimony_id: int):
    """Replace the organizations the testimony was given for."""
    names = request.form.getlist("organization")
    return _testimony_change(
        testimony_id, lambda item: record.set_organizations(db.session, current_user, item, names)
    )


@bp.post("/testimony/<int:testimony_id>/delete")
@clerk_required
def delete_testimony(testimony_id: int):
    """Delete a testimony recorded by mistake."""
    item = db.get_or_404(Testimony, testimony_id)
    matter_id = item.matter_id
    record.delete_testimony(db.session, current_user, item)
    flash("Testimony deleted.", "success")
    return redirect(url_for("matters.detail", matter_id=matter_id))


# --- agenda items: which matters a hearing took up, and when -------------------------------


@bp.post("/hearings/<int:hearing_id>/agenda")
@clerk_required
def link_agenda_item(hearing_id: int):
    """Record that a matter was heard in this hearing between two times."""
    hearing = db.get_or_404(Hearing, hearing_id)
    matter_id = form_int("matter_id")
    matter = db.session.get(Matter, matter_id) if matter_id else None
    try:
        if matter is None:
            raise record.TestimonyError("Choose the matter that was heard.")
        start_ms, end_ms = _time_range()
        record.link_agenda_item(
            db.session, current_user, hearing, matter, start_ms, end_ms, request.form.get("title")
        )
    except record.TestimonyError as problem:
        db.session.rollback()
        return render_template(
            "hearings/detail.html",
            hearing=hearing,
            job=hearing.latest_job,
            quote=None,
            start_ms=0,
            agenda_error=str(problem),
            agenda_values=request.form,
        ), problem.status
    flash(f"{matter.label} added to this hearing's agenda.", "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing.id, _anchor="agenda"))


def _time_range() -> tuple[int | None, int | None]:
    start_raw, end_raw = request.form.get("start", ""), request.form.get("end", "")
    start_ms, end_ms = parse_time(start_raw), parse_time(end_raw)
    if start_raw.strip() and start_ms is None or end_raw.strip() and end_ms is None:
        raise record.TestimonyError("Write times as h:mm:ss, for example 1:02:30.")
    return start_ms, end_ms


@bp.post("/agenda/<int:item_id>/times")
@clerk_required
def set_agenda_times(item_id: int):
    """Change when in the recording an agenda item was heard."""
    item = db.get_or_404(AgendaItem, item_id)
    try:
        start_ms, end_ms = _time_range()
        record.set_agenda_times(db.session, current_user, item, start_ms, end_ms)
    except record.TestimonyError as problem:
        db.session.rollback()
        hearing = item.hearing
        return render_template(
            "hearings/detail.html",
            hearing=hearing,
            job=hearing.latest_job,
            quote=None,
            start_ms=0,
            agenda_error=str(problem),
        ), problem.status
    flash("Times saved.", "success")
    return redirect(url_for("hearings.detail", hearing_id=item.hearing_id, _anchor="agenda"))


@bp.post("/agenda/<int:item_id>/delete")
@clerk_required
def remove_agenda_item(item_id: int):
    """Take a matter off a hearing's agenda (its testimony stays)."""
    item = db.get_or_404(AgendaItem, item_id)
    hearing_id = item.hearing_id
    record.remove_agenda_item(db.session, current_user, item)
    flash("Removed from the agenda.", "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing_id, _anchor="agenda"))


# --- what the hearing page's hooks need -----------------------------------------------------


def civic_hearing(hearing: Hearing) -> dict:
    """Return, once per request, the civic record of a hearing for its page's hooks."""
    cache = g.setdefault("civic_hearing", {})
    if hearing.id in cache:
        return cache[hearing.id]
    testimonies = list(
        db.session.scalars(
            select(Testimony).where(Testimony.hearing_id == hearing.id).order_by(Testimony.id)
        )
    )
    by_segment: dict[int, list[Testimony]] = {}
    for row in db.session.execute(
        select(testimony_segments.c.segment_id, Testimony)
        .join(Testimony, Testimony.id == testimony_segments.c.testimony_id)
        .where(Testimony.hearing_id == hearing.id)
    ):
        by_segment.setdefault(row[0], []).append(row[1])
    info = {
        "agenda": record.agenda_for_hearing(db.session, hearing),
        "testimonies": testimonies,
        "by_segment": by_segment,
    }
    if current_user.is_authenticated and current_user.can_edit:
        speakers = select(Speaker.person_id).where(
            Speaker.hearing_id == hearing.id, Speaker.person_id.is_not(None)
        )
        info.update(
            matters=list(
                db.session.scalars(
                    select(Matter)
                    .order_by(Matter.intro_date.desc().nulls_last(), Matter.id.desc())
                    .limit(500)
                )
            ),
            speakers_people=list(
                db.session.scalars(
                    select(Person).where(Person.id.in_(speakers)).order_by(Person.name)
                )
            ),
            organization_names=list(
                db.session.scalars(
                    select(Organization.name).order_by(Organization.name).limit(2000)
                )
            ),
        )
    cache[hearing.id] = info
    return info


def person_url(person: Person) -> str | None:
    """Return the link to a person's page, or None while the site has no person pages."""
    if "people.detail" not in current_app.view_functions:
        return None
    return url_for("people.detail", person_id=person.id)


@bp.app_context_processor
def civic_hooks() -> dict:
    # Functions, not values: they run only on pages that include the hooks.
    return {
        "civic_hearing": civic_hearing,
        "person_url": person_url,
        "position_labels": record.POSITION_LABELS,
    }
