"""Reading the civic forms' fields: a value that cannot be what the field holds is a 400."""

from __future__ import annotations

from datetime import date

from flask import abort, request

from hearings.errors import Refused
from hearings.extensions import db
from hearings.models import Matter
from hearings.record_ids import record_id
from hearings.timecodes import parse_time


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


def form_matter(missing: str) -> Matter:
    """Return the matter chosen in the form; Refused saying `missing` if there is none."""
    matter_id = form_int("matter_id")
    matter = db.session.get(Matter, matter_id) if matter_id else None
    if matter is None:
        raise Refused(missing)
    return matter


def form_date(name: str) -> date | None:
    """Return an optional ISO date form field; 400 if it is not a date."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, f"“{raw}” is not a date (use YYYY-MM-DD).")


def form_time_range() -> tuple[int | None, int | None]:
    """Return the start and end fields in milliseconds; Refused if one is not h:mm:ss."""
    start_raw, end_raw = request.form.get("start", ""), request.form.get("end", "")
    start_ms, end_ms = parse_time(start_raw), parse_time(end_raw)
    if start_raw.strip() and start_ms is None or end_raw.strip() and end_ms is None:
        raise Refused("Write times as h:mm:ss, for example 1:02:30.")
    return start_ms, end_ms


def testimony_fields() -> dict:
    """Return who testified, for whom, their position and concerns, as the service takes them."""
    return {
        "person_id": form_int("person_id"),
        "person_name": request.form.get("person_name", ""),
        "organization_names": request.form.getlist("organization"),
        "position": request.form.get("position") or "not_stated",
        "concern_ids": form_ints("concern_ids"),
    }
