"""Steps and cadence of walking bouts: peaks of the low-passed acceleration magnitude (scipy.signal.find_peaks).

Each step lifts and drops the body, so the acceleration peaks once per step wherever the phone is. The signal
(magnitude or the component along gravity), low-pass corner and prominence were chosen on the Oxford training
people's walks (`python -m training.har_steps`: the lowest worst-placement median error of a small grid).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.har.data import HAR_FS
from core.har.features import acc_gravity_frame
from core.signals import signal_filter

STEP_SIGNALS = ("vertical", "magnitude")
STEP_SIGNAL = "magnitude"
STEP_HIGHCUT_HZ = 2.5
"""Low-pass corner: at the fastest walking step rate (about 2.5 steps/s), below the heel-strike ringing."""
STEP_PROMINENCE_G = 0.05
MIN_STEP_INTERVAL_S = 0.3
"""Shortest time between two steps (200 steps/min)."""
MIN_BOUT_S = 5.0
"""Shortest walking bout given a cadence."""


@dataclass(frozen=True)
class Bout:
    """One walking bout: start and end (s), steps counted in it and its cadence (steps/min)."""

    start_s: float
    end_s: float
    steps: int
    cadence: float | None

    def to_json(self) -> dict:
        return {
            "start_s": round(self.start_s, 2),
            "end_s": round(self.end_s, 2),
            "steps": self.steps,
            "cadence_per_min": None if self.cadence is None else round(self.cadence, 1),
        }


def acc_steps(
    acc: np.ndarray,
    fs: float = HAR_FS,
    *,
    signal: str = STEP_SIGNAL,
    highcut: float = STEP_HIGHCUT_HZ,
    prominence: float = STEP_PROMINENCE_G,
) -> np.ndarray:
    """Sample indices of the steps in acceleration (n, 3) in g: peaks of the low-passed `signal` at least
    MIN_STEP_INTERVAL_S apart and `prominence` g above their surroundings."""
    from scipy.signal import find_peaks

    if signal not in STEP_SIGNALS:
        raise InputError(f"Unknown step signal {signal!r}; accepted are {list(STEP_SIGNALS)}.")
    _, frame = acc_gravity_frame(acc, fs)
    trace = frame[:, 0] if signal == "vertical" else frame[:, 2]
    smooth = signal_filter(trace, fs, highcut=highcut, order=4)
    peaks, _ = find_peaks(smooth, distance=max(1, int(MIN_STEP_INTERVAL_S * fs)), prominence=prominence)
    return peaks


def walking_bouts(starts_s: np.ndarray, walking: np.ndarray, window_s: float) -> list[tuple[float, float]]:
    """(start s, end s) of each run of consecutive walking windows (window starts `starts_s`, flags `walking`)."""
    bouts, first = [], None
    for i, flag in enumerate(walking):
        if flag and first is None:
            first = i
        if first is not None and (not flag or i == len(walking) - 1):
            last = i if flag else i - 1
            bouts.append((float(starts_s[first]), float(starts_s[last] + window_s)))
            first = None
    return bouts


def bout_steps(steps_s: np.ndarray, bouts: list[tuple[float, float]]) -> list[Bout]:
    """Steps (times in s) counted in each bout, with the cadence of bouts of at least MIN_BOUT_S."""
    out = []
    for start, end in bouts:
        inside = steps_s[(steps_s >= start) & (steps_s < end)]
        cadence = None
        if end - start >= MIN_BOUT_S and len(inside) >= 2:
            # steps per minute over the stepping itself: intervals between the first and last step
            cadence = 60.0 * (len(inside) - 1) / float(inside[-1] - inside[0])
        out.append(Bout(start, end, int(len(inside)), cadence))
    return out
