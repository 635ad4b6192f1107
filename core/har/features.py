"""Orientation-free accelerometer features of 2.56 s windows, for a phone carried anywhere on the body.

Gravity is estimated by a 0.3 Hz low-pass of the acceleration; the rest (body acceleration) is split into its
component along gravity (vertical) and the magnitude across it (horizontal). Those two and the magnitude of the
total acceleration do not change when the phone turns in the pocket or hand, so one model reads every placement.
"""

from __future__ import annotations

import numpy as np

from core.har.data import HAR_FS, STEP, WINDOW
from core.signals import signal_filter

GRAVITY_CORNER_HZ = 0.3
NOISE_CORNER_HZ = 20.0
BANDS_HZ = (0.0, 0.7, 1.5, 2.5, 3.5, 5.0, 8.0, 12.0, 25.01)
"""Edges of the spectral bands whose share of a window's energy is a feature."""
LAGS_S = (0.25, 1.4)
"""Autocorrelation lags searched for the gait period (a step or a stride)."""
SIGNALS = ("vertical", "horizontal", "magnitude")
STATS = (
    "mean",
    "std",
    "p05",
    "p25",
    "p50",
    "p75",
    "p95",
    "jerk",
    "log_energy",
    "dominant_hz",
    "period_corr",
    "period_s",
)
FEATURE_NAMES = (
    tuple(f"{s}_{stat}" for s in SIGNALS for stat in STATS)
    + tuple(f"{s}_band{i}" for s in SIGNALS for i in range(len(BANDS_HZ) - 1))
    + ("vertical_horizontal_corr", "gravity_norm", "gravity_turn_deg")
)


def acc_gravity_frame(acc: np.ndarray, fs: float = HAR_FS) -> tuple[np.ndarray, np.ndarray]:
    """Gravity (n, 3) and the (n, 3) signals vertical, horizontal, magnitude - 1 from acceleration (n, 3) in g."""
    acc = signal_filter(np.asarray(acc, dtype=float), fs, highcut=NOISE_CORNER_HZ, order=3)
    gravity = signal_filter(acc, fs, highcut=GRAVITY_CORNER_HZ, order=3)
    up = gravity / np.maximum(np.linalg.norm(gravity, axis=1, keepdims=True), 1e-6)
    body = acc - gravity
    vertical = np.einsum("ij,ij->i", body, up)
    horizontal = np.linalg.norm(body - vertical[:, None] * up, axis=1)
    magnitude = np.linalg.norm(acc, axis=1) - 1.0
    return gravity, np.column_stack([vertical, horizontal, magnitude])


def _windows(x: np.ndarray) -> np.ndarray:
    """(windows, WINDOW, ...) views with 50% overlap."""
    view = np.lib.stride_tricks.sliding_window_view(x, WINDOW, axis=0)[::STEP]
    return np.moveaxis(view, -1, 1)


def window_starts(n: int) -> np.ndarray:
    """Start samples of the 50%-overlapping windows of an n-sample signal (the tail shorter than a step dropped)."""
    return np.arange(0, n - WINDOW + 1, STEP)


def _signal_stats(w: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Statistics (windows, len(STATS)) and band shares (windows, bands) of windows (windows, WINDOW) of one signal."""
    centred = w - w.mean(axis=1, keepdims=True)
    percentiles = np.percentile(w, [5, 25, 50, 75, 95], axis=1).T
    jerk = np.abs(np.diff(w, axis=1)).mean(axis=1) * fs
    power = np.abs(np.fft.rfft(centred * np.hanning(WINDOW), axis=1)) ** 2
    freqs = np.fft.rfftfreq(WINDOW, 1.0 / fs)
    total = power[:, 1:].sum(axis=1) + 1e-12
    bands = np.column_stack(
        [power[:, (freqs >= lo) & (freqs < hi)].sum(axis=1) / total for lo, hi in zip(BANDS_HZ[:-1], BANDS_HZ[1:])]
    )
    dominant = freqs[1:][power[:, 1:].argmax(axis=1)]
    spectrum = np.fft.rfft(centred, n=2 * WINDOW, axis=1)
    acf = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :WINDOW]
    acf = acf / np.maximum(acf[:, :1], 1e-12)
    lo, hi = int(LAGS_S[0] * fs), int(LAGS_S[1] * fs)
    best = acf[:, lo:hi].argmax(axis=1)
    stats = np.column_stack(
        [
            w.mean(axis=1),
            w.std(axis=1),
            percentiles,
            jerk,
            np.log(total),
            dominant,
            acf[np.arange(len(w)), lo + best],
            (lo + best) / fs,
        ]
    )
    return stats, bands


def window_features(acc: np.ndarray, fs: float = HAR_FS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features (windows, len(FEATURE_NAMES)) of acceleration (n, 3) in g at `fs` (50 Hz), the window starts
    (samples) and each window's mean gravity direction (windows, 3), for posture against the recording's walking."""
    gravity, signals = acc_gravity_frame(acc, fs)
    starts = window_starts(len(acc))
    windows = _windows(signals)
    parts = [_signal_stats(windows[:, :, i], fs) for i in range(len(SIGNALS))]
    v, h = windows[:, :, 0], windows[:, :, 1]
    vc, hc = v - v.mean(axis=1, keepdims=True), h - h.mean(axis=1, keepdims=True)
    corr = (vc * hc).sum(axis=1) / np.maximum(np.sqrt((vc**2).sum(axis=1) * (hc**2).sum(axis=1)), 1e-12)
    g = _windows(gravity)
    first, last = g[:, 0], g[:, -1]
    cosine = np.einsum("ij,ij->i", first, last) / np.maximum(
        np.linalg.norm(first, axis=1) * np.linalg.norm(last, axis=1), 1e-12
    )
    direction = g.mean(axis=1)
    direction /= np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-12)
    features = np.column_stack(
        [p[0] for p in parts]
        + [p[1] for p in parts]
        + [corr, np.linalg.norm(g, axis=2).mean(axis=1), np.degrees(np.arccos(np.clip(cosine, -1, 1)))]
    )
    return features.astype(np.float32), starts, direction


def tilt_from_reference(directions: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Angle (degrees) between each window's gravity direction (windows, 3) and a reference direction (3,)."""
    reference = reference / np.linalg.norm(reference)
    return np.degrees(np.arccos(np.clip(directions @ reference, -1.0, 1.0)))
