"""An Atom feed per matter: hearings where it came up, testimony recorded, roll-call votes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import overload

from feedgen.feed import FeedGenerator

from hearings.models import Matter
from hearings.models.base import as_utc
from hearings.spreadsheets import Link
from hearings.testimony import POSITION_LABELS
from hearings.timecodes import clock
from hearings.votes import checked_outcome

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class FeedItem:
    id: str
    title: str
    url: str
    updated: datetime
    content: str


@overload
def _aware(moment: datetime | date) -> datetime: ...
@overload
def _aware(moment: None) -> None: ...
def _aware(moment: datetime | date | None) -> datetime | None:
    """Return a timezone-aware UTC datetime (databases may return naive UTC values)."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(), tzinfo=UTC)
    return as_utc(moment)


def matter_items(matter: Matter, link: Link) -> list[FeedItem]:
    """Return the matter's hearings, testimonies and votes as feed items, newest first."""
    items: list[FeedItem] = []
    seen_hearings: set[int] = set()
    for agenda_item in matter.agenda_items:
        hearing = agenda_item.hearing
        if hearing.id in seen_hearings:
            continue
        seen_hearings.add(hearing.id)
        url = link(
            "hearings.detail", hearing_id=hearing.id, t=(agenda_item.start_ms or 0) // 1000 or None
        )
        when = f" from {clock(agenda_item.start_ms)}" if agenda_item.start_ms is not None else ""
        items.append(
            FeedItem(
                id=link("hearings.detail", hearing_id=hearing.id),
                title=f"Heard at {hearing.title} ({hearing.date.isoformat()})",
                url=url,
                updated=_aware(hearing.created_at) or _aware(hearing.date),
                content=f"{hearing.body.name}, {hearing.date.strftime('%B %-d, %Y')}{when}.",
            )
        )
    for testimony in matter.testimonies:
        who = testimony.credit
        stance = POSITION_LABELS[testimony.counted_position]
        if testimony.start_ms is not None and testimony.hearing_id is not None:
            url = link(
                "hearings.quote", hearing_id=testimony.hearing_id, start_ms=testimony.start_ms
            )
            content = testimony.quote
        else:
            url = link("testimony.detail", testimony_id=testimony.id)
            content = testimony.written_text or f"{testimony.kind} testimony"
        items.append(
            FeedItem(
                id=link("testimony.detail", testimony_id=testimony.id),
                title=f"{who}: {stance}" if testimony.position_confirmed else f"{who} testified",
                url=url,
                updated=_aware(testimony.created_at) or EPOCH,
                content=content[:2000],
            )
        )
    for event in matter.vote_events:
        result, problem = checked_outcome(event)
        verdict = ("passes" if result.passed else "fails") if result else "outcome unknown"
        url = link("votes.detail", vote_id=event.id)
        items.append(
            FeedItem(
                id=url,
                title=f"{event.body.name} vote: {event.motion[:120]} ({verdict})",
                url=url,
                updated=_aware(event.date),
                content=result.explanation if result else f"The outcome {problem}.",
            )
        )
    items.sort(key=lambda item: item.updated, reverse=True)
    return items


def matter_feed(matter: Matter, link: Link, site_name: str) -> bytes:
    """Return the matter's Atom feed as XML bytes."""
    items = matter_items(matter, link)
    feed = FeedGenerator()
    feed.id(link("matters.detail", matter_id=matter.id))
    feed.title(f"{matter.label} · {site_name}")
    feed.author({"name": site_name})
    feed.link(href=link("matters.detail", matter_id=matter.id), rel="alternate")
    feed.link(href=link("matters.feed", matter_id=matter.id), rel="self")
    feed.subtitle(matter.summary or f"Hearings, testimony and votes on {matter.label}.")
    feed.language("en")
    feed.updated(items[0].updated if items else (_aware(matter.intro_date) or EPOCH))
    return _with_entries(feed, items)


def search_feed(
    hits: list, title: str, page_url: str, self_url: str, link: Link, site_name: str
) -> bytes:
    """Return an Atom feed of a saved search's newest lines (``hits``: SearchHit, newest
    first); a feed reader shows each line that comes to match once it is published."""
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(f"{title} · {site_name}")
    feed.author({"name": site_name})
    feed.link(href=page_url, rel="alternate")
    feed.link(href=self_url, rel="self")
    feed.subtitle(f"New lines of published hearings for the search {title}.")
    feed.language("en")
    entries = []
    for hit in hits:
        line, hearing = hit.segment, hit.segment.hearing
        url = link("hearings.quote", hearing_id=hearing.id, start_ms=line.start_ms)
        who = line.speaker.display if line.speaker else "Unattributed"
        # A line is news when its hearing was published, not when it was spoken.
        updated = _aware(hearing.published_at) or _aware(hearing.date)
        title_line = f"{who}, {hearing.title} ({hearing.date.isoformat()}, {clock(line.start_ms)})"
        entries.append(FeedItem(url, title_line, url, updated, line.text))
    feed.updated(max((entry.updated for entry in entries), default=EPOCH))
    return _with_entries(feed, entries)


def _with_entries(feed: FeedGenerator, items: list[FeedItem]) -> bytes:
    """Add the items as entries, in their order, and return the feed as XML bytes."""
    for item in items:
        entry = feed.add_entry(order="append")
        entry.id(item.id)
        entry.title(item.title)
        entry.link(href=item.url, rel="alternate")
        entry.updated(item.updated)
        entry.content(item.content, type="text")
    return feed.atom_str(pretty=True)
