"""The ECG task's one code path: file -> beats -> classes, shared by the CLI, the Space and evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.ecg.beats import AAMI_CLASSES, ecg_cut, ecg_peaks, rr_features
from core.errors import FileTooLargeError, InputError, NoBeatsFoundError, SignalTooShortError
from core.readers import Recording, check_file, read_signal
from core.readers.beat_rows import BeatRows, looks_like_beat_rows, read_beat_rows
from core.results import ClassProbabilities, progress_callback
from core.signals import ECG_FS_RANGE, check_fs

PREFERRED_LEADS = ("MLII", "II", "ECG", "LEAD II", "ECG1", "V5", "V1")
MAX_SAMPLES = 10_000_000
"""Longest lead one request classifies (about 7.7 h at 360 Hz)."""


@dataclass(frozen=True)
class ECGResult(ClassProbabilities):
    """Beat times (s, None for pre-cut beats), class probabilities (n, 5), and the classified lead for plotting."""

    fs: float | None
    times_s: np.ndarray | None
    probabilities: np.ndarray
    labels: tuple[str, ...] = AAMI_CLASSES
    lead: np.ndarray | None = None
    lead_name: str = ""
    beats: np.ndarray | None = None

    def counts(self) -> dict[str, int]:
        predicted = self.predicted
        return {label: predicted.count(label) for label in self.labels}

    def to_json(self) -> dict:
        times = [None] * len(self.probabilities) if self.times_s is None else [round(float(t), 3) for t in self.times_s]
        beats = [
            {"time_s": t, "label": label, "confidence": round(float(c), 4)}
            for t, label, c in zip(times, self.predicted, self.confidence)
        ]
        return {"task": "ecg", "fs": self.fs, "lead": self.lead_name, "beats": beats, "counts": self.counts()}

    def summary(self) -> str:
        counts = ", ".join(f"{label} {n}" for label, n in self.counts().items())
        where = f" in lead {self.lead_name}" if self.lead_name else ""
        return f"{len(self.probabilities)} beats{where}: {counts}"


def read_ecg(path: str | Path, *, fs: float | None = None, extra_files: tuple = ()) -> Recording | BeatRows:
    """An ECG upload: a signal CSV, a WFDB record, or Kaggle-style beat rows."""
    path = check_file(path)
    if path.suffix.lower() == ".csv" and looks_like_beat_rows(path):
        return read_beat_rows(path)
    return read_signal(path, fs=fs, extra_files=extra_files)


def choose_lead(recording: Recording, lead: str | None = None) -> tuple[np.ndarray, str]:
    """The named lead, else the first of PREFERRED_LEADS present, else the first column."""
    if lead is not None:
        return recording.channel(lead), lead
    upper = [c.upper() for c in recording.channels]
    for name in PREFERRED_LEADS:
        if name in upper:
            index = upper.index(name)
            return recording.signal[:, index], recording.channels[index]
    return recording.signal[:, 0], recording.channels[0]


def classify_lead(model, ecg: np.ndarray, fs: float, *, progress=None, lead_name: str = "") -> ECGResult:
    """Detect R-peaks, cut beats with RR features (and pre-R context for a model that takes it) and classify them;
    `progress(fraction, desc=...)` is optional."""
    report = progress_callback(progress)
    fs = check_fs(fs, ECG_FS_RANGE, "ECG")
    if len(ecg) > MAX_SAMPLES:
        raise FileTooLargeError(
            f"The ECG has {len(ecg):,} samples, over the {MAX_SAMPLES:,} limit of one request; split the record into "
            "shorter parts."
        )
    if not np.isfinite(ecg).all():
        raise InputError("The ECG contains NaN or infinite values; fill or cut those parts first.")
    report(0.1, desc="Detecting R-peaks")
    peaks = ecg_peaks(ecg, fs)
    if len(peaks) < 2:
        raise NoBeatsFoundError("Fewer than two beats were found; upload a strip with at least two heartbeats.")
    report(0.4, desc=f"Cutting {len(peaks)} beats")
    beats, context = ecg_cut(ecg, fs, peaks, context_samples=model.context_samples)
    rr = rr_features(peaks, fs)
    chunks = [slice(start, start + 4096) for start in range(0, len(beats), 4096)]
    probabilities = []
    for i, chunk in enumerate(chunks):
        report(0.5 + 0.5 * i / len(chunks), desc=f"Classifying beats {chunk.start + 1}-{min(chunk.stop, len(beats))}")
        probabilities.append(model.predict_beats(beats[chunk], rr[chunk], None if context is None else context[chunk]))
    return ECGResult(
        fs=fs,
        times_s=peaks / fs,
        probabilities=np.concatenate(probabilities),
        labels=model.labels,
        lead=ecg,
        lead_name=lead_name,
        beats=beats,
    )


def predict(model, data: Recording | BeatRows, *, lead: str | None = None, progress=None) -> ECGResult:
    """Classify every beat of a recording (or every pre-cut beat row)."""
    if isinstance(data, BeatRows):
        return ECGResult(
            fs=None, times_s=None, probabilities=model.predict_beats(data.beats), labels=model.labels, beats=data.beats
        )
    ecg, name = choose_lead(data, lead)
    check_fs(data.fs, ECG_FS_RANGE, "ECG")
    if len(ecg) < 2 * data.fs:
        raise SignalTooShortError(
            f"The ECG is {len(ecg) / data.fs:.2f} s long, shorter than two beats; upload at least 2 s of signal."
        )
    return classify_lead(model, ecg, data.fs, progress=progress, lead_name=name)
