"""People: everyone who spoke, and everything each of them said across hearings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from hearings import people as service
from hearings.extensions import db
from hearings.forms import PersonDetailsForm, submitted
from hearings.models import Person
from hearings.views.auth import clerk_required
from hearings.views.changes import change_to_the_record

bp = Blueprint("people", __name__, url_prefix="/people")


@bp.get("")
def index():
    """List people, with how many hearings and lines each spoke in."""
    query = request.args.get("q", "").strip()
    return render_template(
        "people/index.html", people=service.people_listing(db.session, query), query=query
    )


@bp.get("/<int:person_id>")
def detail(person_id: int):
    """Show a person and everything they said, linked to each quote."""
    person = db.get_or_404(Person, person_id)
    quotes = service.person_quotes(db.session, person, page=request.args.get("page", 1, type=int))
    from hearings.models import Speaker
    from hearings.speakers import keeps_voice

    voiceprints = db.session.scalar(
        db.select(db.func.count(Speaker.id)).where(
            Speaker.person_id == person.id, Speaker.embedding.is_not(None)
        )
    )
    return render_template(
        "people/detail.html",
        person=person,
        quotes=quotes,
        activity=service.person_activity(db.session, person),
        voiceprints=voiceprints,
        voice_kept=keeps_voice(db.session, person),
    )


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@clerk_required
def edit(person_id: int):
    """Change a person's name, title or affiliation."""
    person = db.get_or_404(Person, person_id)
    if request.method == "GET":
        return _edit_page(person)
    typed: service.PersonDetails | None = None

    def refused(problem):
        return _edit_page(person, error=str(problem), details=typed), problem.status

    with change_to_the_record(refused):
        typed = submitted(PersonDetailsForm).details()
        service.update_person(db.session, current_user, person, typed)
    flash(f"Saved {person.display}.", "success")
    return redirect(url_for("people.detail", person_id=person.id))


@bp.post("/<int:person_id>/voice")
@clerk_required
def voice(person_id: int):
    """Record the person's consent to voice recognition, or forget their voice."""
    from hearings.forms import VoiceConsentForm
    from hearings.speakers import set_voice_consent

    person = db.get_or_404(Person, person_id)

    def refused(problem):
        flash(str(problem), "error")
        return redirect(url_for("people.detail", person_id=person.id))

    with change_to_the_record(refused):
        consent = submitted(VoiceConsentForm).consent.data
        set_voice_consent(db.session, current_user, person, bool(consent))
    flash(
        f"{person.name}'s voice is kept to recognise them in later hearings."
        if consent
        else f"Every stored voiceprint of {person.name} was deleted.",
        "success",
    )
    return redirect(url_for("people.detail", person_id=person.id))


def _edit_page(person: Person, error: str | None = None, details=None):
    details = details or service.PersonDetails(
        person.name, person.title or "", person.organization.name if person.organization else ""
    )
    return render_template(
        "people/edit.html",
        person=person,
        details=details,
        error=error,
        organizations=service.organization_choices(db.session),
    )
