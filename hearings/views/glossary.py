"""A body's glossary of local names and terms: the page, adding, seeding, removing."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from hearings import glossary as service
from hearings.errors import Refused
from hearings.extensions import db, htmx
from hearings.forms import GlossaryTermForm, PageForm, submitted
from hearings.models import Body, GlossaryTerm
from hearings.models.bodies import GLOSSARY_KINDS
from hearings.views.auth import clerk_required, editor_required
from hearings.views.changes import change_to_the_record

bp = Blueprint("glossary", __name__, url_prefix="/bodies/<int:body_id>/glossary")


def _glossary_page(body, status: int = 200, error: str | None = None):
    return render_template(
        "glossary/glossary.html",
        body=body,
        terms=service.terms_of(db.session, body.id),
        kinds=GLOSSARY_KINDS,
        error=error,
    ), status


@bp.get("")
@editor_required
def glossary(body_id: int):
    """Show a body's glossary of names and terms."""
    return _glossary_page(db.get_or_404(Body, body_id))


@bp.post("")
@editor_required
def add_term(body_id: int):
    """Add a spelling to the glossary (also the editor's one-click 'add this word')."""
    body = db.get_or_404(Body, body_id)
    with change_to_the_record(lambda problem: _glossary_answer(body, problem)):
        form = submitted(GlossaryTermForm)
        added = service.add_term(db.session, current_user, body, form.term.data, form.kind.data)
    if htmx:
        return render_template("glossary/_term_added.html", term=added)
    flash(f"“{added.term}” added to the glossary.", "success")
    return redirect(url_for("glossary.glossary", body_id=body.id))


def _glossary_answer(body, problem: Refused):
    if htmx:
        response = Response(
            render_template("glossary/_term_added.html", error=str(problem)),
            status=problem.status,
        )
        response.headers["X-Swap-On-Error"] = "true"
        return response
    return _glossary_page(body, problem.status, error=str(problem))


@bp.post("/seed")
@clerk_required
def seed(body_id: int):
    """Add the body's members and the organizations on record to its glossary."""
    body = db.get_or_404(Body, body_id)
    with change_to_the_record(lambda problem: _glossary_page(body, problem.status, str(problem))):
        submitted(PageForm)
        added = service.seed(db.session, current_user, body)
    flash(f"{added} name{'s' if added != 1 else ''} added from the record.", "success")
    return redirect(url_for("glossary.glossary", body_id=body.id))


@bp.post("/<int:term_id>/remove")
@clerk_required
def remove_term(body_id: int, term_id: int):
    """Remove a term from the glossary."""
    body = db.get_or_404(Body, body_id)
    term = db.session.get(GlossaryTerm, term_id)
    if term is None or term.body_id != body.id:
        abort(404)
    with change_to_the_record(lambda problem: _glossary_page(body, problem.status, str(problem))):
        submitted(PageForm)
        service.remove_term(db.session, current_user, term)
    flash("Removed from the glossary.", "success")
    return redirect(url_for("glossary.glossary", body_id=body.id))
