"""NAB for the series VAE-LSTM: the known-cause series' parts, the post-processing tuned on the rest of the corpus,
and the evaluation (per-series P/R/F1 and the NAB score)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from core.readers.series import ValueSeries
from core.respiration.data import nab_corpus, nab_known_cause, nab_series
from core.respiration.model import VAELSTM
from core.respiration.scoring import (
    detection_metrics,
    nab_normalised,
    nab_raw_score,
    onsets,
    pick_threshold,
    smooth_scores,
)
from core.respiration.series import predict_series, standardise_by_reference


def nab_parts(series, train_share: float = 0.8) -> tuple[np.ndarray, int, int]:
    """Series standardised by its anomaly-free beginning, the end of the training part and of the validation part."""
    x = standardise_by_reference(series.values, series.train_end)
    return x, int(train_share * series.train_end), series.train_end


def nab_windows_idx(stamps: pd.DatetimeIndex, windows: list) -> list[tuple[int, int]]:
    """Labelled windows as inclusive (first, last) point indices."""
    out = []
    for start, end in windows:
        inside = np.flatnonzero((stamps >= pd.Timestamp(start)) & (stamps <= pd.Timestamp(end)))
        if len(inside):
            out.append((int(inside[0]), int(inside[-1])))
    return out


SMOOTH_GRID = (1, 12, 48, 144, 288, 576)
QUANTILE_GRID = (0.99, 0.995, 1.0)


def whole(series) -> ValueSeries:
    return ValueSeries(series.values, np.arange(len(series.values)), series.name)


def points(model: VAELSTM) -> dict:
    """The training protocol's smoothing: centred over `model.smooth` points (the Space's view smooths over time and
    trails, `view_scores`)."""
    return {"causal": False, "smooth_points": model.smooth}


def view_scores(model: VAELSTM, series) -> np.ndarray:
    """Scores of a NAB series as the Space's series view computes them from its `timestamp,value` file: real
    timestamps, smoothing over time, trailing."""
    stamps = series.timestamps.strftime("%Y-%m-%d %H:%M:%S").to_numpy()
    return predict_series(model, ValueSeries(series.values, stamps, series.name)).score


def view_nab_score(model: VAELSTM, data_dir: str | None = None) -> dict:
    """NAB corpus score (standard profile) of the series view with the model's fixed threshold, which was chosen on
    the known-cause series' anomaly-free beginnings."""
    raw, counts = [], []
    for relative in tqdm(nab_corpus(data_dir), desc="NAB corpus, series view"):
        series = nab_series(relative, data_dir)
        windows = nab_windows_idx(series.timestamps, series.windows)
        raw.append(nab_raw_score(onsets(view_scores(model, series) >= model.threshold), windows)[0])
        counts.append(len(windows))
    return {
        "files": len(counts),
        "windows": int(sum(counts)),
        "standard_profile": round(nab_normalised(raw, counts), 2),
    }


def validation_scores(model: VAELSTM, series) -> np.ndarray:
    """Smoothed scores of a known-cause series' validation part, computed from its anomaly-free beginning alone: scored
    and smoothed over the whole series, the last validation points would average in predicted windows and scores of
    the test part."""
    _, val_start, train_end = nab_parts(series)
    beginning = ValueSeries(series.values[:train_end], np.arange(train_end), series.name)
    return predict_series(model, beginning, reference_end=train_end, **points(model)).score[val_start:]


def tune_postprocessing(model: VAELSTM, data_dir: str | None) -> tuple[int, float, list[dict]]:
    """Score smoothing width and threshold quantile of best mean F1 over the NAB series outside realKnownCause.

    Each file is standardised, and its threshold set, on its own first 15 % (NAB's probationary part); F1 is
    measured on the rest. The five evaluated known-cause series take no part in this choice.
    """
    model.smooth = 1
    rows, scores = [], []
    for relative in tqdm([r for r in nab_corpus(data_dir) if not r.startswith("realKnownCause/")], desc="tuning files"):
        series = nab_series(relative, data_dir)
        if series.labels.any():
            scores.append((series, predict_series(model, whole(series), **points(model)).score))
    for width, quantile in itertools.product(SMOOTH_GRID, QUANTILE_GRID):
        f1 = []
        for series, raw in scores:
            smoothed = smooth_scores(raw, width)
            probation = int(0.15 * len(raw))
            threshold = pick_threshold(smoothed[:probation], quantile=quantile)
            f1.append(detection_metrics(smoothed[probation:] >= threshold, series.labels[probation:])["raw"]["f1"])
        rows.append({"smooth": width, "quantile": quantile, "files": len(f1), "mean_f1": round(float(np.mean(f1)), 4)})
    best = max(rows, key=lambda r: r["mean_f1"])
    return best["smooth"], best["quantile"], rows


def evaluate_nab(model: VAELSTM, quantile: float, data_dir: str | None) -> tuple[list[dict], dict]:
    """Per-series P/R/F1 on the five known-cause series (thresholds from each series' validation part) and the NAB
    score."""
    rows = []
    for series in nab_known_cause(data_dir):
        _, val_start, train_end = nab_parts(series)
        score = predict_series(model, whole(series), reference_end=train_end, **points(model)).score
        threshold = pick_threshold(validation_scores(model, series), quantile=quantile)
        test_labels = series.labels[train_end:]
        metrics = detection_metrics(score[train_end:] >= threshold, test_labels)
        best = max(
            detection_metrics(score[train_end:] >= t, test_labels)["raw"]["f1"]
            for t in np.quantile(score[train_end:], np.linspace(0.5, 0.999, 60))
        )
        rows.append(
            {
                "series": series.name,
                "train_points": int(val_start),
                "val_points": int(train_end - val_start),
                "test_points": int(len(test_labels)),
                "threshold": round(threshold, 4),
                **{
                    f"{kind}_{m}": round(metrics[kind][m], 4)
                    for kind in ("raw", "point_adjusted")
                    for m in ("precision", "recall", "f1")
                },
                "test_tuned_f1_not_a_result": round(best, 4),
            }
        )
    raw, counts, fixed_raw, view_raw = [], [], [], []
    for relative in tqdm(nab_corpus(data_dir), desc="NAB corpus"):
        series = nab_series(relative, data_dir)
        score = predict_series(model, whole(series), smooth_points=model.smooth).score
        probation = min(int(0.15 * len(score)), 5000)
        windows = nab_windows_idx(series.timestamps, series.windows)
        own = pick_threshold(score[:probation], quantile=quantile)
        raw.append(nab_raw_score(onsets(score >= own), windows)[0])
        fixed_raw.append(nab_raw_score(onsets(score >= model.threshold), windows)[0])
        view_raw.append(nab_raw_score(onsets(view_scores(model, series) >= model.threshold), windows)[0])
        counts.append(len(windows))
    nab = {
        "files": len(counts),
        "windows": int(sum(counts)),
        "standard_profile_probation_threshold": round(nab_normalised(raw, counts), 2),
        "standard_profile_fixed_threshold": round(nab_normalised(fixed_raw, counts), 2),
        "standard_profile_space_view": round(nab_normalised(view_raw, counts), 2),
    }
    return rows, nab
