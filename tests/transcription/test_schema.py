"""How times are shown: one h:mm:ss for transcript lines, pages, exports and messages."""

import pytest

from hearings.timecodes import clock as clock_ms
from transcription.schema import clock


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0:00:00"), (9.99, "0:00:09"), (61, "0:01:01"), (10805, "3:00:05"), (-2, "0:00:00")],
)
def test_clock_cuts_to_whole_seconds(seconds, shown):
    assert clock(seconds) == shown


def test_the_site_and_the_pipeline_show_a_time_alike():
    for ms in (0, 999, 1000, 59_999, 3_600_000, 12_345_678):
        assert clock_ms(ms) == clock(ms / 1000)
