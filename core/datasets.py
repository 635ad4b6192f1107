"""What a task's data looks like outside training: its Hub dataset repo (`DatasetRepo`, built by the task's
`dataset_repo`) and the explorer's sample of it (`ExploreSample`, from the task's `explore`).

Both are built by functions in `core/<task>/data.py`, named in the task's registry entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from datasets import Dataset, Features


@dataclass(frozen=True)
class DatasetRepo:
    """What a dataset repo holds: configs (the first is the default) of named splits, and the card facts."""

    configs: dict[str, dict[str, Dataset]]
    license: str
    citation: str
    description: str
    source: str
    extra_license: dict = field(default_factory=dict)


def take_rows(columns: dict[str, np.ndarray], index: np.ndarray, limit: int | None) -> dict[str, np.ndarray]:
    """The rows `index` of every column, only the first `limit` of them when `limit` is set."""
    index = index[:limit] if limit else index
    return {name: values[index] for name, values in columns.items()}


def to_dataset(columns: dict, features: Features) -> Dataset:
    """A `datasets.Dataset` of `columns` (arrays or lists) with the typed `features`."""
    from datasets import Dataset

    return Dataset.from_dict(
        {name: (values.tolist() if isinstance(values, np.ndarray) else values) for name, values in columns.items()},
        features=features,
    )


@dataclass(frozen=True)
class ExploreSample:
    """Examples of one task for the explorer: `frame` has `label` and `group` columns; `signal(i)` is example i's
    (time, channels) array at `fs` Hz (None: plotted against the sample index)."""

    frame: pd.DataFrame
    signal: Callable[[int], np.ndarray]
    fs: float | None
    group_name: str
    channels: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class HubColumns:
    """Where the explorer finds the same examples in the task's dataset repo (test split): the signal and group
    columns, the signal's rate in Hz (None: unknown), and the config (None: the default one)."""

    signal: str
    group: str
    fs: float | None = None
    config: str | None = None
