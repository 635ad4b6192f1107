"""Grouped 4-fold cross-validation over the non-test runners, to choose HR settings without the test part.

    python -m training.hr_cv --arch lstm                 # prints per-fold MAE and the step-weighted mean
    python -m training.hr_cv --arch physio --no-balance-runners

The two multi-run collections always train; the single-file runners are split into 4 folds by runner.
"""
from __future__ import annotations

import json
import sys

import numpy as np

from core.hr.data import load_workouts, protocol_split
from core.hr.pipeline import workout_grid
from training.config import parse_config
from training.hr import HRTrainConfig, train_split

FOLDS = 4


def main(argv: list[str] | None = None) -> None:
    config = parse_config(HRTrainConfig, sys.argv[1:] if argv is None else argv, prog="python -m training.hr_cv")
    workouts = load_workouts(config.data_dir or None)
    runs = [workout_grid(workout.recording) for workout in workouts]
    train, val, _ = protocol_split(workouts, "user")
    pool = sorted(set(train) | set(val))
    by_runner: dict[int, list[int]] = {}
    for index in pool:
        by_runner.setdefault(workouts[index].user, []).append(index)
    singles = sorted(user for user, indices in by_runner.items() if len(indices) <= 2)
    folds = np.array_split(np.random.default_rng(1).permutation(singles), FOLDS)
    maes, steps = [], []
    for k, fold in enumerate(folds):
        held = sorted(i for user in fold for i in by_runner[user])
        rest = sorted(i for i in pool if i not in held)
        _, _, test, _, _ = train_split(config, workouts, runs, (rest, held, held), balance=config.balance_runners)
        maes.append(test["mae"])
        steps.append(test["n_steps"])
        print(json.dumps({"fold": k, "mae": test["mae"], "n_steps": test["n_steps"],
                          "constant_mean_mae": test["baselines"]["constant_mean"]["mae"]}), flush=True)
    print(json.dumps({"cv_mae_step_weighted": float(np.average(maes, weights=steps)), "config": config.command("hr")}))


if __name__ == "__main__":
    main()
