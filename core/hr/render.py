"""What a person sees of a heart-rate result: interactive Plotly figures (heart rate with its band, speed and
altitude, pauses; an animated replay of the run) and a table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.figures import Span, shade
from core.hr.pipeline import HRResult
from core.results import rounded

PREDICTED, RECORDED, BAND = "#d62728", "#404040", "rgba(214,39,40,0.15)"
PAUSE, CALIBRATION = "rgba(127,127,127,0.2)", "rgba(31,119,180,0.1)"
ANIMATION_FRAMES = 60
"""Frames of the animated replay, whatever the run's length."""
FRAME_POINTS = 240
"""At most this many points per line in a replay frame (the still plot keeps every step), so a 2-hour run's replay
stays small: each frame carries its whole curve so far."""


def _line(x, y, name: str, colour: str, *, width: float = 1.5, dash: str | None = None) -> go.Scatter:
    return go.Scatter(x=x, y=y, mode="lines", name=name, line={"color": colour, "width": width, "dash": dash})


def _band_traces(result: HRResult, minutes: np.ndarray) -> list[go.Scatter]:
    """The 80 % band as a filled area between two lines (empty when the checkpoint has no band)."""
    if not result.band:
        return []
    low, high = result.hr_pred + result.band[0], result.hr_pred + result.band[1]
    edge = {"mode": "lines", "line": {"width": 0}, "hoverinfo": "skip"}
    return [
        go.Scatter(x=minutes, y=high, showlegend=False, **edge),
        go.Scatter(x=minutes, y=low, fill="tonexty", fillcolor=BAND, name=f"80 % band ({result.band_basis})", **edge),
    ]


def plot_result(result: HRResult) -> go.Figure:
    """Heart rate (predicted with its band, model before personalisation, recorded) above speed and altitude, against
    minutes; pauses and the calibration window shaded."""
    minutes = result.time_s / 60
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.62, 0.38],
        vertical_spacing=0.06,
        specs=[[{}], [{"secondary_y": True}]],
    )
    for trace in _band_traces(result, minutes):
        figure.add_trace(trace, row=1, col=1)
    if result.personalisation:
        figure.add_trace(_line(minutes, result.hr_model, "model", PREDICTED, width=1.0, dash="dot"), row=1, col=1)
    if np.isfinite(result.hr_true).any():
        figure.add_trace(_line(minutes, result.hr_true, "recorded", RECORDED, width=1.0), row=1, col=1)
    label = "predicted" + (" (personalised)" if result.personalisation else "")
    figure.add_trace(_line(minutes, result.hr_pred, label, PREDICTED, width=2.0), row=1, col=1)
    figure.add_trace(_line(minutes, result.run.speed_kmh, "speed (km/h)", "#2ca02c", width=1.0), row=2, col=1)
    figure.add_trace(
        go.Scatter(
            x=minutes,
            y=result.run.altitude_m,
            name="altitude (m)",
            mode="lines",
            line={"color": "#8c564b", "width": 0.8},
            fill="tozeroy",
            fillcolor="rgba(140,86,75,0.12)",
        ),
        row=2,
        col=1,
        secondary_y=True,
    )
    shade(figure, [Span(start / 60, end / 60, PAUSE, "pause") for start, end in result.run.pauses], [1, 2])
    if result.calibration_window_s:
        start, end = result.calibration_window_s
        shade(figure, [Span(start / 60, end / 60, CALIBRATION, "calibration")], [1])
    mae = result.mae()
    figure.update_layout(
        title=result.run.name + (f": MAE {mae:.1f} bpm" if mae is not None else ""),
        height=560,
        margin={"l": 60, "r": 60, "t": 60, "b": 40},
        legend={"orientation": "h", "y": -0.12},
        hovermode="x unified",
    )
    figure.update_yaxes(title_text="heart rate (bpm)", row=1, col=1)
    figure.update_yaxes(title_text="speed (km/h)", row=2, col=1)
    figure.update_yaxes(title_text="altitude (m)", row=2, col=1, secondary_y=True, showgrid=False)
    figure.update_xaxes(title_text="time (min)", row=2, col=1)
    altitude = result.run.altitude_m
    figure.update_yaxes(range=[float(altitude.min()) - 1, float(altitude.max()) + 1], row=2, col=1, secondary_y=True)
    return figure


def animate_result(result: HRResult) -> go.Figure:
    """An animated replay of the run: predicted and recorded heart rate drawn up to the moment the slider or the play
    button reaches (`ANIMATION_FRAMES` frames)."""
    minutes = result.time_s / 60
    recorded = np.isfinite(result.hr_true).any()
    ends = np.unique(np.linspace(1, len(minutes), ANIMATION_FRAMES).astype(int))

    lines = [(result.hr_pred, "predicted", PREDICTED, 2.0)] + (
        [(result.hr_true, "recorded", RECORDED, 1.0)] if recorded else []
    )

    def frame(end: int, name: str) -> dict:
        """Only the lines' points up to `end` (thinned to FRAME_POINTS): plain dicts, as plotly validates every
        property of every frame's traces otherwise (a third of the request)."""
        shown = np.unique(np.append(np.arange(0, end, max(1, int(np.ceil(end / FRAME_POINTS)))), end - 1))
        return {"name": name, "data": [{"x": minutes[shown], "y": values[shown]} for values, *_ in lines]}

    names = [f"{minutes[end - 1]:.1f}" for end in ends]
    figure = go.Figure(
        data=[_line(minutes[:1], values[:1], name, colour, width=width) for values, name, colour, width in lines],
        frames=[frame(int(end), name) for end, name in zip(ends, names)],
    )
    values = np.concatenate([result.hr_pred, result.hr_true[np.isfinite(result.hr_true)]])
    step = {"frame": {"duration": 80, "redraw": False}, "transition": {"duration": 0}, "mode": "immediate"}
    figure.update_layout(
        title=f"{result.run.name}: replay",
        height=360,
        xaxis={"title": "time (min)", "range": [0, float(minutes[-1])]},
        yaxis={"title": "heart rate (bpm)", "range": [float(values.min()) - 5, float(values.max()) + 5]},
        updatemenus=[
            {
                "type": "buttons",
                "showactive": False,
                "x": 0.0,
                "y": -0.25,
                "buttons": [
                    {"label": "Play", "method": "animate", "args": [None, {**step, "fromcurrent": True}]},
                    {"label": "Pause", "method": "animate", "args": [[None], step]},
                ],
            }
        ],
        sliders=[
            {
                "currentvalue": {"prefix": "minute "},
                "pad": {"t": 40},
                "steps": [{"label": name, "method": "animate", "args": [[name], step]} for name in names],
            }
        ],
    )
    return figure


def samples_frame(result: HRResult) -> pd.DataFrame:
    """One row per grid step: time, speed, altitude, predicted and recorded heart rate."""
    return pd.DataFrame(
        {
            "time_s": rounded(result.time_s, 1),
            "speed_kmh": rounded(result.run.speed_kmh, 2),
            "altitude_m": rounded(result.run.altitude_m, 1),
            "hr_pred": rounded(result.hr_pred, 1),
            "hr_true": rounded(result.hr_true, 1),
        }
    )
