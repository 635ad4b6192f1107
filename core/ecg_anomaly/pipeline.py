"""The ECG anomaly task's one code path: file -> beats -> per-beat anomaly scores, shared by the CLI, the Space and
evaluation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.ecg.beats import ecg_cut, ecg_peaks, rr_features
from core.ecg.pipeline import check_lead, choose_lead
from core.errors import InputError, SignalTooShortError
from core.readers import Recording
from core.readers.beat_rows import BeatRows
from core.results import progress_callback
from core.signals import ECG_FS_RANGE, check_fs


@dataclass(frozen=True)
class AnomalyResult:
    """Beat times (s), anomaly scores and the threshold, each beat's (signal, RR) errors, its input (context + beat)
    and reconstruction, and the lead for plotting."""

    fs: float
    times_s: np.ndarray
    scores: np.ndarray
    threshold: float
    method: str
    errors: np.ndarray
    inputs: np.ndarray
    reconstructions: np.ndarray
    lead: np.ndarray
    lead_name: str = ""

    @property
    def anomalous(self) -> np.ndarray:
        return self.scores > self.threshold

    def to_json(self) -> dict:
        beats = [
            {"time_s": round(float(t), 3), "score": round(float(s), 4), "anomalous": bool(a)}
            for t, s, a in zip(self.times_s, self.scores, self.anomalous)
        ]
        return {
            "task": "ecg_anomaly",
            "fs": self.fs,
            "lead": self.lead_name,
            "method": self.method,
            "threshold": round(self.threshold, 4),
            "beats": beats,
            "anomalous": int(self.anomalous.sum()),
        }

    def summary(self) -> str:
        where = f" in lead {self.lead_name}" if self.lead_name else ""
        return (
            f"{len(self.scores)} beats{where}: {int(self.anomalous.sum())} above the anomaly threshold "
            f"{self.threshold:.2f} ({self.method})"
        )


def score_lead(model, ecg: np.ndarray, fs: float, *, progress=None, lead_name: str = "") -> AnomalyResult:
    """Detect R-peaks, cut beats with their RR features and pre-R context, and score each against the record's
    typical beat; `progress(fraction, desc=...)` is optional."""
    report = progress_callback(progress)
    fs = check_lead(ecg, fs)
    report(0.1, desc="Detecting R-peaks")
    peaks = ecg_peaks(ecg, fs)
    report(0.4, desc=f"Cutting {len(peaks)} beats")
    beats, context = ecg_cut(ecg, fs, peaks, context_samples=model.context_samples)
    report(0.6, desc=f"Scoring {len(peaks)} beats")
    errors, reconstructions, _ = model.reconstruct(beats, rr_features(peaks, fs), context)
    inputs = np.concatenate([context, beats], axis=1)
    return AnomalyResult(
        fs=fs,
        times_s=peaks / fs,
        scores=model.beat_scores(errors, inputs),
        threshold=float(model.threshold),
        method=model.method,
        errors=errors,
        inputs=inputs,
        reconstructions=reconstructions,
        lead=ecg,
        lead_name=lead_name,
    )


def predict(model, data: Recording | BeatRows, *, lead: str | None = None, progress=None) -> AnomalyResult:
    """Score every beat of a recording for abnormality."""
    if isinstance(data, BeatRows):
        raise InputError(
            "These are pre-cut beat rows; anomaly scores need the ECG signal itself (RR intervals and the record's "
            "typical beat), so upload the lead as a CSV or WFDB record."
        )
    ecg, name, _ = choose_lead(data, lead)
    check_fs(data.fs, ECG_FS_RANGE, "ECG")
    if len(ecg) < 2 * data.fs:
        raise SignalTooShortError(
            f"The ECG is {len(ecg) / data.fs:.2f} s long, shorter than two beats; upload at least 2 s of signal."
        )
    return score_lead(model, ecg, data.fs, progress=progress, lead_name=name)
