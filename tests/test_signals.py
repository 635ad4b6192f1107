"""Signal functions on known signals."""

import numpy as np
import pytest

from core.errors import SamplingRateError
from core.signals import check_fs, signal_filter, signal_resample


def _dominant_hz(x: np.ndarray, fs: float) -> float:
    spectrum = np.abs(np.fft.rfft(x))
    return float(np.fft.rfftfreq(len(x), 1 / fs)[spectrum.argmax()])


@pytest.mark.parametrize(("fs_in", "fs_out"), [(360, 125), (1000, 125), (20, 50), (100, 50)])
def test_resample_keeps_length_and_frequency(fs_in, fs_out):
    t = np.arange(0, 10, 1 / fs_in)
    y = signal_resample(np.sin(2 * np.pi * 2.0 * t), fs_in, fs_out)
    assert len(y) == pytest.approx(10 * fs_out, abs=1)
    assert _dominant_hz(y, fs_out) == pytest.approx(2.0, abs=0.11)


def test_line_padding_keeps_an_offset_at_both_ends():
    gravity = np.full(200, 1.0)  # 10 s of 1 g at 20 Hz
    zero_padded, line_padded = signal_resample(gravity, 20, 50), signal_resample(gravity, 20, 50, padtype="line")
    assert zero_padded[-1] < 0.5 and zero_padded[1] > 1.1  # zeros beyond the ends bend the offset there
    np.testing.assert_allclose(line_padded, 1.0, atol=1e-3)


def test_lowpass_removes_high_tone_and_keeps_low_one():
    fs = 250.0
    t = np.arange(0, 8, 1 / fs)
    low, high = np.sin(2 * np.pi * 1 * t), np.sin(2 * np.pi * 40 * t)
    middle = slice(250, -250)  # away from the filter's edge transients
    assert np.std((signal_filter(low + high, fs, highcut=10) - low)[middle]) < 0.02
    assert np.std((signal_filter(low + high, fs, lowcut=20) - high)[middle]) < 0.02


def test_check_fs_names_range():
    assert check_fs(360, (50, 2000), "ECG") == 360.0
    with pytest.raises(SamplingRateError, match="Sampling rate 5 Hz is outside the accepted 50-2000 Hz"):
        check_fs(5, (50, 2000), "ECG")
    with pytest.raises(SamplingRateError, match="missing"):
        check_fs(None, (50, 2000), "ECG")
