"""Spreadsheets of a matter's record: testimony with positions, and roll-call votes."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from hearings.models import Matter
from hearings.models.testimony import testimony_order
from hearings.timecodes import clock
from hearings.votes import checked_outcome, result_disagrees, seats_on

# Builds an absolute URL: link(endpoint, **values). Passed in so this module needs no request.
Link = Callable[..., str]

TESTIMONY_COLUMNS = [
    "testimony_id",
    "matter",
    "kind",
    "person",
    "person_title",
    "organizations",
    "position",
    "position_confirmed",
    "suggested_position",
    "concerns",
    "hearing",
    "hearing_date",
    "start",
    "end",
    "received_on",
    "quote",
    "document",
    "url",
]
VOTE_COLUMNS = [
    "vote_id",
    "date",
    "body",
    "motion",
    "threshold_rule",
    "required_yes",
    "body_size",
    "yes",
    "no",
    "needed",
    "computed_result",
    "recorded_result",
    "disagrees",
    "person",
    "seat",
    "vote",
    "url",
]


def spreadsheet_cell(value) -> str:
    """Return the value as text that spreadsheets show as text, never run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _write(columns: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([spreadsheet_cell(row.get(column)) for column in columns])
    return out.getvalue()


def testimonies_csv(matter: Matter, link: Link) -> str:
    """Return CSV with one row per testimony on the matter."""
    rows = []
    for testimony in sorted(matter.testimonies, key=testimony_order):
        hearing = testimony.hearing
        start = end = None
        if testimony.start_ms is not None and hearing is not None:
            # A testimony waiting for a clerk's review keeps the words it had, at its time.
            url = link("hearings.quote", hearing_id=hearing.id, start_ms=testimony.start_ms)
            quote = testimony.quote
            # A stretch of the recording always has both ends (see Testimony.anchor_to).
            assert testimony.end_ms is not None
            start, end = clock(testimony.start_ms), clock(testimony.end_ms)
        else:
            url = link("testimony.detail", testimony_id=testimony.id)
            quote = testimony.written_text or ""
        rows.append(
            {
                "testimony_id": testimony.id,
                "matter": matter.file_number or matter.title,
                "kind": testimony.kind,
                "person": testimony.person.name,
                "person_title": testimony.person.title,
                "organizations": "; ".join(o.name for o in testimony.organizations),
                "position": testimony.position,
                "position_confirmed": "yes" if testimony.position_confirmed else "no",
                "suggested_position": testimony.suggested_position,
                "concerns": "; ".join(c.name for c in testimony.concerns),
                "hearing": hearing.title if hearing else None,
                "hearing_date": hearing.date.isoformat() if hearing else None,
                "start": start,
                "end": end,
                "received_on": testimony.received_on.isoformat() if testimony.received_on else None,
                "quote": quote,
                "document": (
                    link("testimony.document", testimony_id=testimony.id)
                    if testimony.document_name
                    else None
                ),
                "url": url,
            }
        )
    return _write(TESTIMONY_COLUMNS, rows)


def votes_csv(matter: Matter, link: Link) -> str:
    """Return CSV with one row per member's vote in each roll call on the matter."""
    rows = []
    for event in matter.vote_events:
        result, problem = checked_outcome(event)
        seats = seats_on(event)
        common = {
            "vote_id": event.id,
            "date": event.date.isoformat(),
            "body": event.body.name,
            "motion": event.motion,
            "threshold_rule": event.threshold_rule,
            "required_yes": event.required_yes,
            "body_size": event.body_size or event.body.size,
            "yes": result.yes if result else None,
            "no": result.no if result else None,
            "needed": result.needed if result else None,
            "computed_result": ("pass" if result.passed else "fail") if result else problem,
            "recorded_result": event.recorded_result,
            "disagrees": "yes" if result_disagrees(event) else "no",
            "url": link("votes.detail", vote_id=event.id),
        }
        for vote in sorted(event.votes, key=lambda v: v.person.name):
            rows.append(
                {
                    **common,
                    "person": vote.person.name,
                    "seat": seats.get(vote.person_id),
                    "vote": vote.value,
                }
            )
    return _write(VOTE_COLUMNS, rows)
