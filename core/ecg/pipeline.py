"""The ECG task's one code path: file -> beats -> classes, shared by the CLI, the Space and evaluation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from core.ecg.beats import AAMI_CLASSES, ecg_cut, ecg_peaks, rr_features
from core.ecg.features import ecg_beat_features
from core.ecg.rhythm import Rhythm, ecg_rhythm
from core.ecg.scoring import BeatScoring, ecg_score, reference_beats
from core.errors import FileTooLargeError, InputError, NoBeatsFoundError, SignalTooShortError
from core.readers import Recording, check_file, read_signal
from core.readers.beat_rows import BeatRows, looks_like_beat_rows, read_beat_rows
from core.results import ClassProbabilities, progress_callback
from core.signals import ECG_FS_RANGE, check_fs

PREFERRED_LEADS = ("MLII", "II", "ECG", "LEAD II", "ECG1", "V5", "V1")
MAX_SAMPLES = 10_000_000
"""Longest lead one request classifies (about 7.7 h at 360 Hz)."""


BEAT_ROWS_NOTE = (
    "Read by the intra-patient benchmark model: lone beat rows carry no rhythm to compare with, so the new-patient "
    "model cannot read them, and this model's figures come from patients it trained on; upload the ECG itself for a "
    "new patient."
)


@dataclass(frozen=True)
class ECGResult(ClassProbabilities):
    """Beat times (s, None for pre-cut beats), class probabilities (n, classes), the classified lead for plotting,
    why that lead was used, and the scoring against reference annotations when the upload carried them."""

    fs: float | None
    times_s: np.ndarray | None
    probabilities: np.ndarray
    labels: tuple[str, ...] = AAMI_CLASSES
    lead: np.ndarray | None = None
    lead_name: str = ""
    beats: np.ndarray | None = None
    lead_reason: str = ""
    scoring: BeatScoring | None = None

    def counts(self) -> dict[str, int]:
        predicted = self.predicted
        return {label: predicted.count(label) for label in self.labels}

    @cached_property
    def rhythm(self) -> Rhythm | None:
        """Ectopic runs, bigeminy/trigeminy and heart rate over time (None for pre-cut beats, which have no times)."""
        return None if self.times_s is None else ecg_rhythm(self.times_s, self.predicted)

    def to_json(self) -> dict:
        times = [None] * len(self.probabilities) if self.times_s is None else [round(float(t), 3) for t in self.times_s]
        beats = [
            {"time_s": t, "label": label, "confidence": round(float(c), 4)}
            for t, label, c in zip(times, self.predicted, self.confidence)
        ]
        out = {"task": "ecg", "fs": self.fs, "lead": self.lead_name, "beats": beats, "counts": self.counts()}
        if self.times_s is None:
            out["note"] = BEAT_ROWS_NOTE
        if self.lead_reason:
            out["lead_reason"] = self.lead_reason
        if self.rhythm is not None:
            out["rhythm"] = self.rhythm.to_json()
        if self.scoring is not None:
            out["scoring"] = self.scoring.to_json()
        return out

    def summary(self) -> str:
        counts = ", ".join(f"{label} {n}" for label, n in self.counts().items())
        where = f" in lead {self.lead_name}" if self.lead_name else ""
        why = f" ({self.lead_reason})" if self.lead_reason else ""
        lines = [f"{len(self.probabilities)} beats{where}: {counts}{why}"]
        if self.times_s is None:
            lines.append(BEAT_ROWS_NOTE)
        if self.rhythm is not None:
            lines.append(self.rhythm.summary())
        if self.scoring is not None:
            lines.append(self.scoring.summary())
        return "\n".join(lines)


def read_ecg(path: str | Path, *, fs: float | None = None, extra_files: tuple = ()) -> Recording | BeatRows:
    """An ECG upload: a signal CSV, a WFDB record, or Kaggle-style beat rows."""
    path = check_file(path)
    if path.suffix.lower() == ".csv" and looks_like_beat_rows(path):
        return read_beat_rows(path)
    return read_signal(path, fs=fs, extra_files=extra_files)


def choose_variant(data, **options) -> str:
    """Lone pre-cut beat rows go to the intra-patient benchmark model (the default needs the whole recording)."""
    return "intra" if isinstance(data, BeatRows) else "inter"


def choose_lead(recording: Recording, lead: str | None = None) -> tuple[np.ndarray, str, str]:
    """The lead to classify, upright, with its name and why it was chosen: the named lead (any case), else the first
    of PREFERRED_LEADS present (the model's training lead is MLII), else the lead with the tallest upright QRS
    complexes (`qrs_prominence` x `qrs_upright_share`, at least 1/3: MLII over V1 on 40 of 46 MIT-BIH records, where
    prominence alone picks it on 27).
    A lead whose QRS complexes mostly point down is flipped."""
    names = list(recording.channels)
    if lead is not None:
        matches = [i for i, name in enumerate(names) if name.lower() == str(lead).strip().lower()]
        if not matches:
            raise InputError(f"Lead {lead!r} is not in this recording; its leads are {names}.")
        index, reason = matches[0], "the lead asked for"
    elif len(names) == 1:
        index, reason = 0, "the only lead"
    else:
        upper = [name.upper() for name in names]
        named = next((name for name in PREFERRED_LEADS if name in upper), None)
        if named is not None:
            index = upper.index(named)
            reason = (
                "named like the model's training lead MLII"
                if named in ("MLII", "II", "LEAD II")
                else (f"the first of {', '.join(PREFERRED_LEADS)} present")
            )
        else:
            scores = [qrs_prominence(recording.signal[:, i], recording.fs) for i in range(len(names))]
            # an inverted lead keeps a third of its weight: it still beats a lead without QRS complexes, and is flipped
            upright = [max(qrs_upright_share(recording.signal[:, i], recording.fs), 1 / 3) for i in range(len(names))]
            scores = [score * share for score, share in zip(scores, upright)]
            index = int(np.argmax(scores))
            others = ", ".join(f"{s:.0f}" for i, s in enumerate(scores) if i != index)
            reason = (
                f"the most MLII-like of {len(names)} leads: tall, upright QRS complexes (QRS prominence x upright "
                f"share {scores[index]:.0f}, the others {others})"
            )
    ecg = recording.signal[:, index]
    own_fs = recording.meta.get("lead_fs", {}).get(names[index])
    if own_fs is not None and own_fs != recording.fs:
        reason += f"; stored at {own_fs:g} Hz, interpolated to the record's {recording.fs:g} Hz"
    if qrs_upright_share(ecg, recording.fs) < 0.5:
        ecg = -ecg
        reason += "; its QRS complexes point down, so it was flipped upright"
    return ecg, names[index], reason


def qrs_prominence(ecg: np.ndarray, fs: float, *, seconds: float = 60.0) -> float:
    """How much QRS complexes stand out in a lead's first `seconds`: the 99th percentile of the 5-20 Hz band's
    magnitude over its median (about 4 for noise, 10-60 for an ECG lead)."""
    from scipy.signal import butter, sosfiltfilt  # imported on first use: the Spaces start faster

    segment = np.asarray(ecg[: int(seconds * fs)], dtype=float)
    if len(segment) < 2 * fs or not np.isfinite(segment).all():
        return 0.0
    sos = butter(2, [5.0, min(20.0, 0.45 * fs)], btype="band", fs=fs, output="sos")
    band = np.abs(sosfiltfilt(sos, segment))
    return float(np.percentile(band, 99) / (np.median(band) + 1e-12)) if band.any() else 0.0


def qrs_upright_share(ecg: np.ndarray, fs: float, *, seconds: float = 60.0) -> float:
    """The share of QRS complexes in a lead's first `seconds` whose largest deflection is positive (MLII: nearly all;
    V1 or an inverted lead: few); 1 when no beat can be found there (nothing to turn)."""
    from scipy.ndimage import median_filter  # imported on first use: the Spaces start faster

    segment = np.asarray(ecg[: int(seconds * fs)], dtype=float)
    try:
        peaks = ecg_peaks(segment, fs)
    except InputError:
        return 1.0  # too short or flat: classification reports the problem
    segment = segment - median_filter(segment, size=int(0.6 * fs) | 1, mode="nearest")  # without baseline wander
    half = int(0.05 * fs)
    windows = segment[np.clip(peaks[:, None] + np.arange(-half, half + 1), 0, len(segment) - 1)]
    extremes = windows[np.arange(len(windows)), np.abs(windows).argmax(axis=1)]
    return float(np.mean(extremes > 0))


def check_lead(ecg: np.ndarray, fs: float) -> float:
    """`fs` checked, and one sentence for a lead over `MAX_SAMPLES` or with NaN or infinite values."""
    fs = check_fs(fs, ECG_FS_RANGE, "ECG")
    if len(ecg) > MAX_SAMPLES:
        raise FileTooLargeError(
            f"The ECG has {len(ecg):,} samples, over the {MAX_SAMPLES:,} limit of one request; split the record into "
            "shorter parts."
        )
    if not np.isfinite(ecg).all():
        raise InputError("The ECG contains NaN or infinite values; fill or cut those parts first.")
    return fs


def classify_lead(model, ecg: np.ndarray, fs: float, *, progress=None, lead_name: str = "") -> ECGResult:
    """Detect R-peaks, cut beats with RR features (and pre-R context for a model that takes it) and classify them;
    `progress(fraction, desc=...)` is optional."""
    report = progress_callback(progress)
    fs = check_lead(ecg, fs)
    report(0.1, desc="Detecting R-peaks")
    peaks = ecg_peaks(ecg, fs)
    if len(peaks) < 2:
        raise NoBeatsFoundError("Fewer than two beats were found; upload a strip with at least two heartbeats.")
    report(0.4, desc=f"Cutting {len(peaks)} beats")
    beats, context = ecg_cut(ecg, fs, peaks, context_samples=model.context_samples)
    if model.feature_names:  # the new-patient model: each beat against the record's own rhythm and dominant beat
        report(0.5, desc=f"Classifying {len(peaks)} beats against this record's rhythm and dominant beat")
        probabilities = [model.predict_features(ecg_beat_features(ecg, fs, peaks))]
    else:
        rr = rr_features(peaks, fs)
        chunks = [slice(start, start + 4096) for start in range(0, len(beats), 4096)]
        probabilities = []
        for i, chunk in enumerate(chunks):
            done = f"{chunk.start + 1}-{min(chunk.stop, len(beats))}"
            report(0.5 + 0.5 * i / len(chunks), desc=f"Classifying beats {done}")
            context_chunk = None if context is None else context[chunk]
            probabilities.append(model.predict_beats(beats[chunk], rr[chunk], context_chunk))
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
    """Classify every beat of a recording (or every pre-cut beat row); a recording with reference beat annotations is
    also scored against them."""
    if isinstance(data, BeatRows):
        return ECGResult(
            fs=None, times_s=None, probabilities=model.predict_beats(data.beats), labels=model.labels, beats=data.beats
        )
    check_fs(data.fs, ECG_FS_RANGE, "ECG")
    ecg, name, reason = choose_lead(data, lead)
    if len(ecg) < 2 * data.fs:
        raise SignalTooShortError(
            f"The ECG is {len(ecg) / data.fs:.2f} s long, shorter than two beats; upload at least 2 s of signal."
        )
    result = classify_lead(model, ecg, data.fs, progress=progress, lead_name=name)
    check_plausible(result)
    scoring = None
    if data.annotations is not None:
        reference_s, reference = reference_beats(data.annotations, data.fs)
        scoring = ecg_score(
            reference_s,
            reference,
            result.times_s,
            result.predicted,
            result.labels,
            source=data.annotations.get("file", "the reference annotations"),
        )
    return replace(result, lead_reason=reason, scoring=scoring)


def check_plausible(result: ECGResult) -> None:
    """Refuse labels that cannot be right: beats almost all of one class at a heart rate under 20 or over 250 bpm
    (a wrong sampling rate, or a lead that is not an ECG)."""
    rate = result.rhythm.mean_bpm
    counts = result.counts()
    if len(result.predicted) >= 3 and not 20 <= rate <= 250 and max(counts.values()) >= 0.95 * sum(counts.values()):
        raise InputError(
            f"The beats found in lead {result.lead_name or '1'} give a heart rate of {rate:.0f} bpm, outside 20-250, "
            f"at {result.fs:g} Hz; the sampling rate or the lead is probably wrong, so check the rate or choose "
            "another lead."
        )
