"""Breathing events a clinician looks for, and a plain event score, from detected breaths.

Everything is measured against the recording's own norm (its median breath interval and amplitude), so a new
person's regular breathing scores low whatever their rate and the sensor's gain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.respiration.breaths import PAUSE_S

SHALLOW_RATIO = 0.5
"""A breath under this share of the recording's median amplitude is shallow (the older hypopnea rule, a 50 % drop)."""
RATE_RATIO = 1.5
"""A local rate this many times above (fast) or below (slow) the recording's median rate is a rate change."""
MIN_EVENT_S = 10.0
"""Shallow and rate-change stretches shorter than this are not events (the 10 s of the apnea/hypopnea rules)."""
LOCAL_BREATHS = 5
"""Breath intervals in the rolling median of the local rate."""
EVENT_SCORE_THRESHOLD = 1.0
"""Event-score level of an anomaly: log2 of 2, i.e. twice (or half) the recording's own norm."""
SEVERITY_S = ((40.0, "severe"), (20.0, "moderate"), (0.0, "mild"))
"""Pause severity by duration (the project's bands: >= 10 s pause, >= 20 s prolonged, >= 40 s severe)."""


@dataclass(frozen=True)
class IrregularRule:
    """Irregular breathing: for at least `min_s` seconds, the rolling spread of `breaths` breath intervals is over
    `ratio` times the recording's median rolling spread and over `floor` (so a ventilated patient's near-zero spread
    does not make every small wobble irregular; 0.125: half the intervals within about 13 % of their neighbours'
    median). Breaths under `min_depth` of the recording's median amplitude are left out: a small bump between two
    breaths splits one interval in two without the rhythm changing."""

    breaths: int = 12
    ratio: float = 3.0
    floor: float = 0.125
    min_s: float = 30.0
    min_depth: float = 0.4


IRREGULAR = IrregularRule()
"""The served settings, chosen on BIDMC design records 01-20 (`python -m training.respiration_events
--choose-irregular`): the grid's settings finding the most inserted irregular stretches while no untouched record comes
within 0.8 of the level (a margin, as real ICU breathing has irregular stretches of its own)."""


@dataclass(frozen=True)
class BreathingEvent:
    """One event: kind ("pause", "shallow", "fast", "slow", "irregular", "gap"), its times in s, severity and a short
    detail."""

    kind: str
    start_s: float
    end_s: float
    severity: str
    detail: str

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "start_s": round(self.start_s, 2),
            "end_s": round(self.end_s, 2),
            "duration_s": round(self.end_s - self.start_s, 2),
            "severity": self.severity,
            "detail": self.detail,
        }


def breath_amplitudes(clean: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Peak-to-trough amplitude of each breath of a cleaned waveform: the peak above the lowest point since the
    previous peak (since the start for the first)."""
    starts = np.concatenate([[0], peaks[:-1]])
    return np.array([clean[p] - clean[s : p + 1].min() for s, p in zip(starts, peaks)])


@dataclass(frozen=True)
class BreathNorm:
    """A recording's own norm: median breath interval (s), amplitude (cleaned-signal units) and rolling spread of the
    breath intervals."""

    interval_s: float
    amplitude: float
    interval_spread: float


def rolling_spread(intervals: np.ndarray, breaths: int = IRREGULAR.breaths) -> np.ndarray:
    """Robust spread of the breath intervals around each interval: the median absolute deviation of log intervals
    from their rolling median (centred windows of `breaths`, pauses left out; NaN where fewer than half the window is
    there). Unlike a standard deviation it ignores one or two odd intervals (a missed or extra breath)."""
    log = pd.Series(np.log(np.where(intervals <= PAUSE_S, intervals, np.nan)))
    options = {"window": breaths, "center": True, "min_periods": breaths // 2}
    return (log - log.rolling(**options).median()).abs().rolling(**options).median().to_numpy()


def breath_norm(segments: list[np.ndarray], amplitudes: np.ndarray, *, rule: IrregularRule = IRREGULAR) -> BreathNorm:
    """The median interval (pauses excluded), the median amplitude and the median rolling interval spread (over
    `rule.breaths`) of a recording's breaths (`segments`: the breath intervals of each analysed segment)."""
    intervals = np.concatenate(segments)
    regular = intervals[intervals <= PAUSE_S]
    spread = np.concatenate([rolling_spread(part, rule.breaths) for part in segments])
    spread = spread[np.isfinite(spread)]
    return BreathNorm(
        float(np.median(regular if len(regular) else intervals)),
        max(float(np.median(amplitudes)), 1e-12),
        float(np.median(spread)) if len(spread) else 0.0,
    )


def _local_rate_ratio(intervals: np.ndarray, norm: BreathNorm) -> np.ndarray:
    """Local rate over the recording's median rate, at each interval (rolling median of LOCAL_BREATHS intervals,
    pauses left out)."""
    regular = pd.Series(np.where(intervals <= PAUSE_S, intervals, np.nan))
    local = regular.rolling(LOCAL_BREATHS, center=True, min_periods=2).median().to_numpy()
    return norm.interval_s / np.where(np.isfinite(local), local, norm.interval_s)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def irregular_events(
    times: np.ndarray, amplitudes: np.ndarray, norm: BreathNorm, rule: IrregularRule = IRREGULAR
) -> list[BreathingEvent]:
    """Irregular-breathing stretches (see IrregularRule) in one segment's breaths at `times` (s), with their
    amplitudes; `norm` from breath_norm with the same rule."""
    times = times[amplitudes >= rule.min_depth * norm.amplitude]
    spread = rolling_spread(np.diff(times), rule.breaths)
    level = max(rule.ratio * norm.interval_spread, rule.floor)
    events = []
    for a, b in _runs(np.nan_to_num(spread) > level):
        if times[b] - times[a] >= rule.min_s:
            typical = float(np.nanmean(spread[a:b]))
            severity = "moderate" if typical > 2 * level else "mild"
            usual = np.expm1(norm.interval_spread)
            detail = f"breath intervals {np.expm1(typical):.0%} off their neighbours' (usually {usual:.0%})"
            events.append(BreathingEvent("irregular", float(times[a]), float(times[b]), severity, detail))
    return events


def rsp_events(times: np.ndarray, amplitudes: np.ndarray, norm: BreathNorm) -> list[BreathingEvent]:
    """Pauses (>= PAUSE_S without a breath), shallow stretches and rate changes (>= MIN_EVENT_S) and irregular
    breathing (IRREGULAR) in one segment's breaths at `times` (s), with their amplitudes."""
    intervals = np.diff(times)
    events = []
    for i in np.flatnonzero(intervals > PAUSE_S):
        duration = float(intervals[i])
        severity = next(name for limit, name in SEVERITY_S if duration >= limit)
        events.append(
            BreathingEvent("pause", float(times[i]), float(times[i + 1]), severity, f"no breath for {duration:.0f} s")
        )
    ratio = amplitudes[1:] / norm.amplitude  # interval i ends with breath i + 1
    rate = _local_rate_ratio(intervals, norm)
    regular = intervals <= PAUSE_S
    checks = (
        ("shallow", ratio < SHALLOW_RATIO, lambda run: f"breaths at {ratio[run].mean():.0%} of the usual depth"),
        ("fast", regular & (rate > RATE_RATIO), lambda run: f"rate {rate[run].mean():.1f}x the usual"),
        ("slow", regular & (rate < 1 / RATE_RATIO), lambda run: f"rate {rate[run].mean():.2f}x the usual"),
    )
    for kind, mask, detail in checks:
        for a, b in _runs(mask):
            start, end = float(times[a]), float(times[b])
            if end - start >= MIN_EVENT_S:
                severe = kind == "shallow" and ratio[a:b].mean() < SHALLOW_RATIO / 2
                events.append(BreathingEvent(kind, start, end, "moderate" if severe else "mild", detail(slice(a, b))))
    events += irregular_events(times, amplitudes, norm)
    return sorted(events, key=lambda event: event.start_s)


def event_score(times: np.ndarray, amplitudes: np.ndarray, norm: BreathNorm, grid: np.ndarray) -> np.ndarray:
    """Plain anomaly score at the `grid` times (s) of one segment: log2 of how far the breath interval, depth or local
    rate around each time is from the recording's norm (0 = usual, 1 = twice or half the usual),.

    Before the first and after the last breath the score is that of the nearest interval.
    """
    intervals = np.diff(times)
    rate = _local_rate_ratio(intervals, norm)
    factor = np.maximum.reduce(
        [
            intervals / norm.interval_s,
            norm.amplitude / np.maximum(amplitudes[1:], 1e-12),
            np.maximum(rate, 1 / rate),
        ]
    )
    per_interval = np.log2(np.maximum(factor, 1.0))
    index = np.clip(np.searchsorted(times, grid, side="right") - 1, 0, len(per_interval) - 1)
    return per_interval[index]
