"""The request's facts: the time it only waited for departments is the union of its waits."""

from __future__ import annotations

import pytest

from schema.facts import Recorder


@pytest.mark.parametrize(("waits", "union"), [
    ([], 0.0),
    ([(1.0, 1.5)], 0.5),
    ([(1.0, 1.5), (2.0, 2.25)], 0.75),  # apart: both
    ([(1.0, 2.0), (1.5, 2.5)], 1.5),  # two checks of one request waiting together: once
    ([(1.0, 3.0), (1.5, 2.0)], 2.0),  # one inside the other
    ([(2.0, 2.5), (1.0, 2.0)], 1.5),  # recorded out of order, touching
])
def test_waits_count_once_however_they_overlap(waits: list[tuple[float, float]],
                                               union: float) -> None:
    recorder = Recorder()
    for start, end in waits:
        recorder.waited(start, end)
    assert recorder.freeze().waited_s == pytest.approx(union)
