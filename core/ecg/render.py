"""What a person sees of an ECG result: the strip with coloured beats, a beat table and class counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

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
MAX_PLOT_POINTS = 20_000
ZOOM_S = 10.0


def _zoom_start(result: ECGResult) -> float:
    """Start of a 10 s close-up: around the first non-normal beat, else the beginning."""
    predicted = np.array(result.predicted)
    abnormal = np.flatnonzero(predicted != "N")
    if len(abnormal) == 0:
        return 0.0
    return max(0.0, float(result.times_s[abnormal[0]]) - 2.0)


def _plot_strip(ax, result: ECGResult, start_s: float, stop_s: float, *, annotate: bool) -> None:
    first, last = int(start_s * result.fs), min(len(result.lead), int(stop_s * result.fs))
    step = max(1, (last - first) // MAX_PLOT_POINTS)
    t = np.arange(first, last, step) / result.fs
    ax.plot(t, result.lead[first:last:step], color="0.35", linewidth=0.7)
    predicted = np.array(result.predicted)
    inside = (result.times_s >= start_s) & (result.times_s < stop_s)
    for label, colour in CLASS_COLOURS.items():
        mask = inside & (predicted == label)
        if mask.any():
            samples = np.minimum((result.times_s[mask] * result.fs).astype(int), len(result.lead) - 1)
            ax.scatter(
                result.times_s[mask],
                result.lead[samples],
                color=colour,
                s=22 if annotate else 8,
                zorder=3,
                label=f"{label} {CLASS_NAMES[label]}",
            )
            if annotate:
                for time, sample in zip(result.times_s[mask], samples):
                    ax.annotate(
                        label,
                        (time, result.lead[sample]),
                        textcoords="offset points",
                        xytext=(0, 6),
                        ha="center",
                        fontsize=8,
                        color=colour,
                        weight="bold",
                    )
    ax.set_xlim(start_s, t[-1] if len(t) else stop_s)
    ax.set_xlabel("time (s)")
    ax.grid(alpha=0.25)


def plot_result(result: ECGResult) -> Figure:
    """The whole strip with every beat marked by class, and a 10 s close-up; pre-cut beats are overlaid per class."""
    fig = Figure(figsize=(12, 6.2), layout="constrained")
    if result.lead is None:
        ax = fig.subplots()
        t = np.arange(result.beats.shape[1]) / BEAT_FS
        for beat, label in zip(result.beats, result.predicted):
            ax.plot(t, beat, color=CLASS_COLOURS[label], alpha=0.6, linewidth=0.9)
        for label, colour in CLASS_COLOURS.items():
            ax.plot([], [], color=colour, label=f"{label} {CLASS_NAMES[label]}")
        ax.set(
            xlabel="time from R-peak (s)",
            ylabel="scaled amplitude",
            title=f"{len(result.beats)} beats, coloured by predicted class",
        )
        ax.legend(loc="upper right", fontsize=8)
        return fig
    whole, close = fig.subplots(2, 1, height_ratios=[1, 1.3])
    duration = len(result.lead) / result.fs
    _plot_strip(whole, result, 0.0, duration, annotate=False)
    whole.set_title(f"Lead {result.lead_name or '1'}: {duration:.0f} s, {len(result.times_s)} beats")
    whole.legend(loc="upper right", fontsize=8, ncols=5)
    start = _zoom_start(result)
    _plot_strip(close, result, start, start + ZOOM_S, annotate=True)
    close.set_title(f"Close-up {start:.1f}-{start + ZOOM_S:.1f} s")
    return fig


def beats_frame(result: ECGResult) -> pd.DataFrame:
    """One row per beat: time, class, class name, confidence."""
    times = np.full(len(result.probabilities), np.nan) if result.times_s is None else result.times_s
    return pd.DataFrame(
        {
            "beat": np.arange(1, len(result.probabilities) + 1),
            "time_s": rounded(times, 3),
            "class": result.predicted,
            "meaning": [CLASS_NAMES[c] for c in result.predicted],
            "confidence": rounded(result.confidence, 3),
        }
    )


def counts_frame(result: ECGResult) -> pd.DataFrame:
    counts = result.counts()
    total = max(1, sum(counts.values()))
    return pd.DataFrame(
        {
            "class": list(counts),
            "meaning": [CLASS_NAMES[c] for c in counts],
            "beats": list(counts.values()),
            "share": [f"{n / total:.1%}" for n in counts.values()],
        }
    )
