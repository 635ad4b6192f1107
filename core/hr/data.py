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

import core.tasks
from core.errors import ConfigError, InputError
from core.readers import Recording
from core.readers.workouts import workout_recording

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
        raise InputError(
            f"No running workouts at {path}; point --data-dir at running_workouts.parquet (see "
            "../shared/data/README.md)."
        )
    return path


def load_workouts(data_dir: str | Path | None = None) -> list[Workout]:
    """Every workout of the parquet, through the same `workout_recording` checks as an uploaded file."""
    import pandas as pd

    frame = pd.read_parquet(workouts_path(data_dir))
    workouts = []
    for row in tqdm(frame.itertuples(index=False), total=len(frame), desc="reading workouts", leave=False):
        recording = workout_recording(
            time_s=row.timestamp,
            speed_kmh=row.speed,
            altitude_m=row.altitude,
            heart_rate=row.heart_rate,
            latitude=row.latitude,
            longitude=row.longitude,
            name=f"workout-{row.workout_id}",
            sport=row.sport,
            gender=row.gender,
            source_format=row.file_format,
        )
        workouts.append(
            Workout(
                recording,
                int(row.workout_id),
                int(row.userId),
                row.start_time.timestamp(),
                row.license,
                row.source,
                row.source_file,
            )
        )
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


# The dataset outside training: the Hub dataset repo and the explorer's sample (the registry's dataset_repo and
# explore).
from core.datasets import DatasetRepo, ExploreSample, HubColumns  # noqa: E402


def dataset_repo(*, limit: int | None = None) -> DatasetRepo:
    """The Hub dataset repo: the real running workouts (time, speed, altitude, heart rate per sample) split by runner
    (the `user` protocol); `limit` keeps the first `limit` rows of every split."""
    import pandas as pd
    from datasets import Dataset, Features, Sequence, Value

    frame = pd.read_parquet(workouts_path())
    workouts = load_workouts()
    if [w.workout_id for w in workouts] != frame["workout_id"].tolist():
        raise ConfigError("The workouts parquet changed while it was read; run the build again.")
    features = Features(
        {
            "workout_id": Value("int32"),
            "user": Value("int32"),
            "gender": Value("string"),
            "source": Value("string"),
            "license": Value("string"),
            "file_format": Value("string"),
            "start_time": Value("timestamp[ms, tz=UTC]"),
            "time_s": Sequence(Value("float64")),
            "speed_kmh": Sequence(Value("float64")),
            "altitude_m": Sequence(Value("float64")),
            "heart_rate": Sequence(Value("float64")),
        }
    )

    def rows(index: list[int]) -> Dataset:
        part = frame.iloc[index[:limit] if limit else index]
        return Dataset.from_dict(
            {
                "workout_id": part["workout_id"].tolist(),
                "user": part["userId"].tolist(),
                "gender": part["gender"].tolist(),
                "source": part["source"].tolist(),
                "license": part["license"].tolist(),
                "file_format": part["file_format"].tolist(),
                "start_time": part["start_time"].tolist(),
                "time_s": [list(map(float, v)) for v in part["timestamp"]],
                "speed_kmh": [list(map(float, v)) for v in part["speed"]],
                "altitude_m": [list(map(float, v)) for v in part["altitude"]],
                "heart_rate": [list(map(float, v)) for v in part["heart_rate"]],
            },
            features=features,
        )

    train, val, test = protocol_split(workouts, "user")
    licenses = sorted(frame["license"].unique())
    return DatasetRepo(
        {"default": {"train": rows(train), "validation": rows(val), "test": rows(test)}},
        license="other",
        extra_license={
            "license_name": "mixed-per-row",
            "license_details": "Each row keeps the licence of the project that "
            f"distributed its file (column `license`: {', '.join(licenses)}); filter on it before redistribution.",
        },
        citation="Ni J, Muhlstein L, McAuley J. Modeling heart rate and activity data for personalized fitness "
        "recommendation. WWW 2019 (the protocol). Rows come from the example and test files of open-source workout "
        "tools (column `source`).",
        description="Real running workouts from open-source projects' example files: per-sample time (s from start), "
        "speed (km/h), altitude (m) and recorded heart rate (bpm). Split by runner: test and validation runners never "
        "appear in train.",
        source="see the `source` column (open-source sports software test and example data)",
    )


def run_intensity(speed_kmh: np.ndarray) -> str:
    """The explorer's label of a run: recovery, steady or intensive, by its median speed (km/h)."""
    median = float(np.nanmedian(speed_kmh)) if len(speed_kmh) else 0.0
    return "recovery (<9 km/h)" if median < 9 else "steady (9-12 km/h)" if median <= 12 else "intensive (>12 km/h)"


def explore_sample() -> ExploreSample:
    """The explorer's examples: every workout (heart rate and speed per sample),
    labelled by intensity and grouped by runner."""
    import pandas as pd

    frame = pd.read_parquet(workouts_path())
    labels = [run_intensity(np.asarray(s, float)) for s in frame["speed"]]

    def signal(i: int) -> np.ndarray:
        return np.column_stack(
            [np.asarray(frame["heart_rate"].iloc[i], float), np.asarray(frame["speed"].iloc[i], float)]
        )

    return ExploreSample(
        pd.DataFrame({"label": labels, "group": frame["userId"]}),
        signal,
        None,
        "runner",
        ("heart rate (bpm)", "speed (km/h)"),
        "running workouts (local)",
    )


EXPLORE_HUB_COLUMNS = HubColumns(signal="heart_rate", group="user")
"""Where `explore_sample`'s examples are in the dataset repo, for the explorer without the raw data."""
