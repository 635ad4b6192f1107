"""Rhythm from labelled beats: runs of ectopic beats, bigeminy and trigeminy, heart rate over time.

Pure functions of beat times (s) and beat labels, whatever classes the model that labelled them has.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ECTOPIC = ("S", "V")
"""Classes whose consecutive beats form runs and whose alternation with normal beats forms bigeminy/trigeminy."""
SUSTAINED_S = 30.0
"""A run lasting at least this long is sustained."""
MIN_CYCLES = 3
"""Bigeminy/trigeminy needs at least this many ectopic beats in the pattern."""


@dataclass(frozen=True)
class Episode:
    """A stretch of beats: a run of ectopic beats (kind couplet, run or sustained run) or bigeminy/trigeminy."""

    kind: str
    label: str
    start_s: float
    end_s: float
    beats: int
    rate_bpm: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "class": self.label,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "duration_s": round(float(self.duration_s), 3),
            "beats": self.beats,
            "rate_bpm": round(float(self.rate_bpm), 1),
        }


def _rate(times: np.ndarray) -> float:
    """Mean rate (bpm) over consecutive beat times."""
    return 60.0 * (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0


def ectopic_runs(times_s: np.ndarray, labels: list[str], *, classes: tuple[str, ...] = ECTOPIC) -> list[Episode]:
    """Two or more consecutive beats of one ectopic class: a couplet (2), a run (3 or more), a sustained run (lasting
    `SUSTAINED_S` or more); rate from the beats inside the run."""
    times, labels = np.asarray(times_s, dtype=float), np.asarray(labels, dtype=object)
    episodes = []
    start = 0
    for stop in range(1, len(labels) + 1):
        if stop < len(labels) and labels[stop] == labels[start]:
            continue
        n = stop - start
        if labels[start] in classes and n >= 2:
            span = times[start:stop]
            kind = "couplet" if n == 2 else "sustained run" if span[-1] - span[0] >= SUSTAINED_S else "run"
            episodes.append(Episode(kind, str(labels[start]), float(span[0]), float(span[-1]), n, _rate(span)))
        start = stop
    return episodes


def ectopic_patterns(
    times_s: np.ndarray, labels: list[str], *, classes: tuple[str, ...] = ECTOPIC, normal: str = "N"
) -> list[Episode]:
    """Bigeminy (normal, ectopic, normal, ectopic...) and trigeminy (normal, normal, ectopic...) stretches of at least
    `MIN_CYCLES` ectopic beats of one class; rate over all beats of the stretch."""
    times, labels = np.asarray(times_s, dtype=float), np.asarray(labels, dtype=object)
    episodes = []
    for label in classes:
        positions = np.flatnonzero(labels == label)
        for period, kind in ((2, "bigeminy"), (3, "trigeminy")) if len(positions) else ():
            chain = [int(positions[0])]
            for position in [*positions[1:].tolist(), None]:
                between = labels[chain[-1] + 1 : position] if position is not None else ()
                if position is not None and position - chain[-1] == period and all(b == normal for b in between):
                    chain.append(position)
                    continue
                first = chain[0] - (period - 1)  # the stretch opens with the normal beats before the first ectopic
                if len(chain) >= MIN_CYCLES and first >= 0 and all(labels[first : chain[0]] == normal):
                    span = times[first : chain[-1] + 1]
                    episodes.append(Episode(kind, label, float(span[0]), float(span[-1]), len(span), _rate(span)))
                if position is not None:
                    chain = [position]
    return sorted(episodes, key=lambda e: e.start_s)


def heart_rate(times_s: np.ndarray, *, window_s: float | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Heart rate over time: window centres (s) and the mean rate (bpm) of the RR intervals ending in each window,
    with the window length (10 s, or 60 s for records over 10 minutes, unless given). Windows without a beat are
    NaN."""
    times = np.asarray(times_s, dtype=float)
    if len(times) < 2:
        return np.array([]), np.array([]), window_s or 10.0
    duration = times[-1] - times[0]
    window = window_s or (60.0 if duration > 600 else 10.0)
    rr = np.diff(times)
    bins = ((times[1:] - times[0]) // window).astype(int)
    n = int(bins.max()) + 1
    total, count = np.bincount(bins, rr, n), np.bincount(bins, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        bpm = np.where(count > 0, 60.0 * count / total, np.nan)
    return times[0] + (np.arange(n) + 0.5) * window, bpm, window


@dataclass(frozen=True)
class Rhythm:
    """A record's rhythm summary: ectopic runs, bigeminy/trigeminy stretches and heart rate over time."""

    runs: list[Episode]
    patterns: list[Episode]
    hr_time_s: np.ndarray
    hr_bpm: np.ndarray
    hr_window_s: float
    mean_bpm: float

    def to_json(self) -> dict:
        return {
            "mean_heart_rate_bpm": round(float(self.mean_bpm), 1),
            "runs": [episode.to_json() for episode in self.runs],
            "patterns": [episode.to_json() for episode in self.patterns],
            "heart_rate": {
                "window_s": self.hr_window_s,
                "time_s": [round(float(t), 1) for t in self.hr_time_s],
                "bpm": [None if np.isnan(b) else round(float(b), 1) for b in self.hr_bpm],
            },
        }

    def summary(self) -> str:
        parts = [f"mean heart rate {self.mean_bpm:.0f} bpm"]
        episodes = [*self.runs, *self.patterns]
        for kind in ("couplet", "run", "sustained run", "bigeminy", "trigeminy"):
            for label in sorted({e.label for e in episodes if e.kind == kind}):
                same = [e for e in episodes if e.kind == kind and e.label == label]
                longest = max(same, key=lambda e: e.beats)
                parts.append(
                    f"{label} {kind} x{len(same)} (longest {longest.beats} beats, {longest.duration_s:.1f} s at "
                    f"{longest.rate_bpm:.0f} bpm)"
                )
        return "Rhythm: " + "; ".join(parts) + "."


def ecg_rhythm(times_s: np.ndarray, labels: list[str]) -> Rhythm:
    """The rhythm summary of labelled beats at `times_s` (s)."""
    times = np.asarray(times_s, dtype=float)
    hr_time, hr_bpm, window = heart_rate(times)
    return Rhythm(
        runs=ectopic_runs(times, labels),
        patterns=ectopic_patterns(times, labels),
        hr_time_s=hr_time,
        hr_bpm=hr_bpm,
        hr_window_s=window,
        mean_bpm=_rate(times),
    )
