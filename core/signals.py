"""Pure signal functions on numpy arrays with explicit sampling rates, named `<signal>_<verb>`."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from core.errors import InputError, SamplingRateError, SignalTooShortError

ECG_FS_RANGE = (50.0, 2000.0)


def signal_resample(x: np.ndarray, fs_in: float, fs_out: float, *, padtype: str = "constant") -> np.ndarray:
    """Resample along axis 0 with a polyphase filter (rates approximated by a fraction with denominator <= 1000).
    padtype: what `scipy.signal.resample_poly` assumes beyond the ends: "constant" (zeros) suits zero-mean signals;
    "line" keeps a large offset such as gravity from ramping down to zero at both ends."""
    if fs_in == fs_out:
        return np.asarray(x, dtype=float)
    from scipy import signal as sps  # imported on first use: it adds about a second to the hub's start-up

    ratio = Fraction(fs_out / fs_in).limit_denominator(1000)
    return sps.resample_poly(np.asarray(x, dtype=float), ratio.numerator, ratio.denominator, axis=0, padtype=padtype)


def signal_filter(
    x: np.ndarray, fs: float, *, lowcut: float | None = None, highcut: float | None = None, order: int = 3
) -> np.ndarray:
    """Zero-phase Butterworth filter along axis 0: band-pass, low-pass (only `highcut`) or high-pass (only `lowcut`)."""
    from scipy import signal as sps

    if lowcut and highcut:
        sos = sps.butter(order, [lowcut, highcut], btype="bandpass", fs=fs, output="sos")
    elif highcut:
        sos = sps.butter(order, highcut, btype="lowpass", fs=fs, output="sos")
    elif lowcut:
        sos = sps.butter(order, lowcut, btype="highpass", fs=fs, output="sos")
    else:
        raise ValueError("signal_filter needs lowcut, highcut or both")
    return sps.sosfiltfilt(sos, np.asarray(x, dtype=float), axis=0)


def check_fs(fs: float | None, accepted: tuple[float, float], what: str) -> float:
    """Return fs as float, or raise a SamplingRateError that names the accepted range."""
    if fs is None or not np.isfinite(fs):
        raise SamplingRateError(
            f"The sampling rate of the {what} is missing; give it in Hz (accepted {accepted[0]:g}-{accepted[1]:g})."
        )
    if not accepted[0] <= fs <= accepted[1]:
        raise SamplingRateError(
            f"Sampling rate {fs:g} Hz is outside the accepted {accepted[0]:g}-{accepted[1]:g} Hz for the {what}; "
            "check the rate you gave or resample the file."
        )
    return float(fs)


def rr_from_beats(beat_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RR intervals (s) from sorted beat times (s), each attached to the beat that ends it."""
    beat_times = np.asarray(beat_times, dtype=float)
    if len(beat_times) < 3:
        raise SignalTooShortError(
            f"Only {len(beat_times)} beats were given; a per-minute result needs minutes of beats."
        )
    if np.any(np.diff(beat_times) <= 0):
        raise InputError("Beat times must increase strictly; sort them and remove duplicates.")
    return beat_times[1:], np.diff(beat_times)
