"""Fetch Legistar records from its Web API: events, their items and votes, voters, matters."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

import requests

from hearings.legistar.records import ImportReport, LegistarRecord, classify, plain_id, record_key

DEFAULT_BASE_URL = "https://webapi.legistar.com"
# Legistar serves at most 1000 records per request; longer lists are paged with $skip.
PAGE_SIZE = 1000


class LegistarUnavailable(RuntimeError):
    """The Legistar API could not be reached or did not answer with records."""


def fetch_records(
    client: str,
    base_url: str = DEFAULT_BASE_URL,
    since: date | None = None,
    *,
    timeout: float = 30.0,
    http: requests.Session | None = None,
    report: ImportReport,
) -> list[LegistarRecord]:
    """Fetch a client's events with their items, votes, voters and matters.

    Votes are fetched for event items that record a result (EventItemPassedFlag), since only
    those had a vote. A request that fails after the events were listed is reported and the
    fetch goes on.

    Raises:
        LegistarUnavailable: the list of events could not be fetched.
        ValueError: ``client`` is not a Legistar client name.
    """
    if not re.fullmatch(r"[A-Za-z0-9_-]+", client or ""):
        raise ValueError(f"{client!r} is not a Legistar client name (letters, digits, - and _).")
    api = f"{base_url.rstrip('/')}/v1/{client}"
    if http is not None:
        return _fetch_records(http, api, since, timeout, report)
    with requests.Session() as own:
        return _fetch_records(own, api, since, timeout, report)


def _fetch_records(
    http: requests.Session, api: str, since: date | None, timeout: float, report: ImportReport
) -> list[LegistarRecord]:
    """Return the events since a date and the records they lead to; report failed requests."""
    http.headers.setdefault("Accept", "application/json")

    def fetch(path: str, hint: int | None = None) -> list[LegistarRecord]:
        url = f"{api}/{path}"
        try:
            payload = _get_json(http, url, timeout)
        except LegistarUnavailable as error:
            report.problem(url, "request", str(error))
            return []
        return classify(payload, url, report, hint)

    events = _fetch_events(http, api, since, timeout, report)
    records = list(events)
    voters: set[int] = set()
    matters: set[int] = set()
    for event in events:
        event_id = plain_id(event.data, "EventId")
        if event_id is None:
            continue
        items = fetch(f"events/{event_id}/eventitems?AgendaNote=1&MinutesNote=1&Attachments=0")
        records.extend(items)
        for item in items:
            item_id = plain_id(item.data, "EventItemId")
            matter_id = plain_id(item.data, "EventItemMatterId")
            if matter_id is not None:
                matters.add(matter_id)
            if item_id is None or item.data.get("EventItemPassedFlag") is None:
                continue
            votes = fetch(f"eventitems/{item_id}/votes", hint=item_id)
            records.extend(votes)
            voters.update(
                person_id
                for vote in votes
                if (person_id := plain_id(vote.data, "VotePersonId")) is not None
            )
    for person_id in sorted(voters):
        records.extend(fetch(f"persons/{person_id}"))
    for matter_id in sorted(matters):
        records.extend(fetch(f"matters/{matter_id}"))
    return records


def _fetch_events(
    http, api: str, since: date | None, timeout: float, report
) -> list[LegistarRecord]:
    query = ""
    if since:
        query = "$filter=" + quote(f"EventDate ge datetime'{since.isoformat()}'") + "&"
    events: list[LegistarRecord] = []
    seen: set = set()
    skip = 0
    while True:
        url = f"{api}/events?{query}$orderby=EventDate&$top={PAGE_SIZE}&$skip={skip}"
        payload = _get_json(http, url, timeout)
        if not isinstance(payload, list):
            raise LegistarUnavailable(f"{url} did not answer with a list of events")
        page = classify(payload, url, report)
        fresh = [event for event in page if record_key(event) not in seen]
        seen.update(record_key(event) for event in fresh)
        events.extend(fresh)
        # A server that ignores $skip answers the same page again; stop rather than loop.
        if len(payload) < PAGE_SIZE or not fresh:
            return events
        skip += PAGE_SIZE


def _get_json(http: requests.Session, url: str, timeout: float):
    try:
        response = http.get(url, timeout=timeout)
    except requests.Timeout:
        raise LegistarUnavailable(f"{url} did not answer within {timeout:g} seconds") from None
    except requests.RequestException as error:
        reason = type(error).__name__
        raise LegistarUnavailable(f"cannot reach {url} ({reason})") from None
    if response.status_code != 200:
        raise LegistarUnavailable(f"{url} answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise LegistarUnavailable(f"{url} did not answer with JSON") from None
