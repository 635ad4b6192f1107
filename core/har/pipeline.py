"""The HAR task's one code path: recording -> UCI-style 50 Hz signals -> 2.56 s windows -> activities, shared by
the CLI, the Space and evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import FileTooLargeError, InputError, SignalTooShortError, UnsupportedFormatError
from core.har.data import ACTIVITIES, HAR_FS, STEP, WALKING_CLASSES, WINDOW
from core.har.placement import (
    PLACEMENT_NAMES,
    placement_probabilities,
    placement_rows,
    recording_placement,
)
from core.har.predictor import MIN_REFERENCE_WINDOWS
from core.har.steps import Bout, acc_steps, bout_steps, walking_bouts
from core.readers import Recording, check_file
from core.readers.inertial import UCIWindows, inertial_units, read_inertial_csv, read_uci_inertial
from core.results import ClassProbabilities, progress_callback
from core.signals import check_fs, signal_filter, signal_resample

HAR_FS_RANGE = (10.0, 200.0)
GRAVITY_CORNER_HZ = 0.3
NOISE_CORNER_HZ = 20.0
MAX_SECONDS = 12 * 3600
"""Longest recording one request classifies."""
PLACEMENT_OPTIONS = {"auto": None, "waist": "waist", "pocket": "pocket", "hand": "hand", "bag": "bag/other"}
"""The `placement` option's values: "auto" infers it from the recording."""
MERGED_WALKING = "WALKING (level or stairs)"
MERGED_STILL = "STILL (sitting, standing or lying)"
MERGED_LABELS = (MERGED_WALKING, MERGED_STILL)
"""The timeline away from the waist, or when the placement is unknown."""
MERGE_REASONS = {
    MERGED_WALKING: "stairs were recorded only with the phone at the waist, so walking on stairs and on the level are "
    "not told apart elsewhere",
    MERGED_STILL: "sitting, standing and lying are told apart by how the trunk tilts the phone, which only a phone "
    "at the waist follows (a sitting thigh lies like a lying one; a hand or bag holds the phone any way)",
}


@dataclass(frozen=True)
class HARResult(ClassProbabilities):
    """Per-window activity probabilities (n, 6); window starts in seconds (None for pre-cut UCI windows);
    the 50 Hz total acceleration (g) and gyroscope (rad/s, absent for accelerometer-only input) for plotting;
    the walking windows a calibrated model calibrated to, summed over wearers (0: none, None: not calibrated);
    the walking bouts (runs of walking windows) with their steps and cadence (None for pre-cut UCI windows)."""

    probabilities: np.ndarray
    starts_s: np.ndarray | None
    variant: str
    labels: tuple[str, ...] = ACTIVITIES
    acc: np.ndarray | None = None
    gyro: np.ndarray | None = None
    true_labels: np.ndarray | None = None
    calibration_windows: int | None = None
    window_s: float = WINDOW / HAR_FS
    bouts: tuple[Bout, ...] | None = None
    placement: str | None = None
    placement_confidence: float | None = None
    placement_source: str | None = None
    placement_known: bool = True
    unknown_below: float | None = None

    @property
    def merged(self) -> dict[str, str]:
        """Merged classes of the timeline and why they are merged."""
        return {label: MERGE_REASONS[label] for label in self.labels if label in MERGE_REASONS}

    def placement_text(self) -> str:
        """One sentence on where the phone was: stated, inferred with its confidence, or matching no known place."""
        if self.placement_source == "dataset":
            return "Placement: waist (UCI HAR windows)."
        if self.placement_source == "stated":
            return f"Placement: {PLACEMENT_NAMES[self.placement]} (stated)."
        if self.placement is None:
            return (
                "The recording matches no placement the model knows: it has no walking to place the phone by, so "
                "the timeline only tells walking from still; state the placement with the placement option."
            )
        if not self.placement_known:
            return (
                f"The recording matches no placement the model knows (closest: {PLACEMENT_NAMES[self.placement]}, "
                f"confidence {self.placement_confidence:.2f}, under {self.unknown_below:.2f}), so the timeline only "
                "tells walking from still; state the placement with the placement option if you know it."
            )
        return f"Placement: {PLACEMENT_NAMES[self.placement]} (inferred, confidence {self.placement_confidence:.2f})."

    @property
    def duration_s(self) -> float:
        if self.acc is not None:
            return len(self.acc) / HAR_FS
        return len(self.probabilities) * self.window_s

    def shares(self) -> dict[str, float]:
        """Share of windows per activity (each window counts once; with 50% overlap this is the share of time)."""
        counts = np.bincount(self.probabilities.argmax(axis=1), minlength=len(self.labels))
        return {label: float(n / max(1, counts.sum())) for label, n in zip(self.labels, counts)}

    def accuracy(self) -> float | None:
        """Agreement with the reference labels of UCI windows, when the upload has them."""
        if self.true_labels is None:
            return None
        return float(np.mean(self.probabilities.argmax(axis=1) == self.true_labels))

    def to_json(self) -> dict:
        starts = (
            [None] * len(self.probabilities) if self.starts_s is None else [round(float(s), 2) for s in self.starts_s]
        )
        windows = [
            {
                "start_s": s,
                "end_s": None if s is None else round(s + self.window_s, 2),
                "label": label,
                "confidence": round(float(c), 4),
            }
            for s, label, c in zip(starts, self.predicted, self.confidence)
        ]
        shares = self.shares()
        summary = {
            "variant": self.variant,
            "windows": len(windows),
            "duration_s": round(self.duration_s, 2),
            "share": {label: round(share, 4) for label, share in shares.items()},
            "dominant": max(shares, key=shares.get),
        }
        if self.true_labels is not None:
            summary["accuracy"] = round(self.accuracy(), 4)
        if self.calibration_windows is not None:
            summary["calibration_windows"] = self.calibration_windows
        if self.placement_source is not None:
            summary["placement"] = {
                "name": self.placement,
                "confidence": None if self.placement_confidence is None else round(self.placement_confidence, 4),
                "source": self.placement_source,
                "known": self.placement_known,
                "text": self.placement_text(),
            }
        if self.merged:
            summary["merged"] = self.merged
        payload = {"task": "har", "windows": windows, "summary": summary}
        if self.bouts is not None:
            summary["steps"] = self.steps
            payload["bouts"] = [bout.to_json() for bout in self.bouts]
        return payload

    @property
    def steps(self) -> int | None:
        """Steps counted in all walking bouts (None for pre-cut UCI windows)."""
        return None if self.bouts is None else sum(bout.steps for bout in self.bouts)

    def summary(self) -> str:
        shares = ", ".join(f"{label} {share:.0%}" for label, share in self.shares().items() if share > 0)
        text = f"{len(self.probabilities)} windows ({self.duration_s / 60:.1f} min), {self.variant} model: {shares}"
        if self.true_labels is not None:
            text += f"; accuracy against the file's labels {self.accuracy():.1%}"
        if self.bouts:
            cadences = [b.cadence for b in self.bouts if b.cadence is not None]
            text += f"; {self.steps} steps in {len(self.bouts)} walking bout{'s' * (len(self.bouts) > 1)}"
            if cadences:
                text += f" (median cadence {np.median(cadences):.0f} steps/min)"
        if self.calibration_windows:
            text += f"; calibrated to {self.calibration_windows} walking windows"
        elif self.calibration_windows == 0:
            text += (
                f"; under {MIN_REFERENCE_WINDOWS} walking windows, so read against the training population's walking"
            )
        notes = [self.placement_text()] if self.placement_source is not None else []
        notes += [
            f"{label.split(' ')[0].capitalize()} is one class {label[label.index('(') :]}: {why}."
            for label, why in self.merged.items()
        ]
        return f"{text}. {' '.join(notes)}" if notes else text


def read_har(path: str | Path, *, fs: float | None = None, extra_files: tuple = ()) -> Recording | UCIWindows:
    """A HAR upload: a phone CSV (time + accelerometer [+ gyroscope]) or the UCI HAR Dataset zip (its test split)."""
    path = check_file(path)
    if path.suffix.lower() == ".zip":
        return read_uci_inertial(path)
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        return read_inertial_csv(path, fs=fs)
    raise UnsupportedFormatError(
        f"File {path.name!r} has an unsupported type {path.suffix!r}; upload a CSV (time, acc_x, acc_y, acc_z, "
        "optional gyro_x, gyro_y, gyro_z) or the UCI HAR Dataset zip."
    )


def inertial_regular(recording: Recording) -> np.ndarray:
    """The recording's signal on an even 50 Hz grid: irregular timestamps interpolated at the nominal rate, then
    polyphase resampling (anti-aliased; the ends extended along the signal's trend, since gravity puts about 1 g on
    the accelerometer and zeros beyond the ends would bend the first and last window)."""
    fs = check_fs(recording.fs, HAR_FS_RANGE, "inertial recording")
    values = recording.signal
    if recording.time is not None:
        # round the nominal rate so the polyphase ratio to 50 Hz stays small
        fs = float(max(1, round(fs)))
        grid = np.arange(0.0, recording.time[-1] - recording.time[0], 1.0 / fs) + recording.time[0]
        values = np.column_stack([np.interp(grid, recording.time, column) for column in values.T])
    return signal_resample(values, fs, HAR_FS, padtype="line")


def inertial_uci(signal: np.ndarray, *, has_gyro: bool) -> np.ndarray:
    """(n, 9) UCI-order signals from 50 Hz acc (g) [+ gyro (rad/s)]: median and 20 Hz noise filters as UCI, then the
    0.3 Hz Butterworth gravity filter splits total into body and gravity acceleration. No gyroscope: zeros there."""
    from scipy import signal as sps  # imported on first use, as in core.signals

    cleaned = sps.medfilt(signal, kernel_size=(3, 1))
    cleaned = signal_filter(cleaned, HAR_FS, highcut=NOISE_CORNER_HZ, order=3)
    total = cleaned[:, :3]
    gravity = signal_filter(total, HAR_FS, highcut=GRAVITY_CORNER_HZ, order=3)
    gyro = cleaned[:, 3:6] if has_gyro else np.zeros_like(total)
    return np.column_stack([total - gravity, gyro, total]).astype(np.float32)


def har_windows(signals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 128, channels) windows with 50% overlap, and their start samples; the tail shorter than a step is dropped."""
    starts = np.arange(0, len(signals) - WINDOW + 1, STEP)
    view = np.lib.stride_tricks.sliding_window_view(signals, WINDOW, axis=0)[::STEP]
    return np.ascontiguousarray(view.transpose(0, 2, 1)), starts


def choose_variant(data: Recording | UCIWindows, **options) -> str:
    """The variant for `data`: the accelerometer-only model for a recording without gyroscope, else the full model."""
    return "acc" if isinstance(data, Recording) and "gyro_x" not in data.channels else "full"


def placement_choice(placement: str) -> str | None:
    """The placement class of the `placement` option (None: infer it)."""
    if not isinstance(placement, str) or placement not in PLACEMENT_OPTIONS:
        raise InputError(f"Unknown placement {placement!r}; accepted are {list(PLACEMENT_OPTIONS)}.")
    return PLACEMENT_OPTIONS[placement]


def is_placement_model(model) -> bool:
    return hasattr(model, "placements")


def classify_recording(
    model, recording: Recording, *, placement: str = "auto", placement_model=None, progress=None
) -> HARResult:
    """Resample to 50 Hz, filter and window a standardised recording (g, rad/s), place the phone and classify every
    window: with the UCI model `model` at the waist, else with the placement model's motion (merged classes)."""
    report = progress_callback(progress)
    stated = placement_choice(placement)
    if is_placement_model(model):
        model, placement_model = None, model
    if placement_model is None and stated not in (None, "waist"):
        raise InputError(
            f"The placement {placement!r} needs the placement model; run the task with its 'placement' companion."
        )
    check_fs(recording.fs, HAR_FS_RANGE, "inertial recording")
    duration = len(recording.signal) / recording.fs
    if duration < WINDOW / HAR_FS:
        raise SignalTooShortError(
            f"The recording is {duration:.2f} s long, shorter than one {WINDOW / HAR_FS:.2f} s window; record at least "
            "3 s."
        )
    if duration > MAX_SECONDS:
        raise FileTooLargeError(
            f"The recording is {duration / 3600:.1f} h long, over the {MAX_SECONDS / 3600:.0f} h limit; split it."
        )
    has_gyro = "gyro_x" in recording.channels
    if model is not None and model.needs_gyroscope and not has_gyro:
        raise InputError(
            "The recording has no gyroscope columns (gyro_x, gyro_y, gyro_z) and the full model needs them; "
            "use the accelerometer-only variant 'acc'."
        )
    report(0.05, desc="Resampling to 50 Hz")
    regular = inertial_regular(recording)
    report(0.15, desc="Separating body and gravity acceleration")
    signals = inertial_uci(regular, has_gyro=has_gyro)
    if len(signals) < WINDOW:
        raise SignalTooShortError(
            f"The recording gives {len(signals)} samples at 50 Hz, fewer than one {WINDOW}-sample window; record at "
            "least 3 s."
        )
    windows, starts = har_windows(signals)
    where = {} if stated is None else dict(placement=stated, placement_source="stated")
    use_uci = True  # the UCI model alone (no placement model): a waist recording, as before placement
    if placement_model is not None:
        report(0.2, desc="Placing the phone")
        p_motion, p_place = placement_probabilities(placement_model, placement_rows(regular[:, :3])[0])
        if stated is None:
            inferred, confidence = recording_placement(p_motion, p_place)
            where = dict(
                placement=inferred,
                placement_confidence=confidence,
                placement_source="inferred",
                placement_known=inferred is not None and confidence >= placement_model.unknown_below,
                unknown_below=placement_model.unknown_below,
            )
        use_uci = model is not None and where["placement"] == "waist" and where.get("placement_known", True)
    if use_uci:
        probabilities, walking = model.classify_windows(
            windows, progress=lambda done, desc: report(0.3 + 0.7 * done, desc=desc)
        )
        walking_windows = np.isin(probabilities.argmax(axis=1), WALKING_CLASSES)
        return _recording_result(
            probabilities,
            starts,
            signals,
            has_gyro,
            walking_windows,
            variant=_variant(model),
            calibration_windows=walking,
            **where,
        )
    # merged classes: the placement model's walking (level or stairs) and still
    probabilities = np.column_stack([p_motion[:, :3].sum(axis=1), p_motion[:, 3:].sum(axis=1)])
    return _recording_result(
        probabilities,
        starts,
        signals,
        has_gyro,
        probabilities.argmax(axis=1) == 0,
        variant="placement",
        labels=MERGED_LABELS,
        **where,
    )


def _recording_result(
    probabilities: np.ndarray, starts: np.ndarray, signals: np.ndarray, has_gyro: bool, walking: np.ndarray, **fields
) -> HARResult:
    """The result of a recording's windows, with steps counted in its walking bouts."""
    steps_s = acc_steps(signals[:, 6:9], HAR_FS) / HAR_FS
    return HARResult(
        probabilities=probabilities,
        starts_s=starts / HAR_FS,
        acc=signals[:, 6:9],
        gyro=signals[:, 3:6] if has_gyro else None,
        bouts=tuple(bout_steps(steps_s, walking_bouts(starts / HAR_FS, walking, WINDOW / HAR_FS))),
        **fields,
    )


def _variant(model) -> str:
    return "full" if model.needs_gyroscope else "acc"


def predict(
    model,
    data: Recording | UCIWindows,
    *,
    acc_unit: str = "auto",
    gyro_unit: str = "auto",
    placement: str = "auto",
    placement_model=None,
    progress=None,
) -> HARResult:
    """Activities of a phone recording (units detected or given) or of pre-cut UCI HAR windows (waist).

    placement: where the phone was ("auto" infers it with `placement_model`): "waist", "pocket", "hand" or "bag".
    """
    if isinstance(data, UCIWindows):
        if placement_choice(placement) not in (None, "waist") or is_placement_model(model):
            raise InputError("UCI HAR windows come from a phone at the waist; use placement 'auto' or 'waist'.")
        probabilities, walking = model.classify_windows(data.windows, wearers=data.subjects, progress=progress)
        labels = None if data.labels is None else data.labels - 1
        return HARResult(
            probabilities=probabilities,
            starts_s=None,
            variant=_variant(model),
            true_labels=labels,
            calibration_windows=walking,
            placement="waist",
            placement_source="dataset",
        )
    return classify_recording(
        model,
        inertial_units(data, acc_unit=acc_unit, gyro_unit=gyro_unit),
        placement=placement,
        placement_model=placement_model,
        progress=progress,
    )
