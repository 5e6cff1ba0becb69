"""A long hearing-shaped recording with a reference, built from the real voices in ../shared/data.

Diarization settings that win on 30 s clips can merge or split voices only on long audio, so
the settings are judged on a file shaped like a public hearing:

* council discussion at the start and the end: whole AMI meeting openings (several people,
  overlapping speech) played as they are;
* public comment in between: the chair calls each speaker (a few seconds of the chair's own
  speech), then the speaker talks once, for about a minute, and never again;
* the chair recurs all meeting; a staff voice answers three times.

The voices are every speaker of the shared recordings with at least 2 s of speech where nobody
else talks: the AMI speakers (one label per AMI id across clips), the two speakers of
``pyannote-sample``, each channel of ``faster-whisper-stereo`` on its own, JFK as staff, and
the demo hearing's synthetic voices when the demo is present (its chair is the chair here too;
without the demo, AMI's MEO069 chairs). There are only about 8 minutes of unique real speech,
so each public speaker's clean speech is repeated, its pieces shuffled on each repeat, with
0.2-0.6 s pauses between pieces, until the turn lasts ``turn_s``. That repetition makes
clustering easier than a real hearing would (same sounds, same microphone); what the file
tests is the long-audio behaviour: 20+ voices over half an hour, a recurring chair, speakers
who appear once.

    python bench/hearing_audio.py OUT.wav      # writes OUT.wav and OUT.rttm
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
DEMO = REPO / "demo"
SAMPLE_RATE = 16000
AMI_CLIPS = ["dev00", "dev01"] + [f"trn{i:02d}" for i in range(10)]
# Clips played whole as council discussion (several voices, overlap), opening and closing.
OPENING = ["trn05", "trn06"]
CLOSING = ["trn08", "dev00"]
MIN_VOICE_S = 2.0


@dataclass
class Voice:
    """One speaker's clean speech: pieces of samples where nobody else talks."""

    label: str
    pieces: list[np.ndarray] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(p.size for p in self.pieces) / SAMPLE_RATE


@dataclass
class Hearing:
    """The joined samples and their reference turns (start, end, label)."""

    samples: np.ndarray
    turns: list[tuple[float, float, str]]
    public_speakers: int

    @property
    def duration(self) -> float:
        return self.samples.size / SAMPLE_RATE

    def rttm(self, uri: str) -> str:
        return "".join(
            f"SPEAKER {uri} 1 {start:.3f} {end - start:.3f} <NA> <NA> {label} <NA> <NA>\n"
            for start, end, label in self.turns
        )


def _read(path: Path) -> np.ndarray:
    import soundfile

    samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    assert rate == SAMPLE_RATE, path
    return samples


def _rttm_turns(path: Path) -> list[tuple[float, float, str]]:
    turns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, length = float(fields[3]), float(fields[4])
            turns.append((start, start + length, fields[7]))
    return turns


def _clean_spans(turns: list[tuple[float, float, str]], label: str) -> list[tuple[float, float]]:
    """Return the spans of ``label``'s turns where no other label speaks (0.3 s or more)."""
    from transcription.diarize.base import subtract

    others = [(a, b) for a, b, other in turns if other != label]
    return [
        (s, e)
        for start, end, who in turns
        if who == label
        for s, e in subtract(start, end, others)
        if e - s >= 0.3
    ]


def _cut(samples: np.ndarray, spans: list[tuple[float, float]]) -> list[np.ndarray]:
    return [samples[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)] for a, b in spans]


def voices() -> dict[str, Voice]:
    """Return every voice of the shared recordings (and the demo) with its clean speech."""
    found: dict[str, Voice] = {}

    def add(label: str, pieces: list[np.ndarray]) -> None:
        found.setdefault(label, Voice(label)).pieces.extend(p for p in pieces if p.size)

    ami = DATA / "ami-pyannote-debug"
    for clip in AMI_CLIPS:
        samples = _read(ami / f"{clip}.wav")[:, 0]
        turns = _rttm_turns(ami / f"{clip}.ami_only_words.rttm")
        for label in dict.fromkeys(t[2] for t in turns):
            add(label, _cut(samples, _clean_spans(turns, label)))
    sample = DATA / "pyannote-sample"
    samples = _read(sample / "sample.wav")[:, 0]
    turns = _rttm_turns(sample / "sample.rttm")
    for label in dict.fromkeys(t[2] for t in turns):
        add(label, _cut(samples, _clean_spans(turns, label)))
    stereo = _read(DATA / "faster-whisper-stereo" / "stereo_diarization.wav")
    # Each channel is one reader (see its SOURCE.md): the left speaks 0-5 s, the right 0.3-2.7 s.
    add("stereo-left", [stereo[:, 0]])
    add("stereo-right", [stereo[int(0.3 * SAMPLE_RATE) : int(2.7 * SAMPLE_RATE), 1]])
    add("jfk", [_read(DATA / "whisper-jfk" / "jfk.wav")[:, 0]])
    demo_rttm = DEMO / "facial-recognition-hearing.rttm"
    demo_audio = DEMO / "facial-recognition-hearing.ogg"
    if demo_rttm.exists() and demo_audio.exists():
        from transcription.audio import decode

        samples = decode(demo_audio)
        turns = _rttm_turns(demo_rttm)
        for label in dict.fromkeys(t[2] for t in turns):
            add(label, _cut(samples, _clean_spans(turns, label)))
    return {label: v for label, v in found.items() if v.seconds >= MIN_VOICE_S}


def build(turn_s: float = 60.0, seed: int = 11) -> Hearing:
    """Return the hearing-shaped recording (about 30-35 minutes with the demo present)."""
    rng = random.Random(seed)
    all_voices = voices()
    chair_label = "evelyn-marsh" if "evelyn-marsh" in all_voices else "MEO069"
    chair = all_voices.pop(chair_label)
    staff = all_voices.pop("jfk")
    public = sorted(all_voices)
    rng.shuffle(public)

    parts: list[np.ndarray] = []
    turns: list[tuple[float, float, str]] = []
    position = 0

    def pause(low: float, high: float) -> None:
        nonlocal position
        gap = np.zeros(int(rng.uniform(low, high) * SAMPLE_RATE), dtype=np.float32)
        parts.append(gap)
        position += gap.size

    def speak(label: str, piece: np.ndarray) -> None:
        nonlocal position
        parts.append(piece.astype(np.float32))
        turns.append((position / SAMPLE_RATE, (position + piece.size) / SAMPLE_RATE, label))
        position += piece.size

    def play_clip(clip: str) -> None:
        nonlocal position
        ami = DATA / "ami-pyannote-debug"
        samples = _read(ami / f"{clip}.wav")[:, 0]
        offset = position / SAMPLE_RATE
        parts.append(samples)
        for start, end, label in _rttm_turns(ami / f"{clip}.ami_only_words.rttm"):
            turns.append((offset + start, offset + end, label))
        position += samples.size

    chair_pieces = list(chair.pieces)
    chair_next = 0

    def chair_says(seconds: float) -> None:
        nonlocal chair_next
        said = 0.0
        while said < seconds:
            piece = chair_pieces[chair_next % len(chair_pieces)][: int(8 * SAMPLE_RATE)]
            chair_next += 1
            speak(chair_label, piece)
            said += piece.size / SAMPLE_RATE
            pause(0.3, 0.6)

    chair_says(15)
    for clip in OPENING:
        play_clip(clip)
        pause(0.5, 1.0)
    for number, label in enumerate(public):
        chair_says(4)
        pause(0.8, 1.5)
        pieces = all_voices[label].pieces
        said = 0.0
        while said < turn_s:
            order = list(range(len(pieces)))
            rng.shuffle(order)
            for index in order:
                speak(label, pieces[index])
                said += pieces[index].size / SAMPLE_RATE
                pause(0.2, 0.6)
                if said >= turn_s:
                    break
        pause(0.8, 1.5)
        if number % 8 == 7:
            chair_says(3)
            for piece in staff.pieces:
                speak("jfk", piece)
            pause(0.5, 1.0)
    chair_says(10)
    for clip in CLOSING:
        play_clip(clip)
        pause(0.5, 1.0)
    chair_says(6)
    return Hearing(np.concatenate(parts), sorted(turns), public_speakers=len(public))


def main() -> None:
    import soundfile

    if len(sys.argv) != 2:
        raise SystemExit(__doc__.strip().splitlines()[-1].strip())
    out = Path(sys.argv[1])
    hearing = build()
    soundfile.write(out, hearing.samples, SAMPLE_RATE, subtype="PCM_16")
    out.with_suffix(".rttm").write_text(hearing.rttm(out.stem), encoding="utf-8")
    labels = {label for _, _, label in hearing.turns}
    print(
        f"wrote {out}: {hearing.duration / 60:.1f} min, {len(labels)} voices"
        f" ({hearing.public_speakers} public speakers once each)"
    )


if __name__ == "__main__":
    main()
