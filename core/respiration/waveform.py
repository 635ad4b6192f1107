"""Waveform mode: breaths, breathing rate, clinical events and two anomaly scores of a breathing waveform.

Invalid stretches too long to fill (kept as NaN by the reader) split the waveform into segments; each segment is
analysed on its own and the gaps are reported as events of kind "gap".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import InputError, SignalTooShortError
from core.respiration.breaths import MIN_DURATION_S, PAUSE_S, RESP_FS_RANGE, check_resp, rsp_clean, rsp_peaks
from core.respiration.events import (
    EVENT_SCORE_THRESHOLD,
    BreathingEvent,
    breath_amplitudes,
    breath_norm,
    event_score,
    rsp_events,
)
from core.respiration.scoring import flag_intervals, smooth_scores
from core.respiration.series import standardise_by_reference
from core.results import progress_callback
from core.signals import check_fs, signal_resample

WAVE_FS = 4.0
"""Rate of both anomaly scores (the VAE-LSTM sees the cleaned waveform at this rate; breathing ends at 1 Hz)."""
MAX_WAVEFORM_S = 26 * 3600.0
"""Longest waveform one request analyses (a 24-hour recording with margin)."""


def _json_floats(values: np.ndarray, digits: int) -> list:
    return [round(float(v), digits) if np.isfinite(v) else None for v in values]


@dataclass(frozen=True)
class WaveformResult:
    """Breaths, breathing rate (NaN across pauses and gaps), events, and two anomaly scores at WAVE_FS (NaN in gaps):
    the plain event score and the VAE-LSTM's."""

    fs: float
    resp: np.ndarray
    channel: str
    breath_times_s: np.ndarray
    rate_times_s: np.ndarray
    rate_per_min: np.ndarray
    events: list[BreathingEvent]
    segments: list[tuple[float, float]]
    event_score: np.ndarray
    score: np.ndarray
    threshold: float
    event_threshold: float = EVENT_SCORE_THRESHOLD
    mode: str = "waveform"

    @property
    def pauses(self) -> list[tuple[float, float]]:
        return [(e.start_s, e.end_s) for e in self.events if e.kind == "pause"]

    @property
    def gaps(self) -> list[tuple[float, float]]:
        return [(e.start_s, e.end_s) for e in self.events if e.kind == "gap"]

    @property
    def flagged(self) -> list[tuple[float, float]]:
        """Stretches where the VAE-LSTM score is at or over its threshold."""
        return [(a / WAVE_FS, b / WAVE_FS) for a, b in flag_intervals(self.score >= self.threshold)]

    @property
    def event_flagged(self) -> list[tuple[float, float]]:
        """Stretches where the event score is at or over its threshold."""
        return [(a / WAVE_FS, b / WAVE_FS) for a, b in flag_intervals(self.event_score >= self.event_threshold)]

    @property
    def median_rate(self) -> float:
        return float(np.nanmedian(self.rate_per_min))

    def to_json(self) -> dict:
        return {
            "task": "respiration",
            "mode": self.mode,
            "fs": self.fs,
            "channel": self.channel,
            "duration_s": round(len(self.resp) / self.fs, 2),
            "segments": [{"start_s": round(a, 2), "end_s": round(b, 2)} for a, b in self.segments],
            "breaths": len(self.breath_times_s),
            "mean_rate_per_min": round(self.median_rate, 2),
            "breath_times_s": [round(float(t), 3) for t in self.breath_times_s],
            "pauses": [
                {"start_s": round(a, 2), "end_s": round(b, 2), "duration_s": round(b - a, 2)} for a, b in self.pauses
            ],
            "events": [event.to_json() for event in self.events],
            "anomaly_score_fs": WAVE_FS,
            "event_score": _json_floats(self.event_score, 3),
            "event_threshold": self.event_threshold,
            "event_flagged": [{"start_s": round(a, 2), "end_s": round(b, 2)} for a, b in self.event_flagged],
            "anomaly_score": _json_floats(self.score, 4),
            "threshold": self.threshold,
            "flagged": [{"start_s": round(a, 2), "end_s": round(b, 2)} for a, b in self.flagged],
        }

    def summary(self) -> str:
        duration = len(self.resp) / self.fs
        pauses, gaps = len(self.pauses), len(self.gaps)
        others = sum(e.kind not in ("pause", "gap") for e in self.events)
        text = (
            f"{len(self.breath_times_s)} breaths in {duration:.0f} s, median rate {self.median_rate:.1f}/min; "
            f"{pauses} pause{'' if pauses == 1 else 's'} over 10 s; {others} other event{'' if others == 1 else 's'}; "
            f"{len(self.event_flagged)} anomalous stretch{'' if len(self.event_flagged) == 1 else 'es'} by the event "
            f"score ({len(self.flagged)} by the VAE-LSTM)"
        )
        return text + (f"; {gaps} gap{'' if gaps == 1 else 's'} of invalid samples" if gaps else "")


def waveform_input(resp: np.ndarray, fs: float) -> np.ndarray:
    """The VAE-LSTM input of a breathing waveform: cleaned, at WAVE_FS, standardised by its own spread."""
    clean = signal_resample(rsp_clean(resp, fs), fs, WAVE_FS)
    return standardise_by_reference(clean, len(clean))


def vae_waveform_scores(model, resp: np.ndarray, fs: float, length: int) -> np.ndarray:
    """The VAE-LSTM score of one segment on the WAVE_FS grid (`length` points; NaN past the model's output)."""
    score = smooth_scores(model.anomaly_scores(waveform_input(resp, fs)), model.smooth)
    return np.concatenate([score[:length], np.full(max(0, length - len(score)), np.nan)])


def resp_segments(resp: np.ndarray, fs: float) -> tuple[list[tuple[int, int]], list[BreathingEvent]]:
    """(start, stop) samples of the stretches without invalid values long enough to analyse (MIN_DURATION_S), and a
    "gap" event for every stretch between them (invalid, or valid but too short)."""
    runs = flag_intervals(np.isfinite(resp))
    keep = [(a, b) for a, b in runs if b - a >= MIN_DURATION_S * fs]
    if not keep:
        longest = max((b - a for a, b in runs), default=0)
        raise SignalTooShortError(
            f"The respiration waveform has no stretch of {MIN_DURATION_S:g} s without invalid samples (the longest is "
            f"{longest / fs:.1f} s); upload a recording with at least {MIN_DURATION_S:g} s of valid breathing."
        )
    bounds = [0] + [x for run in keep for x in run] + [len(resp)]
    gaps = [
        BreathingEvent("gap", a / fs, b / fs, "none", "invalid samples: not analysed")
        for a, b in zip(bounds[::2], bounds[1::2])
        if b > a
    ]
    return keep, gaps


def predict_waveform(model, resp: np.ndarray, fs: float, *, channel: str = "RESP", progress=None) -> WaveformResult:
    """Breaths, rate, events and anomaly scores of a breathing waveform sampled at `fs` Hz (NaN where invalid);
    model: the "waveform" VAE-LSTM."""
    report = progress_callback(progress)
    resp, fs = np.asarray(resp, dtype=float), check_fs(fs, RESP_FS_RANGE, "respiration waveform")
    if resp.ndim == 1 and len(resp) > MAX_WAVEFORM_S * fs:
        raise InputError(
            f"The respiration waveform is {len(resp) / fs / 3600:.1f} h long, over the {MAX_WAVEFORM_S / 3600:g} h "
            "limit of one request; upload a shorter excerpt."
        )
    segments, events = resp_segments(resp, fs) if resp.ndim == 1 else ([(0, len(resp))], [])
    report(0.2, desc="Detecting breaths")
    parts = []
    for start, stop in segments:
        part, fs = check_resp(resp[start:stop], fs)
        peaks = rsp_peaks(part, fs)
        parts.append((start, stop, peaks, breath_amplitudes(rsp_clean(part, fs), peaks)))
    times = [(start + peaks) / fs for start, _, peaks, _ in parts]
    norm = breath_norm([np.diff(t) for t in times], np.concatenate([p[3] for p in parts]))
    n_grid = int(round(len(resp) * WAVE_FS / fs))
    grid = np.arange(n_grid) / WAVE_FS
    plain, learned = np.full(n_grid, np.nan), np.full(n_grid, np.nan)
    report(0.5, desc="Scoring with the VAE-LSTM")
    for (start, stop, peaks, amplitudes), breath_times in zip(parts, times):
        events += rsp_events(breath_times, amplitudes, norm)
        a, b = int(round(start * WAVE_FS / fs)), min(int(round(stop * WAVE_FS / fs)), n_grid)
        plain[a:b] = event_score(breath_times, amplitudes, norm, grid[a:b])
        learned[a:b] = vae_waveform_scores(model, resp[start:stop], fs, b - a)
    rate_times = np.concatenate([t[1:] for t in times])
    intervals = np.concatenate([np.diff(t) for t in times])
    return WaveformResult(
        fs=fs,
        resp=resp,
        channel=channel,
        breath_times_s=np.concatenate(times),
        rate_times_s=rate_times,
        rate_per_min=np.where(intervals > PAUSE_S, np.nan, 60.0 / intervals),
        events=sorted(events, key=lambda event: event.start_s),
        segments=[(a / fs, b / fs) for a, b in segments],
        event_score=plain,
        score=learned,
        threshold=model.threshold,
    )
