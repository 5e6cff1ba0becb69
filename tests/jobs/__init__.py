"""Helpers for tests that run the real queue consumer in this process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask

from hearings.extensions import db
from hearings.jobs import TASK_NAME
from hearings.models import Job


@contextmanager
def running_consumer(app: Flask, workers: int = 1) -> Iterator[object]:
    """Run the app's Huey consumer (what `flask worker` runs) in background threads."""
    consumer = app.extensions["task_queue"].consumer(workers)
    # Consumer.start() installs SIGINT/SIGTERM handlers, which Python allows only in the main
    # thread and which would take Ctrl-C away from pytest; here the test stops the consumer.
    consumer._set_signal_handlers = lambda: None
    # A stuck job must fail the test, not hang it.
    consumer.shutdown_timeout = 60
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)


def wait_for(condition: Callable[[], object], timeout: float = 30, interval: float = 0.05):
    """Return condition()'s first truthy value, polling; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {condition.__name__}")
        time.sleep(interval)


def job_state(app: Flask, job_id: int) -> dict:
    """Return the job row as the status widget would read it now, in a fresh session."""
    with app.app_context():
        job = db.session.get(Job, job_id)
        return {
            "status": job.status,
            "stage": job.stage,
            "progress": job.progress,
            "attempts": job.attempts,
            "error": job.error,
            "warning": job.warning,
        }


def transcriptions_waiting(app: Flask) -> int:
    """Count transcription tasks still on the queue, pending or scheduled for a retry.

    Only transcriptions: the consumer's scheduler also enqueues the once-a-minute recovery
    sweep, and a test that crosses a minute boundary would otherwise see it as work left over.
    """
    huey = app.extensions["task_queue"].huey
    return sum(task.name == TASK_NAME for task in [*huey.pending(), *huey.scheduled()])
