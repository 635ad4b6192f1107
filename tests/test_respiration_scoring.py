"""Threshold logic, point-adjustment and the NAB score on small known cases."""

import numpy as np
import pytest

from core.respiration.scoring import (
    binary_metrics,
    detection_metrics,
    flag_intervals,
    nab_normalised,
    nab_raw_score,
    onsets,
    pick_threshold,
    point_adjust,
    smooth_scores,
)


def test_threshold_is_the_quantile_of_normal_scores():
    assert pick_threshold(np.arange(101.0), quantile=0.99) == pytest.approx(99.0)
    assert pick_threshold(np.arange(101.0), quantile=1.0) == pytest.approx(100.0)


def test_flag_intervals_and_onsets():
    flags = np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], dtype=bool)
    assert flag_intervals(flags) == [(1, 3), (5, 6), (7, 10)]
    assert np.flatnonzero(onsets(flags)).tolist() == [1, 5, 7]


def test_point_adjustment_fills_detected_segments_only():
    labels = np.array([0, 1, 1, 1, 0, 0, 1, 1, 0], dtype=bool)
    flags = np.array([0, 0, 1, 0, 0, 1, 0, 0, 0], dtype=bool)
    np.testing.assert_array_equal(point_adjust(flags, labels), [0, 1, 1, 1, 0, 1, 0, 0, 0])
    metrics = detection_metrics(flags, labels)
    assert metrics["raw"]["precision"] == pytest.approx(0.5)
    assert metrics["raw"]["recall"] == pytest.approx(1 / 5)
    assert metrics["point_adjusted"]["recall"] == pytest.approx(3 / 5)
    assert metrics["point_adjusted"]["precision"] == pytest.approx(3 / 4)


def test_binary_metrics_at_a_threshold():
    result = binary_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.7, 0.4]), 0.5)
    assert result["accuracy"] == 0.5 and result["sensitivity"] == 0.5 and result["specificity"] == 0.5
    assert result["auroc"] == pytest.approx(0.75)


def test_smoothing_centred_and_trailing():
    score = np.array([0, 0, 3, 0, 0], dtype=float)
    np.testing.assert_allclose(smooth_scores(score, 3), [0, 1, 1, 1, 0])
    np.testing.assert_allclose(smooth_scores(score, 3, causal=True), [0, 0, 1, 1, 1])


def test_nab_score_perfect_null_and_false_positives():
    n, windows = 1000, [(500, 599)]
    perfect = np.zeros(n, dtype=bool)
    perfect[500] = True
    raw, count = nab_raw_score(perfect, windows)
    assert nab_normalised([raw], [count]) == pytest.approx(100.0)
    assert nab_normalised([nab_raw_score(np.zeros(n, dtype=bool), windows)[0]], [1]) == pytest.approx(0.0)
    late = np.zeros(n, dtype=bool)
    late[599] = True  # detection at the window's end earns about nothing
    assert nab_raw_score(late, windows)[0] == pytest.approx(0.0, abs=0.03)
    early_fp = perfect.copy()
    early_fp[300] = True  # a false positive before any window costs the full A_FP
    assert nab_raw_score(early_fp, windows)[0] == pytest.approx(raw - 0.11)
    probation = perfect.copy()
    probation[10] = True  # inside the first 15 %: not scored
    assert nab_raw_score(probation, windows)[0] == pytest.approx(raw)
