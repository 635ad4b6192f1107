"""RR mode: per-minute apnea probability (supervised CNN) and, with a companion VAE-LSTM, its anomaly score per minute,
from beat times, RR intervals or an ECG record."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.readers import Recording
from core.readers.series import BeatSeries
from core.respiration.rr import (
    GRID_FS,
    minute_features,
    n_minutes,
    rr_clean,
    rr_minute_windows,
    rr_resample,
)
from core.respiration.scoring import flag_intervals
from core.results import progress_callback
from core.signals import rr_from_beats


def _json_number(value):
    """A rounded float, or None for NaN (a minute without beats has no heart rate), for strict JSON."""
    if isinstance(value, float):
        return round(value, 2) if np.isfinite(value) else None
    return value


@dataclass(frozen=True)
class ApneaResult:
    """Per-minute apnea probability (supervised CNN) of one night of beats, and the VAE-LSTM anomaly score per minute
    when a VAE-LSTM scored it (else `vae_score` is None)."""

    start_minute: int
    probability: np.ndarray
    threshold: float
    features: list[dict]
    dropped_rr: int
    total_rr: int
    source: str
    vae_score: np.ndarray | None = None
    vae_threshold: float | None = None
    mode: str = "rr"

    @property
    def flagged(self) -> np.ndarray:
        return self.probability >= self.threshold

    @property
    def index_per_hour(self) -> float:
        """Apnea-hypopnea-like index: flagged minutes per hour of recording."""
        return float(self.flagged.sum() / (len(self.probability) / 60.0))

    def to_json(self) -> dict:
        minutes = []
        for i, (row, p, f) in enumerate(zip(self.features, self.probability, self.flagged)):
            minute = {
                **{k: _json_number(v) for k, v in row.items()},
                "minute": self.start_minute + i,
                "apnea_probability": round(float(p), 4),
                "apnea": bool(f),
            }
            if self.vae_score is not None:
                score = self.vae_score[i]
                minute |= {"vae_lstm_score": round(float(score), 4), "vae_lstm_flag": bool(score >= self.vae_threshold)}
            minutes.append(minute)
        return {
            "task": "respiration",
            "mode": self.mode,
            "source": self.source,
            "minutes": len(self.probability),
            "apnea_minutes": int(self.flagged.sum()),
            "index_per_hour": round(self.index_per_hour, 2),
            "threshold": self.threshold,
            **({} if self.vae_score is None else {"vae_lstm_threshold": self.vae_threshold}),
            "rr_dropped": self.dropped_rr,
            "rr_total": self.total_rr,
            "flagged_intervals_min": [
                [self.start_minute + a, self.start_minute + b] for a, b in flag_intervals(self.flagged)
            ],
            "per_minute": minutes,
        }

    def summary(self) -> str:
        dropped = (
            f"; {self.dropped_rr} of {self.total_rr} RR intervals outside 0.25-3 s were dropped"
            if self.dropped_rr
            else ""
        )
        return (
            f"{int(self.flagged.sum())} of {len(self.probability)} minutes flagged as apnea "
            f"({self.index_per_hour:.1f} flagged minutes per hour){dropped}"
        )


MAX_NIGHT_S = 26 * 3600.0
"""Longest span of beats (or ECG) the rr mode scores in one request (a 24-hour Holter with margin)."""


def check_night(span_s: float) -> None:
    """Refuse beats (or an ECG) spanning more than MAX_NIGHT_S, before the per-minute work."""
    if span_s > MAX_NIGHT_S:
        raise InputError(
            f"The recording spans {span_s / 3600:.1f} h, over the {MAX_NIGHT_S / 3600:g} h limit of one request; "
            "upload one night or one day at a time."
        )


def apnea_inputs(beats: BeatSeries) -> dict:
    """Cleaned RR, its 2 Hz grid from the first whole minute, and the per-minute model windows of a night of beats."""
    times, rr, dropped = rr_clean(beats.beat_times, beats.rr)
    check_night(times[-1] - times[0])
    start_minute = int(times[0] // 60)
    offset = 60.0 * start_minute
    minutes = n_minutes(times[-1] - offset)
    grid = rr_resample(times - offset, rr, duration_s=60.0 * minutes)
    return {
        "start_minute": start_minute,
        "times": times - offset,
        "rr": rr,
        "dropped": dropped,
        "minutes": minutes,
        "grid": grid,
        "windows": rr_minute_windows(grid, minutes),
    }


def apnea_windows(inputs: dict, *, length: int) -> np.ndarray:
    """The apnea model's per-minute RR windows of `length` grid samples, centred on each minute, from `apnea_inputs`."""
    windows = inputs["windows"]
    if windows.shape[1] != length:
        windows = rr_minute_windows(inputs["grid"], inputs["minutes"], context=int(length // (60 * GRID_FS)))
    return windows


def apnea_night_rr(inputs: dict, count: int) -> np.ndarray:
    """The night's median RR (s) of `apnea_inputs`, repeated for `count` windows: the input `night_rr`."""
    return np.full(count, np.median(inputs["rr"]), dtype=np.float32)


def apnea_model_inputs(model, inputs: dict) -> tuple[np.ndarray, ...]:
    """The apnea model's inputs for one night: its RR windows, and the night's median RR per window if it takes it."""
    windows = apnea_windows(inputs, length=model.length)
    if not model.night_members:
        return (windows,)
    return windows, apnea_night_rr(inputs, len(windows))


def predict_apnea(model, beats: BeatSeries, *, vae=None, progress=None) -> ApneaResult:
    """Per-minute apnea probability from heartbeat times; model: the "apnea" CNN. vae: the "apnea-vae" VAE-LSTM, which
    adds its anomaly score per minute (None: no score)."""
    report = progress_callback(progress)
    report(0.3, desc=f"Cleaning and resampling {len(beats.rr)} RR intervals")
    inputs = apnea_inputs(beats)
    report(0.5, desc=f"Scoring {inputs['minutes']} minutes")
    return ApneaResult(
        start_minute=inputs["start_minute"],
        probability=model.apnea_probability(inputs),
        threshold=model.threshold,
        features=minute_features(inputs["times"], inputs["rr"], inputs["minutes"]),
        dropped_rr=inputs["dropped"],
        total_rr=len(beats.rr),
        source=beats.source,
        vae_score=None if vae is None else vae.minute_anomaly_scores(inputs),
        vae_threshold=None if vae is None else vae.threshold,
    )


def ecg_beats(recording: Recording, channel: int | None = None) -> BeatSeries:
    """Beat times of an ECG record's `channel` (index; default: the first), from the ECG task's R-peak detector."""
    from core.ecg.beats import ecg_peaks

    lead = recording.signal[:, channel or 0]
    invalid = int((~np.isfinite(lead)).sum())
    if invalid:
        raise InputError(
            f"The ECG lead {recording.channels[channel or 0]!r} has {invalid} invalid (NaN or infinite) samples, so "
            "its beats cannot be found; fill or cut those parts first."
        )
    peaks = ecg_peaks(lead, recording.fs)
    beat_times, rr = rr_from_beats(peaks / recording.fs)
    return BeatSeries(beat_times=beat_times, rr=rr, name=recording.name, source="ecg")
