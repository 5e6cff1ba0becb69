"""Names heard in a hearing: introductions, call-ups and thanks, on real and demo wording."""

from __future__ import annotations

import json

import pytest

from hearings.introductions import Turn, names_heard, speaker_turns_of
from tests.conftest import ROOT, shared


def turns(*said: tuple[str, str]) -> list[Turn]:
    return [Turn(label, i * 10_000, text) for i, (label, text) in enumerate(said)]


def demo_turns() -> tuple[list[Turn], dict[str, dict]]:
    lines = []
    for row in (ROOT / "demo" / "facial-recognition-hearing.stm").read_text().splitlines():
        fields = row.split(maxsplit=5)
        lines.append((fields[2], int(float(fields[3]) * 1000), fields[5]))
    meta = json.loads((ROOT / "demo" / "hearing.json").read_text())
    return speaker_turns_of(lines), {s["id"]: s for s in meta["speakers"]}


def test_the_demo_speakers_the_chair_calls_are_named_with_their_organizations():
    spoken, people = demo_turns()
    heard = names_heard(spoken)
    right = {label for label, h in heard.items() if h.name == people[label]["name"]}
    # Everyone but the chair is called up by name; nobody calls the chair.
    assert right == set(people) - {"evelyn-marsh"}
    assert set(heard) == right  # and no voice gets a wrong name
    for label, found in heard.items():
        expected = people[label].get("organisation")
        if expected and label != "gregory-lindqvist":
            assert found.organization == expected, label
    assert heard["gregory-lindqvist"].organization == "Police Department"
    assert heard["tanisha-rowe"].quote == (
        "Our first speaker is Tanisha Rowe, representing the Northside Neighbors Coalition."
    )
    # The call-up and "Thank you, Ms. Rowe." agree: more sure than the call-up alone.
    assert heard["tanisha-rowe"].confidence > 0.8


def test_seattle_council_call_ups_and_thanks_name_the_next_and_the_previous_voice():
    data = json.loads(
        shared(
            "cdp-council-text", "whisper-experiments", "354368917e5c.ground-truth.json"
        ).read_text()
    )
    sentences = {s["text"] for s in data["sentences"]}
    call_up = "Next up we are going to hear from Councilmember Herbold please."
    hear_from = "Hearing none, we will now hear from Councilmember Morales."
    thanks = "Thank you so much, Councilmember Pedersen for that report."
    assert {call_up, hear_from, thanks} <= sentences  # real captions, as written
    heard = names_heard(
        turns(
            ("chair", call_up),
            ("A", "Thank you, and good morning."),
            ("chair", hear_from),
            ("B", "Good morning, colleagues."),
            ("C", "That concludes my report."),
            ("chair", thanks),
        )
    )
    assert {label: h.name for label, h in heard.items()} == {
        "A": "Herbold",
        "B": "Morales",
        "C": "Pedersen",
    }
    assert heard["A"].kind == "call-up" and heard["C"].kind == "thanks"


@pytest.mark.parametrize(
    "text, name, organization",
    [
        ("My name is Ron Jansen, I live on the north side.", "Ron Jansen", None),
        (
            "Hi, my name is Tamika Harris and I'm here on behalf of the ACLU of Wisconsin.",
            "Tamika Harris",
            "ACLU of Wisconsin",
        ),
        (
            "Good evening. I'm Priya Shah, representing Voces de la Frontera.",
            "Priya Shah",
            "Voces de la Frontera",
        ),
        ("My name is Dr. Alan Cole of the Medical College.", "Alan Cole", "Medical College"),
    ],
)
def test_self_introductions(text, name, organization):
    heard = names_heard(turns(("chair", "Next speaker please."), ("S", text)))
    assert heard["S"].name == name
    assert heard["S"].organization == organization
    assert heard["S"].kind == "introduction"


@pytest.mark.parametrize(
    "text",
    [
        "Thank you, Madam Chair, and thank you, commissioners.",
        "That I am Cosponsoring with Councilmember Morales.",
        "I'm here to oppose this ordinance.",
        "Thank you, Chief of Staff.",
        "We will now hear from the public.",
        "I am a staff attorney with the project.",
        # Found in review: each named somebody who was not there.
        "I call on Mayor Harrell to veto this.",
        "Next is Resolution 32000.",
        "Next we have Ordinance 126789.",
        "I am Strongly Opposed to this.",
        "I'm Pro Housing, and proud of it.",
        "Okay. Go Ahead, you have two minutes.",
        "Thank you, Seattle.",
        "We will now hear from Seattle Department of Transportation.",
    ],
)
def test_ordinary_sentences_name_nobody(text):
    assert names_heard(turns(("A", "Good evening."), ("B", text), ("C", "Thank you."))) == {}


def test_a_name_heard_for_the_same_voice_as_the_speaker_is_not_a_call_up():
    # The chair saying "we will hear from X" and then speaking on is not X.
    heard = names_heard(turns(("chair", "We will now hear from Alder Jones. Jones, go ahead.")))
    assert heard == {}


def test_of_two_call_ups_in_one_turn_the_later_names_the_next_voice():
    heard = names_heard(
        turns(
            (
                "chair",
                "Our next speaker is Bob Lee. I don't see Bob. Our next speaker is Jane Doe.",
            ),
            ("S", "Good evening."),
        )
    )
    assert heard["S"].name == "Jane Doe"


def test_a_place_after_of_is_no_organization():
    heard = names_heard(turns(("chair", "Next we have Jane Doe of Ballard."), ("S", "Hello.")))
    assert heard["S"].name == "Jane Doe" and heard["S"].organization is None


def test_a_long_turn_without_full_stops_gives_a_short_quote():
    text = (
        "we heard from residents " * 3000
        + "and our next speaker is Jane Doe "
        + "and so on " * 3000
    )
    heard = names_heard(turns(("chair", text), ("S", "Hello.")))
    assert heard["S"].name == "Jane Doe" and len(heard["S"].quote) <= 300
