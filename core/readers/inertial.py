"""Inertial recordings: a phone's raw accelerometer (+ optional gyroscope) CSV with a time column, and the original
UCI HAR release layout (`UCI HAR Dataset/<split>/Inertial Signals/*.txt`, as a zip or a folder)."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import FileTooLargeError, InputError, SamplingRateError, TimestampOrderError, UnitError
from core.readers import MAX_FILE_BYTES, Recording, check_file
from core.readers.tabular import fill_short_gaps, numeric_columns, read_table

STANDARD_GRAVITY = 9.80665
ACC_UNITS = ("auto", "g", "m/s^2")
GYRO_UNITS = ("auto", "rad/s", "deg/s")
TIME_NAMES = ("time", "t", "seconds", "time_s", "timestamp", "time_ms", "ms", "millis", "milliseconds", "time_ns", "ns")
MAX_GAP_S = 1.0
"""Missing stretches (NaN runs or jumps between timestamps) up to this long are bridged; longer ones are refused."""
GRAVITY_RANGE = {"g": (0.5, 2.0), "m/s^2": (5.0, 20.0)}
"""Median magnitude of the accelerometer (gravity plus motion) that each unit gives for a phone on a person."""
_ACC = re.compile(r"^(?:total)?(?:acc|accel|accelerometer|acceleration|a)([xyz])$")
_ACC_SUFFIX = re.compile(r"^([xyz])(?:acc|accel|accelerometer|acceleration)$")
_GYRO = re.compile(r"^(?:body)?(?:gyro|gyroscope|gyr|rotationrate|angularvelocity|g|w)([xyz])$")
_GYRO_SUFFIX = re.compile(r"^([xyz])(?:gyro|gyroscope|gyr)$")
UCI_CHANNELS = (
    "body_acc_x",
    "body_acc_y",
    "body_acc_z",
    "body_gyro_x",
    "body_gyro_y",
    "body_gyro_z",
    "total_acc_x",
    "total_acc_y",
    "total_acc_z",
)
"""UCI HAR "Inertial Signals" files, in the release's order: accelerations in g, angular velocity in rad/s."""
UCI_WINDOW = 128
"""Samples per row of a UCI HAR inertial signal file (2.56 s at 50 Hz)."""

MAX_UCI_WINDOWS = 10_000
"""Most windows one UCI upload may hold (the release's largest split, train, has 7,352)."""
UCI_RANGES = {"labels": (1, 6), "subjects": (1, 10_000)}
"""Accepted values of `y_<split>.txt` (activities 1-6) and `subject_<split>.txt` (volunteer numbers)."""


def _key(column: str) -> str:
    """Lower-case column name without units in brackets and without separators: 'Acc X (m/s^2)' -> 'accx'."""
    return re.sub(r"[^a-z0-9]", "", re.sub(r"[\(\[].*?[\)\]]", "", column.lower()))


def _shown(columns: list[str]) -> list[str]:
    """Column names for a message, each cut to 40 characters (an upload's header line can be megabytes)."""
    return [column if len(column) <= 40 else column[:37] + "..." for column in columns]


def _find(columns: list[str], pattern: re.Pattern, suffix: re.Pattern) -> dict[str, str]:
    """Axis -> column for the columns matching a sensor's name patterns."""
    found = {}
    for column in columns:
        match = pattern.match(_key(column)) or suffix.match(_key(column))
        if match and match.group(1) not in found:
            found[match.group(1)] = column
    return found


def _time_seconds(values: np.ndarray, column: str) -> tuple[np.ndarray, str]:
    """Timestamps in seconds from s, ms or ns, by the column name or else by the typical step (10-200 Hz)."""
    key = _key(column)
    steps = np.diff(values)
    step = float(np.median(steps)) if len(steps) else 0.0
    if key in ("timens", "ns") or step > 1e5:
        unit = "ns"
    elif key in ("timems", "ms", "millis", "milliseconds") or step >= 1.0:
        unit = "ms"
    else:
        unit = "s"
    scale = {"s": 1.0, "ms": 1e-3, "ns": 1e-9}[unit]
    return (values - values[0]) * scale, unit


def check_timestamps(time: np.ndarray, name: str) -> float:
    """The nominal rate (1 / median step) of strictly increasing timestamps without gaps over MAX_GAP_S."""
    steps = np.diff(time)
    bad = np.flatnonzero(steps <= 0)
    if len(bad):
        kind = "duplicated" if steps[bad[0]] == 0 else "going backwards"
        raise TimestampOrderError(
            f"File {name!r} has timestamps {kind} at row {bad[0] + 3} (t={time[bad[0] + 1]:.3f} s after "
            f"{time[bad[0]]:.3f} s); sort the rows by time and drop duplicate rows."
        )
    if steps.max() > MAX_GAP_S:
        where = int(steps.argmax())
        raise InputError(
            f"File {name!r} has a {steps[where]:.1f} s gap in its timestamps after t={time[where]:.2f} s; gaps up to "
            f"{MAX_GAP_S:g} s are bridged, so split the recording at longer ones."
        )
    return 1.0 / float(np.median(steps))


def acc_units(acc: np.ndarray, name: str, units: str = "auto") -> str:
    """The accelerometer unit, "g" or "m/s^2": detected from the median magnitude (gravity included), or `units`
    checked to be within a factor of 4 of gravity."""
    if units not in ACC_UNITS:
        raise UnitError(f"Unknown accelerometer unit {units!r}; accepted are {list(ACC_UNITS)}.")
    if not len(acc):  # nothing to convert; the task's length check names the problem
        return "g" if units == "auto" else units
    magnitude = float(np.median(np.linalg.norm(acc, axis=1)))
    if units == "auto":
        fitting = [unit for unit, (low, high) in GRAVITY_RANGE.items() if low <= magnitude <= high]
        if fitting:
            return fitting[0]
        expected = "about 1 in g or 9.8 in m/s^2"
    else:
        gravity = 1.0 if units == "g" else STANDARD_GRAVITY
        if gravity / 4 <= magnitude <= gravity * 4:
            return units
        expected = f"about {gravity:.3g} in {units}"
    raise UnitError(
        f"File {name!r} has a median accelerometer magnitude of {magnitude:.3g}, expected {expected} (gravity "
        "included); convert the columns to g or m/s^2 (not mg, not gravity-removed 'linear acceleration') or choose "
        "the right unit."
    )


def gyro_units(gyro: np.ndarray, units: str = "auto") -> str:
    """The gyroscope unit: `units`, or "deg/s" when rates exceed what a body turns in rad/s (95th percentile > 15)."""
    if units not in GYRO_UNITS:
        raise UnitError(f"Unknown gyroscope unit {units!r}; accepted are {list(GYRO_UNITS)}.")
    if units != "auto":
        return units
    return "deg/s" if float(np.percentile(np.abs(gyro), 95)) > 15.0 else "rad/s"


def read_inertial_csv(path: str | Path, *, fs: float | None = None) -> Recording:
    """A phone recording: a time column (s, ms or ns; irregular steps allowed) or `fs`, accelerometer x/y/z and
    optional gyroscope x/y/z, in the file's own units (see `inertial_units`). Timestamps are returned in seconds."""
    path = check_file(path)
    frame = read_table(path)
    columns = list(frame.columns)
    acc = _find(columns, _ACC, _ACC_SUFFIX)
    gyro = _find([c for c in columns if c not in acc.values()], _GYRO, _GYRO_SUFFIX)
    if len(acc) < 3:
        raise InputError(
            f"File {path.name!r} has no accelerometer x/y/z columns (found {_shown(columns)}); name them acc_x, acc_y, "
            "acc_z (optionally gyro_x, gyro_y, gyro_z) next to a time column."
        )
    time_column = next((c for c in columns if _key(c) in {_key(t) for t in TIME_NAMES}), None)
    if time_column is None and fs is None:
        raise SamplingRateError(
            f"File {path.name!r} has no time column (found {_shown(columns)}); add a 'time' column in seconds or "
            "milliseconds, or give the sampling rate."
        )
    picked = [acc[a] for a in "xyz"] + ([gyro[a] for a in "xyz"] if len(gyro) == 3 else [])
    values = numeric_columns(frame[picked], path.name).to_numpy()
    meta = {"source_columns": picked}
    if time_column is not None:
        raw_time = numeric_columns(frame[[time_column]], path.name).to_numpy()[:, 0]
        if not np.isfinite(raw_time).all():
            raise InputError(
                f"File {path.name!r} has empty or non-numeric timestamps in column {time_column!r}; fill or drop those "
                "rows."
            )
        time, meta["time_unit"] = _time_seconds(raw_time, time_column)
        fs = check_timestamps(time, path.name)
    else:
        time = np.arange(len(values)) / float(fs)
    values = fill_short_gaps(values, float(fs), path.name, max_gap_s=MAX_GAP_S)
    channels = ("acc_x", "acc_y", "acc_z") + (("gyro_x", "gyro_y", "gyro_z") if len(picked) == 6 else ())
    return Recording(signal=values, fs=float(fs), channels=channels, name=path.stem, time=time, meta=meta)


def inertial_units(recording: Recording, *, acc_unit: str = "auto", gyro_unit: str = "auto") -> Recording:
    """The recording with accelerations in g and angular rates in rad/s; units detected ("auto") or as given."""
    values = recording.signal.copy()
    meta = dict(recording.meta)
    meta["acc_unit"] = acc_units(values[:, :3], recording.name, acc_unit)
    if meta["acc_unit"] == "m/s^2":
        values[:, :3] /= STANDARD_GRAVITY
    if values.shape[1] == 6:
        meta["gyro_unit"] = gyro_units(values[:, 3:], gyro_unit)
        if meta["gyro_unit"] == "deg/s":
            values[:, 3:] = np.deg2rad(values[:, 3:])
    return dataclasses.replace(recording, signal=values, meta=meta)


@dataclass(frozen=True)
class UCIWindows:
    """Windows of the original UCI HAR release: X (n, 128, 9) in UCI order, labels 1-6 and subjects when present."""

    windows: np.ndarray
    labels: np.ndarray | None = None
    subjects: np.ndarray | None = None
    name: str = "uci_har"


def _uci_files(names: list[str]) -> dict[str, str]:
    """Split name -> folder prefix for every `<prefix><split>/Inertial Signals/` in a listing."""
    found = {}
    for name in names:
        match = re.match(r"^(.*?)(train|test)/Inertial Signals/body_acc_x_(?:train|test)\.txt$", name)
        if match:
            found[match.group(2)] = match.group(1)
    return found


def read_uci_inertial(path: str | Path, *, split: str = "test") -> UCIWindows:
    """The nine `Inertial Signals/*.txt` files of one split from the UCI HAR zip (or its unpacked folder), with
    `y_<split>.txt` and `subject_<split>.txt` when present."""
    path = Path(path)
    if path.is_dir():
        names = [p.relative_to(path).as_posix() for p in path.rglob("*.txt")]
        opener = lambda name: (path / name).open("rb")  # noqa: E731
    else:
        path = check_file(path)
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise InputError(
                f"File {path.name!r} is not a zip archive; upload the UCI HAR Dataset zip or a CSV."
            ) from None
        # members by their name with '/' (some Windows tools write backslashes)
        members = {info.filename.replace("\\", "/"): info for info in archive.infolist()}
        names = list(members)
        opener = lambda name: archive.open(members[name])  # noqa: E731
    prefixes = _uci_files(names)
    if split not in prefixes:
        raise InputError(
            f"{path.name!r} has no 'UCI HAR Dataset/{split}/Inertial Signals/' folder (splits found: "
            f"{sorted(prefixes)}); upload the dataset zip as downloaded from UCI."
        )
    folder = f"{prefixes[split]}{split}/"

    def table(name: str) -> np.ndarray:
        if not path.is_dir() and members[folder + name].file_size > MAX_FILE_BYTES:
            raise FileTooLargeError(
                f"{name!r} in {path.name!r} unpacks to {members[folder + name].file_size / 2**20:.0f} MiB, "
                f"over the {MAX_FILE_BYTES / 2**20:.0f} MiB limit per file; upload the dataset zip as downloaded from "
                "UCI."
            )
        try:
            with opener(folder + name) as handle:
                text = handle.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:  # EOFError: a member cut inside its data
            raise InputError(
                f"{name!r} in {path.name!r} cannot be unpacked ({exc}); upload the dataset zip as downloaded from UCI."
            ) from None
        if text.count(b"\n") > MAX_UCI_WINDOWS:
            raise FileTooLargeError(
                f"{name!r} in {path.name!r} has over {MAX_UCI_WINDOWS:,} rows (windows), the limit of one request; "
                "upload one split of the UCI HAR Dataset or a shorter part of it."
            )
        try:
            return pd.read_csv(io.BytesIO(text), sep=r"\s+", header=None, dtype=float).to_numpy()
        except ValueError as exc:  # pandas' parser errors, text cells and undecodable bytes
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise InputError(
                f"{name!r} in {path.name!r} is not a table of numbers ({reason}); upload the dataset zip as "
                "downloaded from UCI."
            ) from None

    try:
        signals = [table(f"Inertial Signals/{signal}_{split}.txt") for signal in UCI_CHANNELS]
    except KeyError as exc:
        raise InputError(
            f"{path.name!r} is missing an inertial signal file ({exc}); the nine files of a split belong together."
        ) from None
    if len({s.shape for s in signals}) != 1 or signals[0].shape[1] != UCI_WINDOW:
        raise InputError(
            f"The inertial signal files in {path.name!r} differ in shape {[s.shape for s in signals]}; each needs "
            f"{UCI_WINDOW} values per row."
        )
    if not all(np.isfinite(s).all() for s in signals):
        raise InputError(
            f"The inertial signal files in {path.name!r} hold empty, NaN or infinite values; upload the dataset zip "
            "as downloaded from UCI."
        )
    optional = {}
    for key, name in (("labels", f"y_{split}.txt"), ("subjects", f"subject_{split}.txt")):
        if f"{folder}{name}" not in names:
            continue
        values, (low, high) = table(name), UCI_RANGES[key]
        if values.shape != (len(signals[0]), 1):
            raise InputError(
                f"{name!r} in {path.name!r} has {values.size} values in {values.shape[0]} rows for {len(signals[0])} "
                "windows; it needs one number per row, one row per window."
            )
        column = values[:, 0]
        wrong = (column < low) | (column > high) | (column != np.round(column))
        if wrong.any():
            bad = column[wrong][0]
            raise InputError(
                f"{name!r} in {path.name!r} holds {bad:g}, not a whole number from {low} to {high}; upload the "
                "dataset zip as downloaded from UCI."
            )
        optional[key] = column.astype(int)
    return UCIWindows(windows=np.stack(signals, axis=2).astype(np.float32), name=path.stem, **optional)
