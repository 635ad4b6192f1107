"""Labelled continuous recordings of the three HAR datasets at 50 Hz, with their placement and person-wise split:
UCI HAR (waist), sp_sw_har (trouser pocket) and the Oxford step counter walks (seven placements, step counts).

The test people are fixed here, before any experiment, by rules that do not look at the data:
- UCI HAR: the official test subjects.
- sp_sw_har: every fourth subject (s04, s08, s12, s16, s20); the other 18 train.
- Oxford: the two people of the authors' own `validation/` folder (user1, user2); Jamie, Carmelo and Dario train.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import core.tasks
from core.errors import InputError
from core.har.data import ACTIVITIES, HAR_FS, STEP, har_segments, har_stitch, load_split
from core.readers.inertial import STANDARD_GRAVITY
from core.signals import signal_resample

POCKET_TEST_SUBJECTS = ("s04", "s08", "s12", "s16", "s20")
OXFORD_TEST_PEOPLE = ("user1", "user2")
OXFORD_PLACEMENTS = {
    "inhand": "hand",
    "hand": "hand",
    "swingingarm": "hand",
    "frontpocket": "pocket",
    "backpocket": "pocket",
    "purse": "bag/other",
    "bag": "bag/other",
    "neckpouch": "bag/other",
    "armband": "bag/other",
}
"""Oxford position (lower case) -> placement class; the position itself is kept as `Labelled.position`."""
POCKET_LABELS = {
    "SEATED": "SEATED",
    "WALKING": "WALKING",
    "TURNING": "WALKING",
    "STANDING_UP": "TRANSITION",
    "SITTING_DOWN": "TRANSITION",
}
"""sp_sw_har label -> ours: turning while walking is folded into walking; standing up and sitting down are one
transition class."""


@dataclass
class Labelled:
    """One recording at 50 Hz: acceleration (n, 3) in g, gyroscope (n, 3) rad/s or None, per-sample labels (n,) (empty:
    not scored), and the step counts of the walk (ground truth, phone's hardware counter)."""

    name: str
    dataset: str
    person: str
    placement: str
    position: str
    acc: np.ndarray
    gyro: np.ndarray | None
    labels: np.ndarray
    test: bool
    steps: int | None = None
    hardware_steps: int | None = None


def resample_50hz(time_s: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Irregular samples on an even 50 Hz grid: interpolated at the nominal rate (rounded), then polyphase
    resampling with the ends extended along the signal's trend (gravity is not zero beyond them)."""
    fs = float(max(1, round(1.0 / float(np.median(np.diff(time_s))))))
    grid = np.arange(time_s[0], time_s[-1], 1.0 / fs)
    regular = np.column_stack([np.interp(grid, time_s, column) for column in np.asarray(values, float).T])
    return signal_resample(regular, fs, HAR_FS, padtype="line")


def nearest_labels(time_s: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """The label of the original sample nearest each of `n` samples at 50 Hz from time_s[0]."""
    grid = time_s[0] + np.arange(n) / HAR_FS
    index = np.clip(np.searchsorted(time_s, grid), 1, len(time_s) - 1)
    index -= (grid - time_s[index - 1]) < (time_s[index] - grid)
    return labels[index]


def uci_recordings(split: str, data_dir: Path | None = None) -> list[Labelled]:
    """UCI HAR windows stitched back into continuous runs (one per run of 50%-overlapping windows), total
    acceleration (g) and gyroscope, with per-sample labels (each window's label on its own samples)."""
    data = load_split(split, data_dir)
    out = []
    for run in har_segments(data["X"]):
        signal = har_stitch(data["X"][run])
        labels = np.repeat(np.array(ACTIVITIES)[data["y"][run]], STEP)
        labels = np.concatenate([labels[:STEP], labels])[: len(signal)]
        subject = int(data["subject"][run[0]])
        out.append(
            Labelled(
                name=f"uci_{split}_{subject:02d}_{run[0]}",
                dataset="uci_har",
                person=f"uci{subject:02d}",
                placement="waist",
                position="waist",
                acc=signal[:, 6:9].astype(float),
                gyro=signal[:, 3:6].astype(float),
                labels=labels,
                test=split == "test",
            )
        )
    return out


def pocket_recordings(data_dir: Path | None = None) -> list[Labelled]:
    """The 223 sp_sw_har timed-up-and-go recordings (phone in a trouser pocket), labels mapped by `POCKET_LABELS`."""
    root = Path(data_dir) if data_dir else core.tasks.data_dir() / "sp_sw_har"
    files = sorted(root.glob("s*/s*_sp.csv.gz"))
    if not files:
        raise InputError(f"No sp_sw_har recordings under {root}; see ../shared/data/README.md for the dataset.")
    orientation = pd.read_csv(root / "executions_info.csv").set_index("execution_id")["orientation"]
    out = []
    for path in files:
        frame = pd.read_csv(path).drop_duplicates("timestamp").sort_values("timestamp")
        time_s = (frame["timestamp"].to_numpy() - frame["timestamp"].iloc[0]) / 1e3
        values = resample_50hz(time_s, frame[["x_acc", "y_acc", "z_acc", "x_gyro", "y_gyro", "z_gyro"]].to_numpy())
        labels = nearest_labels(time_s, frame["label"].map(POCKET_LABELS).to_numpy(dtype=str), len(values))
        execution = path.name.removesuffix("_sp.csv.gz")
        subject = execution.split("_")[0]
        out.append(
            Labelled(
                name=execution,
                dataset="sp_sw_har",
                person=subject,
                placement="pocket",
                position=f"pocket ({orientation.get(execution, 'unknown')})",
                acc=values[:, :3] / STANDARD_GRAVITY,
                gyro=values[:, 3:],
                labels=labels,
                test=subject in POCKET_TEST_SUBJECTS,
            )
        )
    return out


def walk_labels(n: int, first_s: float, last_s: float) -> np.ndarray:
    """Per-sample labels of an Oxford walk at 50 Hz: WALKING from its first to its last ground-truth step, empty
    (not scored, not trained on) before and after, where the walker may still be standing."""
    time_s = np.arange(n) / HAR_FS
    return np.where((time_s >= first_s) & (time_s <= last_s), "WALKING", "")


def oxford_recordings(data_dir: Path | None = None) -> list[Labelled]:
    """The Oxford walks: 48 of the `optimisation/` folder (Jamie, Carmelo, Dario; ground truth = changes of the
    step device's flag) and 12 of `validation/` (user1, user2; its cumulative ground-truth and hardware columns)."""
    root = Path(data_dir) if data_dir else core.tasks.data_dir() / "oxford_step_counter"
    out = []
    for folder in sorted((root / "optimisation" / "data").glob("*_*_*_*_*")):
        phone, person, _floor, position, n = folder.name.split("_")
        acc = pd.read_csv(folder / "accelerometer.csv.gz", header=None).to_numpy()
        counter = pd.read_csv(folder / "stepcounter.csv.gz", header=None).to_numpy()
        acc = acc[np.concatenate([[True], np.diff(acc[:, 0]) > 0])]
        values = resample_50hz((acc[:, 0] - acc[0, 0]) / 1e9, acc[:, 2:5])
        # the ground-truth device's flag changes once per step
        changes = np.flatnonzero(np.diff(counter[:, 1]) != 0) + 1
        step_s = (counter[changes, 0] - acc[0, 0]) / 1e9
        out.append(
            Labelled(
                name=folder.name,
                dataset="oxford",
                person=person.lower(),
                placement=OXFORD_PLACEMENTS[position.lower()],
                position=position.lower().replace("inhand", "hand"),
                acc=values / STANDARD_GRAVITY,
                gyro=None,
                labels=walk_labels(len(values), step_s[0], step_s[-1]),
                test=person.lower() in OXFORD_TEST_PEOPLE,
                steps=len(changes),
            )
        )
    for path in sorted((root / "validation").glob("user*_*_*.csv.gz")):
        person, position, _start = re.match(r"(user\d)_([a-z]+)_(\d+)", path.name).groups()
        table = pd.read_csv(path, header=None).to_numpy()
        table = table[np.concatenate([[True], np.diff(table[:, 0]) > 0])]
        values = resample_50hz((table[:, 0] - table[0, 0]) / 1e9, table[:, 1:4])
        hardware = int(table[-1, 6] - table[0, 6])
        stepped = np.flatnonzero(np.diff(table[:, 5]) > 0) + 1
        step_s = (table[stepped, 0] - table[0, 0]) / 1e9
        out.append(
            Labelled(
                name=path.name.removesuffix(".csv.gz"),
                dataset="oxford",
                person=person,
                placement=OXFORD_PLACEMENTS[position],
                position=position,
                acc=values / STANDARD_GRAVITY,
                gyro=None,
                labels=walk_labels(len(values), step_s[0], step_s[-1]),
                test=person in OXFORD_TEST_PEOPLE,
                steps=int(table[-1, 5] - table[0, 5]),
                hardware_steps=hardware or None,
            )
        )
    if not out:
        raise InputError(f"No Oxford step counter walks under {root}; see ../shared/data/README.md for the dataset.")
    return out
