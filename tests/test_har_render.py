"""What the HAR Space shows: activity spans on the timeline, shares, window and bout tables, and the interactive
figures' panels, steps and thinning."""

from __future__ import annotations

import numpy as np

from core.har.data import ACTIVITIES
from core.har.pipeline import HARResult
from core.har.render import MAX_TRACE_POINTS, activity_spans, bouts_frame, plot_result, shares_frame, windows_frame
from core.har.steps import Bout


def result_of(labels: list[int], *, acc: bool = True, bouts: tuple[Bout, ...] | None = None) -> HARResult:
    probabilities = np.full((len(labels), 6), 0.02)
    probabilities[np.arange(len(labels)), labels] = 0.9
    n = 64 * (len(labels) + 1)
    return HARResult(
        probabilities=probabilities,
        starts_s=np.arange(len(labels)) * 1.28,
        variant="full",
        acc=np.zeros((n, 3)) if acc else None,
        gyro=np.zeros((n, 3)) if acc else None,
        bouts=bouts,
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


def test_figures_have_signal_and_probability_panels_with_each_bouts_steps():
    bouts = (Bout(0.0, 6.4, 11, 110.0), Bout(8.0, 9.0, 2, None))
    figure = plot_result(result_of([0, 0, 0, 0, 3, 3, 0], bouts=bouts))
    axes = {trace.yaxis for trace in figure.data}
    assert axes == {"y", "y2", "y3"}  # acceleration, rotation rate, probabilities
    assert [t.name for t in figure.data if t.yaxis == "y3"] == [label.lower().replace("_", " ") for label in ACTIVITIES]
    assert [a.text for a in figure.layout.annotations] == ["11 steps, 110/min", "2 steps"]
    assert len(figure.layout.shapes) == 6  # walking, sitting, walking spans behind each of the two signal panels
    windows_only = plot_result(result_of([0, 1, 2], acc=False))
    assert "3 windows" in windows_only.layout.title.text


def test_long_signals_are_thinned_per_trace():
    labels = [0] * 2000  # about 43 min at 50 Hz
    figure = plot_result(result_of(labels))
    signal = [t for t in figure.data if t.yaxis == "y"]
    assert len(signal) == 3 and all(len(t.x) <= MAX_TRACE_POINTS for t in signal)
    assert figure.data[0].x[-1] >= 64 * 2000 / 50 - 1  # still reaches the end


def test_bout_table():
    table = bouts_frame(result_of([0, 0], bouts=(Bout(0.0, 6.4, 11, 110.04), Bout(8.0, 9.0, 2, None))))
    assert table.drop(columns="cadence_per_min").to_dict("list") == {
        "bout": [1, 2],
        "start_s": [0.0, 8.0],
        "end_s": [6.4, 9.0],
        "duration_s": [6.4, 1.0],
        "steps": [11, 2],
    }
    assert table["cadence_per_min"][0] == 110.0 and table["cadence_per_min"].isna()[1]  # too short for a cadence


def test_a_merged_timeline_shows_its_classes_and_the_placement_in_the_title():
    from core.har.pipeline import MERGED_LABELS, MERGED_STILL, MERGED_WALKING

    n = 64 * 5
    result = HARResult(
        probabilities=np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.1, 0.9]]),
        starts_s=np.arange(4) * 1.28,
        variant="placement",
        labels=MERGED_LABELS,
        acc=np.zeros((n, 3)),
        placement="pocket",
        placement_confidence=0.97,
        placement_source="inferred",
        unknown_below=0.9,
    )
    figure = plot_result(result)
    assert "Placement: trouser pocket (inferred, confidence 0.97)." in figure.layout.title.text
    stacked = [trace.name for trace in figure.data if getattr(trace, "stackgroup", None) == "probability"]
    assert stacked == ["walking (level or stairs)", "still (sitting, standing or lying)"]
    assert [label for _, _, label in activity_spans(result)] == [MERGED_WALKING, MERGED_STILL]
    assert windows_frame(result).columns.tolist()[-2:] == [
        "walking (level or stairs)",
        "still (sitting, standing or lying)",
    ]
