"""Breaths from a respiration waveform: detection, breathing rate and pauses."""

from __future__ import annotations

import numpy as np

from core.errors import InputError, NoBreathsFoundError, SamplingRateError, SignalTooShortError
from core.signals import check_fs, signal_filter

RESP_FS_RANGE = (1.0, 2000.0)
BREATH_BAND_HZ = (0.1, 1.0)
"""6-60 breaths per minute; the band-pass that isolates breathing from drift and cardiac oscillation."""
RATE_RANGE_PER_MIN = (4.0, 70.0)
MIN_BAND_POWER = 0.3
"""Share of the signal's power that must lie in the breathing band: white noise at 125 Hz has about 1.5 %."""
MIN_PROMINENCE = 0.25
"""Peak prominence, as a share of the filtered signal's 5-95 % range; lower values count cardiac ripple as breaths."""
PAUSE_S = 10.0
MIN_DURATION_S = 20.0
"""The waveform VAE-LSTM sees 20 s sequences (4 windows of 5 s)."""


def rsp_clean(resp: np.ndarray, fs: float) -> np.ndarray:
    """Band-pass a respiration waveform to the breathing band (zero-phase Butterworth, 0.1-1 Hz)."""
    highcut = min(BREATH_BAND_HZ[1], 0.45 * fs)
    return signal_filter(resp, fs, lowcut=BREATH_BAND_HZ[0], highcut=highcut, order=2)


def breathing_band_share(resp: np.ndarray, fs: float) -> float:
    """Share of the detrended signal's power in the breathing band (Welch spectrum)."""
    from scipy import signal as sps  # imported on first use, as in core.signals

    nperseg = int(min(len(resp), 64 * fs))
    freqs, power = sps.welch(resp - np.mean(resp), fs=fs, nperseg=nperseg)
    total = power[freqs >= 0.03].sum()
    if total <= 0:
        return 0.0
    band = (freqs >= BREATH_BAND_HZ[0]) & (freqs <= BREATH_BAND_HZ[1])
    return float(power[band].sum() / total)


def check_resp(resp: np.ndarray, fs: float) -> tuple[np.ndarray, float]:
    """Validate a respiration waveform (1-D, finite, long enough, breathing present); returns it as float and fs."""
    fs = check_fs(fs, RESP_FS_RANGE, "respiration waveform")
    resp = np.asarray(resp, dtype=float)
    if resp.ndim != 1:
        raise InputError(
            f"A respiration waveform is one channel (a 1-D array), got shape {resp.shape}; pick one column."
        )
    if not np.isfinite(resp).all():
        raise InputError("The respiration waveform contains NaN or infinite values; fill or cut those parts first.")
    if len(resp) < MIN_DURATION_S * fs:
        raise SignalTooShortError(
            f"The respiration waveform is {len(resp) / fs:.1f} s long; upload at least {MIN_DURATION_S:g} s (a few "
            "breaths)."
        )
    if np.ptp(resp) <= 1e-9 * max(1.0, np.abs(resp).max()):
        raise NoBreathsFoundError(
            "The respiration waveform is flat, so no breathing can be detected; check the channel you uploaded."
        )
    share = breathing_band_share(resp, fs)
    if share < MIN_BAND_POWER:
        raise NoBreathsFoundError(
            f"Only {share:.0%} of the waveform's power lies in the breathing band (6-60 breaths/min), so it looks like "
            f"noise, not breathing; check the channel and the sampling rate ({fs:g} Hz)."
        )
    return resp, fs


def rsp_peaks(resp: np.ndarray, fs: float) -> np.ndarray:
    """Sample indices of breath peaks (end of inspiration) in a respiration waveform sampled at `fs` Hz."""
    resp, fs = check_resp(resp, fs)
    clean = rsp_clean(resp, fs)
    spread = np.percentile(clean, 95) - np.percentile(clean, 5)
    min_gap = int(60.0 / RATE_RANGE_PER_MIN[1] * fs)
    from scipy import signal as sps

    peaks, _ = sps.find_peaks(clean, distance=max(1, min_gap), prominence=MIN_PROMINENCE * spread)
    if len(peaks) < 3:
        raise NoBreathsFoundError(
            f"Only {len(peaks)} breaths were found in {len(resp) / fs:.0f} s; upload a waveform with regular breathing."
        )
    rate = 60.0 * fs / np.median(np.diff(peaks))
    if not RATE_RANGE_PER_MIN[0] <= rate <= RATE_RANGE_PER_MIN[1]:
        raise SamplingRateError(
            f"The detected breathing rate is {rate:.0f} breaths/min, outside the plausible "
            f"{RATE_RANGE_PER_MIN[0]:g}-{RATE_RANGE_PER_MIN[1]:g}; check the sampling rate ({fs:g} Hz)."
        )
    return peaks


def rsp_rate(peaks: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Instantaneous breathing rate (breaths/min) at the second peak of each pair: (times in s, rates)."""
    intervals = np.diff(peaks) / fs
    return peaks[1:] / fs, 60.0 / intervals


def rsp_pauses(peaks: np.ndarray, fs: float, *, min_pause_s: float = PAUSE_S) -> list[tuple[float, float]]:
    """(start s, end s) of every gap between consecutive breaths longer than `min_pause_s`."""
    times = np.asarray(peaks) / fs
    gaps = np.diff(times)
    return [(float(times[i]), float(times[i + 1])) for i in np.flatnonzero(gaps > min_pause_s)]


def match_events(detected: np.ndarray, reference: np.ndarray, tolerance: float) -> dict:
    """Sensitivity and positive predictivity of detected events against reference events (one-to-one,
    within `tolerance`)."""
    detected, reference = np.sort(np.asarray(detected, float)), np.sort(np.asarray(reference, float))
    used = np.zeros(len(detected), dtype=bool)
    hits = 0
    for ref in reference:
        distance = np.where(used, np.inf, np.abs(detected - ref))
        if len(distance) and distance.min() <= tolerance:
            used[int(distance.argmin())] = True
            hits += 1
    return {
        "reference": int(len(reference)),
        "detected": int(len(detected)),
        "true_positive": hits,
        "sensitivity": hits / max(len(reference), 1),
        "positive_predictivity": hits / max(len(detected), 1),
    }
