"""Scoring predicted beats against reference annotations (core/ecg/scoring.py)."""

from __future__ import annotations

import numpy as np

from core.ecg.scoring import ecg_score, reference_beats


def test_matching_window_is_150_ms_and_figures_count_matched_beats():
    reference_s = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    reference = np.array(["N", "V", "N", "S", "N"])
    # beat 3 detected 150 ms late (matched), beat 4 160 ms late (missed, plus an extra detection), one extra at 6 s
    detected_s = np.array([1.01, 1.98, 3.15, 4.16, 5.0, 6.0])
    predicted = ["N", "V", "V", "S", "N", "N"]
    scoring = ecg_score(reference_s, reference, detected_s, predicted, ("N", "S", "V", "F"), source="r.atr")
    assert scoring.matched.tolist() == [0, 1, 2, -1, 4]
    out = scoring.to_json()
    assert (out["reference_beats"], out["detected_beats"], out["matched_beats"]) == (5, 6, 4)
    assert out["detection"] == {"se": 0.8, "ppv": round(4 / 6, 4)}
    assert out["accuracy"] == 0.75  # N, V, (N called V), N
    assert out["per_class"]["N"] == {"se": round(2 / 3, 4), "ppv": 1.0, "reference": 3, "predicted": 2}
    assert out["per_class"]["V"] == {"se": 1.0, "ppv": 0.5, "reference": 1, "predicted": 2}
    assert out["per_class"]["S"] == {"se": None, "ppv": None, "reference": 0, "predicted": 0}
    rows, counts = out["confusion"]["rows"], np.array(out["confusion"]["counts"])
    assert rows == ["N", "S", "V", "F", "Q", "-"]
    assert counts[rows.index("N"), rows.index("V")] == 1 and counts[rows.index("S"), -1] == 1
    assert counts[-1].tolist() == [1, 1, 0, 0, 0, 0]  # the extras at 4.16 s (S) and 6.0 s (N)
    assert out["disagreements"] == [
        {"time_s": 3.15, "reference": "N", "predicted": "V"},
        {"time_s": 4.0, "reference": "S", "predicted": None},
        {"time_s": 4.16, "reference": None, "predicted": "S"},
        {"time_s": 6.0, "reference": None, "predicted": "N"},
    ]
    assert "4 of 5 reference beats found" in scoring.summary() and "V Se 1.000 +P 0.500" in scoring.summary()


def test_every_record_gets_the_same_table_and_classes_the_model_lacks_no_figures():
    scoring = ecg_score(np.array([1.0, 2.0]), np.array(["Q", "N"]), np.array([1.0, 2.0]), ["N", "N"], ("N", "S", "V"))
    out = scoring.to_json()
    assert out["confusion"]["rows"] == ["N", "S", "V", "F", "Q", "-"] and "Q" not in out["per_class"]
    assert np.array(out["confusion"]["counts"])[4, 0] == 1


def test_reference_beats_drop_non_beat_annotations():
    annotations = {"sample": np.array([10, 360, 400, 720]), "symbol": np.array(["+", "N", "~", "A"])}
    times, classes = reference_beats(annotations, 360.0)
    np.testing.assert_allclose(times, [1.0, 2.0])
    assert classes.tolist() == ["N", "S"]
