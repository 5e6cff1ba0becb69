"""Web fixtures: a fake pipeline, signed-in clients, uploads made from real audio, and a
matter heard at a hearing (a transcribed hearing, a matter with concerns, a 15-seat council)."""

from __future__ import annotations

import io
import re
import shutil
import wave
from dataclasses import dataclass
from datetime import date

import numpy as np
import pytest

from hearings.extensions import db
from hearings.models import Body, Concern, Hearing, Matter, Membership, Person, User
from hearings.models.base import utcnow
from hearings.transcripts import store_transcript
from tests.conftest import shared
from tests.fakes import FakePipeline, sample_transcript


@pytest.fixture
def fake_pipeline():
    return FakePipeline()


@pytest.fixture
def app_config(app_config, fake_pipeline):
    return {**app_config, "PIPELINE_FACTORY": lambda config: fake_pipeline}


def csrf_token(client, path: str) -> str:
    """Return the CSRF token from a form page, as a browser would send it back."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, username: str, password: str):
    token = csrf_token(client, "/auth/login")
    return client.post(
        "/auth/login", data={"username": username, "password": password, "csrf_token": token}
    )


@pytest.fixture
def clerk_client(client, clerk):
    response = sign_in(client, clerk["username"], clerk["password"])
    assert response.status_code == 302
    return client


def tone_wav(path, seconds: float = 2.0, frequency: float = 220.0, rate: int = 16000):
    """Write a short valid WAV; the frequency makes each file's hash distinct."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * frequency * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


@pytest.fixture
def jfk_wav(tmp_path):
    target = tmp_path / "jfk.wav"
    shutil.copyfile(shared("whisper-jfk", "jfk.wav"), target)
    return target


def hearing_form(client, path, filename=None, **overrides):
    """Post the new-hearing form with a file and return the response."""
    token = csrf_token(client, "/hearings/new")
    data = {
        "title": "Facial recognition hearing",
        "body": "Equal Rights Commission",
        "date": date(2026, 3, 12).isoformat(),
        "agenda_text": "ERC 26-0148",
        "csrf_token": token,
        **overrides,
    }
    # Read into memory so the test client never leaves a spooled temporary file unclosed.
    data["recording"] = (io.BytesIO(path.read_bytes()), filename or path.name)
    return client.post("/hearings/new", data=data, content_type="multipart/form-data")


# --- a matter heard at a hearing: the record most of the matter, testimony and vote pages use ---

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
class HeardMatter:
    hearing_id: int
    matter_id: int
    council_id: int
    # Transcript lines of the sample hearing by diarizer label.
    segments: dict[str, int]
    speaker_person_id: int
    member_ids: list[int]
    concern_ids: dict[str, int]


@pytest.fixture
def heard_matter(app) -> HeardMatter:
    return build_heard_matter(app)


def build_heard_matter(app) -> HeardMatter:
    """Build the record: SPEAKER_02 (the line "We oppose this proposal ...") is Maria Lopez."""
    with app.app_context():
        council = Body(name="Common Council", size=15)
        commission = Body(name="Equal Rights Commission")
        hearing = Hearing(
            title="Facial recognition hearing",
            body=commission,
            date=date(2026, 3, 12),
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
        # Published, as a clerk would after review: most pages are read here as the public.
        hearing.published_at = utcnow()
        maria = Person(name="Maria Lopez", title="Resident")
        speaker = next(s for s in hearing.speakers if s.label == "SPEAKER_02")
        speaker.person = maria
        db.session.commit()
        return HeardMatter(
            hearing_id=hearing.id,
            matter_id=matter.id,
            council_id=council.id,
            segments={s.speaker.label: s.id for s in hearing.segments},
            speaker_person_id=maria.id,
            member_ids=[m.id for m in members],
            concern_ids={c.name: c.id for c in matter.concerns},
        )


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


@pytest.fixture
def budget_hearings(app) -> list[int]:
    """Two published hearings: 30 lines on the budget in March, 15 in April."""
    from tests.web.test_speakers import stored_hearing

    march = stored_hearing(
        app,
        title="Budget hearing, March",
        transcript=sample_transcript(
            [
                (i * 4.0, f"SPEAKER_0{i % 3}", f"Budget line {i} on the surveillance fund.")
                for i in range(30)
            ]
        ),
        when=date(2026, 3, 1),
    )
    april = stored_hearing(
        app,
        title="Budget hearing, April",
        transcript=sample_transcript(
            [
                (i * 4.0, "SPEAKER_00", f"Budget item {i}: we don't agree with the people.")
                for i in range(15)
            ]
        ),
        when=date(2026, 4, 1),
    )
    return [march, april]
