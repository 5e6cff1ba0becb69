"""Run the speech pipeline in a child process, so a crash in native code fails one attempt.

Whisper, pyannote and their native libraries run for hours on one recording. If one of them
dies (an illegal instruction, a segfault, the kernel's out-of-memory killer), a pipeline run
in the worker's own process takes the worker down with it and strands the job. Here the
pipeline runs in a fresh ``spawn`` child: the parent keeps receiving progress over a pipe,
can stop the child when asked to shut down, and turns the child's death into an exception
that names the signal. Each child loads the models again (a few seconds, measured by
``bench/job_speed.py``) and returns all its memory to the system when the recording is done.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transcription.schema import JobProgress, Transcript

# How often the parent wakes to check for a stop request and call ``on_tick``.
POLL_SECONDS = 0.5


class EngineCrashed(RuntimeError):
    """The child running the speech engine died without an answer."""

    def __init__(self, exitcode: int | None):
        self.exitcode = exitcode
        if exitcode is not None and exitcode < 0:
            try:
                name = signal.Signals(-exitcode).name
            except ValueError:
                name = "unknown"
            reason = f"signal {-exitcode}, {name}"
            if -exitcode == signal.SIGKILL:
                reason += "; the system may have run out of memory"
        else:
            reason = f"exit status {exitcode}"
        super().__init__(f"The speech engine crashed ({reason})")


class EngineFailed(RuntimeError):
    """The pipeline raised an exception in the child; carries its type name and message."""

    def __init__(self, kind: str, message: str, details: str):
        self.kind = kind
        self.details = details
        super().__init__(message)


class Interrupted(Exception):
    """The caller asked to stop; the child was stopped and the work is not finished."""


def run_isolated(
    build: Callable[[Any], Any],
    config: Any,
    path: str | Path,
    *,
    progress: JobProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_tick: Callable[[], None] | None = None,
    **settings: Any,
) -> Transcript:
    """Return ``build(config).run(path, progress, **settings)`` computed in a child process.

    Args:
        build: an importable callable (pickled by reference), e.g. ``TranscriptionPipeline``.
        should_stop: polled about twice a second; when true the child is killed and
            :class:`Interrupted` raised.
        on_tick: called about twice a second while the child works (e.g. to renew a lease).

    Raises:
        EngineCrashed: the child died (the message names the signal).
        EngineFailed: the pipeline raised; ``kind`` is the exception's class name.
        Interrupted: ``should_stop`` became true.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main,
        args=(build, config, str(path), settings, sender, os.getpid()),
        name="speech-engine",
        daemon=True,
    )
    child.start()
    sender.close()
    try:
        while True:
            if should_stop and should_stop():
                raise Interrupted
            if on_tick:
                on_tick()
            if receiver.poll(POLL_SECONDS):
                try:
                    message = receiver.recv()
                except EOFError:
                    break
                kind = message[0]
                if kind == "progress" and progress:
                    progress(message[1], message[2])
                elif kind == "done":
                    return message[1]
                elif kind == "error":
                    raise EngineFailed(message[1], message[2], message[3])
            elif not child.is_alive():
                break
        child.join(5)
        if should_stop and should_stop():
            # Killed by the same shutdown that is stopping us (a signal to the whole group).
            raise Interrupted
        raise EngineCrashed(child.exitcode)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()


def _child_main(build, config, path: str, settings: dict, sender, parent_pid: int) -> None:
    _die_with_parent(parent_pid)
    # Ctrl-C reaches the whole process group; the parent decides what stops and when.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pipeline = build(config)
        result = pipeline.run(
            path,
            progress=lambda stage, percent: sender.send(("progress", stage, percent)),
            **settings,
        )
    except BaseException as error:  # noqa: BLE001 - everything goes back to the parent
        sender.send(("error", type(error).__name__, str(error), traceback.format_exc()))
    else:
        sender.send(("done", result))
    finally:
        sender.close()


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to kill this process if the worker above it dies (even by SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except OSError:
        pass
    if os.getppid() != parent_pid:
        # The parent died before the request took effect.
        os._exit(1)
