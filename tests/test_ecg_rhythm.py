"""Rhythm from labelled beats (core/ecg/rhythm.py): runs, bigeminy/trigeminy, heart rate over time."""

from __future__ import annotations

import numpy as np

from core.ecg.rhythm import ecg_rhythm, ectopic_patterns, ectopic_runs, heart_rate


def test_runs_are_couplets_runs_and_sustained_runs_with_their_rate():
    labels = list("NNVVNNSSSSNN") + ["V"] * 80 + ["N"]
    times = np.arange(len(labels)) * 1.0
    times[12:92] = 12.0 + np.arange(80) * 0.4  # the V run at 150 bpm, lasting 31.6 s
    times[92:] = times[91] + 0.4 + np.arange(len(labels) - 92)
    runs = ectopic_runs(times, labels)
    assert [(r.kind, r.label, r.beats) for r in runs] == [
        ("couplet", "V", 2),
        ("run", "S", 4),
        ("sustained run", "V", 80),
    ]
    assert runs[0].rate_bpm == 60.0 and runs[1].duration_s == 3.0
    assert abs(runs[2].rate_bpm - 150.0) < 1.0 and runs[2].duration_s >= 30


def test_a_run_under_30_s_is_not_sustained():
    labels = ["N"] + ["V"] * 20 + ["N"]
    runs = ectopic_runs(np.arange(22) * 1.0, labels)
    assert [(r.kind, r.beats, r.duration_s) for r in runs] == [("run", 20, 19.0)]


def test_bigeminy_and_trigeminy_need_three_cycles():
    labels = list("NNVNVNVNVNN") + list("NNSNNSNNSNN") + list("NVNVNN")
    episodes = ectopic_patterns(np.arange(len(labels)) * 0.8, labels)
    assert [(e.kind, e.label, e.beats) for e in episodes] == [("bigeminy", "V", 8), ("trigeminy", "S", 9)]
    assert episodes[0].start_s == 0.8 and round(episodes[0].rate_bpm, 6) == 75.0


def test_heart_rate_over_time():
    times = np.concatenate([np.arange(0, 20, 1.0), 20 + np.arange(0, 20, 0.5)])
    centres, bpm, window = heart_rate(times)
    assert window == 10.0
    np.testing.assert_allclose(centres, [5, 15, 25, 35])
    np.testing.assert_allclose(bpm, [60, 60, 120, 120], rtol=0.05)
    long = np.arange(0, 1200, 1.0)
    assert heart_rate(long)[2] == 60.0


def test_rhythm_json_and_summary_use_the_labels_given():
    labels = list("NNSSNNNN")
    rhythm = ecg_rhythm(np.arange(8) * 0.75, labels)
    out = rhythm.to_json()
    assert out["mean_heart_rate_bpm"] == 80.0 and out["runs"][0]["kind"] == "couplet"
    assert type(out["mean_heart_rate_bpm"]) is float and type(out["runs"][0]["rate_bpm"]) is float  # not numpy: JSON
    assert rhythm.summary() == "Rhythm: mean heart rate 80 bpm; S couplet x1 (longest 2 beats, 0.8 s at 80 bpm)."
    assert ecg_rhythm(np.array([1.0]), ["N"]).to_json()["heart_rate"]["bpm"] == []
