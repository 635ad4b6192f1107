"""What a person sees of a HAR result: the signals under an activity timeline, per-window probabilities, the
share of time per activity and a window table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from core.har.data import HAR_FS, STEP
from core.har.pipeline import HARResult
from core.results import rounded

ACTIVITY_COLOURS = {
    "WALKING": "#2ca02c",
    "WALKING_UPSTAIRS": "#ff7f0e",
    "WALKING_DOWNSTAIRS": "#d62728",
    "SITTING": "#1f77b4",
    "STANDING": "#9467bd",
    "LAYING": "#8c564b",
}
MAX_PLOT_POINTS = 20_000


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


def _legend(fig: Figure, ax) -> None:
    """One legend above the panels: the axes' lines, then one patch per activity."""
    for label, colour in ACTIVITY_COLOURS.items():
        ax.fill_between([], [], color=colour, alpha=0.35, label=label.lower().replace("_", " "))
    fig.legend(*ax.get_legend_handles_labels(), loc="outside upper center", fontsize=8, ncols=9, frameon=False)


def _plot_windows_only(result: HARResult) -> Figure:
    """Pre-cut windows: a probability heat map per window, with the file's reference labels when it has them."""
    fig = Figure(figsize=(12, 3.8), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(result.probabilities.T, aspect="auto", cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    title = f"Activity probability of {len(result.probabilities)} windows ({result.variant} model)"
    if result.true_labels is not None:
        ax.scatter(
            np.arange(len(result.true_labels)),
            result.true_labels,
            marker="x",
            color="#d62728",
            s=12,
            label="reference label",
        )
        ax.legend(loc="upper right", fontsize=8)
        title += f"; accuracy {result.accuracy():.1%}"
    ax.set(
        yticks=range(len(result.labels)),
        yticklabels=[label.lower().replace("_", " ") for label in result.labels],
        xlabel="window",
        title=title,
    )
    fig.colorbar(image, ax=ax, label="probability")
    return fig


def plot_result(result: HARResult) -> Figure:
    """Signals with the predicted activity behind them, and the per-window probabilities below."""
    if result.acc is None:
        return _plot_windows_only(result)
    panels = 3 if result.gyro is not None else 2
    fig = Figure(figsize=(12, 2.4 * panels + 0.6), layout="constrained")
    axes = fig.subplots(panels, 1, sharex=True, height_ratios=[1.3] * (panels - 1) + [1])
    step = max(1, len(result.acc) // MAX_PLOT_POINTS)
    t = np.arange(0, len(result.acc), step) / HAR_FS
    signals = [("acceleration (g)", result.acc)] + (
        [("rotation rate (rad/s)", result.gyro)] if result.gyro is not None else []
    )
    for ax, (ylabel, values) in zip(axes, signals):
        for start, end, label in activity_spans(result):
            ax.axvspan(start, end, color=ACTIVITY_COLOURS[label], alpha=0.25, linewidth=0)
        for axis, colour in zip("xyz", ("0.15", "0.45", "0.7")):
            ax.plot(t, values[::step, "xyz".index(axis)], color=colour, linewidth=0.6, label=axis)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.25)
    _legend(fig, axes[0])
    axes[0].set_title(f"Predicted activity over {result.duration_s:.0f} s ({result.variant} model)")
    centres = result.starts_s + result.window_s / 2
    axes[-1].stackplot(centres, result.probabilities.T, colors=list(ACTIVITY_COLOURS.values()), alpha=0.8)
    axes[-1].set(ylabel="probability", ylim=(0, 1), xlabel="time (s)", xlim=(0, result.duration_s))
    return fig


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
