"""Web fixtures: a fake pipeline, signed-in clients, uploads made from real audio."""

from __future__ import annotations

import io
import re
import shutil
import wave
from datetime import date

import numpy as np
import pytest

from tests.conftest import shared
from tests.fakes import FakePipeline


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
