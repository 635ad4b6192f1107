"""What a person sees of an ECG result: an interactive strip with coloured beats (and the beats that disagree with a
reference), the heart rate with its ectopic episodes, and tables of beats, classes, rhythm and scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.ecg.beats import BEAT_FS
from core.ecg.pipeline import ECGResult
from core.results import rounded

CLASS_COLOURS = {"N": "#2ca02c", "S": "#1f77b4", "V": "#d62728", "F": "#ff7f0e", "Q": "#9467bd"}
CLASS_NAMES = {
    "N": "normal",
    "S": "supraventricular ectopic",
    "V": "ventricular ectopic",
    "F": "fusion",
    "Q": "paced / unclassifiable",
}
EPISODE_COLOURS = {"S": "rgba(31,119,180,0.18)", "V": "rgba(214,39,40,0.18)"}
MAX_TRACE_POINTS = 4000
"""Points per signal trace: longer signals are min-max decimated, so a 30-minute record stays light."""
MAX_ROW_BEATS = 100
"""Pre-cut beats drawn per class."""
ZOOM_S = 10.0


def minmax_decimate(values: np.ndarray, *, max_points: int = MAX_TRACE_POINTS) -> np.ndarray:
    """Indices of at most about `max_points` samples keeping each block's minimum and maximum, in order, so that every
    QRS complex still reaches its full height in a thinned trace."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    size = int(np.ceil(n / (max_points // 2)))
    whole = n // size * size
    blocks = np.asarray(values[:whole]).reshape(-1, size)
    starts = np.arange(len(blocks)) * size
    pairs = np.sort(np.stack([blocks.argmin(axis=1), blocks.argmax(axis=1)], axis=1), axis=1) + starts[:, None]
    tail = np.arange(whole, n)
    if len(tail):
        tail = np.unique([tail[np.argmin(values[whole:])], tail[np.argmax(values[whole:])]])
    return np.concatenate([pairs.ravel(), tail]).astype(int)


def _name(label: str) -> str:
    return CLASS_NAMES.get(label, label)


def _colour(label: str) -> str:
    return CLASS_COLOURS.get(label, "#7f7f7f")


def _zoom_start(result: ECGResult) -> float:
    """Start of a 10 s close-up: around the first disagreement with the reference, else the first non-normal beat,
    else the beginning."""
    if result.scoring is not None and result.scoring.disagreements():
        return max(0.0, result.scoring.disagreements()[0]["time_s"] - 2.0)
    abnormal = np.flatnonzero(np.array(result.predicted) != "N")
    return max(0.0, float(result.times_s[abnormal[0]]) - 2.0) if len(abnormal) else 0.0


def _add_strip(fig: go.Figure, result: ECGResult, start_s: float, stop_s: float, row: int, *, legend: bool) -> None:
    """The lead between two times (decimated when long), its beats by class and the disagreeing beats."""
    first, last = int(start_s * result.fs), min(len(result.lead), int(np.ceil(stop_s * result.fs)))
    index = first + minmax_decimate(result.lead[first:last])
    fig.add_trace(
        go.Scatter(
            x=index / result.fs,
            y=result.lead[index],
            mode="lines",
            line={"color": "#595959", "width": 1},
            name=f"lead {result.lead_name or '1'}",
            hoverinfo="skip",
            showlegend=False,
        ),
        row=row,
        col=1,
    )
    predicted = np.array(result.predicted)
    inside = (result.times_s >= start_s) & (result.times_s < stop_s)
    samples = np.minimum(np.round(result.times_s * result.fs).astype(int), len(result.lead) - 1)
    for label in result.labels:
        mask = _thin(inside & (predicted == label))
        if mask.any():
            fig.add_trace(
                go.Scatter(
                    x=result.times_s[mask],
                    y=result.lead[samples[mask]],
                    mode="markers+text" if row == 2 else "markers",
                    text=[label] * int(mask.sum()) if row == 2 else None,
                    textposition="top center",
                    marker={"color": _colour(label), "size": 8 if row == 2 else 6},
                    name=f"{label} {_name(label)}",
                    legendgroup=label,
                    showlegend=legend,
                    customdata=result.confidence[mask],
                    hovertemplate=f"{label} {_name(label)}<br>%{{x:.2f}} s, confidence %{{customdata:.2f}}"
                    "<extra></extra>",
                ),
                row=row,
                col=1,
            )
    if result.scoring is not None:
        rows = [d for d in result.scoring.disagreements() if start_s <= d["time_s"] < stop_s]
        rows = [rows[i] for i in np.flatnonzero(_thin(np.ones(len(rows), dtype=bool)))]
        if rows:
            times = np.array([d["time_s"] for d in rows])
            at = np.minimum(np.round(times * result.fs).astype(int), len(result.lead) - 1)
            fig.add_trace(
                go.Scatter(
                    x=times,
                    y=result.lead[at],
                    mode="markers",
                    marker={
                        "symbol": "circle-open",
                        "size": 16 if row == 2 else 9,
                        "color": "black",
                        "line": {"width": 2},
                    },
                    name="disagrees with the reference",
                    legendgroup="disagree",
                    showlegend=legend,
                    text=[_disagreement(d) for d in rows],
                    hovertemplate="%{text}<br>%{x:.2f} s<extra></extra>",
                ),
                row=row,
                col=1,
            )


def _thin(mask: np.ndarray, *, max_points: int = MAX_TRACE_POINTS) -> np.ndarray:
    """`mask` keeping at most `max_points` of its True entries, evenly spread (a long record's markers stay light;
    the table and the JSON keep every beat)."""
    chosen = np.flatnonzero(mask)
    if len(chosen) <= max_points:
        return mask
    thinned = np.zeros_like(mask)
    thinned[chosen[np.linspace(0, len(chosen) - 1, max_points).astype(int)]] = True
    return thinned


def _disagreement(row: dict) -> str:
    if row["predicted"] is None:
        return f"missed: reference {row['reference']}"
    if row["reference"] is None:
        return f"extra beat: predicted {row['predicted']}, no reference beat"
    return f"reference {row['reference']}, predicted {row['predicted']}"


def _add_heart_rate(fig: go.Figure, result: ECGResult, row: int) -> None:
    """Beat-to-beat heart rate, its windowed mean, and the ectopic runs and bigeminy/trigeminy shaded."""
    rhythm = result.rhythm
    if len(result.times_s) > 1:
        index = minmax_decimate(60.0 / np.diff(result.times_s))
        fig.add_trace(
            go.Scatter(
                x=result.times_s[1:][index],
                y=(60.0 / np.diff(result.times_s))[index],
                mode="lines",
                line={"color": "#bfbfbf", "width": 1},
                name="beat-to-beat rate",
                hovertemplate="%{y:.0f} bpm at %{x:.1f} s<extra></extra>",
            ),
            row=row,
            col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=rhythm.hr_time_s,
            y=rhythm.hr_bpm,
            mode="lines+markers",
            line={"color": "black", "width": 2},
            name=f"heart rate ({rhythm.hr_window_s:g} s mean)",
            hovertemplate="%{y:.0f} bpm<extra></extra>",
        ),
        row=row,
        col=1,
    )
    episodes = (*rhythm.runs, *rhythm.patterns)
    finite = rhythm.hr_bpm[np.isfinite(rhythm.hr_bpm)]
    low, high = (float(finite.min()) - 10, float(finite.max()) + 10) if len(finite) else (0.0, 200.0)
    for label in sorted({e.label for e in episodes}):  # one filled trace per class: shapes would cost 0.2 s each
        spans = [e for e in episodes if e.label == label]
        x = np.array([[e.start_s - 0.2, e.end_s + 0.2, e.end_s + 0.2, e.start_s - 0.2, np.nan] for e in spans]).ravel()
        y = np.tile([low, low, high, high, np.nan], len(spans))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                fill="toself",
                fillcolor=EPISODE_COLOURS.get(label, "rgba(127,127,127,0.18)"),
                line={"width": 0},
                mode="lines",
                name=f"{label} runs, bigeminy, trigeminy",
                text=np.repeat([f"{e.kind} of {e.beats} {label} beats, {e.rate_bpm:.0f} bpm" for e in spans], 5),
                hoverinfo="text",
            ),
            row=row,
            col=1,
        )


def plot_result(result: ECGResult) -> go.Figure:
    """The whole lead with every beat marked by class, a 10 s close-up, and the heart rate with ectopic episodes
    shaded; pre-cut beats are overlaid per class instead."""
    if result.lead is None:
        return _plot_beat_rows(result)
    duration = len(result.lead) / result.fs
    start = _zoom_start(result)
    scored = ""
    if result.scoring is not None:
        n = len(result.scoring.disagreements())
        scored = f"; circled: {n} beat{'s' * (n != 1)} that disagree{'s' * (n == 1)} with the reference"
    fig = make_subplots(
        rows=3,
        cols=1,
        row_heights=[0.32, 0.43, 0.25],
        vertical_spacing=0.09,
        subplot_titles=(
            f"Lead {result.lead_name or '1'}: {duration:.0f} s, {len(result.times_s)} beats{scored}",
            f"Close-up {start:.1f}-{start + ZOOM_S:.1f} s (drag to zoom, double-click to reset)",
            "Heart rate; shaded: S (blue) and V (red) runs, bigeminy and trigeminy",
        ),
    )
    _add_strip(fig, result, 0.0, duration, 1, legend=True)
    _add_strip(fig, result, start, start + ZOOM_S, 2, legend=False)
    _add_heart_rate(fig, result, 3)
    fig.update_xaxes(title_text="time (s)", row=3, col=1)
    fig.update_xaxes(range=[0, duration], row=1, col=1)
    fig.update_xaxes(matches="x", row=3, col=1)
    fig.update_yaxes(title_text="bpm", row=3, col=1)
    fig.update_layout(
        height=760,
        margin={"l": 50, "r": 20, "t": 40, "b": 90},
        legend={"orientation": "h", "y": -0.12, "yanchor": "top"},
    )
    return fig


def _plot_beat_rows(result: ECGResult) -> go.Figure:
    """Pre-cut beats overlaid per class (at most `MAX_ROW_BEATS` each), one trace per class."""
    fig = go.Figure()
    t = np.arange(result.beats.shape[1]) / BEAT_FS
    predicted = np.array(result.predicted)
    for label in result.labels:
        rows = result.beats[predicted == label][:MAX_ROW_BEATS]
        if len(rows):
            x = np.tile(np.append(t, np.nan), len(rows))
            y = np.column_stack([rows, np.full(len(rows), np.nan)]).ravel()
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines",
                    line={"color": _colour(label), "width": 1},
                    opacity=0.6,
                    name=f"{label} {_name(label)} ({int((predicted == label).sum())})",
                )
            )
    fig.update_layout(
        title=f"{len(result.beats)} beats, coloured by predicted class",
        xaxis_title="time from R-peak (s)",
        yaxis_title="scaled amplitude",
        height=480,
    )
    return fig


def beats_frame(result: ECGResult) -> pd.DataFrame:
    """One row per beat: time, class, class name, confidence, and the reference class when the result is scored."""
    times = np.full(len(result.probabilities), np.nan) if result.times_s is None else result.times_s
    frame = pd.DataFrame(
        {
            "beat": np.arange(1, len(result.probabilities) + 1),
            "time_s": rounded(times, 3),
            "class": result.predicted,
            "meaning": [_name(c) for c in result.predicted],
            "confidence": rounded(result.confidence, 3),
        }
    )
    if result.scoring is not None:
        reference = np.full(len(frame), "-", dtype=object)  # "-": no reference beat within 150 ms
        hit = result.scoring.matched >= 0
        reference[result.scoring.matched[hit]] = result.scoring.reference[hit]
        frame["reference"] = reference
    return frame


def counts_frame(result: ECGResult) -> pd.DataFrame:
    counts = result.counts()
    total = max(1, sum(counts.values()))
    return pd.DataFrame(
        {
            "class": list(counts),
            "meaning": [_name(c) for c in counts],
            "beats": list(counts.values()),
            "share": [f"{n / total:.1%}" for n in counts.values()],
        }
    )


def rhythm_frame(result: ECGResult) -> pd.DataFrame:
    """One row per ectopic run, bigeminy or trigeminy stretch, in time order."""
    columns = ["kind", "class", "start_s", "end_s", "duration_s", "beats", "rate_bpm"]
    if result.rhythm is None:
        return pd.DataFrame(columns=columns)
    episodes = sorted((*result.rhythm.runs, *result.rhythm.patterns), key=lambda e: e.start_s)
    return pd.DataFrame([e.to_json() for e in episodes], columns=columns)


def scoring_frame(result: ECGResult) -> pd.DataFrame:
    """The confusion table against the reference (rows: reference class, columns: predicted class; "-" row and
    column: beats with no counterpart), with each model class's Se and +P beside its row."""
    if result.scoring is None:
        return pd.DataFrame()
    scores = result.scoring.to_json()
    confusion = scores["confusion"]
    frame = pd.DataFrame(confusion["counts"], columns=[f"predicted {c}" for c in confusion["columns"]])
    frame.insert(0, "reference", confusion["rows"])
    per_class = scores["per_class"]
    frame["Se"] = [per_class.get(c, {}).get("se") for c in confusion["rows"]]
    frame["+P"] = [per_class.get(c, {}).get("ppv") for c in confusion["rows"]]
    return frame
