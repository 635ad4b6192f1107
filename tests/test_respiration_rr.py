"""RR cleaning, resampling to a regular grid and per-minute windows."""

import numpy as np
import pytest

from core.errors import InputError, SignalTooShortError
from core.respiration.rr import rr_clean, rr_minute_windows, rr_resample
from core.signals import rr_from_beats


def test_rr_outside_range_are_dropped_with_a_count():
    times = np.arange(1, 11, dtype=float)
    rr = np.array([1.0, 0.1, 1.0, 4.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    kept_times, kept_rr, dropped = rr_clean(times, rr)
    assert dropped == 2
    assert len(kept_rr) == 8 and kept_rr.min() >= 0.25 and kept_rr.max() <= 3.0
    assert 2.0 not in kept_times and 4.0 not in kept_times


def test_mostly_bad_rr_is_refused_with_the_fix():
    with pytest.raises(InputError, match="rr_ms"):
        rr_clean(np.arange(5.0), np.array([800.0, 810.0, 790.0, 805.0, 0.8]))


def test_resampling_interpolates_linearly_on_the_grid():
    grid = rr_resample(np.array([1.0, 2.0, 4.0]), np.array([1.0, 1.0, 2.0]), fs=2.0, duration_s=5.0)
    # t = 0, 0.5, ..., 4.5: held before the first beat, linear between beats, held after the last
    np.testing.assert_allclose(grid, [1.0, 1.0, 1.0, 1.0, 1.0, 1.25, 1.5, 1.75, 2.0, 2.0])


def test_minute_windows_are_centred_and_edge_padded():
    fs = 2.0
    grid = np.repeat(np.arange(6, dtype=float), 120)  # minute m holds the value m
    windows = rr_minute_windows(grid, 6, fs=fs)
    assert windows.shape == (6, 600)
    assert windows[0, :240].tolist() == [0.0] * 240  # two padded minutes before minute 0
    np.testing.assert_array_equal(windows[3, 240:360], 3.0)
    np.testing.assert_array_equal(windows[:, 300], np.arange(6))  # each window's centre is its own minute


def test_too_few_minutes_for_a_per_minute_result():
    with pytest.raises(SignalTooShortError, match="at least 5"):
        rr_minute_windows(np.ones(3 * 120), 3)


def test_beats_must_increase():
    with pytest.raises(InputError, match="increase"):
        rr_from_beats(np.array([1.0, 2.0, 2.0, 3.0]))
