"""UCI HAR windows for training and evaluation: the official subject-wise split, held-out training subjects for
validation, and stitching of overlapping windows back into continuous recordings (for examples and tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import core.tasks
from core.errors import ConfigError, InputError
from core.readers.inertial import UCI_CHANNELS, UCI_WINDOW

UCI_HAR_URL = "https://archive.ics.uci.edu/dataset/240/human+activity+recognition+using+smartphones"
ACTIVITIES = ("WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING")
CHANNELS = UCI_CHANNELS
"""UCI "Inertial Signals" order: accelerations in g, angular velocity in rad/s (the reader's, so both read alike)."""
WALKING_CLASSES = (0, 1, 2)
"""Walking, upstairs and downstairs: the windows a calibrated model takes its wearer's reference from."""
ACC_CHANNELS = tuple(c for c in CHANNELS if "acc" in c)
HAR_FS = 50.0
WINDOW = UCI_WINDOW
STEP = 64
VAL_SUBJECTS = (5, 11, 21, 27, 29)
"""Five of the 21 training subjects, held out for validation and model selection (the test subjects never are)."""
SPLITS = ("train", "test")


def load_split(split: str, data_dir: str | Path | None = None) -> dict[str, np.ndarray]:
    """One official split: X (n, 128, 9) float32 in UCI channel order, y (n,) 0-5, subject (n,)."""
    if split not in SPLITS:
        raise ConfigError(f"Unknown UCI HAR split {split!r}; accepted splits are {list(SPLITS)}.")
    path = (Path(data_dir) if data_dir else core.tasks.data_dir() / "uci_har") / f"har_{split}.npz"
    if not path.is_file():
        raise InputError(f"No UCI HAR windows at {path}; download the dataset ({UCI_HAR_URL}) or pass --data-dir.")
    with np.load(path, allow_pickle=False) as stored:
        return {
            "X": stored["X"].astype(np.float32),
            "y": stored["y"].astype(np.int64) - 1,
            "subject": stored["subject"],
        }


def validation_mask(subjects: np.ndarray) -> np.ndarray:
    """True for windows of the held-out validation subjects."""
    return np.isin(subjects, VAL_SUBJECTS)


def har_segments(windows: np.ndarray) -> list[np.ndarray]:
    """Index runs of consecutive windows that overlap by exactly 50% (one continuous recording each)."""
    if len(windows) == 0:
        return []
    joined = np.all(np.isclose(windows[1:, :STEP], windows[:-1, STEP:], atol=1e-6), axis=(1, 2))
    breaks = np.flatnonzero(~joined) + 1
    return np.split(np.arange(len(windows)), breaks)


def har_stitch(windows: np.ndarray) -> np.ndarray:
    """The continuous signal (STEP * (n + 1), channels) that 50%-overlapping windows were cut from."""
    return np.concatenate([windows[0, :STEP]] + [w[STEP:] for w in windows])


# The dataset outside training: the Hub dataset repo and the explorer's sample (the registry's dataset_repo and
# explore).
from core.datasets import DatasetRepo, ExploreSample, HubColumns, take_rows, to_dataset  # noqa: E402


def dataset_repo(*, limit: int | None = None) -> DatasetRepo:
    """The Hub dataset repo: UCI HAR inertial windows (128 x 9 at 50 Hz) with activity and subject, official
    train/test split; `limit` keeps the first `limit` rows of every split."""
    from datasets import Array2D, ClassLabel, Features, Value

    features = Features(
        {
            "signal": Array2D(shape=(128, len(CHANNELS)), dtype="float32"),
            "label": ClassLabel(names=list(ACTIVITIES)),
            "subject": Value("int32"),
        }
    )
    splits = {}
    for split in ("train", "test"):
        data = load_split(split)
        splits[split] = to_dataset(
            take_rows(
                {"signal": data["X"], "label": data["y"], "subject": data["subject"].astype(np.int32)},
                np.arange(len(data["y"])),
                limit,
            ),
            features,
        )
    return DatasetRepo(
        {"default": splits},
        license="cc-by-4.0",
        citation="Anguita D, Ghio A, Oneto L, Parra X, Reyes-Ortiz JL. A Public Domain Dataset for Human Activity "
        "Recognition Using Smartphones. ESANN 2013.",
        description="The raw inertial windows of UCI HAR (2.56 s, 50% overlap, 50 Hz; channels "
        f"{', '.join(CHANNELS)}), the activity and the subject id; the official subject-wise split (30 subjects: 21 "
        "train, 9 test).",
        source="https://doi.org/10.24432/C54S4K",
    )


def explore_sample() -> ExploreSample:
    """The explorer's examples: the test split's windows (body acceleration, 50 Hz), labelled with the activity and
    grouped by subject."""
    import pandas as pd

    data = load_split("test")
    labels = np.array(ACTIVITIES)[data["y"]]
    return ExploreSample(
        pd.DataFrame({"label": labels, "group": data["subject"]}),
        lambda i: data["X"][i, :, :3],
        HAR_FS,
        "subject",
        CHANNELS[:3],
        "UCI HAR test split (local)",
    )


EXPLORE_HUB_COLUMNS = HubColumns(signal="signal", group="subject", fs=HAR_FS)
"""Where `explore_sample`'s examples are in the dataset repo, for the explorer without the raw data."""
