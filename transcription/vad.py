"""Where the speech is: Silero VAD (the model shipped with faster-whisper), a slice at a time.

faster-whisper's ``get_speech_timestamps`` copies the whole recording twice before the model
hears it (a padded copy, then every 32 ms window joined to the 4 ms before it), so on a
three-hour hearing it briefly held about 1.5 GB beside the 700 MB of samples. Here the same
model hears the same windows in the same order, with its state carried from one slice to the
next, so the speech probabilities are the ones faster-whisper computes; only one slice of
windows is copied at a time. The regions are then found from the probabilities by
faster-whisper's own rules (``speech_regions``, from faster-whisper 1.2.1, MIT licence).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from faster_whisper.vad import VadOptions

SAMPLE_RATE = 16000
WINDOW = 512
_CONTEXT = 64
# Windows per model call: about 32 s of audio, 1.2 MB of input.
SLICE_WINDOWS = 1000


def speech_probabilities(samples: np.ndarray, slice_windows: int = SLICE_WINDOWS) -> np.ndarray:
    """Return Silero's speech probability for each 512-sample window of the recording.

    The windows are those faster-whisper makes: the recording padded with zeros to a whole
    number of windows plus part of one more, each window heard after the last 64 samples of the
    window before (zeros for the first), and the last window's own last 64 samples zeroed.
    """
    from faster_whisper.vad import get_vad_model

    session = get_vad_model().session
    windows = samples.size // WINDOW + 1
    state_h = np.zeros((1, 1, 128), dtype=np.float32)
    state_c = np.zeros((1, 1, 128), dtype=np.float32)
    before = np.zeros(_CONTEXT, dtype=np.float32)
    found = np.empty(windows, dtype=np.float32)
    for first, batch in _slices(samples, windows, slice_windows):
        heard = np.empty((batch.shape[0], _CONTEXT + WINDOW), dtype=np.float32)
        heard[:, _CONTEXT:] = batch
        heard[0, :_CONTEXT] = before
        heard[1:, :_CONTEXT] = batch[:-1, -_CONTEXT:]
        before = batch[-1, -_CONTEXT:].copy()
        output, state_h, state_c = session.run(None, {"input": heard, "h": state_h, "c": state_c})
        found[first : first + batch.shape[0]] = np.asarray(output).reshape(-1)
    return found


def _slices(
    samples: np.ndarray, windows: int, slice_windows: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (first window, windows as rows) for each slice, the last padded with zeros."""
    for first in range(0, windows, slice_windows):
        count = min(slice_windows, windows - first)
        start = first * WINDOW
        piece = samples[start : start + count * WINDOW]
        batch = np.zeros((count, WINDOW), dtype=np.float32)
        batch.reshape(-1)[: piece.size] = piece
        if first + count == windows:
            batch[-1, -_CONTEXT:] = 0.0
        yield first, batch


def detect_speech(samples: np.ndarray, options: VadOptions) -> list[tuple[int, int]]:
    """Return (start, end) samples of each speech region, as faster-whisper would find them."""
    return speech_regions(speech_probabilities(samples), samples.size, options)


def speech_regions(
    probabilities: np.ndarray, length: int, options: VadOptions
) -> list[tuple[int, int]]:
    """Turn window probabilities into padded speech regions (start, end) in samples.

    faster-whisper 1.2.1's rules, unchanged: a region starts at a window at or above the
    threshold and ends after ``min_silence_duration_ms`` below the lower threshold; a region
    longer than the maximum is cut at its last pause, else where it reaches the maximum;
    regions shorter than ``min_speech_duration_ms`` are dropped; each is padded by
    ``speech_pad_ms``, sharing out a shorter gap between neighbours.
    """
    threshold = options.threshold
    neg_threshold = options.neg_threshold
    if neg_threshold is None:
        neg_threshold = max(threshold - 0.15, 0.01)
    min_speech = SAMPLE_RATE * options.min_speech_duration_ms / 1000
    pad = SAMPLE_RATE * options.speech_pad_ms / 1000
    max_speech = SAMPLE_RATE * options.max_speech_duration_s - WINDOW - 2 * pad
    min_silence = SAMPLE_RATE * options.min_silence_duration_ms / 1000
    min_silence_at_max_speech = SAMPLE_RATE * 98 / 1000

    triggered = False
    speeches: list[dict[str, int]] = []
    current: dict[str, int] = {}
    temp_end = prev_end = next_start = 0
    for i, probability in enumerate(probabilities.tolist()):
        at = WINDOW * i
        if probability >= threshold and temp_end:
            temp_end = 0
            if next_start < prev_end:
                next_start = at
        if probability >= threshold and not triggered:
            triggered = True
            current["start"] = at
            continue
        if triggered and at - current["start"] > max_speech:
            if prev_end:
                current["end"] = prev_end
                speeches.append(current)
                current = {}
                # The last pause was silence and the speech has not come back.
                if next_start < prev_end:
                    triggered = False
                else:
                    current["start"] = next_start
                prev_end = next_start = temp_end = 0
            else:
                current["end"] = at
                speeches.append(current)
                current = {}
                prev_end = next_start = temp_end = 0
                triggered = False
                continue
        if probability < neg_threshold and triggered:
            if not temp_end:
                temp_end = at
            # Remember a pause long enough to cut at, should the region grow too long.
            if at - temp_end > min_silence_at_max_speech:
                prev_end = temp_end
            if at - temp_end < min_silence:
                continue
            current["end"] = temp_end
            if current["end"] - current["start"] > min_speech:
                speeches.append(current)
            current = {}
            prev_end = next_start = temp_end = 0
            triggered = False
            continue
    if current and length - current["start"] > min_speech:
        current["end"] = length
        speeches.append(current)

    for i, speech in enumerate(speeches):
        if i == 0:
            speech["start"] = int(max(0, speech["start"] - pad))
        if i != len(speeches) - 1:
            gap = speeches[i + 1]["start"] - speech["end"]
            if gap < 2 * pad:
                speech["end"] += int(gap // 2)
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - gap // 2))
            else:
                speech["end"] = int(min(length, speech["end"] + pad))
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - pad))
        else:
            speech["end"] = int(min(length, speech["end"] + pad))
    return [(speech["start"], speech["end"]) for speech in speeches]
