"""RR intervals for per-minute apnea detection: cleaning, resampling to a regular grid, per-minute windows."""

from __future__ import annotations

import numpy as np

from core.errors import InputError, SignalTooShortError

RR_RANGE_S = (0.25, 3.0)
"""Physiological RR intervals (20-240 bpm); values outside are artefacts or missed beats and are dropped."""
GRID_FS = 2.0
"""RR resampling rate in Hz: well above cyclic heart-rate variation (about 0.02 Hz) and breathing (0.1-0.5 Hz)."""
CONTEXT_MIN = 5
"""Minutes of RR each per-minute decision sees: the minute itself and two on each side."""
MIN_MINUTES = CONTEXT_MIN
MAX_DROPPED_SHARE = 0.5


def rr_clean(beat_times: np.ndarray, rr: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Drop RR intervals outside 0.25-3 s: returns the kept beat times, kept RR (s) and the number dropped."""
    beat_times, rr = np.asarray(beat_times, dtype=float), np.asarray(rr, dtype=float)
    keep = np.isfinite(rr) & (rr >= RR_RANGE_S[0]) & (rr <= RR_RANGE_S[1])
    dropped = int((~keep).sum())
    if keep.sum() < 2 or dropped > MAX_DROPPED_SHARE * len(rr):
        median = np.nanmedian(rr) if np.isfinite(rr).any() else float("nan")
        raise InputError(
            f"{dropped} of {len(rr)} RR intervals (median {median:.3g}) are outside {RR_RANGE_S[0]}-{RR_RANGE_S[1]} s; "
            "give intervals in seconds (name a millisecond column rr_ms) or beat times in seconds."
        )
    return beat_times[keep], rr[keep], dropped


def rr_resample(
    beat_times: np.ndarray, rr: np.ndarray, *, fs: float = GRID_FS, duration_s: float | None = None
) -> np.ndarray:
    """RR (s) linearly interpolated on a regular grid t = k / fs from 0 to `duration_s`;
    held constant beyond the ends."""
    duration_s = float(beat_times[-1]) if duration_s is None else duration_s
    grid = np.arange(int(round(duration_s * fs))) / fs
    return np.interp(grid, beat_times, rr)


def n_minutes(duration_s: float) -> int:
    """Number of whole minutes in a recording of `duration_s` seconds."""
    return int(duration_s // 60)


def rr_minute_windows(grid: np.ndarray, minutes: int, *, fs: float = GRID_FS, context: int = CONTEXT_MIN) -> np.ndarray:
    """(minutes, context * 60 * fs) RR windows centred on each minute, edges padded with the nearest value."""
    if minutes < MIN_MINUTES:
        raise SignalTooShortError(
            f"The RR series covers {minutes} whole minutes; a per-minute result needs at least {MIN_MINUTES}."
        )
    per_minute = int(60 * fs)
    side = (context // 2) * per_minute
    padded = np.pad(grid[: minutes * per_minute], (side, side), mode="edge")
    starts = np.arange(minutes) * per_minute
    return np.stack([padded[s : s + context * per_minute] for s in starts]).astype(np.float32)


def minute_features(beat_times: np.ndarray, rr: np.ndarray, minutes: int) -> list[dict]:
    """Per-minute mean heart rate (bpm), SDNN and RMSSD (ms) and beat count, for the result table."""
    rows = []
    for minute in range(minutes):
        inside = (beat_times >= 60 * minute) & (beat_times < 60 * (minute + 1))
        values = rr[inside]
        rows.append(
            {
                "minute": minute,
                "beats": int(inside.sum()),
                "heart_rate_bpm": float(60.0 / values.mean()) if len(values) else float("nan"),
                "sdnn_ms": float(1000 * values.std()) if len(values) > 1 else float("nan"),
                "rmssd_ms": float(1000 * np.sqrt(np.mean(np.diff(values) ** 2))) if len(values) > 2 else float("nan"),
            }
        )
    return rows
