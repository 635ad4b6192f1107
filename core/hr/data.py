"""The 129 real running workouts of `running_hr/running_workouts.parquet`, and the two evaluation protocols.

user: split by runner, so test runners are unseen in training. The two multi-run collections (pseudo-users with
57 and 31 runs) stay in training: in test they would make one person 40-70 % of the samples. The 41 single-file
runners are shuffled with the seed; 12 go to test, 7 to validation, the rest to training.
chrono (FitRec): per runner with at least 3 runs, the earliest 80 % of runs train, the next 10 % validate and the
latest 10 % test (at least one run each); runners with fewer runs train only.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from core.errors import ConfigError, InputError
from core.readers import Recording
from core.readers.workouts import workout_recording
import core.tasks

PROTOCOLS = ("user", "chrono")
USER_TEST_RUNNERS = 12
USER_VAL_RUNNERS = 7


@dataclass(frozen=True)
class Workout:
    """One parquet row as the reader would return it, with what the split and the licence need."""

    recording: Recording
    workout_id: int
    user: int
    start_time: float
    license: str
    source: str
    source_file: str


def workouts_path(data_dir: str | Path | None = None) -> Path:
    path = Path(data_dir) if data_dir else core.tasks.data_dir() / "running_hr" / "running_workouts.parquet"
    if path.is_dir():
        path = path / "running_workouts.parquet"
    if not path.is_file():
        raise InputError(f"No running workouts at {path}; point --data-dir at running_workouts.parquet (see ../shared/data/README.md).")
    return path


def load_workouts(data_dir: str | Path | None = None) -> list[Workout]:
    """Every workout of the parquet, through the same `workout_recording` checks as an uploaded file."""
    import pandas as pd

    frame = pd.read_parquet(workouts_path(data_dir))
    workouts = []
    for row in tqdm(frame.itertuples(index=False), total=len(frame), desc="reading workouts", leave=False):
        recording = workout_recording(
            time_s=row.timestamp, speed_kmh=row.speed, altitude_m=row.altitude, heart_rate=row.heart_rate,
            latitude=row.latitude, longitude=row.longitude, name=f"workout-{row.workout_id}", sport=row.sport,
            gender=row.gender, source_format=row.file_format,
        )
        workouts.append(Workout(recording, int(row.workout_id), int(row.userId), row.start_time.timestamp(),
                                row.license, row.source, row.source_file))
    return workouts


def protocol_split(workouts: list[Workout], protocol: str, *, seed: int = 0) -> tuple[list[int], list[int], list[int]]:
    """Indices of the train, validation and test workouts under `protocol` ("user" or "chrono")."""
    if protocol not in PROTOCOLS:
        raise ConfigError(f"Unknown protocol {protocol!r}; accepted are {list(PROTOCOLS)}.")
    by_user: dict[int, list[int]] = {}
    for i, workout in enumerate(workouts):
        by_user.setdefault(workout.user, []).append(i)
    train, val, test = [], [], []
    if protocol == "user":
        singles = sorted(user for user, runs in by_user.items() if len(runs) <= 2)
        order = np.random.default_rng(seed).permutation(singles)
        test_users = set(order[:USER_TEST_RUNNERS].tolist())
        val_users = set(order[USER_TEST_RUNNERS : USER_TEST_RUNNERS + USER_VAL_RUNNERS].tolist())
        for user, runs in by_user.items():
            (test if user in test_users else val if user in val_users else train).extend(runs)
    else:
        for runs in by_user.values():
            runs = sorted(runs, key=lambda i: workouts[i].start_time)
            if len(runs) < 3:
                train.extend(runs)
                continue
            n_test = max(1, round(0.1 * len(runs)))
            n_val = max(1, round(0.1 * len(runs)))
            train.extend(runs[: len(runs) - n_test - n_val])
            val.extend(runs[len(runs) - n_test - n_val : len(runs) - n_test])
            test.extend(runs[len(runs) - n_test :])
    return sorted(train), sorted(val), sorted(test)
