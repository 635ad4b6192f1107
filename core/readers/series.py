"""Event and value series: heartbeat times or RR intervals (CSV), and `timestamp,value` series (the NAB format)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError, TimestampError
from core.readers import check_file
from core.readers.tabular import numeric_columns, read_table
from core.signals import rr_from_beats

RR_COLUMNS = {"rr_s": 1.0, "rr": 1.0, "rr_interval": 1.0, "rr_interval_s": 1.0, "rri": 1.0, "rr_ms": 0.001}
"""RR interval column names and the factor that turns their values into seconds."""
BEAT_COLUMNS = ("beat_time_s", "beat_time", "beat_times", "beats", "r_peak_s", "r_peaks_s")
SERIES_COLUMNS = ("timestamp", "value")
MAX_SERIES_POINTS = 200_000
"""Most points of a `timestamp,value` series one request scores (9x NAB's longest; 139 days at one a minute)."""
MAX_BEATS = 300_000
"""Most beats or RR intervals one request reads (26 hours at 190 beats/min)."""


@dataclass(frozen=True)
class BeatSeries:
    """Heartbeat times (s) and the RR interval (s) ending at each, from a beat/RR table or an ECG."""

    beat_times: np.ndarray
    rr: np.ndarray
    name: str = "beats"
    source: str = "rr"


@dataclass(frozen=True)
class ValueSeries:
    """A univariate series: values and their timestamps (datetimes as ISO strings, or seconds)."""

    values: np.ndarray
    timestamps: np.ndarray
    name: str = "series"


def header_columns(path: Path) -> list[str]:
    """Lower-case column names of a delimited text file's first line that is neither blank nor a `#` comment."""
    with path.open("r", errors="replace") as handle:
        for line in handle:
            if line.strip() and not line.lstrip().startswith("#"):
                return [c.strip().lower() for c in line.replace(";", ",").replace("\t", ",").split(",")]
    return []


def read_series(path: str | Path) -> ValueSeries:
    """A `timestamp,value` CSV (the NAB format); timestamps are datetimes or seconds."""
    path = check_file(path)
    frame = read_table(path, max_rows=MAX_SERIES_POINTS)
    lower = {c.lower(): c for c in frame.columns}
    values = numeric_columns(frame[[lower["value"]]], path.name).to_numpy()[:, 0]
    raw = frame[lower["timestamp"]]
    numeric = pd.to_numeric(raw, errors="coerce")
    if numeric.notna().all():
        timestamps = numeric.to_numpy(dtype=float)
    else:
        parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
        if parsed.isna().any():
            row = int(parsed.isna().to_numpy().argmax())
            raise TimestampError(
                f"File {path.name!r} has an unparseable timestamp {raw.iloc[row]!r} in row {row + 2}; "
                "write timestamps as 'YYYY-MM-DD HH:MM:SS' or as seconds."
            )
        timestamps = parsed.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy()
    missing = ~np.isfinite(values)
    if missing.all():
        raise InputError(f"File {path.name!r} has no numeric values in column 'value'; fill it with numbers.")
    if missing.any():  # isolated gaps in monitoring series are common; interpolate them
        values[missing] = np.interp(np.flatnonzero(missing), np.flatnonzero(~missing), values[~missing])
    return ValueSeries(values=values, timestamps=timestamps, name=path.stem)


def read_beats(path: str | Path) -> BeatSeries:
    """A CSV of beat times (s) and/or RR intervals (s, or ms in a column named rr_ms)."""
    path = check_file(path)
    frame = read_table(path, max_rows=MAX_BEATS)
    lower = {c.lower(): c for c in frame.columns}
    beat_column = next((lower[c] for c in BEAT_COLUMNS if c in lower), None)
    rr_column = next((c for c in RR_COLUMNS if c in lower), None)
    if beat_column is not None:
        times = numeric_columns(frame[[beat_column]], path.name).to_numpy()[:, 0]
        times = times[np.isfinite(times)]
        beat_times, rr = rr_from_beats(times)
    else:
        rr = numeric_columns(frame[[lower[rr_column]]], path.name).to_numpy()[:, 0] * RR_COLUMNS[rr_column]
        rr = rr[np.isfinite(rr)]
        beat_times = np.cumsum(rr)
    return BeatSeries(beat_times=beat_times, rr=rr, name=path.stem)
