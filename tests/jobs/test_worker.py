"""The real Huey consumer runs queued hearings: states, progress, retries, reruns, real model."""

from __future__ import annotations

import hashlib
import json
import re
import threading

import jiwer
import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from hearings.extensions import db
from hearings.models import Hearing, Segment, Word
from hearings.storage import recording_path
from tests.conftest import shared
from tests.fakes import LINES, FakePipeline, sample_transcript
from tests.jobs import job_state, running_consumer, transcriptions_waiting, wait_for
from tests.web.conftest import csrf_token, sign_in, tone_wav
from transcription.schema import Segment as TranscriptSegment
from transcription.schema import Transcript

# tiny.en (int8) transcribes the JFK clip with no error after normalisation (measured WER 0.0);
# the bound leaves room for one word of the 22 to change with thread count or library version.
JFK_MAX_WER = 0.05


class GatedPipeline(FakePipeline):
    """A fake pipeline that can hold a run part-way, so a test can look at a running job."""

    def __init__(self):
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.holding = threading.Event()

    def run(self, path, progress=None, **settings):
        if progress:
            progress("transcribing", 40)
        self.holding.set()
        if not self.gate.wait(timeout=60):
            raise TimeoutError("the test never released the pipeline")
        return super().run(path, progress)


@pytest.fixture
def pipeline():
    return GatedPipeline()


@pytest.fixture
def app_config(app_config, pipeline):
    return {
        **app_config,
        # A real queue in a SQLite file (tmp_path), run by a consumer, as in production.
        "QUEUE_IMMEDIATE": False,
        "PIPELINE_FACTORY": lambda config: pipeline,
        "DIARIZER": "none",
        "WHISPER_CPU_THREADS": 2,
    }


@pytest.fixture
def clerk_client(client, clerk):
    assert sign_in(client, clerk["username"], clerk["password"]).status_code == 302
    return client


def upload(app, client, path, **fields) -> tuple[int, int]:
    """Upload a recording through the form; return the new hearing's id and its job's id."""
    response = post_hearing_form(client, path, **fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    hearing_id = int(re.search(r"/hearings/(\d+)$", response.headers["Location"]).group(1))
    with app.app_context():
        return hearing_id, db.session.get(Hearing, hearing_id).latest_job.id


def post_hearing_form(client, path, **overrides):
    """Post the new-hearing form with the body held in memory.

    Werkzeug's test client spools bodies over 500 kB to a temporary file it never closes,
    which fails the run under filterwarnings=error; recordings here can be larger.
    """
    data = {
        "title": "Facial recognition hearing",
        "body": "Equal Rights Commission",
        "date": "2026-03-12",
        "agenda_text": "ERC 26-0148",
        "csrf_token": csrf_token(client, "/hearings/new"),
        **overrides,
    }
    with open(path, "rb") as handle:
        data["recording"] = FileStorage(handle, filename=path.name)
        body, _, boundary = stream_encode_multipart(data, use_tempfile=False)
    return client.post(
        "/hearings/new",
        data=body.getvalue(),
        content_type=f'multipart/form-data; boundary="{boundary}"',
    )


def retry(app, client, hearing_id: int) -> int:
    """Press the hearing's "Try again" as a clerk; return the id of the job it queued."""
    token = csrf_token(client, f"/hearings/{hearing_id}")
    response = client.post(f"/hearings/{hearing_id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        return db.session.get(Hearing, hearing_id).latest_job.id


def transcript_rows(app, hearing_id: int) -> list[tuple[int, int, str]]:
    with app.app_context():
        return [
            (s.start_ms, s.end_ms, s.text)
            for s in db.session.scalars(
                select(Segment).where(Segment.hearing_id == hearing_id).order_by(Segment.start_ms)
            )
        ]


def test_consumer_takes_a_queued_job_through_running_to_done(app, clerk_client, tmp_path, pipeline):
    pipeline.gate.clear()
    hearing_id, job_id = upload(app, clerk_client, tone_wav(tmp_path / "tone.wav"))
    queued = job_state(app, job_id)
    assert (queued["status"], queued["progress"], queued["attempts"]) == ("queued", 0, 0)
    assert app.extensions["task_queue"].huey.pending_count() == 1
    assert pipeline.runs == []

    with running_consumer(app):
        assert pipeline.holding.wait(timeout=30)
        running = job_state(app, job_id)
        assert (running["status"], running["stage"], running["progress"]) == (
            "running",
            "transcribing",
            40,
        )
        assert running["attempts"] == 1
        # While it runs, the status widget keeps polling and shows the stage.
        widget = clerk_client.get(f"/hearings/{hearing_id}/job").get_data(as_text=True)
        assert 'hx-trigger="every 1s"' in widget and "Transcribing (40%)" in widget
        pipeline.gate.set()
        done = wait_for(lambda: (s := job_state(app, job_id))["status"] == "done" and s)

    assert (done["progress"], done["attempts"], done["error"]) == (100, 1, None)
    assert [text for _, _, text in transcript_rows(app, hearing_id)] == [t for _, _, t in LINES]
    with app.app_context():
        stored = db.session.get(Hearing, hearing_id).recording.stored_name
        assert pipeline.runs == [str(recording_path(stored))]
    assert transcriptions_waiting(app) == 0


def test_failing_pipeline_marks_the_job_failed_after_its_retries(
    app, clerk_client, tmp_path, pipeline
):
    pipeline.error = RuntimeError("speech model file is damaged")
    retries = app.config["QUEUE_RETRIES"]
    assert retries >= 1, "the test needs at least one retry to count"
    hearing_id, job_id = upload(app, clerk_client, tone_wav(tmp_path / "tone.wav"))

    with running_consumer(app):
        # Huey schedules the retry a few seconds after the first failure.
        final = wait_for(
            lambda: (
                (s := job_state(app, job_id))["status"] == "failed"
                and s["attempts"] == retries + 1
                and s
            ),
            timeout=60,
        )
        wait_for(lambda: transcriptions_waiting(app) == 0, timeout=10)

    assert final["error"] == "RuntimeError: speech model file is damaged"
    assert final["stage"] == "failed"
    assert len(pipeline.runs) == retries + 1
    assert transcript_rows(app, hearing_id) == []
    page = clerk_client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert f"Processing failed after {retries + 1} attempts" in page
    assert "speech model file is damaged" in page


def _unstorable_transcript() -> Transcript:
    """Return a transcript that passes the pipeline but breaks while being stored."""
    broken = sample_transcript()
    broken.segments.append(TranscriptSegment(start=20.0, end=21.0, text=None))
    return broken


@pytest.mark.parametrize("failure", ["pipeline raises", "storing fails"])
def test_failed_rerun_keeps_the_earlier_transcript(app, clerk_client, tmp_path, pipeline, failure):
    hearing_id, first_job = upload(app, clerk_client, tone_wav(tmp_path / "tone.wav"))
    with running_consumer(app):
        wait_for(lambda: job_state(app, first_job)["status"] == "done")
        before = transcript_rows(app, hearing_id)
        assert len(before) == 3

        if failure == "pipeline raises":
            pipeline.error = RuntimeError("worker ran out of memory")
        else:
            pipeline.transcript = _unstorable_transcript()
        second_job = retry(app, clerk_client, hearing_id)
        assert second_job != first_job
        failed = wait_for(lambda: (s := job_state(app, second_job))["status"] == "failed" and s)

    assert failed["error"].startswith(
        "RuntimeError: worker ran out of memory"
        if failure == "pipeline raises"
        else "AttributeError"
    )
    assert transcript_rows(app, hearing_id) == before
    # The search index still holds the old lines too (its changes were rolled back with them).
    results = clerk_client.get("/search?q=misidentification").get_data(as_text=True)
    assert f"/hearings/{hearing_id}/at/9500" in results
    page = clerk_client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert "Facial recognition is a lead generator" in page
    assert "worker ran out of memory" in page or "AttributeError" in page


def test_job_for_audio_already_transcribed_is_not_processed_again(
    app, clerk_client, tmp_path, pipeline
):
    path = tone_wav(tmp_path / "tone.wav")
    # The real pipeline stamps the transcript with the audio's hash; work is keyed by it.
    pipeline.transcript = sample_transcript(sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    hearing_id, first_job = upload(app, clerk_client, path)
    with running_consumer(app):
        wait_for(lambda: job_state(app, first_job)["status"] == "done")
        before = transcript_rows(app, hearing_id)
        second_job = retry(app, clerk_client, hearing_id)
        skipped = wait_for(lambda: (s := job_state(app, second_job))["status"] == "done" and s)

    assert len(pipeline.runs) == 1
    assert skipped["attempts"] == 0
    assert "already transcribed" in skipped["warning"]
    assert transcript_rows(app, hearing_id) == before


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


@pytest.mark.model
def test_real_pipeline_in_the_worker_transcribes_an_uploaded_recording(app, clerk_client):
    app.config["PIPELINE_FACTORY"] = None  # the real Whisper pipeline, without diarization
    flac = shared("whisper-jfk", "jfk.flac")
    reference = shared("whisper-jfk", "jfk.reference.txt").read_text()
    hearing_id, job_id = upload(app, clerk_client, flac, title="Inaugural address")

    seen = []

    def finished():
        state = job_state(app, job_id)
        seen.append(state["progress"])
        return state["status"] in ("done", "failed") and state

    with running_consumer(app):
        final = wait_for(finished, timeout=300, interval=0.1)
    assert final["status"] == "done", final["error"]
    assert (final["progress"], final["attempts"]) == (100, 1)
    assert seen == sorted(seen), "progress went backwards"

    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        assert hearing.transcript_model.startswith("whisper-tiny.en")
        assert hearing.transcript_sha256 == hearing.recording.sha256
        duration_ms = hearing.recording.duration_ms
        hypothesis = " ".join(s.text for s in hearing.segments)
        words = list(
            db.session.scalars(
                select(Word)
                .join(Segment)
                .where(Segment.hearing_id == hearing_id)
                .order_by(Segment.start_ms, Word.start_ms)
            )
        )
    error_rate = jiwer.wer(normalised(reference), normalised(hypothesis))
    print(f"JFK WER {error_rate:.3f}: {hypothesis!r}")
    assert error_rate <= JFK_MAX_WER

    assert len(words) >= 20
    starts = [w.start_ms for w in words]
    assert starts == sorted(starts)
    assert all(0 <= w.start_ms <= w.end_ms <= duration_ms for w in words)

    results = clerk_client.get("/search?q=country").get_data(as_text=True)
    assert "<mark>country</mark>" in results.lower()
    assert re.search(rf'href="/hearings/{hearing_id}/at/\d+"', results)

    exported = json.loads(clerk_client.get(f"/hearings/{hearing_id}/transcript.json").data)
    with app.app_context():
        segments = db.session.get(Hearing, hearing_id).segments
        assert [(s["start"], s["end"], s["text"]) for s in exported["segments"]] == [
            (s.start_ms / 1000, s.end_ms / 1000, s.text) for s in segments
        ]
        assert [[w["text"] for w in s["words"]] for s in exported["segments"]] == [
            [w.text for w in s.words] for s in segments
        ]
    assert exported["hearing"]["audio_sha256"] == hashlib.sha256(flac.read_bytes()).hexdigest()


@pytest.mark.model
def test_worker_diarizes_a_two_person_conversation(app, clerk_client):
    """The full job (Whisper, then pyannote from shipped weights) finds the two speakers."""
    app.config["PIPELINE_FACTORY"] = None
    app.config["DIARIZER"] = "auto"
    sample = shared("pyannote-sample", "sample.wav")
    hearing_id, job_id = upload(app, clerk_client, sample, title="Two callers")
    with running_consumer(app):
        final = wait_for(
            lambda: (
                job_state(app, job_id)["status"] in ("done", "failed") and job_state(app, job_id)
            ),
            timeout=600,
            interval=0.2,
        )
    assert final["status"] == "done", final["error"]
    assert not final["warning"], final["warning"]
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        assert hearing.diarizer and hearing.diarization_note is None
        labels = {s.speaker.label for s in hearing.segments if s.speaker}
        assert len(labels) == 2
        # One voice embedding per speaker is kept, to recognise them in later hearings.
        assert all(len(s.embedding or []) == 192 for s in hearing.speakers)
        # Words carry their speaker, and each line's words agree with the line's speaker.
        for segment in hearing.segments:
            if segment.speaker and not segment.crosstalk:
                assert {w.speaker_label for w in segment.words} == {segment.speaker.label}
    vtt = clerk_client.get(f"/hearings/{hearing_id}/transcript.vtt").get_data(as_text=True)
    assert "<v SPEAKER_0" in vtt


@pytest.mark.model
def test_process_again_with_another_speaker_count_keeps_testimony_on_its_speakers_words(
    app, clerk_client
):
    """Real Whisper and pyannote, run twice with different speaker counts on real audio."""
    from datetime import date as day

    from hearings.models import Matter, Person, ReviewItem, Speaker
    from hearings.reprocessing import QUOTE_SIMILARITY, quote_similarity
    from hearings.testimony import create_oral_testimony

    app.config["PIPELINE_FACTORY"] = None
    app.config["DIARIZER"] = "auto"
    sample = shared("pyannote-sample", "sample.wav")
    hearing_id, job_id = upload(app, clerk_client, sample, title="Two callers")
    with running_consumer(app):
        wait_for(lambda: job_state(app, job_id)["status"] == "done", timeout=600, interval=0.2)
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        # The clerk names the voice that talks most and records its first lines as testimony.
        talk: dict[int, int] = {}
        for s in hearing.segments:
            talk[s.speaker_id] = talk.get(s.speaker_id, 0) + s.end_ms - s.start_ms
        voice = db.session.get(Speaker, max(talk, key=talk.__getitem__))
        voice.person = Person(name="Ron Jansen")
        matter = Matter(title="Facial recognition ordinance", intro_date=day(2026, 3, 1))
        db.session.add(matter)
        db.session.commit()
        lines = [s.id for s in hearing.segments if s.speaker_id == voice.id][:3]
        testimony = create_oral_testimony(
            db.session, None, hearing, matter, lines, position="oppose"
        )
        db.session.commit()
        testimony_id, quoted = testimony.id, testimony.quote_text
        hearing.num_speakers = 3
        db.session.commit()

    token = csrf_token(clerk_client, f"/hearings/{hearing_id}")
    response = clerk_client.post(
        f"/hearings/{hearing_id}/reprocess", data={"csrf_token": token, "num_speakers": "3"}
    )
    assert response.status_code == 302
    with app.app_context():
        again = db.session.get(Hearing, hearing_id).latest_job.id
    with running_consumer(app):
        wait_for(lambda: job_state(app, again)["status"] == "done", timeout=600, interval=0.2)

    with app.app_context():
        from hearings import models

        testimony = db.session.get(models.Testimony, testimony_id)
        reviews = db.session.scalars(select(ReviewItem.message)).all()
        assert testimony.segments, reviews
        # Never another speaker's words: every line it quotes is credited to its person.
        assert {s.speaker.person.name for s in testimony.segments} == {"Ron Jansen"}
        assert quote_similarity(quoted, testimony.quote) >= QUOTE_SIMILARITY
        assert testimony.quote_text == quoted
