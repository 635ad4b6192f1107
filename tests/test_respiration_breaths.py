"""Breath detection, rate and pauses on known synthetic signals, and on BIDMC record 01 against its annotations."""

import numpy as np
import pytest

from core.errors import NoBreathsFoundError, SamplingRateError, SignalTooShortError
from core.respiration.breaths import match_events, rsp_pauses, rsp_peaks, rsp_rate
from tests.conftest import needs_data

FS = 25.0


def breathing(rate_per_min=15.0, seconds=120.0, pause=None, seed=0):
    """A sine breathing signal with a little noise; `pause` = (start s, stop s) held flat."""
    t = np.arange(int(seconds * FS)) / FS
    x = np.sin(2 * np.pi * rate_per_min / 60.0 * t) + 0.05 * np.random.default_rng(seed).standard_normal(len(t))
    if pause:
        x[int(pause[0] * FS) : int(pause[1] * FS)] = 0.05 * np.random.default_rng(seed + 1).standard_normal(
            int((pause[1] - pause[0]) * FS)
        )
    return x


def test_rate_of_a_15_per_minute_signal():
    peaks = rsp_peaks(breathing(15.0), FS)
    _, rate = rsp_rate(peaks, FS)
    assert len(peaks) == pytest.approx(30, abs=1)
    assert np.median(rate) == pytest.approx(15.0, abs=0.3)


def test_planted_pause_is_flagged_and_nothing_else():
    peaks = rsp_peaks(breathing(12.0, pause=(50.0, 68.0)), FS)
    pauses = rsp_pauses(peaks, FS)
    assert len(pauses) == 1
    start, stop = pauses[0]
    assert 44.0 <= start <= 50.5 and 67.5 <= stop <= 74.0
    assert stop - start > 10.0


def test_flat_signal_is_refused():
    with pytest.raises(NoBreathsFoundError, match="flat"):
        rsp_peaks(np.full(int(60 * FS), 0.5), FS)


def test_pure_noise_is_refused():
    noise = np.random.default_rng(1).standard_normal(int(60 * 125))
    with pytest.raises(NoBreathsFoundError, match="noise"):
        rsp_peaks(noise, 125.0)


def test_wrong_sampling_rate_is_named():
    with pytest.raises(SamplingRateError, match="outside the accepted"):
        rsp_peaks(breathing(), 0.5)
    # 25 Hz breathing declared as 1000 Hz puts the breaths at 10 Hz, outside the breathing band
    with pytest.raises(NoBreathsFoundError, match="sampling rate"):
        rsp_peaks(breathing(seconds=1200.0), 1000.0)


def test_too_short_waveform():
    with pytest.raises(SignalTooShortError, match="at least"):
        rsp_peaks(breathing(seconds=15.0), FS)


def test_match_events_counts():
    result = match_events(np.array([1.0, 2.1, 5.0]), np.array([1.1, 2.0, 3.0]), 0.2)
    assert result["true_positive"] == 2
    assert result["sensitivity"] == pytest.approx(2 / 3)
    assert result["positive_predictivity"] == pytest.approx(2 / 3)


@needs_data("respiration", "bidmc")
def test_bidmc_record_01_sensitivity_and_positive_predictivity():
    from core.respiration.data import bidmc_01

    resp, fs, annotator1, annotator2 = bidmc_01()
    peaks = rsp_peaks(resp, fs)
    for reference in (annotator1, annotator2):
        result = match_events(peaks / fs, reference / fs, 0.5)
        assert result["sensitivity"] >= 0.95 and result["positive_predictivity"] >= 0.95
