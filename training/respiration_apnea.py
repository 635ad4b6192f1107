"""The supervised apnea CNN: Apnea-ECG records as the pipeline serves them, one validation split or record-wise
K-fold cross-validation, and the threshold and probability smoothing chosen on validation records."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from core.readers.series import BeatSeries
from core.respiration.apnea import apnea_inputs, apnea_night_rr, apnea_windows
from core.respiration.data import APNEA_TEST_RECORDS, APNEA_VAL_RECORDS, apnea_ecg
from core.respiration.model import ApneaNet
from core.respiration.rr import GRID_FS
from core.respiration.scoring import binary_metrics, smooth_scores
from training.loop import fit, tensors

if TYPE_CHECKING:
    from training.respiration import RespirationTrainConfig


def apnea_records(data_dir: str | None) -> dict[str, dict]:
    """Per labelled record: the serving inputs (`apnea_inputs`) and the aligned minute labels."""
    beats, labels = apnea_ecg(data_dir)
    records = {}
    for record, minutes in tqdm(labels.groupby("record"), desc="Apnea-ECG records"):
        rows = beats[beats["record"] == record]
        times = rows["beat_time_s"].to_numpy()
        inputs = apnea_inputs(BeatSeries(times[1:], np.diff(times), record))
        n = min(inputs["minutes"], len(minutes))
        inputs["windows"], inputs["grid"], inputs["minutes"] = (
            inputs["windows"][:n],
            inputs["grid"][: n * int(60 * GRID_FS)],
            n,
        )
        records[record] = {"inputs": inputs, "labels": minutes.sort_values("minute")["label"].to_numpy()[:n]}
    return records


def split_records(records: dict) -> tuple[list[str], list[str], list[str]]:
    test = [r for r in records if r in APNEA_TEST_RECORDS]
    val = [r for r in records if r in APNEA_VAL_RECORDS]
    return [r for r in records if r not in test and r not in val], val, test


def best_accuracy_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The score cut-off of highest accuracy (chosen on validation records only)."""
    candidates = np.quantile(scores, np.linspace(0.01, 0.99, 197))
    return float(max(candidates, key=lambda t: np.mean((scores >= t) == labels)))


def rr_scaling(sigma: float):
    """A batch augmentation multiplying each RR window by exp(N(0, sigma)); None when sigma is 0."""
    if not sigma:
        return None

    def augment(batch: list[torch.Tensor]) -> list[torch.Tensor]:
        factor = torch.exp(sigma * torch.randn(batch[0].shape[0], 1))
        return [batch[0] * factor, *batch[1:]]

    return augment


def stack_records(records: dict, names: list[str], *, night: bool = False) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The model inputs (`train_apnea` sets them: RR windows, and the night's median RR when `night`) and float minute
    labels of the named records, concatenated."""
    keys = ("windows", "night_rr") if night else ("windows",)
    return (
        tuple(np.concatenate([records[n][k] for n in names]) for k in keys),
        np.concatenate([records[n]["labels"] for n in names]).astype(np.float32),
    )


def per_record_rows(
    records: dict, probability: dict[str, np.ndarray], names: list[str], threshold: float
) -> list[dict]:
    """Per-record metrics at `threshold`, for the report."""
    rows = []
    for n in names:
        metrics = binary_metrics(records[n]["labels"], probability[n], threshold)
        rows.append({"record": n, **{k: round(v, 4) for k, v in metrics.items() if k != "threshold"}})
    return rows


def fit_apnea_net(model: ApneaNet, train: tuple, val: tuple, config: RespirationTrainConfig) -> list[dict]:
    """Train one apnea CNN (or ensemble member) on stacked (inputs, labels), early-stopped on validation AUROC."""
    (x_train, y_train), (x_val, y_val) = train, val

    def auroc(logits: np.ndarray) -> float:
        return binary_metrics(y_val, logits, 0.0)["auroc"]

    return fit(
        model,
        tensors(*x_train, y_train),
        tensors(*x_val, y_val),
        config,
        loss_fn=nn.functional.binary_cross_entropy_with_logits,
        score_fn=auroc,
        augment=rr_scaling(config.rr_scale),
    )


def train_apnea(config: RespirationTrainConfig) -> dict:
    """The supervised apnea CNN: one validation split, or record-wise K-fold cross-validation with --folds K."""
    records = apnea_records(config.data_dir or None)
    length = int(config.context * 60 * GRID_FS)
    for record in records.values():  # the inputs the model is served, so training sees what serving computes
        record["windows"] = apnea_windows(record["inputs"], length=length)
        record["night_rr"] = apnea_night_rr(record["inputs"], len(record["windows"]))
    if config.folds:
        return train_apnea_folds(config, records)
    train, val, test = split_records(records)

    night = int(config.views == "night")
    (x_train, y_train), (x_val, y_val), (_, y_test) = (
        stack_records(records, names, night=night) for names in (train, val, test)
    )
    model = ApneaNet(
        length=x_train[0].shape[1],
        width=config.cnn_width,
        rr_mean=float(x_train[0].mean()),
        rr_std=float(x_train[0].std()),
        night_members=night,
    )

    history = fit_apnea_net(model, (x_train, y_train), (x_val, y_val), config)
    model.threshold, model.smooth, tuning = tune_apnea_smoothing(model, {n: records[n] for n in val})
    probability = {n: model.apnea_probability(records[n]["inputs"]) for n in val + test}
    p_val, p_test = (np.concatenate([probability[n] for n in names]) for names in (val, test))
    per_record = per_record_rows(records, probability, test, model.threshold)
    return {
        "model": model,
        "histories": (history,),
        "test": {**binary_metrics(y_test, p_test, model.threshold), "records": test},
        "validation": {**binary_metrics(y_val, p_val, model.threshold), "smooth": model.smooth, "records": val},
        "roc": (y_test.astype(int), p_test),
        "tables": {"per_record.csv": per_record, "smoothing_tuning.csv": tuning},
        "split": {"train": train, "validation": val, "test": test},
    }


APNEA_SMOOTH_GRID = (1, 3, 5, 7)
"""Minutes of probability smoothing tried on the validation records."""
APNEA_FOLD_SMOOTH_GRID = (1, 3, 5, 7, 9, 11)
"""Minutes of probability smoothing tried on the out-of-fold predictions of a cross-validation (27 records)."""


def tune_apnea_smoothing(model: ApneaNet, val: dict[str, dict]) -> tuple[float, int, list[dict]]:
    """Threshold and smoothing width of best accuracy over the validation records (each night smoothed on its own)."""
    raw = {}
    for name, record in val.items():
        model.smooth = 1
        raw[name] = model.apnea_probability(record["inputs"])
    return tune_smoothing(raw, {n: r["labels"] for n, r in val.items()}, APNEA_SMOOTH_GRID)


def tune_smoothing(
    raw: dict[str, np.ndarray], labels: dict[str, np.ndarray], grid: tuple[int, ...]
) -> tuple[float, int, list[dict]]:
    """Threshold and smoothing width of best accuracy over per-record unsmoothed probabilities."""
    y = np.concatenate([labels[n] for n in raw])
    rows = []
    for width in grid:
        scores = np.concatenate([smooth_scores(raw[n], width) for n in raw])
        threshold = best_accuracy_threshold(y, scores)
        rows.append(
            {"smooth": width, "threshold": threshold, "accuracy": binary_metrics(y, scores, threshold)["accuracy"]}
        )
    best = max(rows, key=lambda r: r["accuracy"])
    return best["threshold"], best["smooth"], rows


def apnea_folds(records: list[str], folds: int) -> list[list[str]]:
    """Record-wise folds of the non-test records: the validation records first, the others dealt in name order."""
    first = [r for r in records if r in APNEA_VAL_RECORDS]
    rest = sorted(r for r in records if r not in APNEA_VAL_RECORDS)
    return [first] + [rest[i :: folds - 1] for i in range(folds - 1)]


def train_apnea_folds(config: RespirationTrainConfig, records: dict) -> dict:
    """K-fold cross-validation over the non-test records; the fold models' ensemble is the served model.

    Each fold model trains on the other folds with early stopping on its own held-out records. The smoothing width
    and threshold are chosen on the out-of-fold probabilities of all non-test records; test records are scored once.
    """
    test = [r for r in records if r in APNEA_TEST_RECORDS]
    folds = apnea_folds([r for r in records if r not in test], config.folds)

    everything = np.concatenate([records[n]["windows"] for fold in folds for n in fold])
    views = {"raw": (0,), "night": (1,), "both": (0, 1)}[config.views]
    ensemble = ApneaNet(
        length=everything.shape[1],
        width=config.cnn_width,
        rr_mean=float(everything.mean()),
        rr_std=float(everything.std()),
        members=config.folds * len(views),
        night_members=config.folds * sum(views),
    )
    raw, histories, fold_rows = {}, [], []
    for k, held_out in enumerate(folds):
        tqdm.write(f"fold {k + 1}/{config.folds}: held out {', '.join(held_out)}")
        train = [n for f in folds if f is not held_out for n in f]
        fold_probability = {name: [] for name in held_out}
        for v, night in enumerate(views):  # members of one view are consecutive, the night view's last
            x_train, y_train = stack_records(records, train, night=night)
            x_val, y_val = stack_records(records, held_out, night=night)
            index = v * config.folds + k
            member = ensemble.member(index)

            history = fit_apnea_net(member, (x_train, y_train), (x_val, y_val), config)
            ensemble.set_member(index, member)
            histories.append([{"fold": k + 1, "view": "night" if night else "raw", **row} for row in history])
            for name in held_out:
                fold_probability[name].append(member.apnea_probability(records[name]["inputs"]))
            best = max(history, key=lambda r: r["val_score"])
            fold_rows.append(
                {
                    "fold": k + 1,
                    "view": "night" if night else "raw",
                    "records": " ".join(held_out),
                    "best_epoch": best["epoch"],
                    "epochs_run": len(history),
                    "val_auroc": round(best["val_score"], 4),
                }
            )
        for name in held_out:  # the fold's members averaged in probability, as the served ensemble averages them
            raw[name] = np.mean(fold_probability[name], axis=0)
    labels = {n: records[n]["labels"] for n in raw}
    ensemble.threshold, ensemble.smooth, tuning = tune_smoothing(raw, labels, APNEA_FOLD_SMOOTH_GRID)
    oof = {n: smooth_scores(p, ensemble.smooth) for n, p in raw.items()}
    for row in fold_rows:
        held_out = row["records"].split()
        y = np.concatenate([labels[n] for n in held_out])
        row.update(
            {
                f"oof_{k}": round(v, 4)
                for k, v in binary_metrics(y, np.concatenate([oof[n] for n in held_out]), ensemble.threshold).items()
                if k != "threshold"
            }
        )
    ensemble.eval()
    probability = {n: ensemble.apnea_probability(records[n]["inputs"]) for n in test}
    y_test, p_test = (
        np.concatenate([d[n] for n in test]) for d in ({n: records[n]["labels"] for n in test}, probability)
    )
    y_oof, p_oof = np.concatenate([labels[n] for n in raw]), np.concatenate([oof[n] for n in raw])
    former = folds[0]
    per_record = per_record_rows(records, probability, test, ensemble.threshold)
    validation = {
        **binary_metrics(y_oof, p_oof, ensemble.threshold),
        "smooth": ensemble.smooth,
        "folds": config.folds,
        "out_of_fold": "each non-test record scored by the fold model that did not train on it",
        "former_validation_records": {
            **binary_metrics(
                np.concatenate([labels[n] for n in former]),
                np.concatenate([oof[n] for n in former]),
                ensemble.threshold,
            ),
            "records": former,
        },
        "per_fold": fold_rows,
    }
    history_names = [
        f"cnn_fold{k + 1}" + ("_night" if night and len(views) > 1 else "")
        for k in range(config.folds)
        for night in views
    ]
    return {
        "model": ensemble,
        "histories": tuple(histories),
        "history_names": history_names,
        "test": {**binary_metrics(y_test, p_test, ensemble.threshold), "records": test},
        "validation": validation,
        "roc": (y_test.astype(int), p_test),
        "tables": {"per_record.csv": per_record, "smoothing_tuning.csv": tuning, "folds.csv": fold_rows},
        "split": {"folds": folds, "test": test},
    }
