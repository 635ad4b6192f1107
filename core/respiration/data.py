"""The respiration task's real datasets: NAB (known-cause series), Apnea-ECG (beats + minute labels),
BIDMC record 01."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import core.tasks
from core.errors import InputError

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
        raise InputError(
            f"The {what} is not at {path}; set PHYSIOSPACES_DATA to the folder that holds the shared data."
        )
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
        """Index where the anomaly-free beginning ends: the first anomaly window's start
        (Lin et al.'s training part)."""
        return int(np.argmax(self.labels)) if self.labels.any() else len(self.values)


def nab_series(relative: str, data_dir: str | Path | None = None) -> NABSeries:
    """A NAB series by its path relative to `nab/data` (e.g. "realKnownCause/nyc_taxi.csv"),
    with its labelled windows."""
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
    """Apnea-ECG beats (record, beat_time_s, rr_s) of all 70 records and minute labels (record, minute,
    label 0/1) of 35."""
    root = _require(
        Path(data_dir) if data_dir else core.tasks.data_dir() / "respiration" / "apnea_ecg", "Apnea-ECG data"
    )
    beats = pd.read_csv(root / "rr_intervals.csv.gz")
    labels = pd.read_csv(root / "apnea_minute_labels.csv")
    labels["label"] = (labels["label"] == "A").astype(int)
    return beats, labels


BIDMC_RECORDS = tuple(range(1, 41))
"""The BIDMC records in the shared data (01-40 of the 53)."""
BIDMC_FS = 125.0


def bidmc_record(number: int, data_dir: str | Path | None = None) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """One BIDMC record: the RESP waveform, its rate (125 Hz), and both annotators' breath sample indices."""
    root = _require(Path(data_dir) if data_dir else core.tasks.data_dir() / "respiration" / "bidmc", "BIDMC data")
    signals = pd.read_csv(root / f"bidmc_{number:02d}_Signals.csv.gz", usecols=lambda c: c.strip() == "RESP")
    breaths = pd.read_csv(root / f"bidmc_{number:02d}_Breaths.csv")
    return (
        signals.iloc[:, 0].to_numpy(dtype=float),
        BIDMC_FS,
        breaths.iloc[:, 0].dropna().to_numpy(dtype=int),
        breaths.iloc[:, 1].dropna().to_numpy(dtype=int) if breaths.shape[1] > 1 else np.array([], dtype=int),
    )


def bidmc_01(data_dir: str | Path | None = None) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """BIDMC record 01 (see `bidmc_record`)."""
    return bidmc_record(1, data_dir)


# The dataset outside training: the Hub dataset repo and the explorer's sample (the registry's dataset_repo and
# explore).
from core.datasets import DatasetRepo, ExploreSample, HubColumns  # noqa: E402


def dataset_repo(*, limit: int | None = None) -> DatasetRepo:
    """The Hub dataset repo: Apnea-ECG minutes (RR intervals and apnea label, split by record) and the five NAB
    known-cause series; `limit` keeps the first `limit` rows of every split (of every series for NAB)."""
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    beats, labels = apnea_ecg()
    beats = beats.dropna(subset=["rr_s"])
    beats["minute"] = (beats["beat_time_s"] // 60).astype(int)
    grouped = {key: part for key, part in beats.groupby(["record", "minute"])}
    minute_features = Features(
        {
            "record": Value("string"),
            "minute": Value("int32"),
            "start_s": Value("float32"),
            "label": ClassLabel(names=["normal", "apnea"]),
            "beat_time_s": Sequence(Value("float32")),
            "rr_s": Sequence(Value("float32")),
        }
    )

    def minutes(records) -> Dataset:
        part = labels[labels["record"].isin(records)]
        part = part.iloc[:limit] if limit else part
        empty = pd.DataFrame({"beat_time_s": [], "rr_s": []})
        groups = [grouped.get((r, m), empty) for r, m in zip(part["record"], part["minute"])]
        return Dataset.from_dict(
            {
                "record": part["record"].tolist(),
                "minute": part["minute"].tolist(),
                "start_s": part["start_s"].tolist(),
                "label": part["label"].tolist(),
                "beat_time_s": [g["beat_time_s"].tolist() for g in groups],
                "rr_s": [g["rr_s"].tolist() for g in groups],
            },
            features=minute_features,
        )

    records = sorted(labels["record"].unique())
    held_out = set(APNEA_TEST_RECORDS) | set(APNEA_VAL_RECORDS)
    nab_features = Features(
        {
            "series": Value("string"),
            "timestamp": Value("timestamp[s]"),
            "value": Value("float64"),
            "anomaly_window": Value("bool"),
        }
    )

    def nab(part: str) -> Dataset:
        columns = {name: [] for name in nab_features}
        for series in nab_known_cause():
            cut = slice(0, series.train_end) if part == "train" else slice(series.train_end, None)
            index = np.arange(len(series.values))[cut][:limit] if limit else np.arange(len(series.values))[cut]
            columns["series"] += [series.name] * len(index)
            columns["timestamp"] += series.timestamps[index].to_pydatetime().tolist()
            columns["value"] += series.values[index].tolist()
            columns["anomaly_window"] += series.labels[index].tolist()
        return Dataset.from_dict(columns, features=nab_features)

    return DatasetRepo(
        {
            "apnea_minutes": {
                "train": minutes([r for r in records if r not in held_out]),
                "validation": minutes(list(APNEA_VAL_RECORDS)),
                "test": minutes(list(APNEA_TEST_RECORDS)),
            },
            "nab": {"train": nab("train"), "test": nab("test")},
        },
        license="other",
        extra_license={
            "license_name": "odc-by-and-mit",
            "license_details": "Config `apnea_minutes`: Apnea-ECG Database, "
            "ODC-By 1.0 (PhysioNet). Config `nab`: Numenta Anomaly Benchmark data, MIT License (Numenta Inc.).",
        },
        citation="Penzel T, Moody GB, Mark RG, Goldberger AL, Peter JH. The Apnea-ECG Database. Computers in "
        "Cardiology 27:255-258 (2000). Lavin A, Ahmad S. Evaluating Real-time Anomaly Detection Algorithms - the "
        "Numenta Anomaly Benchmark. IEEE ICMLA 2015. Lin S et al. Anomaly Detection for Time Series Using VAE-LSTM "
        "Hybrid Model. ICASSP 2020.",
        description="Config `apnea_minutes`: one row per expert-labelled minute of the 35 Apnea-ECG learning records, "
        "with the beat times and RR intervals (s) inside it; split by record (8 test, 5 validation, 22 train). Config "
        "`nab`: the five known-cause NAB series of Lin et al. point by point with the labelled anomaly windows; "
        "`train` is each series' anomaly-free beginning (before the first window), `test` the rest.",
        source="https://physionet.org/content/apnea-ecg/1.0.0/ and https://github.com/numenta/NAB",
    )


def explore_sample() -> ExploreSample:
    """The explorer's examples: every labelled Apnea-ECG minute (its RR intervals, s), labelled normal or apnea and
    grouped by record."""
    beats, minutes = apnea_ecg()
    by_record = dict(list(beats.dropna(subset=["rr_s"]).groupby("record")))

    def signal(i: int) -> np.ndarray:
        record, start = by_record[minutes["record"].iloc[i]], minutes["start_s"].iloc[i]
        return record["rr_s"].to_numpy(float)[(record["beat_time_s"] >= start) & (record["beat_time_s"] < start + 60)][
            :, None
        ]

    labels = np.where(minutes["label"] == 1, "apnea", "normal")
    return ExploreSample(
        pd.DataFrame({"label": labels, "group": minutes["record"]}),
        signal,
        None,
        "record",
        ("RR interval (s)",),
        "Apnea-ECG minutes (local)",
    )


EXPLORE_HUB_COLUMNS = HubColumns(signal="rr_s", group="record", config="apnea_minutes")
"""Where `explore_sample`'s examples are in the dataset repo, for the explorer without the raw data."""
