"""Agenda items: which matters a hearing took up, and when in the recording."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from hearings import agenda
from hearings.extensions import db
from hearings.forms import AgendaItemForm, AgendaTimesForm, submitted
from hearings.matters import chosen_matter
from hearings.models import AgendaItem, Hearing
from hearings.views.auth import clerk_required
from hearings.views.changes import change_to_the_record
from hearings.views.hearings import hearing_page

bp = Blueprint("agenda", __name__)


def _refused_on(hearing: Hearing):
    """Show why an agenda change was refused, beside the hearing's agenda."""
    return lambda problem: hearing_page(hearing, problem.status, agenda_error=str(problem))


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
        matter = chosen_matter(db.session, form.matter_id.data, "Choose the matter that was heard.")
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
    with change_to_the_record(_refused_on(item.hearing)):
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
    with change_to_the_record(_refused_on(item.hearing)):
        agenda.remove_agenda_item(db.session, current_user, item)
    flash("Removed from the agenda.", "success")
    return redirect(url_for("hearings.detail", hearing_id=hearing_id, _anchor="agenda"))
