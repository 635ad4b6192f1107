"""ECG beat functions: AAMI mapping, segmentation, RR features, R-peak detection against reference annotations."""

from __future__ import annotations

import numpy as np
import pytest

from core.ecg.beats import (
    AAMI_MAP,
    BEAT_LENGTH,
    aami_class,
    ecg_context,
    ecg_peaks,
    ecg_segment,
    match_peaks,
    rr_features,
    unknown_context,
    unknown_rr,
)
from core.errors import ConfigError, NoBeatsFoundError, SignalTooShortError
from core.readers.wfdb_records import read_wfdb
from tests.conftest import DATA_DIR, FIXTURES, needs_data


def test_aami_mapping_is_the_kaggle_one():
    assert {s: aami_class(s) for s in "NLRejAaJSVEF/fQ"} == {
        "N": "N",
        "L": "N",
        "R": "N",
        "e": "N",
        "j": "N",
        "A": "S",
        "a": "S",
        "J": "S",
        "S": "S",
        "V": "V",
        "E": "V",
        "F": "F",
        "/": "Q",
        "f": "Q",
        "Q": "Q",
    }
    assert aami_class("+") is None and aami_class("~") is None
    assert len(AAMI_MAP) == 15


def test_segmentation_follows_kachuee():
    fs = 360.0
    x = np.zeros(int(20 * fs))
    peaks = np.arange(int(0.5 * fs), len(x) - int(fs), int(0.8 * fs))  # 75 bpm, RR 0.8 s
    x[peaks] = 1.0
    beats = ecg_segment(x, fs, peaks)
    assert beats.shape == (len(peaks), BEAT_LENGTH)
    assert beats.min() >= 0.0 and beats.max() <= 1.0
    # each beat starts at its R-peak and lasts 1.2 x RR = 0.96 s = 120 samples at 125 Hz, then zero padding
    assert np.all(beats[:, 0] > 0.5)
    assert np.all(beats[:, 125:] == 0.0)


def test_context_holds_the_p_wave_before_r():
    fs = 360.0
    x = np.zeros(int(20 * fs))
    peaks = np.arange(int(1.0 * fs), len(x) - int(fs), int(0.8 * fs))
    x[peaks] = 1.0
    x[peaks - int(0.2 * fs)] = 0.5  # a P wave 0.2 s before each R
    context = ecg_context(x, fs, peaks, samples=64)
    assert context.shape == (len(peaks), 64)
    assert context.min() >= 0.0 and context.max() <= 1.0
    # 0.2 s before R = 25 samples at 125 Hz, counted back from the context's end (the sample before R)
    assert np.all(np.argmax(context, axis=1) == 64 - 25)
    np.testing.assert_allclose(context.max(axis=1), 0.5, atol=0.05)
    # beats at the record's start are zero-padded in front; a lone row's context is all zeros
    assert np.all(ecg_context(x, fs, peaks[:2] - int(0.9 * fs), samples=125)[0, :20] == 0.0)
    assert unknown_context(3, 64).shape == (3, 64) and not unknown_context(3, 64).any()


def test_rr_features_on_known_rhythm():
    fs = 100.0
    peaks = np.array([0, 100, 200, 250, 400, 500, 600])  # a premature beat at 250
    rr = rr_features(peaks, fs, local_beats=2)
    assert rr.shape == (7, 5)
    np.testing.assert_allclose(rr[3, 2:4], [0.5, 1.5])  # pre and post RR of the premature beat, in seconds
    assert rr[3, 0] < 0.7 < 1.3 < rr[3, 1]  # short before, long after, relative to the local mean
    assert np.all(rr[:, 4] == 1.0) and np.all(unknown_rr(3)[:, 4] == 0.0)


def test_peaks_on_real_fixture_match_annotations():
    rec = read_wfdb(FIXTURES / "mitdb100_10s.hea")
    reference = rec.annotations["sample"][[s in AAMI_MAP for s in rec.annotations["symbol"]]]
    tp, fn, fp = match_peaks(reference, ecg_peaks(rec.signal[:, 0], rec.fs), rec.fs)
    assert (tp, fn, fp) == (len(reference), 0, 0)


@pytest.mark.parametrize("fs_out", [100, 250, 500, 1000])
def test_peaks_at_other_sampling_rates(fs_out):
    from core.signals import signal_resample

    rec = read_wfdb(FIXTURES / "mitdb100_10s.hea")
    reference = rec.annotations["sample"][[s in AAMI_MAP for s in rec.annotations["symbol"]]] * fs_out / rec.fs
    lead = signal_resample(rec.signal[:, 0], rec.fs, fs_out)
    tp, fn, fp = match_peaks(reference, ecg_peaks(lead, fs_out), fs_out)
    assert fn == 0 and fp == 0


@needs_data("mitdb", "RECORDS")
@pytest.mark.parametrize("record", ["100", "106", "119", "208", "233"])
def test_peaks_on_real_records_above_floor(record):
    rec = read_wfdb(DATA_DIR / "mitdb" / f"{record}.hea")
    reference = rec.annotations["sample"][[s in AAMI_MAP for s in rec.annotations["symbol"]]]
    tp, fn, fp = match_peaks(reference, ecg_peaks(rec.signal[:, 0], rec.fs), rec.fs)
    assert tp / (tp + fn) >= 0.995, f"sensitivity {tp / (tp + fn):.4f}"
    assert tp / (tp + fp) >= 0.995, f"positive predictivity {tp / (tp + fp):.4f}"


def test_flat_line_and_short_signal():
    with pytest.raises(NoBeatsFoundError, match="flat line"):
        ecg_peaks(np.zeros(3600), 360)
    with pytest.raises(SignalTooShortError, match="at least 2 s"):
        ecg_peaks(np.random.default_rng(0).normal(size=300), 360)
    with pytest.raises(ConfigError, match=r"accepted methods are \['searchback', 'neurokit', 'xqrs'\]"):
        ecg_peaks(np.random.default_rng(0).normal(size=3600), 360, method="magic")


def test_search_back_leaves_a_genuine_pause_empty(monkeypatch):
    """A 3 s sinus pause holding a small bump (a fifth of the QRS): search-back looks there, and only the amplitude gate
    keeps the bump from becoming a beat."""
    from core.ecg import beats

    fs = 360.0
    times = np.concatenate([np.arange(20) * 0.8 + 0.5, np.arange(20) * 0.8 + 0.5 + 19 * 0.8 + 3.0])
    t = np.arange(int((times[-1] + 1.0) * fs)) / fs
    ecg = sum(np.exp(-(((t - beat) / 0.012) ** 2)) for beat in times)
    ecg = ecg + 0.2 * np.exp(-(((t - (0.5 + 19 * 0.8 + 1.5)) / 0.012) ** 2))
    ecg = ecg + 0.02 * np.random.default_rng(0).standard_normal(len(t))
    assert len(ecg_peaks(ecg, fs)) == len(times)
    monkeypatch.setattr(beats, "SEARCHBACK_AMPLITUDE", 0.0)
    assert len(ecg_peaks(ecg, fs)) == len(times) + 1
