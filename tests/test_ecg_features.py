"""The new-patient ECG path: patient-relative beat features, the tree + MLP model in one graph, and its DS2 figures."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.ensemble import HistGradientBoostingClassifier

from core import get_task, load_model
from core.ecg.feature_model import ECGFeatureClassifier
from core.ecg.features import FEATURE_NAMES, ecg_beat_features
from core.errors import InputError
from core.readers.beat_rows import read_beat_rows
from tests.conftest import FIXTURES, needs_data


def synthetic_ecg(fs: float, *, beats: int = 60, premature: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """A 75 bpm lead of Gaussian QRS complexes with P and T waves, one beat `premature` 40% early; (signal, peaks)."""
    times = np.arange(beats) * 0.8 + 0.5
    times[premature:] -= 0.32
    times[premature + 1 :] += 0.32  # a compensatory pause: the rhythm resumes on time
    t = np.arange(int((times[-1] + 0.8) * fs)) / fs
    signal = np.zeros_like(t)
    for beat in times:
        signal += 1.0 * np.exp(-(((t - beat) / 0.012) ** 2)) - 0.2 * np.exp(-(((t - beat - 0.03) / 0.015) ** 2))
        signal += 0.15 * np.exp(-(((t - beat + 0.16) / 0.03) ** 2)) + 0.3 * np.exp(-(((t - beat - 0.3) / 0.06) ** 2))
    return signal, np.round(times * fs).astype(np.int64)


def test_features_see_a_premature_beat_relative_to_the_patients_rhythm():
    signal, peaks = synthetic_ecg(360.0)
    features = ecg_beat_features(signal, 360.0, peaks)
    column = dict(zip(FEATURE_NAMES, features.T))
    assert features.shape == (len(peaks), len(FEATURE_NAMES)) and np.isfinite(features).all()
    assert column["pre_over_local_mean"][30] == pytest.approx(0.48 / 0.8, abs=0.06)
    assert np.median(column["pre_over_local_mean"]) == pytest.approx(1.0, abs=0.02)
    assert column["compensatory_pause"][30] > 0.5 > abs(np.median(column["compensatory_pause"]))
    assert np.median(column["corr_qrs"]) > 0.99


def test_features_ignore_lead_polarity_and_sampling_rate():
    signal, peaks = synthetic_ecg(360.0)
    upright = ecg_beat_features(signal, 360.0, peaks)
    np.testing.assert_allclose(ecg_beat_features(-signal, 360.0, peaks), upright, atol=1e-4)
    fast, fast_peaks = synthetic_ecg(500.0)
    rr = slice(0, 17)  # RR features are exact across rates; morphology is close
    np.testing.assert_allclose(ecg_beat_features(fast, 500.0, fast_peaks)[:, rr], upright[:, rr], rtol=0.02, atol=0.01)
    assert np.abs(ecg_beat_features(fast, 500.0, fast_peaks) - upright).mean() < 0.05


def test_tree_tables_walk_like_the_booster_and_onnx_serves_the_same(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, len(FEATURE_NAMES))).astype(np.float32)
    y = (x[:, 0] > 0).astype(int) + 2 * (x[:, 1] > 0.5)
    booster = HistGradientBoostingClassifier(max_iter=5, max_leaf_nodes=4, random_state=0).fit(x, y)
    nodes = [tree.nodes for iteration in booster._predictors for tree in iteration]
    model = ECGFeatureClassifier(n_trees=len(nodes), n_nodes=7, depth=int(max(n["depth"].max() for n in nodes)))
    model.set_trees(booster)
    model.set_quantiles(x)
    with torch.inference_mode():
        walked = torch.softmax(model.tree_logits(torch.from_numpy(x)), dim=1).numpy()
        scores = model.normal_scores_of(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(walked, booster.predict_proba(x), atol=1e-5)
    assert np.median(scores, axis=0) == pytest.approx(np.zeros(len(FEATURE_NAMES)), abs=0.05)
    assert scores.min() == pytest.approx(-3.09, abs=0.01) and scores.max() == pytest.approx(3.09, abs=0.01)


def test_the_default_is_the_new_patient_model_and_beat_rows_go_to_the_intra_benchmark():
    task = get_task("ecg")
    rows = read_beat_rows(FIXTURES / "kaggle_beats.csv")
    assert task.variant() == "inter" and task.pick_variant(rows) == "intra"
    model = load_model("ecg", backend="onnx")
    assert model.feature_names == FEATURE_NAMES and model.labels == ("N", "S", "V", "F")
    with pytest.raises(InputError, match="whole recording"):
        model.predict_beats(rows.beats)
    result = task.run(rows, lambda variant: load_model("ecg", variant=variant, backend="onnx"))
    assert len(result.probabilities) == len(rows.beats)


def test_a_record_is_read_beat_by_beat_at_any_rate():
    signal, peaks = synthetic_ecg(250.0, beats=80)
    result = load_model("ecg", backend="onnx").predict_record(signal, 250.0)
    assert abs(len(result.times_s) - len(peaks)) <= 1
    assert result.predicted.count("N") >= 0.9 * len(peaks)


@needs_data("mitdb")
def test_metrics_json_re_measures_within_two_tenths_of_a_point():
    from training.ecg_features import evaluate_main

    shipped = json.loads((get_task("ecg").checkpoint("inter") / "metrics.json").read_text())
    measured = evaluate_main("inter")
    for block in ("test", "test_end_to_end"):
        assert measured[block]["accuracy"] == pytest.approx(shipped[block]["accuracy"], abs=0.002)
        for label in ("S", "V"):
            for figure in ("recall", "precision"):
                assert measured[block]["per_class"][label][figure] == pytest.approx(
                    shipped[block]["per_class"][label][figure], abs=0.002
                )
