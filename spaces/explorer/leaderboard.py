"""Leaderboard rows: our measured test metrics per task, variant and protocol, beside published reference results."""
from __future__ import annotations

import pandas as pd

from core import get_task, list_tasks
from core.predictor import read_metrics

SKIPPED = ("n", "threshold", "n_steps", "n_runs", "n_runners")
"""Counts and operating points, not metrics."""

REFERENCES = {
    "ecg": [
        ("intra", "accuracy", 0.9935, "best published on the Kaggle MIT-BIH heartbeat split (as cited in PhysioSpaces issue 2)"),
        ("intra", "macro_f1", 0.943, "best published on the Kaggle MIT-BIH heartbeat split (as cited in PhysioSpaces issue 2)"),
        ("intra", "accuracy", 0.977, "seed GRU notebook (issue 2)"),
        ("inter", "accuracy", 0.945, "hand-crafted feature SVM ensembles, de Chazal DS1/DS2 (issue 2)"),
    ],
    "har": [
        ("UCI HAR official split", "accuracy", 0.9763, "best published on raw + statistical input (issue 3)"),
        ("UCI HAR official split", "accuracy", 0.92, "seed 2-layer LSTM, lower end of its claimed 92-97% (issue 3)"),
    ],
    "hr": [("own Endomondo subset", "mae", 7.42, "SUB3 v2 2-layer LSTM, 14 features (issue 4; not the same runs)")],
    "respiration": [
        ("NAB machine_temperature", "f1", 0.675, "Lin et al. (ICASSP 2020) public code, threshold picked on the test part (issue 5)"),
        ("NAB corpus", "nab_score", 70.0, "best published detectors score about 70-75, random 11 (issue 5)"),
        ("Apnea-ECG official test set", "accuracy", 0.92, "best published supervised per-minute result (issue 5)"),
    ],
}
"""Task -> (protocol, metric, value, source) of published results, as the project's issues cite them."""


def measured(task_name: str) -> pd.DataFrame:
    """One row per scalar test metric of every shipped checkpoint of `task_name`."""
    task, rows = get_task(task_name), []
    for variant, folder in task.checkpoints.items():
        metrics = read_metrics(folder)
        for name, value in metrics.get("test", {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and name not in SKIPPED:
                rows.append({"task": task_name, "model": variant, "protocol": metrics.get("protocol", variant),
                             "metric": name, "value": round(float(value), 4), "source": f"measured, checkpoints/{folder.name}/metrics.json"})
    return pd.DataFrame(rows, columns=["task", "model", "protocol", "metric", "value", "source"])


def references(task_name: str) -> pd.DataFrame:
    """The published reference results of `task_name`, with their sources."""
    return pd.DataFrame([{"task": task_name, "model": "published", "protocol": p, "metric": m, "value": v, "source": s}
                         for p, m, v, s in REFERENCES.get(task_name, [])], columns=["task", "model", "protocol", "metric", "value", "source"])


def leaderboard() -> pd.DataFrame:
    """Measured and published rows of every task, measured first."""
    return pd.concat([pd.concat([measured(n), references(n)]) for n in list_tasks()], ignore_index=True)
