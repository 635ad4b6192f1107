"""The dataset browser's data: one label and one group (subject, record, runner) per example, and each example's signal.

Reads the raw data with the tasks' own loaders when it is present (PHYSIOSPACES_DATA), else the dataset repo on the Hub.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from core import get_task
from core.tasks import ROOT

DATA_DIR = os.environ.get("PHYSIOSPACES_DATA", str(ROOT.parent / "shared" / "data"))
NAMESPACE = os.environ.get("PHYSIOSPACES_NAMESPACE", "physiospaces")


@dataclass(frozen=True)
class Browse:
    """Examples of one task: `frame` has `label` and `group` columns; `signal(i)` is example i's (time, channels) array."""

    frame: pd.DataFrame
    signal: Callable[[int], np.ndarray]
    fs: float | None
    group_name: str
    channels: tuple[str, ...]
    source: str


def _intensity(speed_kmh: np.ndarray) -> str:
    median = float(np.nanmedian(speed_kmh)) if len(speed_kmh) else 0.0
    return "recovery (<9 km/h)" if median < 9 else "steady (9-12 km/h)" if median <= 12 else "intensive (>12 km/h)"


def _local(name: str) -> Browse:
    if name == "ecg":
        from core.ecg.data import load_beats

        beats = load_beats()
        labels = np.array(get_task("ecg").labels)[beats["label"]]
        return Browse(pd.DataFrame({"label": labels, "group": beats["record"]}), lambda i: beats["beats"][i][:, None], 125.0,
                      "record", ("ECG",), "MIT-BIH Arrhythmia Database (local)")
    if name == "har":
        from core.har.data import CHANNELS, load_split

        data = load_split("test")
        labels = np.array(get_task("har").labels)[data["y"]]
        return Browse(pd.DataFrame({"label": labels, "group": data["subject"]}), lambda i: data["X"][i, :, :3], 50.0, "subject",
                      CHANNELS[:3], "UCI HAR test split (local)")
    if name == "hr":
        from core.hr.data import workouts_path

        frame = pd.read_parquet(workouts_path())
        labels = [_intensity(np.asarray(s, float)) for s in frame["speed"]]

        def signal(i: int) -> np.ndarray:
            return np.column_stack([np.asarray(frame["heart_rate"].iloc[i], float), np.asarray(frame["speed"].iloc[i], float)])

        return Browse(pd.DataFrame({"label": labels, "group": frame["userId"]}), signal, None, "runner",
                      ("heart rate (bpm)", "speed (km/h)"), "running workouts (local)")
    from core.respiration.data import apnea_ecg

    beats, minutes = apnea_ecg()
    by_record = dict(list(beats.dropna(subset=["rr_s"]).groupby("record")))

    def signal(i: int) -> np.ndarray:
        record, start = by_record[minutes["record"].iloc[i]], minutes["start_s"].iloc[i]
        return record["rr_s"].to_numpy(float)[(record["beat_time_s"] >= start) & (record["beat_time_s"] < start + 60)][:, None]

    labels = np.where(minutes["label"] == 1, "apnea", "normal")
    return Browse(pd.DataFrame({"label": labels, "group": minutes["record"]}), signal, None, "record", ("RR interval (s)",),
                  "Apnea-ECG minutes (local)")


_HUB_COLUMNS = {"ecg": (None, "beat", "record", 125.0), "har": (None, "signal", "subject", 50.0),
                "hr": (None, "heart_rate", "user", None), "respiration": ("apnea_minutes", "rr_s", "record", None)}


def _hub(name: str) -> Browse:
    from datasets import load_dataset

    repo_id = f"{NAMESPACE}/{get_task(name).hub.dataset.split('/')[1]}"
    config, signal, group, fs = _HUB_COLUMNS[name]
    data = load_dataset(repo_id, config, split="test")
    label = data.features.get("label")
    labels = [label.int2str(v) for v in data["label"]] if label is not None else ["run"] * len(data)
    return Browse(pd.DataFrame({"label": labels, "group": data[group]}),
                  lambda i: np.asarray(data[i][signal], float).reshape(len(data[i][signal]), -1), fs, group, (signal,),
                  f"{repo_id} (Hub, test split)")


def browse(name: str) -> Browse:
    """Examples of task `name`, from the local raw data when present, else from its dataset repo on the Hub."""
    needed = {"ecg": "mitdb", "har": "uci_har", "hr": "running_hr", "respiration": "respiration"}[name]
    return _local(name) if os.path.isdir(os.path.join(DATA_DIR, needed)) else _hub(name)
