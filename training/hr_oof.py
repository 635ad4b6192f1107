"""Out-of-fold heart-rate predictions for every non-test run, from models that never saw its runner.

    python -m training.hr_oof --threads 1 --oof /tmp/hr/oof.npz

Folds are by runner over the training and validation runners of the user split: each of the two multi-run collections
is a fold of its own, the single-file runners make 4 more. Each fold's model is trained with the shipped configuration
on the other folds (early stopping on the user split's validation runners outside the fold). The saved curves are what
`training.hr_personal` chooses the personalisation settings on, and what the profiled protocol scores, without the
test runners.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from core.hr.data import load_workouts, protocol_split
from core.hr.pipeline import workout_grid
from training.config import parse_config
from training.hr import HRTrainConfig, train_split

SINGLE_FOLDS = 4
DEFAULT_OOF = "/tmp/hr/oof.npz"


def runner_folds(workouts, pool: list[int]) -> list[list[int]]:
    """Workout indices per fold: one fold per runner with more than two runs, the others in `SINGLE_FOLDS` folds."""
    by_runner: dict[int, list[int]] = {}
    for index in pool:
        by_runner.setdefault(workouts[index].user, []).append(index)
    many = sorted(user for user, indices in by_runner.items() if len(indices) > 2)
    singles = sorted(user for user, indices in by_runner.items() if len(indices) <= 2)
    groups = [[user] for user in many] + [
        part.tolist() for part in np.array_split(np.random.default_rng(1).permutation(singles), SINGLE_FOLDS)
    ]
    return [sorted(i for user in group for i in by_runner[user]) for group in groups]


def main(argv: list[str] | None = None) -> Path:
    argv = sys.argv[1:] if argv is None else list(argv)
    target = Path(argv.pop(argv.index("--oof") + 1) if "--oof" in argv else DEFAULT_OOF)
    argv = [a for a in argv if a != "--oof"]
    config = parse_config(HRTrainConfig, argv, prog="python -m training.hr_oof")
    workouts = load_workouts(config.data_dir or None)
    runs = [workout_grid(workout.recording) for workout in workouts]
    train, val, _ = protocol_split(workouts, "user")
    pool = sorted(set(train) | set(val))
    predictions: dict[int, np.ndarray] = {}
    for k, held in enumerate(runner_folds(workouts, pool)):
        held_set = set(held)
        fold_val = [i for i in val if i not in held_set]
        rest = [i for i in pool if i not in held_set and i not in set(fold_val)]
        model, _, test, _, info = train_split(config, workouts, runs, (rest, fold_val, held), balance=True)
        for i in held:
            predictions[i] = model.predict_run(runs[i].features)
        print(json.dumps({"fold": k, "runs": len(held), "mae": round(test["mae"], 2), **info["sizes"]}), flush=True)
    order = sorted(predictions)
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        target,
        index=np.array(order),
        user=np.array([workouts[i].user for i in order]),
        length=np.array([len(runs[i].time_s) for i in order]),
        hr_model=np.concatenate([predictions[i] for i in order]),
    )
    print(f"out-of-fold curves of {len(order)} runs -> {target}")
    return target


if __name__ == "__main__":
    main()
