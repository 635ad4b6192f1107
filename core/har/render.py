"""What a person sees of a HAR result: interactive Plotly figures of the signals under an activity timeline with
each walking bout's steps, per-window probabilities, the share of time per activity, and window and bout tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.figures import Note, Span, shade
from core.har.data import HAR_FS, STEP
from core.har.pipeline import MERGED_STILL, MERGED_WALKING, HARResult
from core.results import rounded

ACTIVITY_COLOURS = {
    "WALKING": "#2ca02c",
    "WALKING_UPSTAIRS": "#ff7f0e",
    "WALKING_DOWNSTAIRS": "#d62728",
    "SITTING": "#1f77b4",
    "STANDING": "#9467bd",
    "LAYING": "#8c564b",
    MERGED_WALKING: "#2ca02c",
    MERGED_STILL: "#1f77b4",
}
AXIS_COLOURS = ("#262626", "#737373", "#b3b3b3")
MAX_TRACE_POINTS = 4000
"""Points per signal trace: longer recordings are thinned by a stride (the windows' labels are not)."""


def activity_spans(result: HARResult) -> list[tuple[float, float, str]]:
    """(start s, end s, activity) runs; each window owns its central half, the first and last reach the ends."""
    predicted = result.predicted
    quarter = STEP / HAR_FS / 2
    spans, first = [], 0
    for i in range(1, len(predicted) + 1):
        if i == len(predicted) or predicted[i] != predicted[first]:
            start = 0.0 if first == 0 else result.starts_s[first] + quarter
            end = result.duration_s if i == len(predicted) else result.starts_s[i - 1] + result.window_s - quarter
            spans.append((float(start), float(end), predicted[first]))
            first = i
    return spans


def _name(label: str) -> str:
    return label.lower().replace("_", " ")


def _plot_windows_only(result: HARResult) -> go.Figure:
    """Pre-cut windows: a probability heat map per window, with the file's reference labels when it has them."""
    fig = go.Figure(
        go.Heatmap(
            z=result.probabilities.T,
            y=[_name(label) for label in result.labels],
            colorscale="Blues",
            zmin=0,
            zmax=1,
            colorbar={"title": "probability"},
        )
    )
    title = f"Activity probability of {len(result.probabilities)} windows ({result.variant} model)"
    if result.true_labels is not None:
        fig.add_trace(
            go.Scatter(
                x=np.arange(len(result.true_labels)),
                y=[_name(result.labels[i]) for i in result.true_labels],
                mode="markers",
                marker={"symbol": "x", "color": "#d62728", "size": 5},
                name="reference label",
            )
        )
        title += f"; accuracy {result.accuracy():.1%}"
    fig.update_layout(title=title, xaxis_title="window", height=380, margin={"t": 60, "b": 40})
    return fig


def plot_result(result: HARResult) -> go.Figure:
    """Signals with the predicted activity behind them and each walking bout's steps and cadence, and the per-window
    probabilities below; interactive (zoom, hover)."""
    if result.acc is None:
        return _plot_windows_only(result)
    signals = [("acceleration (g)", result.acc)] + (
        [("rotation rate (rad/s)", result.gyro)] if result.gyro is not None else []
    )
    rows = len(signals) + 1
    fig = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.05, row_heights=[1.3] * len(signals) + [1.0]
    )
    index = np.arange(0, len(result.acc), max(1, int(np.ceil(len(result.acc) / MAX_TRACE_POINTS))))
    t = index / HAR_FS
    for row, (ylabel, values) in enumerate(signals, start=1):
        for axis, colour in zip("xyz", AXIS_COLOURS):
            fig.add_trace(
                go.Scattergl(
                    x=t,
                    y=values[index, "xyz".index(axis)],
                    mode="lines",
                    name=axis,
                    legendgroup=axis,
                    showlegend=row == 1,
                    line={"color": colour, "width": 1},
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text=ylabel, row=row, col=1)
    shade(
        fig,
        [Span(start, end, ACTIVITY_COLOURS[label]) for start, end, label in activity_spans(result)],
        list(range(1, len(signals) + 1)),
        opacity=0.2,
        notes=[
            Note(
                (bout.start_s + bout.end_s) / 2,
                f"{bout.steps} steps" + ("" if bout.cadence is None else f", {bout.cadence:.0f}/min"),
            )
            for bout in result.bouts or ()
        ],
    )
    centres = result.starts_s + result.window_s / 2
    for i, label in enumerate(result.labels):
        fig.add_trace(
            go.Scatter(
                x=centres,
                y=result.probabilities[:, i],
                mode="lines",
                stackgroup="probability",
                name=_name(label),
                line={"color": ACTIVITY_COLOURS[label], "width": 0.5},
            ),
            row=rows,
            col=1,
        )
    fig.update_yaxes(title_text="probability", range=[0, 1], row=rows, col=1)
    fig.update_xaxes(title_text="time (s)", range=[0, result.duration_s], row=rows, col=1)
    title = f"Predicted activity over {result.duration_s:.0f} s ({result.variant} model)"
    if result.placement_source is not None:
        title += f"<br><sup>{result.placement_text()}</sup>"
    fig.update_layout(
        title=title,
        height=220 * rows + 80,
        margin={"t": 60, "b": 40},
        legend={"orientation": "h", "y": 1.08},
    )
    return fig


def bouts_frame(result: HARResult) -> pd.DataFrame:
    """One row per walking bout: start, end, duration, steps and cadence (steps/min)."""
    bouts = result.bouts or ()
    return pd.DataFrame(
        {
            "bout": np.arange(1, len(bouts) + 1),
            "start_s": [round(b.start_s, 2) for b in bouts],
            "end_s": [round(b.end_s, 2) for b in bouts],
            "duration_s": [round(b.end_s - b.start_s, 2) for b in bouts],
            "steps": [b.steps for b in bouts],
            "cadence_per_min": [None if b.cadence is None else round(b.cadence, 1) for b in bouts],
        }
    )


def shares_frame(result: HARResult) -> pd.DataFrame:
    """Share of time per activity, most frequent first."""
    shares = result.shares()
    frame = pd.DataFrame(
        {
            "activity": list(shares),
            "share": [f"{share:.1%}" for share in shares.values()],
            "minutes": [round(share * result.duration_s / 60, 2) for share in shares.values()],
            "_order": list(shares.values()),
        }
    )
    return frame.sort_values("_order", ascending=False).drop(columns="_order").reset_index(drop=True)


def windows_frame(result: HARResult) -> pd.DataFrame:
    """One row per window: start, end, activity, confidence and every class probability."""
    starts = np.full(len(result.probabilities), np.nan) if result.starts_s is None else result.starts_s
    frame = pd.DataFrame(
        {
            "window": np.arange(1, len(result.probabilities) + 1),
            "start_s": rounded(starts, 2),
            "end_s": rounded(starts + result.window_s, 2),
            "activity": result.predicted,
            "confidence": rounded(result.confidence, 3),
        }
    )
    for i, label in enumerate(result.labels):
        frame[label.lower()] = rounded(result.probabilities[:, i], 3)
    return frame
