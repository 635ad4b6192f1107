"""What a person sees of a heart-rate result: predicted and recorded heart rate over time, speed and altitude,
a table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from core.hr.pipeline import HRResult
from core.results import rounded


def plot_result(result: HRResult) -> Figure:
    """Heart rate (predicted, model before personalisation, recorded) above speed and altitude, against minutes."""
    minutes = result.time_s / 60
    figure = Figure(figsize=(11, 6.2), layout="constrained")
    hr_ax, speed_ax = figure.subplots(2, 1, sharex=True, height_ratios=[1.6, 1])
    if np.isfinite(result.hr_true).any():
        hr_ax.plot(minutes, result.hr_true, color="0.25", linewidth=1.0, label="recorded")
    if result.personalisation:
        hr_ax.plot(minutes, result.hr_model, color="tab:red", linewidth=1.0, linestyle=":", alpha=0.8, label="model")
    hr_ax.plot(
        minutes,
        result.hr_pred,
        color="tab:red",
        linewidth=1.8,
        label="predicted" + (" (personalised)" if result.personalisation else ""),
    )
    if result.scored_from_s:
        hr_ax.axvspan(
            result.scored_from_s / 120,
            result.scored_from_s / 60,
            color="tab:blue",
            alpha=0.08,
            label="calibration window",
        )
    mae = result.mae()
    hr_ax.set(
        ylabel="heart rate (bpm)", title=f"{result.run.name}" + (f": MAE {mae:.1f} bpm" if mae is not None else "")
    )
    hr_ax.legend(loc="lower right", fontsize=8)
    speed_ax.plot(minutes, result.run.speed_kmh, color="tab:green", linewidth=0.9)
    speed_ax.set(xlabel="time (min)", ylabel="speed (km/h)")
    altitude_ax = speed_ax.twinx()
    altitude_ax.fill_between(minutes, result.run.altitude_m, result.run.altitude_m.min(), color="tab:brown", alpha=0.15)
    altitude_ax.set_ylabel("altitude (m)", color="tab:brown")
    for ax in (hr_ax, speed_ax):
        ax.grid(alpha=0.3)
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


def curve_frame(result: HRResult) -> pd.DataFrame:
    """Long-format heart-rate curves (minute, bpm, series) for an interactive line plot."""
    minutes = rounded(result.time_s / 60, 3)
    parts = [pd.DataFrame({"minute": minutes, "bpm": rounded(result.hr_pred, 1), "series": "predicted"})]
    if np.isfinite(result.hr_true).any():
        parts.append(
            pd.DataFrame({"minute": minutes, "bpm": rounded(result.hr_true, 1), "series": "recorded"}).dropna()
        )
    return pd.concat(parts, ignore_index=True)
