"""MIT-BIH beats for one-class anomaly detection: DS1 normal beats to learn from, beats at detected R-peaks to score.

Training beats are cut at the reference annotations, each moved by a random shift of up to 20 ms so that the model
also sees the offsets a detector makes; validation and test beats are cut at detected R-peaks (the serving path)
and take the class of the reference beat within 150 ms.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from core.ecg.beats import AAMI_CLASSES, AAMI_MAP, ecg_cut, ecg_peaks, match_peaks, rr_features
from core.ecg.data import DS1, DS2, mitdb_dir
from core.ecg.pipeline import choose_lead
from core.readers.wfdb_records import read_wfdb

VALIDATION = ("106", "201", "209", "223")
"""DS1 records held out of training; the anomaly threshold is chosen on their beats."""
TRAIN = tuple(r for r in DS1 if r not in VALIDATION)
TEST = DS2
CONTEXT_SAMPLES = 64
"""Pre-R samples at 125 Hz (0.5 s: the P wave and the previous beat's end) the models see before each beat."""
JITTER_S = 0.02
MATCH_S = 0.15
DATA_VERSION = 3
CACHE = Path(tempfile.gettempdir()) / "physiospaces_ecg_anomaly"


def reference_beats(folder: Path, record: str) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """The lead serving would choose, its rate, and the reference beats' samples and AAMI class indices."""
    recording = read_wfdb(folder / f"{record}.hea")
    lead, *_ = choose_lead(recording)  # the serving choice, flipped upright where its QRS points down
    symbols, samples = recording.annotations["symbol"], recording.annotations["sample"]
    is_beat = np.array([s in AAMI_MAP for s in symbols])
    labels = np.array([AAMI_CLASSES.index(AAMI_MAP[s]) for s in symbols[is_beat]], dtype=np.int64)
    return lead, recording.fs, samples[is_beat], labels


def _cut(lead: np.ndarray, fs: float, peaks: np.ndarray, labels: np.ndarray, record: str) -> dict[str, np.ndarray]:
    beats, context = ecg_cut(lead, fs, peaks, context_samples=CONTEXT_SAMPLES)
    return {
        "beats": beats,
        "context": context,
        "rr": rr_features(peaks, fs),
        "label": labels,
        "record": np.full(len(peaks), int(record), dtype=np.int32),
        "time_s": (peaks / fs).astype(np.float32),
    }


def label_detected(detected: np.ndarray, reference: np.ndarray, labels: np.ndarray, fs: float) -> np.ndarray:
    """The class of the nearest reference beat within 150 ms of each detected peak, -1 where there is none."""
    position = np.clip(np.searchsorted(reference, detected), 1, len(reference) - 1)
    before, after = reference[position - 1], reference[position]
    nearest = np.where(detected - before <= after - detected, position - 1, position)
    close = np.abs(reference[nearest] - detected) <= MATCH_S * fs
    return np.where(close, labels[nearest], -1)


def training_beats(folder: Path, record: str, *, seed: int) -> dict[str, np.ndarray]:
    """Every annotated beat of `record`, cut at its reference R-peak shifted by up to +-20 ms."""
    lead, fs, peaks, labels = reference_beats(folder, record)
    rng = np.random.default_rng([seed, int(record)])
    shift = rng.integers(-round(JITTER_S * fs), round(JITTER_S * fs) + 1, len(peaks))
    return _cut(lead, fs, np.clip(peaks + shift, 0, len(lead) - 1), labels, record)


def detected_beats(folder: Path, record: str) -> dict[str, np.ndarray]:
    """Every beat `ecg_peaks` finds in `record`, labelled by the reference (-1: no reference beat within 150 ms),
    and the count of reference beats it missed (`missed`)."""
    lead, fs, reference, labels = reference_beats(folder, record)
    peaks = ecg_peaks(lead, fs)
    part = _cut(lead, fs, peaks, label_detected(peaks, reference, labels, fs), record)
    part["missed"] = np.array([match_peaks(reference, peaks, fs, tolerance_s=MATCH_S)[1]])
    return part


def anomaly_beats(part: str, *, data_dir: str | Path | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Beats of one part: "train" (TRAIN records, at jittered annotations), "validation" or "test" (VALIDATION or
    DS2 records, at detected R-peaks); cached as npz in the temporary folder."""
    folder = mitdb_dir(data_dir)
    records = {"train": TRAIN, "validation": VALIDATION, "test": TEST}[part]
    key = hashlib.sha1(f"{folder.resolve()}|{part}|{records}|{seed}|{DATA_VERSION}".encode()).hexdigest()[:12]
    cache = CACHE / f"{part}_{key}.npz"
    if cache.is_file():
        with np.load(cache) as stored:
            return dict(stored)
    cut = (lambda r: training_beats(folder, r, seed=seed)) if part == "train" else (lambda r: detected_beats(folder, r))
    parts = [cut(record) for record in tqdm(records, desc=f"MIT-BIH {part} records")]
    data = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **data)
    return data
