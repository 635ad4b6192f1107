"""Waveform mode: breaths, breathing rate, pauses over 10 s and the VAE-LSTM anomaly score of a breathing waveform."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.respiration.breaths import check_resp, rsp_clean, rsp_pauses, rsp_peaks, rsp_rate
from core.respiration.scoring import flag_intervals, smooth_scores
from core.respiration.series import standardise_by_reference
from core.results import progress_callback
from core.signals import signal_resample

WAVE_FS = 4.0
"""Rate at which the VAE-LSTM sees a cleaned breathing waveform (the breathing band ends at 1 Hz)."""


@dataclass(frozen=True)
class WaveformResult:
    """Breaths, breathing rate, pauses and the VAE-LSTM anomaly score (at WAVE_FS) of one breathing waveform."""

    fs: float
    resp: np.ndarray
    channel: str
    breath_times_s: np.ndarray
    rate_times_s: np.ndarray
    rate_per_min: np.ndarray
    pauses: list[tuple[float, float]]
    score: np.ndarray
    threshold: float
    mode: str = "waveform"

    @property
    def flagged(self) -> list[tuple[float, float]]:
        return [(a / WAVE_FS, b / WAVE_FS) for a, b in flag_intervals(self.score >= self.threshold)]

    def to_json(self) -> dict:
        return {
            "task": "respiration",
            "mode": self.mode,
            "fs": self.fs,
            "channel": self.channel,
            "duration_s": round(len(self.resp) / self.fs, 2),
            "breaths": len(self.breath_times_s),
            "mean_rate_per_min": round(float(np.median(self.rate_per_min)), 2),
            "breath_times_s": [round(float(t), 3) for t in self.breath_times_s],
            "pauses": [
                {"start_s": round(a, 2), "end_s": round(b, 2), "duration_s": round(b - a, 2)} for a, b in self.pauses
            ],
            "anomaly_score_fs": WAVE_FS,
            "anomaly_score": [round(float(s), 4) for s in self.score],
            "threshold": self.threshold,
            "flagged": [{"start_s": round(a, 2), "end_s": round(b, 2)} for a, b in self.flagged],
        }

    def summary(self) -> str:
        duration = len(self.resp) / self.fs
        return (
            f"{len(self.breath_times_s)} breaths in {duration:.0f} s, "
            f"median rate {np.median(self.rate_per_min):.1f}/min; {len(self.pauses)} pauses over 10 s; "
            f"{len(self.flagged)} anomalous stretches"
        )


def waveform_input(resp: np.ndarray, fs: float) -> np.ndarray:
    """The VAE-LSTM input of a breathing waveform: cleaned, at WAVE_FS, standardised by its own spread."""
    clean = signal_resample(rsp_clean(resp, fs), fs, WAVE_FS)
    return standardise_by_reference(clean, len(clean))


def predict_waveform(model, resp: np.ndarray, fs: float, *, channel: str = "RESP", progress=None) -> WaveformResult:
    """Breaths, rate, pauses and anomaly score of a breathing waveform sampled at `fs` Hz; model: the "waveform"
    VAE-LSTM."""
    report = progress_callback(progress)
    resp, fs = check_resp(resp, fs)
    report(0.2, desc="Detecting breaths")
    peaks = rsp_peaks(resp, fs)
    rate_times, rates = rsp_rate(peaks, fs)
    report(0.6, desc="Scoring with the VAE-LSTM")
    score = smooth_scores(model.anomaly_scores(waveform_input(resp, fs)), model.smooth)
    return WaveformResult(
        fs=fs,
        resp=resp,
        channel=channel,
        breath_times_s=peaks / fs,
        rate_times_s=rate_times,
        rate_per_min=rates,
        pauses=rsp_pauses(peaks, fs),
        score=score,
        threshold=model.threshold,
    )
