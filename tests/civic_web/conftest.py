"""A civic record to work on: a transcribed hearing, a matter with concerns, a 15-seat council."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from hearings.extensions import db
from hearings.models import Body, Concern, Hearing, Matter, Membership, Person, User
from hearings.transcripts import store_transcript
from tests.fakes import sample_transcript
from tests.web.conftest import csrf_token, sign_in

CONCERNS = (
    "misidentification",
    "racial bias",
    "data storage and sharing",
    "transparency",
    "federal or immigration-enforcement access",
    "cost",
)
COUNCIL = [f"Member {chr(ord('A') + i)}" for i in range(15)]


@dataclass
class Record:
    hearing_id: int
    matter_id: int
    council_id: int
    # Transcript lines of the sample hearing by diarizer label.
    segments: dict[str, int]
    speaker_person_id: int
    member_ids: list[int]
    concern_ids: dict[str, int]


@pytest.fixture
def app_config(app_config):
    # The phrase method alone: the embedding model is exercised once, in a test marked "model".
    return {**app_config, "POSITION_EMBEDDINGS": False}


@pytest.fixture
def civic(app) -> Record:
    return build_civic_record(app)


def build_civic_record(app) -> Record:
    """Build the record: SPEAKER_02 (the line "We oppose this proposal ...") is Maria Lopez."""
    with app.app_context():
        council = Body(name="Common Council", size=15)
        commission = Body(name="Equal Rights Commission")
        hearing = Hearing(
            title="Facial recognition hearing", body=commission, date=date(2026, 3, 12)
        )
        matter = Matter(
            file_number="ERC 26-0148",
            title="Ordinance prohibiting city use of facial recognition technology",
            matter_type="Ordinance",
            status="In committee",
            intro_date=date(2026, 2, 1),
            body=council,
            concerns=[Concern(name=name) for name in CONCERNS],
        )
        members = [Person(name=name, title="Alderperson") for name in COUNCIL]
        db.session.add_all([council, commission, hearing, matter, *members])
        db.session.add_all(
            Membership(
                person=p, body=council, seat=f"District {i + 1}", start_date=date(2024, 4, 16)
            )
            for i, p in enumerate(members)
        )
        db.session.commit()
        store_transcript(db.session, hearing, sample_transcript())
        maria = Person(name="Maria Lopez", title="Resident")
        speaker = next(s for s in hearing.speakers if s.label == "SPEAKER_02")
        speaker.person = maria
        db.session.commit()
        return Record(
            hearing_id=hearing.id,
            matter_id=matter.id,
            council_id=council.id,
            segments={s.speaker.label: s.id for s in hearing.segments},
            speaker_person_id=maria.id,
            member_ids=[m.id for m in members],
            concern_ids={c.name: c.id for c in matter.concerns},
        )


@pytest.fixture
def clerk_client(client, clerk):
    assert sign_in(client, clerk["username"], clerk["password"]).status_code == 302
    return client


@pytest.fixture
def reader_client(client, app):
    """A signed-in account that may not edit the record."""
    with app.app_context():
        user = User(username="reader", role="reader")
        user.set_password("a long enough password")
        db.session.add(user)
        db.session.commit()
    assert sign_in(client, "reader", "a long enough password").status_code == 302
    return client


def token(client, path: str = "/matters") -> str:
    """Return a CSRF token for the signed-in session."""
    return csrf_token(client, path)


def minimal_pdf(text: str = "Written comment") -> bytes:
    """Return a small but well-formed one-page PDF with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
