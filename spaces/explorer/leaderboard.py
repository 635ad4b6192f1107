"""Leaderboard rows: our measured test metrics per task, variant and protocol, beside published reference results."""

from __future__ import annotations

import pandas as pd

from core import get_task, list_tasks
from core.predictor import read_metrics, shown_metrics


def measured(task_name: str) -> pd.DataFrame:
    """One row per shown test metric (`shown_metrics`) of every shipped checkpoint of `task_name`."""
    task, rows = get_task(task_name), []
    for variant, folder in task.checkpoints.items():
        metrics = read_metrics(folder)
        for name, value in shown_metrics(metrics.get("test", {})).items():
            rows.append(
                {
                    "task": task_name,
                    "model": variant,
                    "protocol": metrics.get("protocol", variant),
                    "metric": name,
                    "value": round(float(value), 4),
                    "source": f"measured, checkpoints/{folder.name}/metrics.json",
                }
            )
    return pd.DataFrame(rows, columns=["task", "model", "protocol", "metric", "value", "source"])


def references(task_name: str) -> pd.DataFrame:
    """The published reference results of `task_name` (its registry entry's `published`), with their sources."""
    return pd.DataFrame(
        [
            {
                "task": task_name,
                "model": "published",
                "protocol": r.protocol,
                "metric": r.metric,
                "value": r.value,
                "source": r.source,
            }
            for r in get_task(task_name).published
        ],
        columns=["task", "model", "protocol", "metric", "value", "source"],
    )


def leaderboard() -> pd.DataFrame:
    """Measured and published rows of every task, measured first."""
    return pd.concat([pd.concat([measured(n), references(n)]) for n in list_tasks()], ignore_index=True)
