"""Personalisation settings of the heart-rate task, chosen on out-of-fold curves of the training runners only.

    python -m training.hr_oof --threads 1                 # out-of-fold curves (models that never saw the runner)
    python -m training.hr_personal --write lstm           # choose, print, and store them in the checkpoint

Chosen here, each by its mean absolute error (bpm) on runs whose runner the curve's model never saw:
  calibration window: which minutes of the run's own recorded heart rate set its level, and the weight of the shift
  (scored after the first `CALIBRATION_MINUTES`, as the calibrated protocol is);
  profile: level only, or level and gain, with the gain's shrinkage, by leave-one-run-out over the runners with several
  runs (the profiled protocol);
  start: how fast a run's first recorded heart rate hands over to the model (runs that start mid-effort);
  band: the residual quantiles that cover 80 % of unseen runners' samples, uncalibrated, calibrated and profiled.
`--write VARIANT` puts them, with these figures, under "personalisation" in the checkpoint's metrics.json, where
`core.hr.pipeline` reads them, then re-measures the checkpoint's test block and card with them
(`training.hr.refresh_evaluation`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from core.hr.data import load_workouts
from core.hr.pipeline import fit_profile, profile_curve, workout_grid
from core.tasks import get_task
from training.hr import CALIBRATION_MINUTES, refresh_evaluation
from training.hr_oof import DEFAULT_OOF

WINDOWS = ((0, 10), (2, 10), (3, 10), (5, 10), (4, 8), (6, 10), (8, 10))
"""Candidate calibration windows (start, end minute) within the first 10 minutes."""
WEIGHTS = (1.0, 0.85, 0.75, 0.6)
SHRINKAGE = (0.0, 1e3, 1e4, 1e5, 1e6, 1e7, np.inf)
"""Ridge penalty on the profile's gain, in (bpm of model swing)^2 steps; inf keeps the gain at 1 (level only). The
largest within `TOLERANCE_BPM` of the best is kept: a profile from a few short runs must not swing the gain."""
TOLERANCE_BPM = 0.05
START_TAU_S = (0.0, 30.0, 60.0, 120.0, 240.0)
COVERAGE = 0.8


def load_oof(path: str | Path, runs) -> list[dict]:
    """One dict per out-of-fold run: its index, runner, grid run and out-of-fold model curve."""
    data = np.load(path)
    curves = np.split(data["hr_model"], np.cumsum(data["length"])[:-1])
    return [
        {"index": int(i), "user": int(u), "run": runs[int(i)], "model": c}
        for i, u, c in zip(data["index"], data["user"], curves)
    ]


def runner_mae(errors: list[np.ndarray], users: list[int]) -> float:
    """Mean absolute error with every runner weighing the same (two runners hold 75 % of the runs)."""
    by_user: dict[int, list[np.ndarray]] = {}
    for error, user in zip(errors, users):
        by_user.setdefault(user, []).append(np.abs(error))
    return float(np.mean([np.concatenate(parts).mean() for parts in by_user.values()]))


def calibration_choice(oof: list[dict]) -> tuple[dict, list]:
    """Every window and weight scored after `CALIBRATION_MINUTES`; the best by runner-weighted MAE."""
    rows = []
    for start, end in WINDOWS:
        for weight in WEIGHTS:
            errors, users = [], []
            for item in oof:
                run, model = item["run"], item["model"]
                known = np.isfinite(run.heart_rate)
                window = known & (run.time_s >= start * 60) & (run.time_s <= end * 60)
                scored = known & (run.time_s >= CALIBRATION_MINUTES * 60)
                if window.sum() < 3 or scored.sum() < 12:
                    continue
                shift = weight * np.median(run.heart_rate[window] - model[window])
                errors.append(model[scored] + shift - run.heart_rate[scored])
                users.append(item["user"])
            rows.append({"start_min": start, "end_min": end, "weight": weight, "mae": runner_mae(errors, users)})
    best = min(rows, key=lambda row: row["mae"])
    return best, rows


def profile_choice(oof: list[dict], hr_mean: float) -> tuple[dict, list]:
    """Leave-one-run-out over runners with several runs: the profile fitted on the others, scored on the held run."""
    by_user: dict[int, list[dict]] = {}
    for item in oof:
        if np.isfinite(item["run"].heart_rate).sum() >= 12:
            by_user.setdefault(item["user"], []).append(item)
    several = {user: items for user, items in by_user.items() if len(items) >= 2}
    rows, residuals = [], {}
    for shrinkage in SHRINKAGE:
        errors, users = [], []
        for user, items in several.items():
            for k, held in enumerate(items):
                others = [(i["run"], i["model"]) for j, i in enumerate(items) if j != k]
                profile = fit_profile(others, hr_mean=hr_mean, shrinkage=shrinkage)
                run, known = held["run"], np.isfinite(held["run"].heart_rate)
                errors.append(profile_curve(held["model"], profile)[known] - run.heart_rate[known])
                users.append(user)
        rows.append({"shrinkage": shrinkage, "mae": runner_mae(errors, users), "mae_steps": _pooled(errors)})
        residuals[shrinkage] = ([-e for e in errors], users)
    lowest = min(row["mae"] for row in rows)
    best = max((row for row in rows if row["mae"] <= lowest + TOLERANCE_BPM), key=lambda row: row["shrinkage"])
    sizes = {"runners": len(several), "runs": sum(len(items) for items in several.values())}
    return {**best, **sizes}, rows, residuals[best["shrinkage"]]


def peak_check(oof: list[dict], population_rest: float, population_max: float) -> dict:
    """Leave-one-run-out over runners with several runs: the peak heart rate typed as the runner's own (the mean 99th
    percentile of their other runs) rescaling the reserve, against the model alone, on the held run."""
    by_user: dict[int, list[dict]] = {}
    for item in oof:
        if np.isfinite(item["run"].heart_rate).sum() >= 12:
            by_user.setdefault(item["user"], []).append(item)
    plain, scaled, users = [], [], []
    for user, items in by_user.items():
        for k, held in enumerate(items):
            others = [np.nanpercentile(i["run"].heart_rate, 99) for j, i in enumerate(items) if j != k]
            if not others:
                continue
            run, known = held["run"], np.isfinite(held["run"].heart_rate)
            peak = float(np.mean(others))
            curve = population_rest + (held["model"] - population_rest) * (peak - population_rest) / (
                population_max - population_rest
            )
            plain.append(held["model"][known] - run.heart_rate[known])
            scaled.append(curve[known] - run.heart_rate[known])
            users.append(user)
    return {"runs": len(users), "mae_model": runner_mae(plain, users), "mae_own_peak": runner_mae(scaled, users)}


def _pooled(errors: list[np.ndarray]) -> float:
    return float(np.mean(np.abs(np.concatenate(errors))))


def start_choice(oof: list[dict]) -> tuple[dict, list]:
    """The hand-over time constant from the first recorded heart rate, scored over the first 10 minutes."""
    rows = []
    for tau in START_TAU_S:
        errors, users = [], []
        for item in oof:
            run, model = item["run"], item["model"]
            if not np.isfinite(run.heart_rate[0]):
                continue
            early = np.isfinite(run.heart_rate) & (run.time_s < CALIBRATION_MINUTES * 60)
            curve = model + (run.heart_rate[0] - model[0]) * np.exp(-run.time_s / tau) if tau else model
            errors.append(curve[early] - run.heart_rate[early])
            users.append(item["user"])
        rows.append({"tau_s": tau, "mae_first_10_min": runner_mae(errors, users), "runs": len(errors)})
    return min(rows, key=lambda row: row["mae_first_10_min"]), rows


def band(residuals: list[np.ndarray], users: list[int]) -> dict:
    """The central `COVERAGE` range of recorded minus predicted heart rate, every runner weighing the same."""
    weights = np.concatenate(
        [
            np.full(len(r), 1.0 / sum(len(x) for x, v in zip(residuals, users) if v == u))
            for r, u in zip(residuals, users)
        ]
    )
    values = np.concatenate(residuals)
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    low, high = (float(values[order][np.searchsorted(cumulative, q)]) for q in ((1 - COVERAGE) / 2, (1 + COVERAGE) / 2))
    return {"low": round(low, 1), "high": round(high, 1), "coverage": COVERAGE}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m training.hr_personal")
    parser.add_argument("--oof", default=DEFAULT_OOF)
    parser.add_argument("--write", metavar="VARIANT", help="store the choices in this checkpoint's metrics.json")
    parser.add_argument("--data-dir", default="")
    args = parser.parse_args(argv)
    workouts = load_workouts(args.data_dir or None)
    runs = [workout_grid(workout.recording) for workout in workouts]
    oof = load_oof(args.oof, runs)
    config = json.loads((get_task("hr").checkpoint(args.write or "lstm") / "config.json").read_text())

    calibration, calibration_rows = calibration_choice(oof)
    profile, profile_rows, profiled = profile_choice(oof, config["hr_mean"])
    start, start_rows = start_choice(oof)
    peak = peak_check(oof, config["population_rest_hr"], config["population_max_hr"])
    uncalibrated = [(i["model"] - i["run"].heart_rate, i["user"]) for i in oof]
    uncalibrated = [(-e[np.isfinite(e)], u) for e, u in uncalibrated]
    calibrated = []
    for item in oof:
        run, model = item["run"], item["model"]
        known = np.isfinite(run.heart_rate)
        window = known & (run.time_s >= calibration["start_min"] * 60) & (run.time_s <= calibration["end_min"] * 60)
        scored = known & (run.time_s >= CALIBRATION_MINUTES * 60)
        if window.sum() >= 3 and scored.sum() >= 12:
            shift = calibration["weight"] * np.median(run.heart_rate[window] - model[window])
            calibrated.append((run.heart_rate[scored] - model[scored] - shift, item["user"]))
    personalisation = {
        "chosen_on": "out-of-fold curves of the training and validation runners (python -m training.hr_oof: one fold "
        "per multi-run runner, 4 folds of single-file runners); the test runners were not used",
        "oof_runs": len(oof),
        "oof_runners": len({i["user"] for i in oof}),
        "oof_mae_uncalibrated": round(runner_mae([-e for e, _ in uncalibrated], [u for _, u in uncalibrated]), 2),
        "calibration": {k: round(v, 3) if isinstance(v, float) else v for k, v in calibration.items()},
        "profile": {
            k: (None if v == np.inf else round(v, 3)) if isinstance(v, float) else v for k, v in profile.items()
        },
        "own_peak_check": {k: round(v, 2) if isinstance(v, float) else v for k, v in peak.items()},
        "start_tau_s": start["tau_s"],
        "start_mae_first_10_min": round(start["mae_first_10_min"], 2),
        "band": {
            "uncalibrated": band([e for e, _ in uncalibrated], [u for _, u in uncalibrated]),
            "calibrated": band([e for e, _ in calibrated], [u for _, u in calibrated]),
            "profiled": band(*profiled),
        },
    }
    print(json.dumps({"calibration": calibration_rows, "profile": profile_rows, "start": start_rows}, default=str))
    print(json.dumps(personalisation, indent=2))
    if args.write:
        path = get_task("hr").checkpoint(args.write) / "metrics.json"
        metrics = json.loads(path.read_text())
        metrics["personalisation"] = personalisation
        path.write_text(json.dumps(metrics, indent=2) + "\n")
        test = refresh_evaluation(args.write, data_dir=args.data_dir or None)["test"]
        print(f"written to {path}; test MAE {test['mae']:.2f}, calibrated {test['calibration']['mae_after']:.2f} bpm")
    return personalisation


if __name__ == "__main__":
    main()
