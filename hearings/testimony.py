"""The clerk's record of testimony: who spoke or wrote on a matter, for whom, with what position.

Concerns live in hearings.concerns, agenda items in hearings.agenda, stored PDFs in
hearings.storage. Functions take plain values and change rows; the view that calls
them commits.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from sqlalchemy import select

from hearings.audit import audited, audited_delete
from hearings.concerns import concerns_for
from hearings.errors import Conflict, Refused, clean_field
from hearings.models import Hearing, Matter, Person, Segment, Testimony
from hearings.models.base import DbSession
from hearings.models.testimony import POSITIONS, TESTIMONY_KINDS, testimony_segments
from hearings.people import person_named
from hearings.positions import suggest_position
from hearings.storage import keep_pdf

POSITION_LABELS = {
    "support": "supports",
    "oppose": "opposes",
    "neutral": "neutral",
    "not_stated": "not stated",
}


def check_position(position: str | None) -> str:
    """Return the position, or raise Refused naming the allowed ones."""
    position = position or "not_stated"
    if position not in POSITIONS:
        raise Refused(f"“{position}” is not a position; use one of: {', '.join(POSITIONS)}.")
    return position


def person_for(
    session: DbSession,
    person_id: int | None,
    person_name: str | None,
    segments: Iterable[Segment] = (),
) -> Person:
    """Return the chosen person, a person found or created by name, or the lines' named speaker."""
    if person_id:
        person = session.get(Person, person_id)
        if person is None:
            raise Refused("That person is not in the record; choose another or type a name.")
        return person
    name = clean_field(person_name, 200, "The name")
    if name:
        existing = person_named(session, name)
        if existing:
            return existing
        person = Person(name=name)
        session.add(person)
        return person
    segments = list(segments)
    if not segments:
        raise Refused("Choose who gave the testimony, or type their name.")
    people = {
        s.speaker.person.id: s.speaker.person for s in segments if s.speaker and s.speaker.person
    }
    if len(people) == 1:
        return next(iter(people.values()))
    if people:
        names = ", ".join(sorted(p.name for p in people.values()))
        raise Refused(f"The selected lines are by several people ({names}): choose one.")
    raise Refused("The selected lines have no named speaker: choose a person or type their name.")


def organizations_for(session: DbSession, names: Iterable[str]) -> list:
    """Return the organizations with these names (or aliases), creating the new ones."""
    from hearings.organizations import organization_named

    found = []
    for raw in names:
        name = clean_field(raw, 200, "An organization name")
        if not name:
            continue
        organization = organization_named(session, name, create=True)
        if organization is not None and organization not in found:
            found.append(organization)
    return found


def _snapshot(testimony: Testimony) -> dict:
    return {
        "matter_id": testimony.matter_id,
        "person_id": testimony.person_id,
        "kind": testimony.kind,
        "position": testimony.position,
        "position_confirmed": testimony.position_confirmed,
        "suggested_position": testimony.suggested_position,
        "organizations": [o.name for o in testimony.organizations],
        "concerns": [c.name for c in testimony.concerns],
        "segments": [s.id for s in testimony.segments],
    }


def _position_state(testimony: Testimony) -> dict:
    return {"position": testimony.position, "position_confirmed": testimony.position_confirmed}


def _concerns_state(testimony: Testimony) -> dict:
    return {"concerns": [c.name for c in testimony.concerns]}


def _organizations_state(testimony: Testimony) -> dict:
    return {"organizations": [o.name for o in testimony.organizations]}


def _new_testimony(
    session: DbSession,
    user,
    *,
    kind: str,
    matter: Matter,
    person: Person,
    position: str | None,
    organization_names: Iterable[str],
    concern_ids: Iterable[int],
    text_for_suggestion: str = "",
    use_embeddings: bool | None = False,
    own_behalf: bool = False,
    **fields,
) -> Testimony:
    assert kind in TESTIMONY_KINDS
    position = check_position(position)
    concerns = concerns_for(matter, concern_ids)
    organizations = organizations_for(session, organization_names)
    if not organizations and not own_behalf and person.organization is not None:
        # Someone named with an affiliation speaks for it unless the clerk says otherwise,
        # so the matter's tally of organizations is not empty when every speaker has one.
        organizations = [person.organization]
    testimony = Testimony(
        kind=kind,
        matter=matter,
        person=person,
        organizations=organizations,
        concerns=concerns,
        created_by_id=getattr(user, "id", None),
        **fields,
    )
    # A position the clerk chose (or a card states) is fact; a machine suggestion stays apart
    # until a clerk confirms it.
    testimony.position = position
    testimony.position_confirmed = position != "not_stated"
    if text_for_suggestion.strip():
        suggestion = suggest_position(text_for_suggestion, use_embeddings)
        testimony.suggested_position = suggestion.position
        testimony.suggestion_reasons = suggestion.reasons
    with audited(
        session, user, "testimony.create", testimony, _snapshot, hearing_id=testimony.hearing_id
    ):
        session.add(testimony)
    return testimony


def create_oral_testimony(
    session: DbSession,
    user,
    hearing: Hearing,
    matter: Matter,
    segment_ids: Iterable[int],
    *,
    person_id: int | None = None,
    person_name: str | None = None,
    organization_names: Iterable[str] = (),
    own_behalf: bool = False,
    position: str | None = None,
    concern_ids: Iterable[int] = (),
    use_embeddings: bool | None = False,
) -> Testimony:
    """Record the selected transcript lines as one person's testimony on a matter."""
    ids = {int(i) for i in segment_ids}
    if not ids:
        raise Refused("Select the speaker's lines in the transcript first.")
    segments = list(
        session.scalars(
            select(Segment)
            .where(Segment.id.in_(ids), Segment.hearing_id == hearing.id)
            .order_by(Segment.start_ms)
        )
    )
    if len(segments) != len(ids):
        raise Refused("Some selected lines are not part of this hearing's transcript.")
    already = session.scalars(
        select(Testimony)
        .join(testimony_segments, testimony_segments.c.testimony_id == Testimony.id)
        .where(Testimony.matter_id == matter.id, testimony_segments.c.segment_id.in_(ids))
    ).first()
    if already:
        raise Conflict(
            f"Some of these lines are already testimony by {already.person.name} on this matter."
        )
    return _new_testimony(
        session,
        user,
        kind="oral",
        matter=matter,
        person=person_for(session, person_id, person_name, segments),
        position=position,
        organization_names=organization_names,
        own_behalf=own_behalf,
        concern_ids=concern_ids,
        text_for_suggestion=" ".join(s.text for s in segments),
        use_embeddings=use_embeddings,
        hearing=hearing,
        segments=segments,
        # The anchor outlives the rows: see hearings.reprocessing.
        quote_start_ms=segments[0].start_ms,
        quote_end_ms=max(s.end_ms for s in segments),
        quote_text=" ".join(s.text for s in segments),
        received_on=hearing.date,
    )


def create_written_testimony(
    session: DbSession,
    user,
    matter: Matter,
    *,
    upload_folder: str | os.PathLike,
    text: str | None = None,
    document=None,
    person_id: int | None = None,
    person_name: str | None = None,
    organization_names: Iterable[str] = (),
    own_behalf: bool = False,
    position: str | None = None,
    concern_ids: Iterable[int] = (),
    received_on: date | None = None,
    hearing_id: int | None = None,
    max_pdf_bytes: int | None = None,
    use_embeddings: bool | None = False,
) -> Testimony:
    """Record a written comment (text, a PDF, or both) on a matter.

    Args:
        document: an uploaded file (werkzeug FileStorage) or None.
        max_pdf_bytes: the largest PDF accepted (the TESTIMONY_MAX_PDF_BYTES setting); needed
            when a document is attached.
    """
    text = (text or "").strip()
    has_document = document is not None and bool(getattr(document, "filename", ""))
    if has_document and max_pdf_bytes is None:
        raise TypeError("Pass max_pdf_bytes (the TESTIMONY_MAX_PDF_BYTES setting) with a document.")
    if not text and not has_document:
        raise Refused("Paste the comment's text or attach it as a PDF.")
    if len(text) > 200_000:
        raise Refused(
            "The comment is too long to paste (200,000 characters at most); attach it as a PDF."
        )
    hearing = session.get(Hearing, hearing_id) if hearing_id else None
    if hearing_id and hearing is None:
        raise Refused("That hearing is not in the record.")
    stored_name, created = None, False
    try:
        person = person_for(session, person_id, person_name)
        if has_document:
            assert max_pdf_bytes is not None  # refused above when a document comes without it
            stored_name, created = keep_pdf(document, upload_folder, max_pdf_bytes)
        testimony = _new_testimony(
            session,
            user,
            kind="written",
            matter=matter,
            person=person,
            position=position,
            organization_names=organization_names,
            own_behalf=own_behalf,
            concern_ids=concern_ids,
            text_for_suggestion=text,
            use_embeddings=use_embeddings,
            written_text=text or None,
            document_name=stored_name,
            received_on=received_on or date.today(),
            hearing=hearing,
        )
        if stored_name is not None:
            # The PDF is searchable beside the testimony once the worker has read it.
            from hearings.documents import written_comment_document

            written_comment_document(session, testimony)
    except Exception:
        # The rows go with the caller's rollback; a file written for them goes here.
        if created and stored_name is not None:
            (Path(upload_folder) / stored_name).unlink(missing_ok=True)
        raise
    return testimony


def create_card_testimony(
    session: DbSession,
    user,
    matter: Matter,
    *,
    person_id: int | None = None,
    person_name: str | None = None,
    organization_names: Iterable[str] = (),
    own_behalf: bool = False,
    position: str | None = None,
    concern_ids: Iterable[int] = (),
    hearing_id: int | None = None,
    received_on: date | None = None,
) -> Testimony:
    """Record a sign-up card: the person registered a position without speaking."""
    hearing = session.get(Hearing, hearing_id) if hearing_id else None
    if hearing_id and hearing is None:
        raise Refused("That hearing is not in the record.")
    return _new_testimony(
        session,
        user,
        kind="card",
        matter=matter,
        person=person_for(session, person_id, person_name),
        position=position,
        organization_names=organization_names,
        own_behalf=own_behalf,
        concern_ids=concern_ids,
        hearing=hearing,
        received_on=received_on or (hearing.date if hearing else date.today()),
    )


def set_position(session: DbSession, user, testimony: Testimony, position: str) -> Testimony:
    """Record the position a clerk chose for the testimony."""
    if not position:
        raise Refused("Choose a position to record.")
    position = check_position(position)
    with audited(
        session,
        user,
        "testimony.position",
        testimony,
        _position_state,
        hearing_id=testimony.hearing_id,
    ):
        testimony.position = position
        testimony.position_confirmed = True
    return testimony


def confirm_suggestion(
    session: DbSession, user, testimony: Testimony, shown: str | None
) -> Testimony:
    """Make the suggested position the testimony's position, as the clerk saw it.

    Args:
        shown: the suggestion the clerk was shown; if it changed since, nothing is confirmed.
    """
    if not testimony.suggested_position:
        raise Conflict("There is no suggested position to confirm; choose one instead.")
    if shown != testimony.suggested_position:
        raise Conflict("The suggestion changed since the page was loaded; reload and check it.")
    return set_position(session, user, testimony, testimony.suggested_position)


def set_concerns(
    session: DbSession, user, testimony: Testimony, concern_ids: Iterable[int]
) -> Testimony:
    """Tag the testimony with concerns from its matter's vocabulary."""
    concerns = concerns_for(testimony.matter, concern_ids)
    with audited(
        session,
        user,
        "testimony.concerns",
        testimony,
        _concerns_state,
        hearing_id=testimony.hearing_id,
    ):
        testimony.concerns = concerns
    return testimony


def set_organizations(
    session: DbSession, user, testimony: Testimony, names: Iterable[str]
) -> Testimony:
    """Replace the organizations the testimony was given for."""
    organizations = organizations_for(session, names)
    with audited(
        session,
        user,
        "testimony.organizations",
        testimony,
        _organizations_state,
        hearing_id=testimony.hearing_id,
    ):
        testimony.organizations = organizations
    return testimony


def delete_testimony(session: DbSession, user, testimony: Testimony) -> None:
    """Remove a testimony recorded by mistake (the audit log keeps what it was)."""
    audited_delete(
        session, user, "testimony.delete", testimony, _snapshot, hearing_id=testimony.hearing_id
    )
