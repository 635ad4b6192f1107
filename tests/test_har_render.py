"""What the HAR Space shows: activity spans on the timeline, shares and tables, and the figures' panels."""

from __future__ import annotations

import numpy as np

from core.har.data import ACTIVITIES
from core.har.pipeline import HARResult
from core.har.render import activity_spans, plot_result, shares_frame, windows_frame


def result_of(labels: list[int], *, acc: bool = True) -> HARResult:
    probabilities = np.full((len(labels), 6), 0.02)
    probabilities[np.arange(len(labels)), labels] = 0.9
    n = 64 * (len(labels) + 1)
    return HARResult(
        probabilities=probabilities,
        starts_s=np.arange(len(labels)) * 1.28,
        variant="full",
        acc=np.zeros((n, 3)) if acc else None,
        gyro=np.zeros((n, 3)) if acc else None,
    )


def test_spans_give_each_window_its_central_half_and_reach_both_ends():
    spans = activity_spans(result_of([0, 0, 3, 3, 3]))
    assert spans == [(0.0, 1.28 + 2.56 - 0.64, "WALKING"), (2.56 + 0.64, 7.68, "SITTING")]


def test_shares_and_tables():
    result = result_of([5, 5, 5, 1])
    shares = shares_frame(result)
    assert shares["activity"].tolist()[:2] == ["LAYING", "WALKING_UPSTAIRS"]
    assert shares["share"].tolist()[:2] == ["75.0%", "25.0%"]
    table = windows_frame(result)
    assert table["activity"].tolist() == ["LAYING"] * 3 + ["WALKING_UPSTAIRS"]
    assert table[["start_s", "end_s"]].iloc[1].tolist() == [1.28, 3.84]
    assert list(table.columns[-6:]) == [label.lower() for label in ACTIVITIES]


def test_figures_have_signal_and_probability_panels():
    assert len(plot_result(result_of([0, 1, 2])).axes) == 3  # acceleration, rotation rate, probabilities
    windows_only = plot_result(result_of([0, 1, 2], acc=False))
    assert "3 windows" in windows_only.axes[0].get_title()
