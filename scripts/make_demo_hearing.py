"""Generate the synthetic demo hearing: audio, reference transcript, speaker turns and metadata.

Every voice is espeak-ng; the hearing, the city, the people and the organisations are fictional.
The output is deterministic: the same script and the same espeak-ng, ffmpeg and numpy give
byte-identical files, so a regenerated demo shows up in a diff only when the script changed.

Usage: python scripts/make_demo_hearing.py [--out-dir demo]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
URI = "facial-recognition-hearing"
# espeak-ng's native rate: the mix is built at this rate so turn times are exact sample counts;
# the encoder resamples to 16 kHz.
SYNTH_RATE = 22050
ENCODED_RATE = 16000
OPUS_BITRATE = "24k"
# Below this absolute level a synthesised clip's edge counts as silence and is trimmed, so that a
# turn starts at its first audible sample and ends at its last.
TRIM_LEVEL = 0.004
LEAD_IN_S = 1.2
TAIL_S = 1.5
# Pauses between the sentences of one turn: short enough that a listener hears one turn.
SENTENCE_GAPS_S = (0.32, 0.41, 0.27, 0.36, 0.45, 0.30)
ROOM_TONE_DBFS = -52.0
NOISE_SEED = 20260312


@dataclass(frozen=True)
class Speaker:
    """A fictional participant and the espeak-ng voice that speaks for them."""

    slug: str
    name: str
    # chair, presenter (the department) or public (testimony from residents and groups).
    role: str
    title: str
    organisation: str
    position: str
    concerns: tuple[str, ...]
    voice: str
    speed_wpm: int
    pitch: int
    # Extra silence between words, in 10 ms units: a little makes espeak-ng easier to recognise.
    word_gap: int
    gain_db: float
    # sox effects after synthesis. espeak-ng's variants share one formant model, so a shift of
    # the whole spectrum (sox pitch, in cents) is what makes two voices sound like two people
    # to a speaker-embedding model, not only to a listener.
    effects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    """One speaker's uninterrupted contribution."""

    speaker: str
    sentences: tuple[str, ...]
    # Silence before the turn, counted from the end of the previous one; a negative gap makes
    # it overlap the previous turn (an interjection).
    gap_s: float


SPEAKERS = (
    Speaker(
        slug="evelyn-marsh",
        name="Evelyn Marsh",
        role="chair",
        title="Chair",
        organisation="Equal Rights Commission",
        position="neutral",
        concerns=(),
        voice="en-us+f3",
        speed_wpm=152,
        pitch=55,
        word_gap=2,
        gain_db=0.0,
    ),
    Speaker(
        slug="gregory-lindqvist",
        name="Gregory Lindqvist",
        role="presenter",
        title="Chief of Staff",
        organisation="Lakeport Police Department",
        position="support",
        concerns=("investigative speed", "human review of matches", "data retention limits"),
        voice="en-us+m3",
        speed_wpm=150,
        pitch=42,
        word_gap=2,
        gain_db=-1.5,
        effects=("pitch", "-300"),
    ),
    Speaker(
        slug="tanisha-rowe",
        name="Tanisha Rowe",
        role="public",
        title="Member",
        organisation="Northside Neighbors Coalition",
        position="oppose",
        concerns=("misidentification", "racial bias", "over-policing of one neighbourhood"),
        voice="en-us+f5",
        speed_wpm=150,
        pitch=60,
        word_gap=2,
        gain_db=-3.0,
        effects=("pitch", "-150"),
    ),
    Speaker(
        slug="daniel-brooks",
        name="Daniel Brooks",
        role="public",
        title="Policy Director",
        organisation="Riverwest Privacy Alliance",
        position="oppose",
        concerns=("data storage", "vendor data sharing", "transparency", "independent audits"),
        voice="en-gb+m2",
        speed_wpm=158,
        pitch=48,
        word_gap=1,
        gain_db=-2.0,
    ),
    Speaker(
        slug="lucia-moreno",
        name="Lucia Moreno",
        role="public",
        title="Staff Attorney",
        organisation="Eastgate Immigrant Rights Project",
        position="oppose",
        concerns=("immigration-enforcement access", "federal data sharing", "chilling effect"),
        voice="en-us+f2",
        speed_wpm=150,
        pitch=68,
        word_gap=2,
        gain_db=-2.5,
        effects=("pitch", "-350"),
    ),
    Speaker(
        slug="harold-pruitt",
        name="Harold Pruitt",
        role="public",
        title="Board Member",
        organisation="Downtown Business Association",
        position="support",
        concerns=("retail crime", "unsolved break-ins", "investigative speed"),
        voice="en-us+m7",
        speed_wpm=148,
        pitch=32,
        word_gap=2,
        gain_db=-1.0,
    ),
    Speaker(
        slug="priya-shah",
        name="Priya Shah",
        role="public",
        title="Resident",
        organisation="",
        position="neutral",
        concerns=("cost", "transparency", "accuracy reporting", "pilot with a sunset date"),
        voice="en-gb+f4",
        speed_wpm=152,
        pitch=58,
        word_gap=2,
        gain_db=-3.5,
        effects=("pitch", "200"),
    ),
)

TURNS = (
    Turn(
        "evelyn-marsh",
        (
            "Good evening, everyone.",
            "This special meeting of the Equal Rights Commission will now come to order.",
            "Tonight the commission will take public testimony on a communication relating to the "
            "Police Department's proposed use of facial recognition technology.",
            "I would like to call Chief of Staff Gregory Lindqvist, from the Police Department.",
        ),
        0.0,
    ),
    Turn(
        "gregory-lindqvist",
        (
            "Thank you, Madam Chair, and thank you, commissioners.",
            "The software would compare a still image from a crime scene against our own booking "
            "photographs.",
            "It is a lead generator, nothing more.",
            "A match would never be enough, on its own, to arrest anyone or to obtain a warrant.",
            "Every possible match would be checked by two trained analysts before a detective "
            "could use it.",
            "We would not use the system on live video, at protests, or on body camera footage.",
        ),
        0.9,
    ),
    Turn(
        "evelyn-marsh",
        (
            "Thank you, Chief of Staff.",
            "Before we move on, how long would the department keep the images, and who else "
            "could see them?",
        ),
        0.7,
    ),
    Turn(
        "gregory-lindqvist",
        (
            "Search images would be deleted after one year unless they become evidence in a case.",
            "We would not give outside agencies access, and any federal request would require a "
            "court order.",
        ),
        1.1,
    ),
    Turn(
        "evelyn-marsh",
        (
            "We will now hear from the public.",
            "Our first speaker is Tanisha Rowe, representing the Northside Neighbors Coalition.",
        ),
        0.8,
    ),
    Turn(
        "tanisha-rowe",
        (
            "Good evening, and thank you for hearing us.",
            "I have lived on the north side for twenty years, and our coalition is against this "
            "proposal.",
            "Study after study has found that these systems make more mistakes with darker skin, "
            "with women, and with young people.",
            "Calling it a lead generator does not help the man who is wrongly named as the lead.",
            "Our neighborhood already has more cameras and more traffic stops than anywhere else "
            "in this city.",
            "Please do not add one more tool that will hurt our community the most.",
        ),
        1.2,
    ),
    Turn(
        "evelyn-marsh",
        ("Thank you, Ms. Rowe.", "Next we have Daniel Brooks of the Riverwest Privacy Alliance."),
        0.6,
    ),
    Turn(
        "daniel-brooks",
        (
            "Thank you, commissioners.",
            "My concern is the data.",
            "The department says images will be deleted after a year, but the draft contract "
            "lets the vendor keep copies to improve its product.",
            "We also have no public audit log, no annual report, and no way to know how often "
            "the system is searched, or by whom.",
            "If the department wants our trust, it should publish every search and every error, "
            "and let an independent auditor check the numbers.",
        ),
        0.9,
    ),
    # The chair thanks the speaker while he is still finishing: the one overlap in the demo.
    Turn("evelyn-marsh", ("Thank you, Mr. Brooks.",), -0.45),
    Turn(
        "evelyn-marsh",
        ("Our next speaker is Lucia Moreno of the Eastgate Immigrant Rights Project.",),
        0.5,
    ),
    Turn(
        "lucia-moreno",
        (
            "Good evening, I am a staff attorney with the project.",
            "Many of the families we serve are already afraid to call the police.",
            "They ask us whether their photos could end up with immigration agents, and today we "
            "cannot honestly tell them no.",
            "A court order sounds reassuring, but federal agencies can also reach local data "
            "through shared regional databases.",
            "If this system is approved, the policy must forbid any use for immigration "
            "enforcement, in plain words, with real penalties.",
        ),
        1.0,
    ),
    Turn(
        "evelyn-marsh",
        (
            "Thank you very much.",
            "Harold Pruitt of the Downtown Business Association, you have the floor.",
        ),
        0.7,
    ),
    Turn(
        "harold-pruitt",
        (
            "Thank you, Madam Chair.",
            "I own a hardware store on Commerce Street, and our association supports the "
            "department's request.",
            "Last year our members reported dozens of break-ins where clear video existed but "
            "nobody could be identified.",
            "Saying no to the technology entirely leaves those victims waiting for answers.",
        ),
        1.1,
    ),
    Turn(
        "evelyn-marsh",
        ("Our final speaker is Priya Shah, who is speaking as a resident.",),
        0.8,
    ),
    Turn(
        "priya-shah",
        (
            "Good evening, commissioners.",
            "I am neither for nor against this proposal yet, because I do not have enough "
            "information.",
            "The department puts the software at about four hundred thousand dollars over three "
            "years, but that figure leaves out training, storage, and staff time.",
            "I would ask for a full cost estimate, a one year pilot with a sunset date, and "
            "published accuracy results by race and gender.",
            "If the numbers hold up, I could support it, and if they do not, the city should "
            "walk away.",
        ),
        1.0,
    ),
    Turn(
        "evelyn-marsh",
        (
            "Thank you, Ms. Shah.",
            "That concludes public testimony.",
            "The commission will vote on its recommendation at our next regular meeting.",
            "This hearing is adjourned.",
        ),
        0.9,
    ),
)

HEARING = {
    "synthetic": True,
    "note": (
        "Synthetic demo recording. Every voice is espeak-ng text-to-speech; the city, the hearing, "
        "the people and the organisations are fictional. Generated by "
        "scripts/make_demo_hearing.py."
    ),
    "title": "Public hearing on the Police Department's proposed use of facial recognition",
    "body": "Equal Rights Commission",
    "jurisdiction": "City of Lakeport (fictional)",
    "date": "2026-03-12",
    "start_time": "18:00",
    "location": "City Hall, Room 301 (fictional)",
    "matter": {
        "file_number": "ERC 26-0148",
        "title": (
            "Communication relating to the Police Department's proposed use of facial "
            "recognition technology"
        ),
        "text": (
            "Communication from the Chief of Police requesting the Commission's review of a "
            "proposed policy and vendor contract for facial recognition software that would "
            "compare still images from criminal investigations against the department's booking "
            "photographs. Public hearing with testimony from the department and the public."
        ),
    },
}


def run(command: list[str]) -> None:
    """Run a tool, failing with its own error output."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")


def synthesise(speaker: Speaker, sentence: str, workdir: Path, index: int) -> np.ndarray:
    """Speak one sentence and return it trimmed to its audible span, as float samples."""
    path = workdir / f"{index:03d}-{speaker.slug}.wav"
    run(
        [
            "espeak-ng",
            "-v",
            speaker.voice,
            "-s",
            str(speaker.speed_wpm),
            "-p",
            str(speaker.pitch),
            "-g",
            str(speaker.word_gap),
            "-w",
            str(path),
            sentence,
        ]
    )
    raw = path.with_suffix(".f32")
    output_format = ["-t", "raw", "-e", "floating-point", "-b", "32", "-L", "-c", "1"]
    run(["sox", str(path), *output_format, "-r", str(SYNTH_RATE), str(raw), *speaker.effects])
    audio = np.fromfile(raw, dtype="<f4").astype(np.float64)
    audible = np.flatnonzero(np.abs(audio) > TRIM_LEVEL)
    if audible.size == 0:
        sys.exit(f"espeak-ng produced silence for: {sentence}")
    return audio[audible[0] : audible[-1] + 1] * 10 ** (speaker.gain_db / 20)


def room_tone(length: int) -> np.ndarray:
    """Return seeded pink noise at ROOM_TONE_DBFS, the hum of a hearing room."""
    white = np.random.default_rng(NOISE_SEED).standard_normal(length)
    spectrum = np.fft.rfft(white)
    frequencies = np.fft.rfftfreq(length, d=1 / SYNTH_RATE)
    # 1/f power falls off towards the highs like ventilation rumble; below 20 Hz is cut.
    spectrum *= np.where(frequencies < 20, 0.0, 1 / np.sqrt(np.maximum(frequencies, 20)))
    tone = np.fft.irfft(spectrum, n=length)
    return tone / np.sqrt(np.mean(tone**2)) * 10 ** (ROOM_TONE_DBFS / 20)


def seconds(sample: int) -> float:
    """Convert a sample index of the mix to seconds, rounded to the millisecond."""
    return round(sample / SYNTH_RATE, 3)


def build(out_dir: Path) -> dict:
    """Synthesise the hearing and write the audio, references and metadata into out_dir."""
    speakers = {speaker.slug: speaker for speaker in SPEAKERS}
    utterances: list[tuple[str, int, int, str]] = []  # speaker, start, end (samples), text
    placed: list[tuple[int, np.ndarray]] = []
    turns: list[tuple[str, int, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        cursor = int(LEAD_IN_S * SYNTH_RATE)
        index = 0
        for turn_number, turn in enumerate(TURNS):
            speaker = speakers[turn.speaker]
            start = cursor + int(round(turn.gap_s * SYNTH_RATE)) if turn_number else cursor
            position = start
            for sentence_number, sentence in enumerate(turn.sentences):
                if sentence_number:
                    gap = SENTENCE_GAPS_S[index % len(SENTENCE_GAPS_S)]
                    position += int(round(gap * SYNTH_RATE))
                clip = synthesise(speaker, sentence, workdir, index)
                index += 1
                placed.append((position, clip))
                utterances.append((speaker.slug, position, position + len(clip), sentence))
                position += len(clip)
            turns.append((speaker.slug, start, position))
            cursor = max(cursor, position)

    length = cursor + int(TAIL_S * SYNTH_RATE)
    mix = room_tone(length)
    for position, clip in placed:
        mix[position : position + len(clip)] += clip
    mix *= 0.89 / np.max(np.abs(mix))  # about -1 dBFS peak, leaving the encoder headroom

    out_dir.mkdir(parents=True, exist_ok=True)
    audio_path = out_dir / f"{URI}.ogg"
    with tempfile.TemporaryDirectory() as tmp:
        wav_path = Path(tmp) / f"{URI}.wav"
        with wave.open(str(wav_path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(SYNTH_RATE)
            wav.writeframes(np.round(mix * 32767).astype("<i2").tobytes())
        # bitexact keeps ffmpeg's version string and a random Ogg serial number out of the file.
        run(
            [
                "ffmpeg",
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(wav_path),
                "-map_metadata",
                "-1",
                "-fflags",
                "+bitexact",
                "-flags:a",
                "+bitexact",
                "-ac",
                "1",
                "-ar",
                str(ENCODED_RATE),
                "-c:a",
                "libopus",
                "-b:a",
                OPUS_BITRATE,
                "-application",
                "voip",
                str(audio_path),
            ]
        )

    ordered = sorted(utterances, key=lambda u: (u[1], u[2]))
    ordered_turns = sorted(turns, key=lambda t: (t[1], t[2]))
    (out_dir / f"{URI}.txt").write_text(
        "\n".join(turn_text(ordered, turn) for turn in ordered_turns) + "\n", encoding="utf-8"
    )
    (out_dir / f"{URI}.rttm").write_text(
        "".join(
            f"SPEAKER {URI} 1 {seconds(start):.3f} {seconds(end) - seconds(start):.3f} "
            f"<NA> <NA> {slug} <NA> <NA>\n"
            for slug, start, end in ordered_turns
        ),
        encoding="utf-8",
    )
    (out_dir / f"{URI}.stm").write_text(
        "".join(
            f"{URI} 1 {slug} {seconds(start):.3f} {seconds(end):.3f} {text}\n"
            for slug, start, end, text in ordered
        ),
        encoding="utf-8",
    )

    duration = round(length / SYNTH_RATE, 3)
    metadata = dict(HEARING)
    metadata["media"] = {
        "audio": audio_path.name,
        "transcript": f"{URI}.txt",
        "speaker_turns": f"{URI}.rttm",
        "speaker_transcript": f"{URI}.stm",
        "duration_s": duration,
        "codec": f"Opus in Ogg, mono, {ENCODED_RATE} Hz, {OPUS_BITRATE}bit/s",
    }
    metadata["speakers"] = [
        {
            "id": speaker.slug,
            "name": speaker.name,
            "role": speaker.role,
            "title": speaker.title,
            "organisation": speaker.organisation or None,
            "position": speaker.position,
            "concerns": list(speaker.concerns),
            "voice": {
                "engine": "espeak-ng",
                "voice": speaker.voice,
                "speed_wpm": speaker.speed_wpm,
                "pitch": speaker.pitch,
                "word_gap": speaker.word_gap,
            },
            "turns": [
                {"start": seconds(start), "end": seconds(end)}
                for slug, start, end in ordered_turns
                if slug == speaker.slug
            ],
        }
        for speaker in SPEAKERS
    ]
    (out_dir / "hearing.json").write_text(
        json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return metadata


def turn_text(utterances: list[tuple[str, int, int, str]], turn: tuple[str, int, int]) -> str:
    """Join the sentences one speaker said within one turn."""
    slug, start, end = turn
    return " ".join(
        text for who, first, last, text in utterances if who == slug and start <= first < end
    )


def main() -> None:
    """Parse arguments, check the tools are there and build the demo."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=REPO / "demo")
    args = parser.parse_args()
    missing = [tool for tool in ("espeak-ng", "sox", "ffmpeg") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"missing tools: {', '.join(missing)}")
    metadata = build(args.out_dir)
    audio = args.out_dir / metadata["media"]["audio"]
    print(
        f"{audio}: {metadata['media']['duration_s']:.1f} s, {audio.stat().st_size / 1e6:.2f} MB, "
        f"{len(metadata['speakers'])} speakers"
    )


if __name__ == "__main__":
    main()
