"""Series mode: VAE-LSTM anomaly score per point of any `timestamp,value` series (the NAB format), and flagged
intervals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.readers.series import ValueSeries
from core.respiration.scoring import flag_intervals, smooth_scores
from core.results import progress_callback

SERIES_REFERENCE = 0.15
"""Share of an uploaded series, from its start, taken as the normal reference for standardisation (NAB's probation)."""
SMOOTH_STEP_S = 300.0
"""The series model's smoothing (`model.smooth` points) was chosen on 5-minute NAB series, so the view smooths over
`model.smooth` x 5 minutes of time, whatever the upload's step."""


@dataclass(frozen=True)
class SeriesResult:
    """VAE-LSTM anomaly score per point of a univariate series, and the points at or over `threshold`."""

    timestamps: np.ndarray
    values: np.ndarray
    score: np.ndarray
    threshold: float
    name: str = "series"
    smooth_s: float | None = None
    mode: str = "series"

    @property
    def flags(self) -> np.ndarray:
        return self.score >= self.threshold

    @property
    def flagged(self) -> list[tuple[str, str]]:
        return [(str(self.timestamps[a]), str(self.timestamps[b - 1])) for a, b in flag_intervals(self.flags)]

    def with_threshold(self, threshold: float) -> "SeriesResult":
        return SeriesResult(self.timestamps, self.values, self.score, float(threshold), self.name, self.smooth_s)

    def to_json(self) -> dict:
        return {
            "task": "respiration",
            "mode": self.mode,
            "points": len(self.values),
            "threshold": self.threshold,
            "smoothing_s": self.smooth_s,
            "flagged_points": int(self.flags.sum()),
            "flagged": [{"start": a, "end": b} for a, b in self.flagged],
            "anomaly_score": [round(float(s), 4) for s in self.score],
        }

    def summary(self) -> str:
        stretches = len(self.flagged)
        return (
            f"{len(self.values)} points, {int(self.flags.sum())} at or over threshold {self.threshold:.3g}, "
            f"in {stretches} interval{'' if stretches == 1 else 's'}"
        )


def standardise_by_reference(values: np.ndarray, reference_end: int) -> np.ndarray:
    """Values standardised by the mean and std of `values[:reference_end]` (std floored to avoid division by ~0)."""
    reference = values[:reference_end]
    scale = max(float(reference.std()), 1e-6 * max(1.0, float(np.abs(reference).mean())), 1e-12)
    return (values - reference.mean()) / scale


def series_step_s(timestamps: np.ndarray) -> float | None:
    """Median step between timestamps in seconds (datetime strings, or numbers of seconds); None below two points."""
    if len(timestamps) < 2:
        return None
    if np.issubdtype(np.asarray(timestamps).dtype, np.number):
        steps = np.diff(np.asarray(timestamps, dtype=float))
    else:
        steps = pd.to_datetime(pd.Series(timestamps)).diff().dt.total_seconds().to_numpy()[1:]
    step = float(np.median(steps))
    return step if step > 0 else None


def predict_series(
    model,
    series: ValueSeries,
    *,
    threshold: float | None = None,
    reference_end: int | None = None,
    causal: bool = True,
    smooth_points: int | None = None,
    progress=None,
) -> SeriesResult:
    """Anomaly score per point of a series, standardised by its first SERIES_REFERENCE share (or `reference_end`
    points).

    model: the "series" VAE-LSTM. The score is smoothed over `model.smooth` x SMOOTH_STEP_S of time (or
    `smooth_points` points), trailing so that a flagged interval never starts before its cause, or centred when not
    `causal`. threshold: the flagging threshold (default: the model's).
    """
    report = progress_callback(progress)
    values = np.asarray(series.values, dtype=float)
    span = model.window * model.seq_len
    reference_end = reference_end or max(span, int(SERIES_REFERENCE * len(values)))
    report(0.3, desc="Scoring with the VAE-LSTM")
    raw = model.anomaly_scores(standardise_by_reference(values, reference_end))
    threshold = model.threshold if threshold is None else float(threshold)
    step = series_step_s(series.timestamps)
    if smooth_points is None:
        smooth_points = model.smooth if step is None else max(1, round(model.smooth * SMOOTH_STEP_S / step))
    smooth_s = None if step is None else round(smooth_points * step, 3)
    smoothed = smooth_scores(raw, smooth_points, causal=causal)
    return SeriesResult(series.timestamps, values, smoothed, threshold, series.name, smooth_s)
