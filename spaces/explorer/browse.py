"""The dataset browser's data: one label and one group (subject, record, runner) per example, and each example's signal.

Reads the raw data with the task's own `explore` function when its datasets are present (PHYSIOSPACES_DATA), else the
test split of its dataset repo on the Hub, at the columns that function's module declares (`EXPLORE_HUB_COLUMNS`).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from core import get_task
from core.datasets import ExploreSample, HubColumns
from core.tasks import Task, data_dir, import_object

NAMESPACE = os.environ.get("PHYSIOSPACES_NAMESPACE", "physiospaces")


def data_present(task: Task) -> bool:
    """Whether every dataset folder of `task` is under `data_dir()`."""
    return all((data_dir() / folder).exists() for folder in task.datasets)


def hub_columns(task: Task) -> HubColumns:
    """The dataset repo columns of `task`'s explorer examples, declared beside its `explore` function."""
    return import_object(f"{task.explore.split(':')[0]}:EXPLORE_HUB_COLUMNS")


def _hub(task: Task) -> ExploreSample:
    from datasets import load_dataset

    repo_id = f"{NAMESPACE}/{task.hub.dataset.split('/')[1]}"
    columns = hub_columns(task)
    signal, group = columns.signal, columns.group
    data = load_dataset(repo_id, columns.config, split="test")
    label = data.features.get("label")
    labels = [label.int2str(v) for v in data["label"]] if label is not None else ["run"] * len(data)
    return ExploreSample(
        pd.DataFrame({"label": labels, "group": data[group]}),
        lambda i: np.asarray(data[i][signal], float).reshape(len(data[i][signal]), -1),
        columns.fs,
        group,
        (signal,),
        f"{repo_id} (Hub, test split)",
    )


def browse(name: str) -> ExploreSample:
    """Examples of task `name`, from the local raw data when present, else from its dataset repo on the Hub."""
    task = get_task(name)
    return import_object(task.explore)() if data_present(task) else _hub(task)
