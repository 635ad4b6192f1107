"""Grouped 4-fold cross-validation over the non-test runners, to choose HR settings without the test part.

    python -m training.hr_cv --arch lstm                 # prints per-fold MAE and the step-weighted mean
    python -m training.hr_cv --arch physio --no-balance-runners

The two multi-run collections always train; the single-file runners are split into 4 folds by runner. Each held-out
run is also scored after `CALIBRATION_MINUTES` of calibration at every weight of `CALIBRATION_WEIGHTS` (over the
second half of the window; the served window and weight are chosen by `python -m training.hr_personal`).
"""

from __future__ import annotations

import json
import sys

import numpy as np

from core.hr.data import load_workouts, protocol_split
from core.hr.pipeline import personalise, predict, workout_grid
from training.config import parse_config
from training.hr import CALIBRATION_MINUTES, HRTrainConfig, train_split

FOLDS = 4
CALIBRATION_WEIGHTS = (1.0, 0.85, 0.75, 0.6, 0.0)


def calibration_errors(model, recording) -> dict[float, np.ndarray] | None:
    """Absolute errors (bpm) after the calibration window at each weight; None when too little heart rate follows it."""
    result = predict(model, recording)
    run = result.run
    scored = np.isfinite(run.heart_rate) & (run.time_s >= CALIBRATION_MINUTES * 60)
    if scored.sum() < 12:
        return None
    errors = {}
    for weight in CALIBRATION_WEIGHTS:
        calibrated, _, _ = personalise(
            run,
            result.hr_model,
            calibration_minutes=CALIBRATION_MINUTES,
            resting_hr=None,
            max_hr=None,
            population_rest=model.population_rest_hr,
            population_max=model.population_max_hr,
            calibration_weight=weight,
        )
        errors[weight] = np.abs(calibrated[scored] - run.heart_rate[scored])
    return errors


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
    maes, steps, calibrated = [], [], {weight: [] for weight in CALIBRATION_WEIGHTS}
    for k, fold in enumerate(folds):
        held = sorted(i for user in fold for i in by_runner[user])
        rest = sorted(i for i in pool if i not in held)
        model, _, test, _, _ = train_split(config, workouts, runs, (rest, held, held), balance=config.balance_runners)
        maes.append(test["mae"])
        steps.append(test["n_steps"])
        for i in held:
            for weight, errors in (calibration_errors(model, workouts[i].recording) or {}).items():
                calibrated[weight].append(errors)
        print(
            json.dumps(
                {
                    "fold": k,
                    "mae": test["mae"],
                    "n_steps": test["n_steps"],
                    "constant_mean_mae": test["baselines"]["constant_mean"]["mae"],
                }
            ),
            flush=True,
        )
    print(
        json.dumps(
            {
                "cv_mae_step_weighted": float(np.average(maes, weights=steps)),
                "cv_mae_after_calibration_by_weight": {
                    str(w): float(np.concatenate(e).mean()) for w, e in calibrated.items()
                },
                "config": config.command("hr"),
            }
        )
    )


if __name__ == "__main__":
    main()
