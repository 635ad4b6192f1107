"""What a person sees of an anomaly result: the strip over its per-beat score track, one beat over its
reconstruction, and a beat table (Plotly, interactive)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.ecg.beats import BEAT_FS, BEAT_LENGTH
from core.ecg_anomaly.pipeline import AnomalyResult
from core.results import rounded

MAX_PLOT_POINTS = 40_000
NORMAL, ANOMALOUS = "#2ca02c", "#d62728"


def plot_scores(result: AnomalyResult) -> go.Figure:
    """The lead with its flagged beats marked, and under it each beat's anomaly score with the threshold."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.06)
    step = max(1, len(result.lead) // MAX_PLOT_POINTS)
    fig.add_trace(
        go.Scattergl(
            x=np.arange(0, len(result.lead), step) / result.fs,
            y=result.lead[::step],
            mode="lines",
            line={"color": "#555", "width": 1},
            name=f"lead {result.lead_name or '1'}",
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    flagged = result.anomalous
    samples = np.minimum(np.round(result.times_s * result.fs).astype(int), len(result.lead) - 1)
    numbers = np.arange(1, len(result.scores) + 1)
    for mask, colour, name in ((~flagged, NORMAL, "below threshold"), (flagged, ANOMALOUS, "above threshold")):
        hover = "beat %{customdata}<br>%{x:.2f} s<extra></extra>"
        fig.add_trace(
            go.Scatter(
                x=result.times_s[mask],
                y=result.lead[samples[mask]],
                customdata=numbers[mask],
                mode="markers",
                marker={"color": colour, "size": 6 if colour == NORMAL else 9},
                name=f"beats {name}",
                legendgroup=name,
                hovertemplate=hover,
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=result.times_s[mask],
                y=result.scores[mask],
                customdata=numbers[mask],
                mode="markers",
                marker={"color": colour, "size": 6},
                legendgroup=name,
                showlegend=False,
                hovertemplate="beat %{customdata}<br>score %{y:.2f}<extra></extra>",
            ),
            row=2,
            col=1,
        )
    fig.add_hline(
        y=result.threshold,
        line={"color": ANOMALOUS, "dash": "dash"},
        annotation_text=f"threshold {result.threshold:.2f}",
        row=2,
        col=1,
    )
    fig.update_yaxes(title_text="ECG", row=1, col=1)
    fig.update_yaxes(title_text="anomaly score", type="log", row=2, col=1)
    fig.update_xaxes(title_text="time (s)", row=2, col=1)
    fig.update_layout(
        height=520,
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
        title=f"{len(result.scores)} beats, {int(flagged.sum())} above the threshold ({result.method})",
        legend={"orientation": "h", "y": 1.08},
    )
    return fig


def plot_beat(result: AnomalyResult, number: int) -> go.Figure:
    """Beat `number` (from 1) with its pre-R context, and the model's reconstruction of it."""
    index = int(np.clip(number, 1, len(result.scores))) - 1
    context = result.inputs.shape[1] - BEAT_LENGTH
    t = (np.arange(result.inputs.shape[1]) - context) / BEAT_FS
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t, y=result.inputs[index], mode="lines", name="beat", line={"color": "#333"}))
    colour = ANOMALOUS if result.anomalous[index] else NORMAL
    fig.add_trace(
        go.Scatter(x=t, y=result.reconstructions[index], mode="lines", name="reconstruction", line={"color": colour})
    )
    fig.add_vline(x=0, line={"color": "#999", "dash": "dot"})
    fig.update_layout(
        height=300,
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
        title=f"Beat {index + 1} at {result.times_s[index]:.2f} s: score {result.scores[index]:.2f}",
        xaxis_title="time from R-peak (s)",
        yaxis_title="scaled amplitude",
    )
    return fig


def most_anomalous(result: AnomalyResult) -> int:
    """The number (from 1) of the highest-scoring beat."""
    return int(np.argmax(result.scores)) + 1


def beats_frame(result: AnomalyResult) -> pd.DataFrame:
    """One row per beat: time, score, flag, and the signal and RR errors behind the score."""
    return pd.DataFrame(
        {
            "beat": np.arange(1, len(result.scores) + 1),
            "time_s": rounded(result.times_s, 3),
            "score": rounded(result.scores, 3),
            "anomalous": result.anomalous,
            "shape_error": rounded(result.errors[:, 0], 4),
            "rr_error": rounded(result.errors[:, 1], 4),
        }
    )
