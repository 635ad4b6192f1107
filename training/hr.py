"""Train a running heart-rate model on the 129 real workouts and write its checkpoint folder with a report.

    python -m training.train hr --arch lstm --threads 1    # shipped default: the SUB3 v2 LSTM
    python -m training.train hr --arch physio --threads 1  # variant: first-order physiological response + LSTM residual
    python -m training.train hr --arch lstm --epochs 3 --out runs/hr-smoke

Each run trains on the user protocol (test runners unseen) and, as the second protocol, retrains the same
configuration on the chronological per-runner split; baselines (constant mean, linear regression on the 14
features) are measured on both test parts. Test parts are only evaluated, never used for model selection.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import torch
from matplotlib.figure import Figure
from sklearn.linear_model import LinearRegression

from core.checkpoint import save_checkpoint, write_evaluation
from core.hr.data import Workout, load_workouts, protocol_split
from core.hr.features import FEATURE_NAMES, feature_statistics
from core.hr.model import HRModel
from core.hr.pipeline import GRID_S, Run, personalise, predict, settings, workout_grid
from core.hr.render import plot_result
from core.modelcard import model_card
from core.tasks import get_task
from training.config import TrainConfig, parse_config
from training.loop import fit, seed_everything
from training.metrics import plot_learning_curves, write_rows_csv

INTENSITIES = {"recovery": (0.0, 9.0), "steady": (9.0, 11.5), "intensive": (11.5, np.inf)}
"""Workout intensity by mean moving speed (km/h), as the seed groups its test runs."""
CALIBRATION_MINUTES = 10.0
PROTOCOL_TEXT = {
    "user": "split by runner (pseudo userId): 12 single-file runners held out for test, 7 for validation; the two "
    "multi-run collections and the other runners train. Test runners are unseen in training. Grid 5 s; MAE/RMSE in "
    "bpm over every test grid step with a recorded heart rate.",
    "chrono": "chronological per runner (FitRec): for runners with >= 3 runs the earliest 80 % train, next 10 % "
    "validate, latest 10 % test; test runners are seen in training (earlier runs).",
}
LIMITS = (
    "Trained on 129 real runs of 43 pseudo-runners from open-source test data (no gender, no resting or maximum "
    "heart rate recorded); an unseen runner's heart-rate level is the largest error, which the calibration option "
    "removes. Per-split sizes are small (12 test runners), so figures carry several bpm of uncertainty."
)


@dataclass
class HRTrainConfig(TrainConfig):
    """Training configuration of the running heart-rate model."""

    protocol: Literal["user", "chrono"] = "user"
    arch: Literal["lstm", "physio"] = "lstm"
    hidden: int = 128
    layers: int = 2
    dropout: float = 0.3
    chunk_steps: int = 720
    warmup_steps: int = 120
    epochs: int = 40
    batch_size: int = 8
    lr: float = 2e-3
    patience: int = 8
    balance_runners: bool = True
    """Under the user protocol, weigh every training runner the same (chosen by `python -m training.hr_cv` with and
    without it). Never under chrono, whose test runners are the two big collections (chosen on validation MAE)."""
    objective: Literal["plain", "calibrated"] = "plain"
    """"calibrated": the loss scores the curve after minute 10 shifted by its own error over minutes 8-10 (the
    calibrated protocol), plus `plain_weight` times the plain loss; chosen by out-of-fold curves
    (`python -m training.hr_oof --objective calibrated`)."""
    plain_weight: float = 0.3
    second_protocol: bool = True
    data_dir: str = ""
    derived: ClassVar[tuple[str, ...]] = ("variant",)
    """The variant is the architecture's name, with "-cal" under the calibrated objective."""


def chunk_runs(
    runs: list[Run], chunk_steps: int, warmup_steps: int, weights: list[float] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut runs into equal-length training sequences: features (n, L, 14), heart rate (n, L), loss mask (n, L).

    A run longer than L continues in overlapping chunks whose first `warmup_steps` are masked, so the model warms
    its state up before it is scored; padding and steps without a recorded heart rate are masked too.
    weights: one loss weight per run, written into its mask (default 1).
    """
    stride = chunk_steps - warmup_steps
    features, targets, masks = [], [], []
    for run, weight in zip(runs, weights or [1.0] * len(runs)):
        for start in range(0, max(len(run.time_s) - warmup_steps, 1), stride):
            part = slice(start, start + chunk_steps)
            x, y = run.features[part], run.heart_rate[part]
            mask = np.isfinite(y)
            if start:
                mask[:warmup_steps] = False
            pad = chunk_steps - len(x)
            features.append(np.pad(x, ((0, pad), (0, 0)), mode="edge"))
            targets.append(np.pad(np.nan_to_num(y), (0, pad)))
            masks.append(np.pad(mask * weight, (0, pad)))
    return (
        np.stack(features).astype(np.float32),
        np.stack(targets).astype(np.float32),
        np.stack(masks).astype(np.float32),
    )


def masked_mse(output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mask-weighted mean squared error (bpm^2 / 100); padding and missing heart rate (mask 0) add nothing."""
    return ((output - target) ** 2 * mask).sum() / mask.sum().clamp(min=1e-6) / 100.0


CALIBRATION_STEPS = (round(8 * 60 / GRID_S), round(10 * 60 / GRID_S) + 1)
"""Grid steps of minutes 8-10 (both ends included): the window the calibrated objective shifts by."""


def calibration_masks(runs: list[Run], mask: np.ndarray, chunk_steps: int, warmup_steps: int) -> tuple[np.ndarray, ...]:
    """For `chunk_runs` chunks: the calibration window's mask (first chunk of each run only) and the scored mask after
    it (minute 10 on)."""
    first = []
    for run in runs:
        chunks = len(range(0, max(len(run.time_s) - warmup_steps, 1), chunk_steps - warmup_steps))
        first += [1.0] + [0.0] * (chunks - 1)
    window = np.zeros_like(mask)
    a, b = CALIBRATION_STEPS
    window[:, a:b] = (mask[:, a:b] > 0) * np.array(first, dtype=np.float32)[:, None]
    after = mask * (window.sum(axis=1, keepdims=True) >= 3)
    after[:, :b] = 0.0
    return window, after


def calibrated_shift(output, target, window):
    """Per chunk: the mean error of the output over its calibration window (0 without one); numpy or torch."""
    steps = window.sum(1)
    return ((target - output) * window).sum(1) / (steps + (steps == 0))


def runner_weights(runs: list[Run], users: list[int]) -> list[float]:
    """Per-run loss weights that give every runner the same total weight (two collections hold 80 % of the runs)."""
    steps: dict[int, int] = {}
    for run, user in zip(runs, users):
        steps[user] = steps.get(user, 0) + int(np.isfinite(run.heart_rate).sum())
    total = sum(steps.values())
    return [total / (len(steps) * max(steps[user], 1)) for user in users]


def errors_summary(errors: np.ndarray) -> dict:
    return {
        "mae": float(np.mean(np.abs(errors))),
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "n_steps": int(len(errors)),
    }


def intensity_of(run: Run) -> str:
    moving = run.speed_kmh[run.speed_kmh > 3.0]
    speed = float(moving.mean()) if len(moving) else 0.0
    return next(name for name, (low, high) in INTENSITIES.items() if low <= speed < high)


def evaluate(model: HRModel, workouts: list[Workout], index: list[int], baselines: dict) -> tuple[dict, list[dict]]:
    """Test metrics of the model through `predict` (the serving path), the baselines, per intensity and with
    calibration."""
    rows, errors = [], {"model": [], **{name: [] for name in baselines}}
    calibrated = {"before": [], "after": [], "constant_mean": [], "window_heart_rate": []}
    chosen, inside = settings(model), {"uncalibrated": [], "calibrated": []}
    for i in index:
        result = predict(model, workouts[i].recording, recorded_start=0)  # no personal data at all
        run, known = result.run, np.isfinite(result.hr_true)
        errors["model"].append(result.hr_pred[known] - run.heart_rate[known])
        if result.band:
            inside["uncalibrated"].append(_within_band(result, known))
        for name, baseline in baselines.items():
            errors[name].append(baseline(run.features)[known] - run.heart_rate[known])
        row = {
            "workout_id": workouts[i].workout_id,
            "user": workouts[i].user,
            "minutes": round(run.time_s[-1] / 60, 1),
            "intensity": intensity_of(run),
            "mae": round(result.mae(), 2),
            **{f"mae_{name}": round(float(np.mean(np.abs(errors[name][-1]))), 2) for name in baselines},
        }
        if (run.time_s[np.isfinite(run.heart_rate)] > CALIBRATION_MINUTES * 60).sum() >= 12:
            personalised = predict(model, workouts[i].recording, calibration_minutes=CALIBRATION_MINUTES)
            # naive calibrated baseline: the window's median heart rate held for the rest of the run (a zero curve,
            # fully shifted)
            window_hr, _, _ = personalise(
                run,
                np.zeros(len(run.time_s)),
                calibration_minutes=CALIBRATION_MINUTES,
                resting_hr=None,
                max_hr=None,
                population_rest=model.population_rest_hr,
                population_max=model.population_max_hr,
                calibration_weight=1.0,
                calibration_start=chosen["calibration_start"],
            )
            scored = np.isfinite(run.heart_rate) & (run.time_s >= personalised.scored_from_s)
            if personalised.band:
                inside["calibrated"].append(_within_band(personalised, scored))
            for name, curve in (
                ("before", personalised.hr_model),
                ("after", personalised.hr_pred),
                ("constant_mean", baselines["constant_mean"](run.features)),
                ("window_heart_rate", window_hr),
            ):
                calibrated[name].append(curve[scored] - run.heart_rate[scored])
            row["mae_calibrated"] = round(personalised.mae(), 2)
        rows.append(row)
    metrics = {name: errors_summary(np.concatenate(parts)) for name, parts in errors.items()}
    test = {
        **metrics["model"],
        "n_runs": len(index),
        "n_runners": len({workouts[i].user for i in index}),
        "mean_run_mae": float(np.mean([row["mae"] for row in rows])),
        "baselines": {name: metrics[name] for name in baselines},
    }
    test["gain_over_constant_mean"] = 1 - test["mae"] / test["baselines"]["constant_mean"]["mae"]
    test["per_intensity"] = {}
    for name in INTENSITIES:
        parts = [k for k, row in enumerate(rows) if row["intensity"] == name]
        if parts:
            test["per_intensity"][name] = {
                "n_runs": len(parts),
                **errors_summary(np.concatenate([errors["model"][k] for k in parts])),
                "constant_mean_mae": errors_summary(np.concatenate([errors["constant_mean"][k] for k in parts]))["mae"],
            }
    if calibrated["after"]:
        summaries = {name: errors_summary(np.concatenate(parts)) for name, parts in calibrated.items()}
        test["calibration"] = {
            "minutes": CALIBRATION_MINUTES,
            "window_start_min": CALIBRATION_MINUTES * chosen["calibration_start"],
            "weight": chosen["calibration_weight"],
            "n_runs": len(calibrated["after"]),
            "mae_before": summaries["before"]["mae"],
            "mae_after": summaries["after"]["mae"],
            "rmse_after": summaries["after"]["rmse"],
            "constant_mean_mae": summaries["constant_mean"]["mae"],
            "window_heart_rate_mae": summaries["window_heart_rate"]["mae"],
        }
    for basis, flags in inside.items():
        if flags:
            test.setdefault("band_coverage", {})[basis] = float(np.concatenate(flags).mean())
    return test, rows


def _within_band(result, steps: np.ndarray) -> np.ndarray:
    """Whether each recorded heart rate at `steps` lies in the result's band."""
    residual = result.hr_true[steps] - result.hr_pred[steps]
    return (residual >= result.band[0]) & (residual <= result.band[1])


def fit_baselines(train_runs: list[Run]) -> dict:
    """Constant mean heart rate, and linear regression on the 14 features, fitted on the training steps with heart
    rate."""
    x = np.concatenate([run.features[np.isfinite(run.heart_rate)] for run in train_runs])
    y = np.concatenate([run.heart_rate[np.isfinite(run.heart_rate)] for run in train_runs])
    mean, linear = float(y.mean()), LinearRegression().fit(x, y)
    return {"constant_mean": lambda features: np.full(len(features), mean), "linear_regression": linear.predict}


def train_split(
    config: HRTrainConfig,
    workouts: list[Workout],
    runs: list[Run],
    split: tuple[list[int], list[int], list[int]],
    *,
    balance: bool,
):
    """Train one model on a (train, validation, test) split of workout indices, with runner-balanced loss weights if
    `balance`; returns the model, its history, test metrics, per-run test rows and split sizes."""
    seed_everything(config.seed, config.threads)
    train_index, val_index, test_index = split
    if config.limit:
        train_index = train_index[: config.limit]
    train_runs, val_runs = [runs[i] for i in train_index], [runs[i] for i in val_index]
    mean, std = feature_statistics([run.features for run in train_runs])
    hr = np.concatenate([run.heart_rate[np.isfinite(run.heart_rate)] for run in train_runs])
    # a typed max HR rescales from what it is compared with in training: the runs' mean peak (the data has no
    # resting HR)
    peak = float(
        np.mean([np.nanpercentile(run.heart_rate, 99) for run in train_runs if np.isfinite(run.heart_rate).any()])
    )
    model = HRModel(
        arch=config.arch,
        hidden=config.hidden,
        layers=config.layers,
        dropout=config.dropout,
        feature_mean=mean,
        feature_std=std,
        hr_mean=float(hr.mean()),
        hr_std=float(hr.std()),
        grid_s=GRID_S,
        population_max_hr=peak,
    )
    weights = runner_weights(train_runs, [workouts[i].user for i in train_index]) if balance else None
    train_arrays = chunk_runs(train_runs, config.chunk_steps, config.warmup_steps, weights)
    val_arrays = chunk_runs(val_runs, config.chunk_steps, config.warmup_steps)
    calibrated = config.objective == "calibrated"
    if calibrated:
        train_arrays += calibration_masks(train_runs, train_arrays[2], config.chunk_steps, config.warmup_steps)
        val_arrays += calibration_masks(val_runs, val_arrays[2], config.chunk_steps, config.warmup_steps)
    train_set = torch.utils.data.TensorDataset(*map(torch.from_numpy, train_arrays))
    val_set = torch.utils.data.TensorDataset(*map(torch.from_numpy, val_arrays))
    sizes = {
        part: {
            "runs": len(index),
            "runners": len({workouts[i].user for i in index}),
            "steps": int(sum(len(runs[i].time_s) for i in index)),
        }
        for part, index in (("train", train_index), ("validation", val_index), ("test", test_index))
    }
    print(
        f"{config.arch}: {sum(p.numel() for p in model.parameters()):,} parameters; "
        + "; ".join(f"{part} {s['runs']} runs / {s['runners']} runners" for part, s in sizes.items())
    )

    def negative_val_mae(output: np.ndarray) -> float:
        target, mask = val_arrays[1:3]
        if calibrated:
            window, mask = val_arrays[3:]
            output = output + calibrated_shift(output, target, window)[:, None]
        return -float((np.abs(output - target) * mask).sum() / mask.sum())

    def calibrated_loss(output, target, mask, window, after):
        shifted = output + calibrated_shift(output, target, window)[:, None]
        return masked_mse(shifted, target, after) + config.plain_weight * masked_mse(output, target, mask)

    started = time.time()
    loss = calibrated_loss if calibrated else masked_mse
    history = fit(model, train_set, val_set, config, loss_fn=loss, score_fn=negative_val_mae)
    train_seconds = time.time() - started
    test, rows = evaluate(model, workouts, test_index, fit_baselines(train_runs))
    info = {
        "sizes": sizes,
        "epochs_run": len(history),
        "train_seconds": round(train_seconds, 1),
        "validation_mae": -max(row["val_score"] for row in history),
    }
    return model, history, test, rows, info


def card_protocol(metrics: dict) -> str:
    """The protocol text with the measured sizes, baselines, calibration and second protocol, for the model card."""
    test, sizes = metrics["test"], metrics["sizes"]
    lines = [
        PROTOCOL_TEXT[metrics["protocol"]],
        "Sizes: "
        + "; ".join(
            f"{part} {s['runs']} runs / {s['runners']} runners / {s['steps']} steps" for part, s in sizes.items()
        )
        + ".",
        f"Test MAE {test['mae']:.2f} bpm (RMSE {test['rmse']:.2f}); baselines on the same steps: constant mean "
        f"{test['baselines']['constant_mean']['mae']:.2f}, linear regression on the 14 features "
        f"{test['baselines']['linear_regression']['mae']:.2f} bpm.",
    ]
    if "calibration" in test:
        c = test["calibration"]
        lines.append(
            f"With {c['minutes']:g} min of calibration from the same run (shift weight {c['weight']:g}): "
            f"MAE after the window {c['mae_before']:.2f} -> {c['mae_after']:.2f} bpm; "
            f"on the same steps the constant mean scores {c['constant_mean_mae']:.2f} and the window's heart rate "
            f"held constant {c['window_heart_rate_mae']:.2f} bpm."
        )
    personal = metrics.get("personalisation")
    if personal:
        c, profile, coverage = personal["calibration"], personal["profile"], test.get("band_coverage", {})
        lines.append(
            f"Personalisation, every setting chosen on out-of-fold curves of {personal['oof_runners']} training "
            f"runners ({personal['oof_runs']} runs; `python -m training.hr_oof`, `python -m training.hr_personal`), "
            f"never on the test runners. Out of fold: uncalibrated MAE {personal['oof_mae_uncalibrated']:.2f} bpm; "
            f"calibrated on minutes {c['start_min']}-{c['end_min']} at weight {c['weight']:g}, "
            f"{c['mae']:.2f} after minute 10; runner profile "
            f"({'level only' if profile['shrinkage'] is None else 'level and gain'}) from the other runs of the same "
            f"runner, leave-one-run-out over {profile['runners']} runners / {profile['runs']} runs, "
            f"{profile['mae']:.2f}. "
            + (
                "The 80 % band covers "
                + ", ".join(f"{100 * v:.0f} % of the test samples {k}" for k, v in coverage.items())
                + "."
                if coverage
                else ""
            )
        )
    if "second_protocol" in metrics:
        second = metrics["second_protocol"]["test"]
        lines.append(
            f"Second protocol, {metrics['second_protocol']['protocol_text'].rstrip('.')}: "
            f"test MAE {second['mae']:.2f} bpm, "
            f"constant mean {second['baselines']['constant_mean']['mae']:.2f}, linear regression "
            f"{second['baselines']['linear_regression']['mae']:.2f} bpm."
        )
    return "\n\n".join(lines)


def plot_test_runs(model: HRModel, workouts: list[Workout], rows: list[dict], folder: Path) -> None:
    """The best, median and worst test run of the model, as the Space draws them."""
    ranked = sorted(rows, key=lambda row: row["mae"])
    by_id = {w.workout_id: w for w in workouts}
    for label, row in (("best", ranked[0]), ("median", ranked[len(ranked) // 2]), ("worst", ranked[-1])):
        figure = plot_result(predict(model, by_id[row["workout_id"]].recording, recorded_start=0))
        figure.write_html(folder / f"test_run_{label}.html", include_plotlyjs="cdn")


def plot_comparison(test: dict, folder: Path, title: str) -> None:
    names = ["constant_mean", "linear_regression", "model"]
    values = [test["baselines"]["constant_mean"]["mae"], test["baselines"]["linear_regression"]["mae"], test["mae"]]
    figure = Figure(figsize=(6, 3.5), layout="constrained")
    ax = figure.subplots()
    ax.bar(names, values, color=["0.6", "0.45", "tab:red"])
    for x, value in enumerate(values):
        ax.text(x, value, f"{value:.1f}", ha="center", va="bottom")
    ax.set(ylabel="test MAE (bpm)", title=title)
    figure.savefig(folder / "mae_comparison.png", dpi=100)


def main(argv: list[str] | None = None) -> Path:
    config = parse_config(HRTrainConfig, argv, prog="python -m training.train hr")
    config.variant = config.variant or config.arch + ("-cal" if config.objective == "calibrated" else "")
    task = get_task("hr")
    out = Path(config.out) if config.out else task.checkpoint(config.variant)

    # data: every workout through the serving reader checks and grid, then the protocol's split
    workouts = load_workouts(config.data_dir or None)
    runs = [workout_grid(w.recording) for w in workouts]

    # training on the main protocol (the checkpoint) and, for the report, on the other protocol
    model, history, test, rows, info = train_split(
        config,
        workouts,
        runs,
        protocol_split(workouts, config.protocol, seed=config.seed),
        balance=config.balance_runners and config.protocol == "user",
    )
    metrics = {
        "task": "hr",
        "variant": config.variant,
        "arch": config.arch,
        "protocol": config.protocol,
        "protocol_text": PROTOCOL_TEXT[config.protocol],
        "dataset": "running_hr (129 real runs, 43 pseudo-runners)",
        "grid_s": GRID_S,
        "features": list(FEATURE_NAMES),
        "parameters": sum(p.numel() for p in model.parameters()),
        **info,
        "test": test,
    }
    if config.second_protocol:
        other = "chrono" if config.protocol == "user" else "user"
        _, _, other_test, _, other_info = train_split(
            config,
            workouts,
            runs,
            protocol_split(workouts, other, seed=config.seed),
            balance=config.balance_runners and other == "user",
        )
        metrics["second_protocol"] = {
            "protocol": other,
            "protocol_text": PROTOCOL_TEXT[other],
            **other_info,
            "test": other_test,
        }

    # checkpoint folder and report
    card = model_card(
        task,
        config.variant if config.variant in task.hub.models else "lstm",
        metrics=metrics,
        training_command=config.command("hr"),
        protocol=card_protocol(metrics),
        limits=LIMITS,
    )
    save_checkpoint(model, out, training_config=config.to_dict())
    write_evaluation(out, metrics=metrics, card=card)
    report = out / "report"
    report.mkdir(exist_ok=True)
    write_rows_csv(rows, report / "test_runs.csv")
    write_rows_csv(history, report / "history.csv")
    summary = [
        {"protocol": config.protocol, "model": name, **values}
        for name, values in [
            ("constant_mean", test["baselines"]["constant_mean"]),
            ("linear_regression", test["baselines"]["linear_regression"]),
            (config.arch, {k: test[k] for k in ("mae", "rmse", "n_steps")}),
        ]
    ]
    if config.second_protocol:
        second = metrics["second_protocol"]
        summary += [
            {"protocol": second["protocol"], "model": name, **values}
            for name, values in [
                ("constant_mean", second["test"]["baselines"]["constant_mean"]),
                ("linear_regression", second["test"]["baselines"]["linear_regression"]),
                (config.arch, {k: second["test"][k] for k in ("mae", "rmse", "n_steps")}),
            ]
        ]
    write_rows_csv(summary, report / "model_summary.csv")
    write_rows_csv(
        [{"intensity": name, **values} for name, values in test["per_intensity"].items()], report / "per_intensity.csv"
    )
    title = f"{config.arch}, {config.protocol} protocol test"
    plot_learning_curves(history, report / "learning_curves.png", title)
    plot_comparison(test, report, title)
    plot_test_runs(model, workouts, rows, report)
    print(
        json.dumps(
            {
                "out": str(out),
                "test_mae": round(test["mae"], 2),
                "test_rmse": round(test["rmse"], 2),
                "baselines": {k: round(v["mae"], 2) for k, v in test["baselines"].items()},
                "calibrated_mae": test.get("calibration", {}).get("mae_after"),
            }
        )
    )
    return out


def refresh_evaluation(variant: str, *, data_dir: str | None = None) -> dict:
    """Re-measure a shipped checkpoint's test block through today's pipeline and settings, and rewrite its
    metrics.json, card and per-run table; weights, the second protocol and the personalisation block are kept."""
    from core import load_model

    task = get_task("hr")
    folder = task.checkpoint(variant)
    model = load_model("hr", variant=variant)
    config = HRTrainConfig(**json.loads((folder / "training_config.json").read_text()))
    workouts = load_workouts(data_dir)
    train_index, _, test_index = protocol_split(workouts, config.protocol, seed=config.seed)
    if config.limit:
        train_index = train_index[: config.limit]
    baselines = fit_baselines([workout_grid(workouts[i].recording) for i in train_index])
    metrics = dict(model.metrics)
    metrics["test"], rows = evaluate(model, workouts, test_index, baselines)
    card = model_card(
        task,
        variant,
        metrics=metrics,
        training_command=config.command("hr"),
        protocol=card_protocol(metrics),
        limits=LIMITS,
    )
    write_evaluation(folder, metrics=metrics, card=card)
    write_rows_csv(rows, folder / "report" / "test_runs.csv")
    return metrics


def evaluate_main(argv: list[str] | None = None) -> None:
    """`python -m training.evaluate hr [--variant lstm|physio]`: test metrics of a shipped checkpoint as JSON, beside
    the baselines fitted on the same training runs."""
    import argparse

    from core import load_model

    parser = argparse.ArgumentParser(prog="python -m training.evaluate hr")
    parser.add_argument("--variant", default=get_task("hr").variant(), choices=list(get_task("hr").checkpoints))
    parser.add_argument("--data-dir", default="")
    args = parser.parse_args(argv)
    model = load_model("hr", variant=args.variant, backend="onnx")
    config = json.loads((model.checkpoint_dir / "training_config.json").read_text())
    workouts = load_workouts(args.data_dir or None)
    train_index, _, test_index = protocol_split(workouts, config["protocol"], seed=config["seed"])
    if config["limit"]:
        train_index = train_index[: config["limit"]]
    baselines = fit_baselines([workout_grid(workouts[i].recording) for i in train_index])
    test, _ = evaluate(model, workouts, test_index, baselines)
    personal = model.metrics.get("personalisation", {})
    protocols = {
        "uncalibrated_test_mae": test["mae"],
        "calibrated_10min_test_mae": test.get("calibration", {}).get("mae_after"),
        "band_coverage_test": test.get("band_coverage"),
        "profiled_leave_one_run_out_mae": personal.get("profile", {}).get("mae"),
        "profiled_runners_runs": [personal.get("profile", {}).get(k) for k in ("runners", "runs")],
        "out_of_fold_uncalibrated_mae": personal.get("oof_mae_uncalibrated"),
        "out_of_fold_calibrated_mae": personal.get("calibration", {}).get("mae"),
    }
    print(
        json.dumps({"variant": args.variant, "protocols": protocols, "protocol": config["protocol"], **test}, indent=2)
    )
