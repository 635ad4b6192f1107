"""What a person sees of a respiration result: interactive Plotly figures and tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.figures import Span, shade
from core.respiration.apnea import ApneaResult
from core.respiration.breaths import PAUSE_S
from core.respiration.series import SeriesResult
from core.respiration.waveform import WAVE_FS, WaveformResult
from core.results import rounded

MAX_TRACE_POINTS = 5000
"""Points per line trace: longer signals are thinned by a stride, which keeps every breath of a slow waveform."""
FLAG_COLOUR = "#d62728"
EVENT_COLOURS = {
    "pause": "rgba(255,127,14,0.25)",
    "shallow": "rgba(148,103,189,0.22)",
    "fast": "rgba(31,119,180,0.18)",
    "slow": "rgba(44,160,44,0.18)",
    "irregular": "rgba(227,119,194,0.22)",
    "gap": "rgba(127,127,127,0.35)",
}


def _thin(n: int) -> np.ndarray:
    """Indices of at most about MAX_TRACE_POINTS evenly spaced samples of `n`."""
    return np.arange(0, n, max(1, int(np.ceil(n / MAX_TRACE_POINTS))))


def _line(x, y, name: str, colour: str, *, width: float = 1.0, dash: str | None = None) -> go.Scatter:
    return go.Scatter(
        x=x, y=y, mode="lines", name=name, line={"color": colour, "width": width, "dash": dash}, connectgaps=False
    )


def _threshold(fig: go.Figure, value: float, row: int, label: str) -> None:
    fig.add_hline(
        y=value, line={"color": FLAG_COLOUR, "dash": "dash", "width": 1}, annotation_text=label, row=row, col=1
    )


def _broken(times: np.ndarray, values: np.ndarray, longest: float) -> tuple[np.ndarray, np.ndarray]:
    """Times and values with a NaN inserted wherever consecutive times are more than `longest` apart, so the line
    breaks there instead of drawing a ramp."""
    cut = np.flatnonzero(np.diff(times) > longest) + 1
    return np.insert(times.astype(float), cut, np.nan), np.insert(values.astype(float), cut, np.nan)


def plot_waveform(result: WaveformResult) -> go.Figure:
    """The waveform with breaths and events, breathing rate over time, the plain event score and the VAE-LSTM score."""
    fig = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[1.4, 0.8, 0.8, 0.8],
        subplot_titles=(
            f"{result.channel}: {result.summary()}",
            "breathing rate",
            "event score: departure from this recording's usual breathing (1 = twice or half the usual)",
            "VAE-LSTM score (learned; on the event benchmark it does not rank events above normal breathing)",
        ),
    )
    index = _thin(len(result.resp))
    fig.add_trace(_line(index / result.fs, result.resp[index], "waveform", "#595959", width=0.8), row=1, col=1)
    samples = np.minimum((result.breath_times_s * result.fs).astype(int), len(result.resp) - 1)
    fig.add_trace(
        go.Scatter(
            x=result.breath_times_s,
            y=result.resp[samples],
            mode="markers",
            name="breath",
            marker={"color": "#1f77b4", "size": 5},
        ),
        row=1,
        col=1,
    )
    shade(
        fig,
        [
            Span(event.start_s, event.end_s, EVENT_COLOURS.get(event.kind, "rgba(214,39,40,0.18)"), event.kind)
            for event in result.events
        ],
        [1],
    )
    times, rates = _broken(result.rate_times_s, result.rate_per_min, PAUSE_S)
    fig.add_trace(
        go.Scatter(x=times, y=rates, mode="lines+markers", name="rate", marker={"size": 3}, line={"color": "#2ca02c"}),
        row=2,
        col=1,
    )
    grid = _thin(len(result.score))
    score_t = grid / WAVE_FS
    fig.add_trace(_line(score_t, result.event_score[grid], "event score", "#ff7f0e"), row=3, col=1)
    _threshold(fig, result.event_threshold, 3, f"threshold {result.event_threshold:g}")
    fig.add_trace(_line(score_t, result.score[grid], "VAE-LSTM score", "#9467bd"), row=4, col=1)
    _threshold(fig, result.threshold, 4, f"threshold {result.threshold:.3g}")
    fig.update_yaxes(title_text="amplitude", row=1, col=1)
    fig.update_yaxes(title_text="breaths / min", row=2, col=1)
    fig.update_xaxes(title_text="time (s)", row=4, col=1)
    fig.update_layout(height=820, margin={"t": 60, "l": 60, "r": 20, "b": 40}, legend={"orientation": "h"})
    return fig


def plot_apnea(result: ApneaResult) -> go.Figure:
    """Per-minute apnea probability with flagged minutes, the VAE-LSTM score (when there is one), and heart rate over
    the night."""
    scored = result.vae_score is not None
    rows = 3 if scored else 2
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06, subplot_titles=(result.summary(),))
    hours = (result.start_minute + np.arange(len(result.probability))) / 60.0
    fig.add_trace(
        go.Bar(
            x=hours,
            y=result.probability,
            name="apnea probability",
            marker={"color": np.where(result.flagged, FLAG_COLOUR, "#1f77b4").tolist()},
        ),
        row=1,
        col=1,
    )
    _threshold(fig, result.threshold, 1, f"threshold {result.threshold:.2f}")
    fig.update_yaxes(title_text="apnea probability", range=[0, 1], row=1, col=1)
    if scored:
        fig.add_trace(_line(hours, result.vae_score, "VAE-LSTM score", "#9467bd"), row=2, col=1)
        _threshold(fig, result.vae_threshold, 2, f"threshold {result.vae_threshold:.3g}")
        fig.update_yaxes(title_text="VAE-LSTM score", row=2, col=1)
    heart_rate = np.array([row["heart_rate_bpm"] for row in result.features], dtype=float)
    fig.add_trace(_line(hours, heart_rate, "heart rate", "#2ca02c"), row=rows, col=1)
    fig.update_yaxes(title_text="heart rate (bpm)", row=rows, col=1)
    fig.update_xaxes(title_text="time (hours from start of recording)", row=rows, col=1)
    fig.update_layout(height=260 * rows, margin={"t": 60, "l": 60, "r": 20, "b": 40}, showlegend=False)
    return fig


def plot_series(result: SeriesResult) -> go.Figure:
    """The series with flagged points, and its anomaly score against the threshold (log scale)."""
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06, subplot_titles=(f"{result.name}: {result.summary()}",)
    )
    x = np.asarray(result.timestamps)
    index = _thin(len(result.values))
    fig.add_trace(_line(x[index], result.values[index], "value", "#595959", width=0.8), row=1, col=1)
    flags = np.flatnonzero(result.flags)[:MAX_TRACE_POINTS]
    fig.add_trace(
        go.Scatter(
            x=x[flags], y=result.values[flags], mode="markers", name="flagged", marker={"color": FLAG_COLOUR, "size": 4}
        ),
        row=1,
        col=1,
    )
    fig.add_trace(_line(x[index], result.score[index], "VAE-LSTM score", "#9467bd"), row=2, col=1)
    _threshold(fig, result.threshold, 2, f"threshold {result.threshold:.3g}")
    fig.update_yaxes(title_text="value", row=1, col=1)
    fig.update_yaxes(title_text="VAE-LSTM score", type="log", row=2, col=1)
    fig.update_layout(height=560, margin={"t": 60, "l": 60, "r": 20, "b": 40}, legend={"orientation": "h"})
    return fig


def events_frame(result: WaveformResult) -> pd.DataFrame:
    """One row per breathing event: kind, start, duration, severity and detail."""
    rows = [event.to_json() for event in result.events]
    columns = ["kind", "start_s", "duration_s", "severity", "detail"]
    return pd.DataFrame(rows, columns=[*columns, "end_s"])[columns]


def breaths_frame(result: WaveformResult) -> pd.DataFrame:
    """One row per breath: time, the interval and rate from the previous breath, and what lies between them when it is
    not breathing ("pause", or "gap" of invalid samples; no rate then)."""
    times = result.breath_times_s
    gap = np.concatenate([[np.nan], np.diff(times)])
    after = np.full(len(times), "", dtype=object)
    after[1:][np.diff(times) > PAUSE_S] = "pause"
    for start, end in result.gaps:
        after[1:][(times[:-1] <= start) & (times[1:] >= end)] = "gap"
    rate = np.where(after == "", 60.0 / gap, np.nan)
    return pd.DataFrame(
        {
            "breath": np.arange(1, len(times) + 1),
            "time_s": rounded(times, 2),
            "interval_s": rounded(gap, 2),
            "rate_per_min": rounded(rate, 1),
            "after": after,
        }
    )


def minutes_frame(result: ApneaResult) -> pd.DataFrame:
    """One row per minute: heart-rate features, apnea probability and flag, VAE-LSTM score (when there is one)."""
    frame = pd.DataFrame(result.features).round(1)
    frame["minute"] = result.start_minute + np.arange(len(frame))
    frame["apnea_probability"] = rounded(result.probability, 3)
    frame["apnea"] = result.flagged
    if result.vae_score is not None:
        frame["vae_lstm_score"] = rounded(result.vae_score, 3)
    return frame


def flagged_frame(result: SeriesResult) -> pd.DataFrame:
    """One row per flagged interval of a series."""
    return pd.DataFrame(result.flagged, columns=["start", "end"])
