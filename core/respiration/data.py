"""The respiration task's real datasets: NAB (known-cause series), Apnea-ECG (beats + minute labels), BIDMC record 01."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError
import core.tasks

NAB_SERIES = (
    "ambient_temperature_system_failure",
    "cpu_utilization_asg_misconfiguration",
    "ec2_request_latency_system_failure",
    "machine_temperature_system_failure",
    "nyc_taxi",
)
"""The five known-cause NAB series of Lin et al. (2020)."""
APNEA_TEST_RECORDS = ("a03", "a07", "a11", "a15", "a19", "b03", "c03", "c07")
"""Held-out Apnea-ECG records (5 apnea, 1 borderline, 2 control): no minute of them is trained on or tuned on."""
APNEA_VAL_RECORDS = ("a02", "a10", "a17", "b02", "c05")
"""Records of the training part kept for early stopping and threshold choice."""


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise InputError(f"The {what} is not at {path}; set PHYSIOSPACES_DATA to the folder that holds the shared data.")
    return path


@dataclass(frozen=True)
class NABSeries:
    """One NAB series: timestamps, values, a per-point anomaly-window mask and the window limits."""

    name: str
    timestamps: pd.DatetimeIndex
    values: np.ndarray
    labels: np.ndarray
    windows: list[tuple[pd.Timestamp, pd.Timestamp]]

    @property
    def train_end(self) -> int:
        """Index where the anomaly-free beginning ends: the first anomaly window's start (Lin et al.'s training part)."""
        return int(np.argmax(self.labels)) if self.labels.any() else len(self.values)


def nab_series(relative: str, data_dir: str | Path | None = None) -> NABSeries:
    """A NAB series by its path relative to `nab/data` (e.g. "realKnownCause/nyc_taxi.csv"), with its labelled windows."""
    root = _require(Path(data_dir) if data_dir else core.tasks.data_dir() / "nab", "NAB corpus")
    frame = pd.read_csv(root / "data" / relative)
    timestamps = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"]))
    windows = json.loads((root / "labels" / "combined_windows.json").read_text())[relative]
    limits = [(pd.Timestamp(start), pd.Timestamp(end)) for start, end in windows]
    labels = np.zeros(len(frame), dtype=bool)
    for start, end in limits:
        labels |= (timestamps >= start) & (timestamps <= end)
    return NABSeries(Path(relative).stem, timestamps, frame["value"].to_numpy(dtype=float), labels, limits)


def nab_known_cause(data_dir: str | Path | None = None) -> list[NABSeries]:
    """The five known-cause series of Lin et al."""
    return [nab_series(f"realKnownCause/{name}.csv", data_dir) for name in NAB_SERIES]


def nab_corpus(data_dir: str | Path | None = None) -> list[str]:
    """Relative paths of every series in the NAB corpus (58)."""
    root = _require(Path(data_dir) if data_dir else core.tasks.data_dir() / "nab", "NAB corpus")
    return sorted(json.loads((root / "labels" / "combined_windows.json").read_text()))


def apnea_ecg(data_dir: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apnea-ECG beats (record, beat_time_s, rr_s) of all 70 records and minute labels (record, minute, label 0/1) of 35."""
    root = _require(Path(data_dir) if data_dir else core.tasks.data_dir() / "respiration" / "apnea_ecg", "Apnea-ECG data")
    beats = pd.read_csv(root / "rr_intervals.csv.gz")
    labels = pd.read_csv(root / "apnea_minute_labels.csv")
    labels["label"] = (labels["label"] == "A").astype(int)
    return beats, labels


def bidmc_01(data_dir: str | Path | None = None) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """BIDMC record 01: the RESP waveform, its rate (125 Hz), and both annotators' breath sample indices."""
    root = _require(Path(data_dir) if data_dir else core.tasks.data_dir() / "respiration" / "bidmc", "BIDMC data")
    signals = pd.read_csv(root / "bidmc_01_Signals.csv.gz")
    signals.columns = [c.strip() for c in signals.columns]
    breaths = pd.read_csv(root / "bidmc_01_Breaths.csv")
    return (signals["RESP"].to_numpy(dtype=float), 125.0,
            breaths.iloc[:, 0].dropna().to_numpy(dtype=int), breaths.iloc[:, 1].dropna().to_numpy(dtype=int))
