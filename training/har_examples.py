"""Cut the HAR Space examples and test fixtures from real UCI HAR test windows: `python -m training.har_examples`.

Consecutive 50%-overlapping windows are stitched back into continuous recordings (total acceleration in g and
gyroscope in rad/s, as the phone gave them after UCI's noise filters), one segment per activity per subject.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from core.har.data import ACTIVITIES, CHANNELS, HAR_FS, har_segments, har_stitch, load_split
from core.signals import signal_resample
from core.tasks import ROOT

EXAMPLES = ROOT / "spaces" / "har" / "examples"
FIXTURES = ROOT / "tests" / "fixtures"
DAY_ORDER = ("STANDING", "WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "LAYING")
RAW = [
    CHANNELS.index(c)
    for c in ("total_acc_x", "total_acc_y", "total_acc_z", "body_gyro_x", "body_gyro_y", "body_gyro_z")
]
SUBJECT_EXAMPLES = {
    2: {"time_unit": "s", "acc_unit": "g", "gyro": True},
    9: {"time_unit": "ms", "acc_unit": "m/s^2", "gyro": True},
    24: {"time_unit": "s", "acc_unit": "g", "gyro": False},
}
"""Subject -> how its example file is written, so the examples exercise every unit and the accelerometer-only path."""
FIXTURE_ORDER = ("WALKING", "SITTING", "LAYING")
FIXTURE_SECONDS = 10.0


def stitched_recording(
    split: dict, subject: int, order: tuple[str, ...], seconds: float
) -> tuple[np.ndarray, np.ndarray]:
    """(n, 6) raw-like signal (total acc g, gyro rad/s) at 50 Hz and the activity index per sample: the longest
    continuous segment of each activity in `order`, cut to at most `seconds`."""
    parts, labels = [], []
    for activity in order:
        rows = np.flatnonzero((split["subject"] == subject) & (split["y"] == ACTIVITIES.index(activity)))
        longest = max(har_segments(split["X"][rows]), key=len)
        signal = har_stitch(split["X"][rows[longest]])[: int(seconds * HAR_FS), RAW]
        parts.append(signal)
        labels.append(np.full(len(signal), ACTIVITIES.index(activity)))
    return np.concatenate(parts), np.concatenate(labels)


def write_recording(
    path: Path,
    signal: np.ndarray,
    labels: np.ndarray,
    fs: float,
    *,
    time_unit: str,
    acc_unit: str,
    gyro: bool,
    note: str,
) -> None:
    time = np.arange(len(signal)) / fs * (1000.0 if time_unit == "ms" else 1.0)
    acc = signal[:, :3] * (9.80665 if acc_unit == "m/s^2" else 1.0)
    columns = [f"time_{time_unit}", "acc_x", "acc_y", "acc_z"] + (["gyro_x", "gyro_y", "gyro_z"] if gyro else [])
    table = np.column_stack([time, acc] + ([signal[:, 3:6]] if gyro else []))
    with path.open("w") as handle:
        handle.write(f"# {note}; accelerometer in {acc_unit}{', gyroscope in rad/s' if gyro else ''}\n")
        handle.write(",".join(columns + ["true_activity"]) + "\n")
        for row, label in zip(table, labels):
            handle.write(",".join(f"{v:.4f}" for v in row) + f",{ACTIVITIES[label]}\n")


def write_uci_zip(path: Path, split: dict, rows: np.ndarray) -> None:
    """A tiny `UCI HAR Dataset/test/` tree in the release's text format (one window per row, 128 values)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for c, name in enumerate(CHANNELS):
            buffer = io.StringIO()
            np.savetxt(buffer, split["X"][rows, :, c], fmt="%15.7e", delimiter="")
            archive.writestr(f"UCI HAR Dataset/test/Inertial Signals/{name}_test.txt", buffer.getvalue())
        archive.writestr("UCI HAR Dataset/test/y_test.txt", "".join(f"{y + 1}\n" for y in split["y"][rows]))
        archive.writestr("UCI HAR Dataset/test/subject_test.txt", "".join(f"{s}\n" for s in split["subject"][rows]))


def main() -> None:
    test = load_split("test")
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    for subject, style in SUBJECT_EXAMPLES.items():
        signal, labels = stitched_recording(test, subject, DAY_ORDER, 20.0)
        note = f"UCI HAR test subject {subject}, real windows stitched back, 20 s per activity, 50 Hz"
        write_recording(
            EXAMPLES / f"uci_subject{subject:02d}_{'acc_gyro' if style['gyro'] else 'acc_only'}.csv",
            signal,
            labels,
            HAR_FS,
            note=note,
            **style,
        )
    # fixture: three activities of subject 2 resampled to 20 Hz, and six single windows in the release layout
    signal, labels = stitched_recording(test, 2, FIXTURE_ORDER, FIXTURE_SECONDS)
    low = signal_resample(signal, HAR_FS, 20.0)
    low_labels = labels[(np.arange(len(low)) * HAR_FS / 20.0).astype(int)]
    write_recording(
        FIXTURES / "har_stitched_20hz.csv",
        low,
        low_labels,
        20.0,
        time_unit="s",
        acc_unit="g",
        gyro=True,
        note=f"UCI HAR test subject 2, {FIXTURE_SECONDS:g} s each of {', '.join(FIXTURE_ORDER)}, resampled to 20 Hz",
    )
    rows = np.array([np.flatnonzero((test["subject"] == 4) & (test["y"] == c))[5] for c in range(len(ACTIVITIES))])
    write_uci_zip(FIXTURES / "har_uci_tiny.zip", test, rows)


if __name__ == "__main__":
    main()
