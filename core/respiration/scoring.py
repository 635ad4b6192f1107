"""Anomaly thresholds and detection metrics: point-wise and point-adjusted P/R/F1, and the NAB score."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

THRESHOLD_QUANTILE = 0.995
"""Thresholds are this quantile of anomaly scores on anomaly-free validation data (never on the test part)."""
NAB_STANDARD = {"tp": 1.0, "fp": 0.11, "fn": 1.0}
"""NAB's standard application profile (A_TP, A_FP, A_FN)."""


def pick_threshold(normal_scores: np.ndarray, *, quantile: float = THRESHOLD_QUANTILE) -> float:
    """The `quantile` of anomaly scores measured on normal (validation) data."""
    return float(np.quantile(np.asarray(normal_scores, dtype=float), quantile))


def smooth_scores(score: np.ndarray, width: int, *, causal: bool = False) -> np.ndarray:
    """Moving mean of anomaly scores over `width` points: centred (offline) or trailing (streaming, as NAB requires)."""
    if width <= 1:
        return np.asarray(score, dtype=float)
    series = pd.Series(np.asarray(score, dtype=float))
    return series.rolling(width, center=not causal, min_periods=1).mean().to_numpy()


def onsets(flags: np.ndarray) -> np.ndarray:
    """Flags reduced to the first point of each flagged run: one alarm per anomalous stretch."""
    out = np.zeros(len(flags), dtype=bool)
    out[[start for start, _ in flag_intervals(flags)]] = True
    return out


def flag_intervals(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the runs of True in a boolean array (stop exclusive)."""
    edges = np.diff(np.concatenate([[0], np.asarray(flags, dtype=int), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def point_adjust(flags: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Point-adjusted predictions: a labelled anomaly segment with any flagged point counts as wholly detected."""
    adjusted = np.asarray(flags, dtype=bool).copy()
    for start, stop in flag_intervals(labels):
        if adjusted[start:stop].any():
            adjusted[start:stop] = True
    return adjusted


def detection_metrics(flags: np.ndarray, labels: np.ndarray) -> dict:
    """Point-wise precision, recall and F1, without and with point-adjustment."""
    from sklearn import metrics as skm  # evaluation only; serving never imports it

    labels = np.asarray(labels, dtype=bool)
    result = {}
    for name, predicted in (("raw", np.asarray(flags, dtype=bool)), ("point_adjusted", point_adjust(flags, labels))):
        precision, recall, f1, _ = skm.precision_recall_fscore_support(
            labels, predicted, average="binary", zero_division=0
        )
        result[name] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "flagged": int(predicted.sum()),
        }
    return result


def binary_metrics(y_true: np.ndarray, probability: np.ndarray, threshold: float) -> dict:
    """Accuracy, sensitivity, specificity and AUROC of a probability (or score) at `threshold`."""
    from sklearn import metrics as skm

    y_true = np.asarray(y_true, dtype=int)
    predicted = np.asarray(probability) >= threshold
    tp = int((predicted & (y_true == 1)).sum())
    tn = int((~predicted & (y_true == 0)).sum())
    positives, negatives = int((y_true == 1).sum()), int((y_true == 0).sum())
    return {
        "n": int(len(y_true)),
        "accuracy": (tp + tn) / max(len(y_true), 1),
        "sensitivity": tp / max(positives, 1),
        "specificity": tn / max(negatives, 1),
        "auroc": float(skm.roc_auc_score(y_true, probability)) if 0 < positives < len(y_true) else float("nan"),
        "threshold": float(threshold),
    }


def _scaled_sigmoid(position: float) -> float:
    """NAB's reward for a detection at a relative position (-1 window start, 0 window end, > 0 after it)."""
    if position > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def nab_raw_score(
    flags: np.ndarray, windows: list[tuple[int, int]], *, profile: dict = NAB_STANDARD
) -> tuple[float, int]:
    """NAB score of one series before normalisation, and its window count (Lavin & Ahmad 2015, NAB v1.1 sweeper).

    flags: detections per point. windows: (first, last) point indices of each labelled window, inclusive.
    The first 15 % of points (at most 5000) are probationary and not scored; in a window only the earliest
    detection counts, rewarded by a scaled sigmoid of its position; a missed window costs A_FN; a detection
    outside windows costs A_FP times a sigmoid of its distance after the preceding window (full cost if none).
    """
    n = len(flags)
    probation = min(int(math.floor(0.15 * n)), 5000)
    score = 0.0
    detected = np.flatnonzero(flags)
    in_window = np.zeros(n, dtype=bool)
    for first, last in windows:
        in_window[first : last + 1] = True
        hits = detected[(detected >= first) & (detected <= last) & (detected >= probation)]
        if len(hits):
            width = last - first + 1
            score += profile["tp"] * _scaled_sigmoid(-(last - hits[0] + 1) / width)
        else:
            score -= profile["fn"]
    ends = sorted(windows)
    for i in detected[(detected >= probation) & ~in_window[detected]]:
        previous = [(first, last) for first, last in ends if last < i]
        if previous:
            first, last = previous[-1]
            weight = _scaled_sigmoid(abs(last - i) / max(last - first, 1))
        else:
            weight = -1.0
        score += profile["fp"] * weight
    return score, len(windows)


def nab_normalised(raw_scores: list[float], window_counts: list[int], *, profile: dict = NAB_STANDARD) -> float:
    """Corpus NAB score: 100 for the perfect detector (each window at its start), 0 for the null detector
    (no detections)."""
    windows = sum(window_counts)
    null = -profile["fn"] * windows
    perfect = profile["tp"] * _scaled_sigmoid(-1.0) * windows
    return 100.0 * (sum(raw_scores) - null) / (perfect - null)
