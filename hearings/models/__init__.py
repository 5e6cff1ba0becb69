"""The domain model; importing this package registers every table."""

from hearings.models.accounts import User
from hearings.models.alerts import Subscription
from hearings.models.audit import AuditEntry
from hearings.models.base import Base
from hearings.models.bodies import Body, GlossaryTerm, Membership
from hearings.models.documents import Document, DocumentPage
from hearings.models.hearings import (
    CheckedRange,
    Hearing,
    Job,
    LineRevision,
    Recording,
    Redaction,
    ReviewItem,
    Segment,
    Speaker,
    Word,
)
from hearings.models.matters import AgendaItem, Concern, Matter, MatterAction
from hearings.models.people import Organization, OrganizationAlias, Person
from hearings.models.testimony import SignupEntry, Testimony
from hearings.models.votes import PersonVote, VoteEvent

__all__ = [
    "Subscription",
    "AgendaItem",
    "AuditEntry",
    "Concern",
    "Document",
    "DocumentPage",
    "Matter",
    "MatterAction",
    "Membership",
    "PersonVote",
    "SignupEntry",
    "Testimony",
    "VoteEvent",
    "Base",
    "CheckedRange",
    "GlossaryTerm",
    "LineRevision",
    "Redaction",
    "Body",
    "Hearing",
    "Job",
    "Organization",
    "OrganizationAlias",
    "Person",
    "Recording",
    "ReviewItem",
    "Segment",
    "Speaker",
    "User",
    "Word",
]
