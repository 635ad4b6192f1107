"""Kaggle-style beat rows ("ECG Heartbeat Categorization"): pre-cut heartbeats, one per CSV row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
from core.readers import check_file
from core.readers.tabular import numeric_columns

BEAT_ROW_LENGTH = 187
"""Samples per beat row (1.5 s at 125 Hz); an optional extra column holds the label."""


@dataclass(frozen=True)
class BeatRows:
    """Pre-cut 187-sample beats, one per row, as in the Kaggle heartbeat CSVs
    (an optional 188th column is the label)."""

    beats: np.ndarray
    labels: np.ndarray | None
    name: str = "beats"


def looks_like_beat_rows(path: str | Path) -> bool:
    """True when the file's first line is 187 or 188 numbers, as a beat-row CSV starts."""
    with Path(path).open("r", errors="replace") as handle:
        first = handle.readline()
    fields = first.strip().split(",")
    if len(fields) not in (BEAT_ROW_LENGTH, BEAT_ROW_LENGTH + 1):
        return False
    try:
        [float(f) for f in fields]
    except ValueError:
        return False
    return True


def read_beat_rows(path: str | Path) -> BeatRows:
    """Kaggle-style heartbeat CSV: rows of 187 values in [0, 1] at 125 Hz, optionally a 188th label column (0-4)."""
    path = check_file(path)
    try:
        table = pd.read_csv(path, header=None)
    except (pd.errors.ParserError, ValueError):  # rows of other lengths; UnicodeDecodeError is a ValueError
        raise InputError(
            f"File {path.name!r} starts as beat rows but a later row is not {BEAT_ROW_LENGTH} or "
            f"{BEAT_ROW_LENGTH + 1} comma-separated numbers; give every row the same length, or upload the raw ECG."
        ) from None
    frame = numeric_columns(table, path.name)
    values = frame.to_numpy()
    if not np.isfinite(values).all():
        raise InputError(f"File {path.name!r} has empty or NaN cells in its beat rows; every row needs 187 numbers.")
    labels = values[:, BEAT_ROW_LENGTH].astype(int) if values.shape[1] == BEAT_ROW_LENGTH + 1 else None
    return BeatRows(beats=values[:, :BEAT_ROW_LENGTH].astype(np.float32), labels=labels, name=path.stem)
