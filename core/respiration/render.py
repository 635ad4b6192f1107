"""What a person sees of a respiration result: plots (matplotlib `Figure`, no pyplot) and tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from core.respiration.apnea import ApneaResult
from core.respiration.series import SeriesResult
from core.respiration.waveform import WAVE_FS, WaveformResult
from core.results import rounded

MAX_PLOT_POINTS = 20_000
FLAG_COLOUR = "#d62728"


def _shade(ax, intervals, *, colour: str = FLAG_COLOUR, label: str | None = None) -> None:
    for i, (start, stop) in enumerate(intervals):
        ax.axvspan(start, stop, color=colour, alpha=0.18, lw=0, label=label if i == 0 else None)


def plot_waveform(result: WaveformResult) -> Figure:
    """The waveform with breaths and pauses, breathing rate over time, and the VAE-LSTM anomaly score."""
    fig = Figure(figsize=(12, 7.5), layout="constrained")
    wave, rate, score = fig.subplots(3, 1, sharex=True, height_ratios=[1.4, 1, 1])
    step = max(1, len(result.resp) // MAX_PLOT_POINTS)
    t = np.arange(0, len(result.resp), step) / result.fs
    wave.plot(t, result.resp[::step], color="0.35", lw=0.7)
    samples = np.minimum((result.breath_times_s * result.fs).astype(int), len(result.resp) - 1)
    wave.scatter(result.breath_times_s, result.resp[samples], color="tab:blue", s=12, zorder=3, label="breath")
    _shade(wave, result.pauses, colour="tab:orange", label="pause > 10 s")
    wave.set(title=f"{result.channel}: {result.summary()}", ylabel="amplitude")
    wave.legend(loc="upper right", fontsize=8)
    rate.plot(result.rate_times_s, result.rate_per_min, "o-", ms=3, color="tab:green")
    rate.set(ylabel="breaths / min")
    score_t = np.arange(len(result.score)) / WAVE_FS
    score.plot(score_t, result.score, color="tab:purple", lw=0.9)
    score.axhline(result.threshold, color=FLAG_COLOUR, ls="--", lw=1, label=f"threshold {result.threshold:.3g}")
    _shade(score, result.flagged, label="anomalous")
    score.set(ylabel="VAE-LSTM score", xlabel="time (s)")
    score.legend(loc="upper right", fontsize=8)
    for ax in (wave, rate, score):
        ax.grid(alpha=0.25)
    return fig


def plot_apnea(result: ApneaResult) -> Figure:
    """Per-minute apnea probability with flagged minutes, the VAE-LSTM score (when there is one), and heart rate over
    the night."""
    scored = result.vae_score is not None
    fig = Figure(figsize=(12, 7 if scored else 5), layout="constrained")
    axes = fig.subplots(3 if scored else 2, 1, sharex=True)
    prob, hr = axes[0], axes[-1]
    minutes = result.start_minute + np.arange(len(result.probability))
    hours = minutes / 60.0
    prob.bar(
        hours, result.probability, width=1 / 60, color=np.where(result.flagged, FLAG_COLOUR, "tab:blue"), align="edge"
    )
    prob.axhline(result.threshold, color="0.2", ls="--", lw=1, label=f"threshold {result.threshold:.2f}")
    prob.set(ylim=(0, 1), ylabel="apnea probability", title=result.summary())
    prob.legend(loc="upper right", fontsize=8)
    if scored:
        vae = axes[1]
        vae.plot(hours, result.vae_score, color="tab:purple", lw=0.9)
        vae.axhline(
            result.vae_threshold, color=FLAG_COLOUR, ls="--", lw=1, label=f"threshold {result.vae_threshold:.3g}"
        )
        vae.set(ylabel="VAE-LSTM score")
        vae.legend(loc="upper right", fontsize=8)
    hr.plot(hours, [row["heart_rate_bpm"] for row in result.features], color="tab:green", lw=0.9)
    hr.set(ylabel="heart rate (bpm)", xlabel="time (hours from start of recording)")
    for ax in axes:
        ax.grid(alpha=0.25)
    return fig


def plot_series(result: SeriesResult) -> Figure:
    """The series with flagged points, and its anomaly score against the threshold."""
    fig = Figure(figsize=(12, 6), layout="constrained")
    values, score = fig.subplots(2, 1, sharex=True)
    x = np.arange(len(result.values))
    values.plot(x, result.values, color="0.35", lw=0.7)
    flags = result.flags
    values.scatter(x[flags], result.values[flags], color=FLAG_COLOUR, s=6, zorder=3, label="flagged")
    values.set(title=f"{result.name}: {result.summary()}", ylabel="value")
    values.legend(loc="upper right", fontsize=8)
    score.plot(x, result.score, color="tab:purple", lw=0.8)
    score.axhline(result.threshold, color=FLAG_COLOUR, ls="--", lw=1, label=f"threshold {result.threshold:.3g}")
    score.set(ylabel="VAE-LSTM score", xlabel="timestamp", yscale="log")
    score.legend(loc="upper right", fontsize=8)
    ticks = np.linspace(0, len(x) - 1, 6).astype(int)
    score.set_xticks(ticks, [str(result.timestamps[i])[:16] for i in ticks], fontsize=8)
    for ax in (values, score):
        ax.grid(alpha=0.25)
    return fig


def breaths_frame(result: WaveformResult) -> pd.DataFrame:
    """One row per breath: time and the rate from the previous breath; pauses marked."""
    rate = np.concatenate([[np.nan], result.rate_per_min])
    gap = np.concatenate([[np.nan], np.diff(result.breath_times_s)])
    return pd.DataFrame(
        {
            "breath": np.arange(1, len(result.breath_times_s) + 1),
            "time_s": rounded(result.breath_times_s, 2),
            "interval_s": rounded(gap, 2),
            "rate_per_min": rounded(rate, 1),
            "pause": gap > 10.0,
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
