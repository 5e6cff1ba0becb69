"""E-mail alerts: subscribe with double opt-in, one digest per subscriber, unsubscribe in one
click.

A resident follows a matter, a person, an organization, a body or a saved search. Nothing is
sent but the confirmation until they confirm. Then the worker sends each address one digest
an hour at most, of what became public since the last one: new hearings, lines, testimony,
documents and votes, each with who said it, where, and a link. It reads as the public does,
so a draft never reaches an inbox. Every message links to unsubscribing from each subject
and to deleting the address altogether; the address is kept for nothing else.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import and_, delete, or_, select

from hearings.documents import of_body
from hearings.errors import Refused
from hearings.models import (
    AgendaItem,
    Body,
    Document,
    Hearing,
    Matter,
    Organization,
    Person,
    PersonVote,
    Segment,
    Speaker,
    Subscription,
    Testimony,
    VoteEvent,
)
from hearings.models.alerts import ALERT_KINDS
from hearings.models.base import DbSession, as_utc, utcnow
from hearings.models.testimony import testimony_organizations
from hearings.public_record import public_view
from hearings.testimony import POSITION_LABELS
from hearings.timecodes import clock

# A plausible address: the confirmation e-mail proves the rest.
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# A digest lists at most this many items per subject; the link shows the rest.
ITEMS_PER_SUBJECT = 20
Link = Callable[..., str]
# What each kind of subscription follows, by its id.
FOLLOWED: dict[str, type] = {
    "matter": Matter,
    "person": Person,
    "organization": Organization,
    "body": Body,
}


def search_arguments(query_string: str) -> str:
    """Return a saved search's arguments (the search page's query string) as stored: no page,
    no empty values, in one order, so the same search is one subscription."""
    pairs = parse_qsl(query_string.lstrip("?"))[:20]
    return urlencode(sorted((k, v) for k, v in pairs if k != "page" and v))


def subscribe(
    session: DbSession, email: str, kind: str, target_id: int | None, query: str = ""
) -> Subscription:
    """Record an unconfirmed subscription (or find the same one again); the caller sends the
    confirmation and commits."""
    email = (email or "").strip()
    if len(email) > 320 or not _ADDRESS.fullmatch(email):
        raise Refused("Give an e-mail address like name@example.org.")
    if kind not in ALERT_KINDS:
        raise Refused("Choose what to be alerted about.")
    if kind == "search":
        target_id = None
        if not query:
            raise Refused("Search for something first, then ask for alerts on it.")
    else:
        query = ""
        if target_id is None or session.get(FOLLOWED[kind], target_id) is None:
            raise Refused(f"That {kind} is not on record.")
    same = session.scalar(
        select(Subscription).where(
            Subscription.email == email,
            Subscription.kind == kind,
            Subscription.query == query,
            Subscription.target_id.is_(None)
            if target_id is None
            else Subscription.target_id == target_id,
        )
    )
    if same is not None:
        return same
    subscription = Subscription(
        email=email, kind=kind, target_id=target_id, query=query, token=secrets.token_urlsafe(32)
    )
    session.add(subscription)
    session.flush()
    return subscription


def by_token(session: DbSession, token: str) -> Subscription | None:
    if not token or len(token) > 64:
        return None
    return session.scalar(select(Subscription).where(Subscription.token == token))


def confirm(session: DbSession, subscription: Subscription) -> None:
    """Start sending: news from now on goes in the digests."""
    if subscription.confirmed_at is None:
        subscription.confirmed_at = subscription.checked_at = utcnow()
        session.flush()


def unsubscribe(session: DbSession, subscription: Subscription) -> None:
    session.delete(subscription)
    session.flush()


def forget_address(session: DbSession, subscription: Subscription) -> int:
    """Delete every subscription of this subscription's address; return how many."""
    result = session.execute(delete(Subscription).where(Subscription.email == subscription.email))
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def subject(session: DbSession, subscription: Subscription) -> str:
    """Say in words what the subscription follows."""
    if subscription.kind == "search":
        args = dict(parse_qsl(subscription.query))
        words = args.get("q")
        text = f"the search “{words}”" if words else "a search"
        return text + (" with filters" if set(args) - {"q"} else "")
    found = session.get(FOLLOWED[subscription.kind], subscription.target_id)
    if found is None:
        return f"a {subscription.kind} no longer on record"
    if isinstance(found, Matter):
        return f"the matter {found.label}"
    assert isinstance(found, Person | Organization | Body)
    return found.name


# --- Digests ---------------------------------------------------------------------------------


@dataclass
class Item:
    """One piece of news in a digest: what, who, where, and the link to it."""

    text: str
    url: str


@dataclass
class Section:
    subscription: Subscription
    subject: str
    items: list[Item] = field(default_factory=list)


def _published_since(since: datetime):
    return Hearing.published_at > since


def _hearing_item(hearing: Hearing, link: Link, note: str = "") -> Item:
    when = hearing.date.strftime("%B %-d, %Y")
    return Item(
        f"{hearing.title}, {hearing.body.name}, {when}{note}",
        link("hearings.detail", hearing_id=hearing.id),
    )


def _line_item(line: Segment, link: Link) -> Item:
    who = line.speaker.display if line.speaker else "Unattributed"
    hearing = line.hearing
    return Item(
        f"{who} at {hearing.title} ({hearing.date.isoformat()}, {clock(line.start_ms)}): "
        f"“{line.text}”",
        link("hearings.quote", hearing_id=hearing.id, start_ms=line.start_ms),
    )


def _testimony_item(testimony: Testimony, link: Link) -> Item:
    position = POSITION_LABELS[testimony.counted_position]
    words = testimony.quote if testimony.kind == "oral" else (testimony.written_text or "")
    return Item(
        f"{testimony.credit}, {position}, on {testimony.matter.label}: “{words[:300]}”",
        link("testimony.detail", testimony_id=testimony.id),
    )


def _vote_item(event: VoteEvent, link: Link) -> Item:
    from hearings.votes import checked_outcome

    result, _ = checked_outcome(event)
    verdict = ("passed" if result.passed else "failed") if result else "outcome unknown"
    return Item(
        f"{event.body.name} voted on {event.motion[:200]} ({event.date.isoformat()}): {verdict}",
        link("votes.detail", vote_id=event.id),
    )


def _new_testimony(session: DbSession, since: datetime, *conditions) -> list[Testimony]:
    """Testimony that became public since: recorded since on a published hearing, or on a
    hearing published since (the rule leaves drafts out)."""
    recent = or_(
        Testimony.created_at > since,
        Testimony.hearing_id.in_(select(Hearing.id).where(_published_since(since))),
    )
    stmt = select(Testimony).where(recent, *conditions).order_by(Testimony.id.desc())
    return list(session.scalars(stmt.limit(ITEMS_PER_SUBJECT)))


def _document_item(document: Document, link: Link) -> Item:
    hearing = document.hearing
    where = f", {hearing.title} ({hearing.date.isoformat()})" if hearing else ""
    pages = f", {document.page_count} page{'s' if document.page_count != 1 else ''}"
    return Item(
        f"{document.kind_label}: {document.title}{pages}{where}",
        link("documents.detail", document_id=document.id),
    )


def _document_became_public(since: datetime):
    """A document is news once it is read and public: whichever of those came last."""
    return and_(
        Document.state == "read",
        Document.published_at.is_not(None),
        or_(
            Document.read_at > since,
            Document.published_at > since,
            Document.hearing_id.in_(select(Hearing.id).where(_published_since(since))),
        ),
    )


def _new_documents(session: DbSession, since: datetime, *conditions) -> list[Document]:
    stmt = select(Document).where(_document_became_public(since), *conditions)
    return list(session.scalars(stmt.order_by(Document.id.desc()).limit(ITEMS_PER_SUBJECT)))


def _new_votes(session: DbSession, since: datetime, *conditions) -> list[VoteEvent]:
    stmt = select(VoteEvent).where(VoteEvent.recorded_at > since, *conditions)
    return list(session.scalars(stmt.order_by(VoteEvent.id.desc()).limit(ITEMS_PER_SUBJECT)))


def news(session: DbSession, subscription: Subscription, since: datetime, link: Link) -> list:
    """Return the items for one subscription that became public after ``since``."""
    kind, target = subscription.kind, subscription.target_id
    if kind == "search":
        return _search_news(session, subscription, since, link)[:ITEMS_PER_SUBJECT]
    items: list[Item] = []
    testimony_on = votes_on = documents_on = None
    if kind == "matter":
        heard = select(AgendaItem.hearing_id).where(AgendaItem.matter_id == target)
        for hearing in session.scalars(
            select(Hearing).where(_published_since(since), Hearing.id.in_(heard))
        ):
            items.append(_hearing_item(hearing, link, ": the matter was heard"))
        testimony_on = Testimony.matter_id == target
        votes_on = VoteEvent.matter_id == target
        documents_on = Document.matter_id == target
    elif kind == "person":
        spoke = select(Speaker.id).where(Speaker.person_id == target)
        lines = session.scalars(
            select(Segment)
            .join(Hearing, Hearing.id == Segment.hearing_id)
            .where(_published_since(since), Segment.speaker_id.in_(spoke))
            .order_by(Hearing.date.desc(), Segment.start_ms)
            .limit(ITEMS_PER_SUBJECT)
        )
        items += [_line_item(line, link) for line in lines]
        testimony_on = Testimony.person_id == target
        voted = select(PersonVote.vote_event_id).where(PersonVote.person_id == target)
        votes_on = VoteEvent.id.in_(voted)
        # A written comment they sent, as a document of its matter.
        sent = select(Testimony.id).where(Testimony.person_id == target)
        documents_on = Document.testimony_id.in_(sent)
    elif kind == "organization":
        on_behalf = select(testimony_organizations.c.testimony_id).where(
            testimony_organizations.c.organization_id == target
        )
        testimony_on = Testimony.id.in_(on_behalf)
        documents_on = Document.testimony_id.in_(on_behalf)
    else:  # a body
        hearings = session.scalars(
            select(Hearing).where(_published_since(since), Hearing.body_id == target)
        )
        items += [_hearing_item(hearing, link) for hearing in hearings]
        votes_on = VoteEvent.body_id == target
        assert target is not None  # every kind but a saved search names what it follows
        documents_on = of_body(target)
    if testimony_on is not None:
        items += [_testimony_item(t, link) for t in _new_testimony(session, since, testimony_on)]
    if votes_on is not None:
        items += [_vote_item(v, link) for v in _new_votes(session, since, votes_on)]
    if documents_on is not None:
        items += [_document_item(d, link) for d in _new_documents(session, since, documents_on)]
    return items[:ITEMS_PER_SUBJECT]


def _search_news(session: DbSession, subscription: Subscription, since: datetime, link: Link):
    """Lines the saved search finds, newest first, of hearings published since."""
    from hearings.document_search import search_pages
    from hearings.search import read_search, search_lines

    query, filters, unknown = read_search(session, dict(parse_qsl(subscription.query)))
    if unknown:
        return []  # a name typed in the search that means no one on record finds nothing
    found = search_lines(session, query, filters, 1, 100, newest_first=True)
    fresh = [
        hit.segment
        for hit in found.hits
        if hit.segment.hearing.published_at is not None
        and as_utc(hit.segment.hearing.published_at) > as_utc(since)
    ]
    items = [_line_item(line, link) for line in fresh]
    # Document pages with the words, of documents that became public since.
    pages = search_pages(session, query, filters, 1, 100).hits
    news_ids = set(
        session.scalars(
            select(Document.id).where(
                Document.id.in_({hit.document.id for hit in pages}),
                _document_became_public(since),
            )
        )
    )
    for hit in pages:
        if hit.document.id in news_ids:
            words = " ".join(hit.snippet.striptags().split())
            items.append(
                Item(
                    f"{hit.document.title}, page {hit.page.number}: “{words[:300]}”",
                    link("documents.page", document_id=hit.document.id, number=hit.page.number),
                )
            )
    return items


@dataclass
class Digest:
    email: str
    sections: list[Section]
    forget_token: str


def due_digests(session: DbSession, link: Link) -> list[Digest]:
    """Return one digest per confirmed address that has news; read as the public reads."""
    by_address: dict[str, list[Subscription]] = defaultdict(list)
    for subscription in session.scalars(
        select(Subscription)
        .where(Subscription.confirmed_at.is_not(None))
        .order_by(Subscription.email, Subscription.id)
    ):
        by_address[subscription.email].append(subscription)
    digests = []
    with public_view():
        for email, subscriptions in by_address.items():
            sections = []
            for subscription in subscriptions:
                since = subscription.checked_at or subscription.confirmed_at
                assert since is not None  # confirmed subscriptions only
                items = news(session, subscription, since, link)
                if items:
                    sections.append(Section(subscription, subject(session, subscription), items))
            if sections:
                digests.append(Digest(email, sections, subscriptions[0].token))
    return digests


def digest_text(digest: Digest, link: Link, site: str) -> str:
    parts = [f"New in the public record of {site}:", ""]
    for section in digest.sections:
        parts.append(f"== {section.subject[:1].upper()}{section.subject[1:]} ==")
        for item in section.items:
            parts += [f"- {item.text}", f"  {item.url}"]
        unsubscribe = link("alerts.unsubscribe", token=section.subscription.token)
        parts += [f"Stop alerts on {section.subject}: {unsubscribe}", ""]
    forget = link("alerts.forget", token=digest.forget_token)
    parts += [
        "You get this because you subscribed and confirmed it on the site.",
        f"Delete your address and every alert: {forget}",
    ]
    return "\n".join(parts) + "\n"


def send_digests(session: DbSession, link: Link, site: str, send: Callable[..., None]) -> int:
    """Send every due digest; mark what was sent as seen; the caller commits. Return how many
    were sent. A digest that could not be sent is tried again next time, with what it had."""
    from hearings.mail import MailNotSent

    started = utcnow()
    sent = 0
    for digest in due_digests(session, link):
        forget = link("alerts.forget", token=digest.forget_token)
        try:
            send(
                digest.email,
                f"{site}: new on {', '.join(s.subject for s in digest.sections)}"[:200],
                digest_text(digest, link, site),
                {
                    "List-Unsubscribe": f"<{forget}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },  # fmt: skip
            )
        except MailNotSent:
            continue
        for section in digest.sections:
            section.subscription.checked_at = started
        sent += 1
    session.flush()
    return sent
