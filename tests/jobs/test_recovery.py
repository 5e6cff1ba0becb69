"""Jobs whose worker is gone go back on the queue; the clerk sees it, and nothing runs twice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hearings.extensions import db
from hearings.jobs import claim, recover_stranded_jobs
from hearings.models import Body, Hearing, Job, Recording
from hearings.models.base import utcnow


@pytest.fixture
def app_config(app_config):
    # Recovered jobs go to a real queue file and wait there: nothing runs them in these tests.
    return {**app_config, "QUEUE_IMMEDIATE": False}


def running_job(app, *, worker: str, lease_in: float, attempts: int = 1) -> int:
    with app.app_context():
        hearing = Hearing(
            title="Facial recognition hearing",
            body=Body(name="Equal Rights Commission"),
            date=date(2026, 3, 12),
            published_at=utcnow(),
            recording=Recording(
                sha256="1" * 64,
                original_filename="h.wav",
                stored_name="11/h.wav",
                size_bytes=1,
                duration_ms=1000,
                media_type="audio/wav",
            ),
        )
        job = Job(
            hearing=hearing,
            status="running",
            stage="transcribe",
            progress=40,
            attempts=attempts,
            worker=worker,
            lease_expires_at=utcnow() + timedelta(seconds=lease_in),
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def state(app, job_id):
    with app.app_context():
        job = db.session.get(Job, job_id)
        return job.status, job.stage, job.error


def pending(app) -> int:
    return app.extensions["task_queue"].huey.pending_count()


def test_a_job_whose_lease_ran_out_on_another_machine_is_put_back(app):
    job_id = running_job(app, worker="transcriber-2:4242", lease_in=-5)

    with app.app_context():
        assert recover_stranded_jobs() == [job_id]

    status, stage, note = state(app, job_id)
    assert (status, stage) == ("queued", "interrupted, resuming")
    assert "transcriber-2:4242" in note and "Attempt 1 was interrupted" in note
    assert pending(app) == 1


def test_a_job_with_a_live_lease_elsewhere_is_left_alone(app):
    job_id = running_job(app, worker="transcriber-2:4242", lease_in=60)

    with app.app_context():
        assert recover_stranded_jobs() == []

    assert state(app, job_id)[0] == "running"
    assert pending(app) == 0


def test_a_dead_process_on_this_machine_is_noticed_before_its_lease_ends(app):
    import socket
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    job_id = running_job(app, worker=f"{socket.gethostname()}:{gone.pid}", lease_in=600)

    with app.app_context():
        assert recover_stranded_jobs() == [job_id]


def test_a_job_that_keeps_losing_its_worker_fails_for_good(app):
    job_id = running_job(app, worker="transcriber-2:1", lease_in=-5, attempts=3)

    with app.app_context():
        assert recover_stranded_jobs() == []

    status, _, note = state(app, job_id)
    assert status == "failed"
    assert "Stopped after 3 attempts" in note


def test_only_one_worker_can_claim_a_queued_job(app):
    job_id = running_job(app, worker="x:1", lease_in=-5)
    with app.app_context():
        recover_stranded_jobs()
        assert claim(job_id) is True
        assert claim(job_id) is False


def test_the_clerk_sees_an_interrupted_job_not_a_stuck_bar(app, client):
    job_id = running_job(app, worker="transcriber-2:4242", lease_in=-5)
    with app.app_context():
        hearing_id = db.session.get(Job, job_id).hearing_id

    widget = client.get(f"/hearings/{hearing_id}/job").get_data(as_text=True)

    assert "Interrupted: the worker processing this recording stopped" in widget
    assert "<progress" not in widget
