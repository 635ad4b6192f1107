"""Train an ECG heartbeat classifier on MIT-BIH and write its checkpoint folder with a report.

python -m training.train ecg --variant inter     # the shipped default, new-patient model (training/ecg_features.py)
python -m training.train ecg --protocol intra    # shipped intra-patient benchmark CNN
python -m training.train ecg --protocol inter    # the CNN under the inter-patient protocol, in runs/ecg-inter-cnn
python -m training.train ecg --arch gru --epochs 8 --out runs/ecg-gru
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from tqdm.auto import tqdm

from core.checkpoint import save_checkpoint, write_evaluation
from core.ecg.beats import AAMI_CLASSES, AAMI_MAP, unknown_rr
from core.ecg.data import load_beats, load_kaggle_beats, protocol_split
from core.ecg.model import ECGClassifier
from core.ecg.predictor import ECGPredictor
from core.modelcard import model_card
from core.predictor import load_predictor, served_onnx
from core.results import softmax
from core.tasks import get_task
from training.config import TrainConfig, parse_config
from training.loop import balanced_sampler, fit, predict_outputs, seed_everything, tensors
from training.metrics import (
    classification_metrics,
    macro_f1_score,
    plot_confusion,
    plot_learning_curves,
    plot_roc_pr,
    write_per_class_csv,
    write_rows_csv,
)

PROTOCOL_TEXT = {
    "intra": "intra-patient benchmark, not new patients: every beat of all 48 MIT-BIH records, stratified random "
    "80/20 split (the Kaggle heartbeat proportions, the protocol of the published leaderboards); beats of one patient "
    "fall in both parts.",
    "inter": "inter-patient (de Chazal et al. 2004): trained on DS1, tested on DS2, 22 records each, paced records "
    "102, 104, 107 and 217 excluded; no patient is in both parts.",
    "kaggle": "the Kaggle heartbeat CSVs' own split (87,554 train / 21,892 test beats, intra-patient); no RR features.",
}
LIMITS = {
    "intra": "A benchmark model, not for new patients: its test beats come from patients seen in training, so its "
    "figures are optimistic; on a new patient use the default inter-patient model (variant 'inter'). "
    "A lone 187-sample beat row (a Kaggle CSV row) has no RR intervals and no pre-R context; both are filled as "
    "unknown and such rows score lower (`beats_only` in metrics.json).",
    "inter": "Inter-patient figures are what to expect on a new patient; S and F beats remain hard.",
    "kaggle": "Intra-patient and beats only: optimistic for new patients, and blind to rhythm (no RR intervals).",
}
CALIBRATION_BEATS = 2048
FEATURE_VARIANTS = ("inter",)
"""Shipped variants of the new-patient feature model; the others are the beat CNNs of this script."""


@dataclass
class ECGTrainConfig(TrainConfig):
    """Training configuration of the ECG heartbeat classifier."""

    protocol: Literal["intra", "inter", "kaggle"] = "intra"
    arch: Literal["resnet", "rnn", "lstm", "gru"] = "resnet"
    width: int = 32
    stages: int = 4
    stem_stride: int = 1
    hidden: int = 64
    layers: int = 2
    dropout: float = 0.2
    use_rr: bool = True
    context_samples: int = 0
    """Pre-R samples (125 Hz) the model sees before each beat, e.g. 64 (0.5 s: the beat's P wave); 0 for beats alone."""
    members: int = 1
    """Train that many networks (seeds seed, seed + 1, ...), each stopped on validation, served as one averaged
    graph."""
    rr_dropout: float = 0.1
    sampler_power: float = 0.5
    label_smoothing: float = 0.0
    augment: bool = False
    val_by_record: bool = False
    int8: bool = True
    """Also write `model.int8.onnx` (static int8 quantization calibrated on training beats); serving prefers it."""
    data_dir: str = ""
    kaggle_dir: str = ""


def safe_std(x: np.ndarray) -> np.ndarray:
    """Per-column std, with 1 for constant columns (the RR 'known' flag is always 1 in training data)."""
    std = x.std(axis=0)
    return np.where(std < 1e-3, 1.0, std)


def j_index(metrics: dict) -> float:
    """de Chazal's j-index: sensitivity plus positive predictivity of the S and V classes."""
    per = metrics["per_class"]
    return per["S"]["recall"] + per["V"]["recall"] + per["S"]["precision"] + per["V"]["precision"]


def make_augment(rr_dropout: float, morphology: bool):
    """Batch augmentation: RR features (and pre-R context, when the batch has it) of a random share of beats set to
    'unknown' (so lone beats are classified too), and, with `morphology`, random amplitude, baseline, noise and shifts
    of a few samples (other patients' beats)."""
    unknown = torch.from_numpy(unknown_rr(1))

    def augment(batch: list[torch.Tensor]) -> list[torch.Tensor]:
        beats, rr, *context, target = batch
        lone = None
        if rr_dropout:
            lone = (torch.rand(len(rr)) < rr_dropout)[:, None]
            rr = torch.where(lone, unknown, rr)
        if morphology:  # on context and beat together, the one sequence the encoder sees
            n, k = len(beats), sum(c.shape[1] for c in context)
            x = torch.cat([*context, beats], dim=1)
            x = x * torch.empty(n, 1).uniform_(0.8, 1.2) + torch.empty(n, 1).uniform_(-0.1, 0.1)
            x = x + 0.01 * torch.randn_like(x)
            x = torch.roll(x, shifts=int(torch.randint(-3, 4, ())), dims=1)
            context, beats = ([x[:, :k]] if k else []), x[:, k:]
        if lone is not None:
            context = [torch.where(lone, torch.zeros(()), c) for c in context]
        return [beats, rr, *context, target]

    return augment


def validation_split(train_index: np.ndarray, data: dict, config: "ECGTrainConfig") -> tuple[np.ndarray, np.ndarray]:
    """Stratified random beats, or (`val_by_record`) whole held-out records, so model selection sees unseen patients."""
    if config.val_by_record:
        from sklearn.model_selection import GroupShuffleSplit

        split = GroupShuffleSplit(n_splits=1, test_size=config.val_fraction, random_state=config.seed)
        fit, val = next(split.split(train_index, groups=data["record"][train_index]))
        return train_index[fit], train_index[val]
    return train_test_split(
        train_index, test_size=config.val_fraction, stratify=data["label"][train_index], random_state=config.seed
    )


def reporting_macro_f1(y_val: np.ndarray):
    """The validation score (macro-F1), which also prints each epoch's validation accuracy."""
    score = macro_f1_score(y_val, AAMI_CLASSES)

    def score_fn(outputs: np.ndarray) -> float:
        tqdm.write(f"  val_accuracy {float((outputs.argmax(axis=1) == y_val).mean()):.4f}")
        return score(outputs)

    return score_fn


def evaluate(model: ECGClassifier, data: dict, index: np.ndarray) -> dict:
    """Test metrics with RR features and context (records) and without them (lone beats)."""
    y = data["label"][index]
    with_rr = model.predict_beats(data["beats"][index], data["rr"][index], data["context"][index])
    beats_only = model.predict_beats(data["beats"][index])
    metrics = classification_metrics(y, with_rr, model.labels)
    metrics["j_index"] = j_index(metrics)
    lone = classification_metrics(y, beats_only, model.labels)
    metrics["beats_only"] = {"accuracy": lone["accuracy"], "macro_f1": lone["macro_f1"]}
    return metrics, with_rr


def config_class_for(variant: str) -> type[TrainConfig]:
    """The configuration class that trains `variant`: the new-patient feature model's, or the beat CNN's."""
    from training.ecg_features import ECGFeatureTrainConfig

    return ECGFeatureTrainConfig if (variant or get_task("ecg").variant()) in FEATURE_VARIANTS else ECGTrainConfig


def feature_variant(argv: list[str]) -> bool:
    """Whether a command line trains the feature model: its `--variant`, else the variant of its `--config` file,
    names a feature-model variant (a command without either trains the beat CNN, as before)."""
    import argparse

    import yaml

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--variant", default="")
    parser.add_argument("--config", default="")
    known = parser.parse_known_args(argv)[0]
    variant = known.variant
    if not variant and known.config and Path(known.config).is_file():
        values = yaml.safe_load(Path(known.config).read_text())
        variant = values.get("variant", "") if isinstance(values, dict) else ""
    return variant in FEATURE_VARIANTS


def main(argv: list[str] | None = None) -> Path:
    argv = sys.argv[1:] if argv is None else argv
    if feature_variant(argv):
        from training import ecg_features

        return ecg_features.main(argv)
    config = parse_config(ECGTrainConfig, argv, prog="python -m training.train ecg")
    config.variant = config.variant or (config.protocol if config.protocol == "intra" else f"{config.protocol}-cnn")
    task = get_task("ecg")
    shipped = config.variant in task.checkpoints and config.variant not in FEATURE_VARIANTS
    out = (
        Path(config.out)
        if config.out
        else task.checkpoint(config.variant)
        if shipped
        else Path("runs") / f"ecg-{config.variant}"
    )
    seed_everything(config.seed, config.threads)

    # data: the protocol's train part, split again into train and validation; the test part is only evaluated
    data = load_kaggle_beats(config.kaggle_dir) if config.protocol == "kaggle" else load_beats(config.data_dir or None)
    train_index, test_index = protocol_split(data, config.protocol, seed=config.seed)
    if config.limit:
        train_index = np.random.default_rng(config.seed).choice(
            train_index, min(config.limit, len(train_index)), replace=False
        )
    fit_index, val_index = validation_split(train_index, data, config)
    beats, rr, label = data["beats"], data["rr"], data["label"]
    inputs = (
        (beats, rr, data["context"][:, data["context"].shape[1] - config.context_samples :])
        if config.context_samples
        else (beats, rr)
    )
    train_set = tensors(*(x[fit_index] for x in inputs), label[fit_index])
    val_set = tensors(*(x[val_index] for x in inputs), label[val_index])

    # model, standardised with training statistics
    shape = dict(
        arch=config.arch,
        width=config.width,
        stages=config.stages,
        stem_stride=config.stem_stride,
        hidden=config.hidden,
        layers=config.layers,
        dropout=config.dropout,
        use_rr=config.use_rr,
        context_samples=config.context_samples,
        labels=AAMI_CLASSES,
        beat_mean=float(beats[fit_index].mean()),
        beat_std=float(beats[fit_index].std()),
        rr_mean=rr[fit_index].mean(axis=0).tolist(),
        rr_std=safe_std(rr[fit_index]).tolist(),
    )
    model = ECGClassifier(**shape)
    n_params = sum(p.numel() for p in model.parameters()) * config.members
    print(
        f"{config.arch} x {config.members}: {n_params:,} parameters; {len(fit_index):,} train / "
        f"{len(val_index):,} validation / {len(test_index):,} test beats"
    )

    # training loop
    loss = torch.nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    sampler = balanced_sampler(label[fit_index], config.sampler_power) if config.sampler_power else None
    y_val = label[val_index]

    started = time.time()
    members, history = [], []
    for member in range(config.members):
        if member:  # member 0 is the single model of the same command without --members
            seed_everything(config.seed + member, config.threads)
            model = ECGClassifier(**shape)
        rows = fit(
            model,
            train_set,
            val_set,
            config,
            loss_fn=loss,
            score_fn=reporting_macro_f1(y_val),
            sampler=sampler,
            augment=make_augment(config.rr_dropout if config.use_rr else 0.0, config.augment),
        )
        members.append(model)
        history += [{"member": member, **row} for row in rows] if config.members > 1 else rows
    if config.members > 1:
        model = ECGClassifier(**shape, members=config.members)
        for member, net in enumerate(members):
            model.set_member(member, net)
        model.eval()
    train_seconds = time.time() - started

    # the checkpoint, then the served predictor (the int8 graph when quantized) evaluated on the untouched test part
    calibration = np.random.default_rng(config.seed).choice(
        fit_index, min(CALIBRATION_BEATS, len(fit_index)), replace=False
    )
    save_checkpoint(
        model,
        out,
        training_config=config.to_dict(),
        calibration=tuple(x[calibration] for x in inputs) if config.int8 else None,
    )
    test, probabilities = evaluate(load_predictor(ECGPredictor, out), data, test_index)
    torch_test, _ = evaluate(model, data, test_index)
    val = classification_metrics(
        y_val, softmax(predict_outputs(model, val_set, n_inputs=len(model.input_names))), AAMI_CLASSES
    )
    metrics = {
        "task": "ecg",
        "variant": config.variant,
        "protocol": config.protocol,
        "protocol_text": PROTOCOL_TEXT[config.protocol],
        "dataset": "MIT-BIH Arrhythmia Database",
        "arch": config.arch,
        "parameters": n_params,
        "epochs_run": len(history),
        "train_seconds": round(train_seconds, 1),
        "served_onnx": served_onnx(out).name,
        "validation": {"accuracy": val["accuracy"], "macro_f1": val["macro_f1"]},
        "test": test,
        "test_float32": {"accuracy": torch_test["accuracy"], "macro_f1": torch_test["macro_f1"]},
    }
    if config.members > 1:
        metrics["members"] = []
        for member, net in enumerate(members):
            scores = classification_metrics(
                y_val, softmax(predict_outputs(net, val_set, n_inputs=len(net.input_names))), AAMI_CLASSES
            )
            metrics["members"].append(
                {
                    "seed": config.seed + member,
                    "epochs_run": sum(row["member"] == member for row in history),
                    "validation": {"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"]},
                }
            )
    card = model_card(
        task,
        config.variant if shipped else "intra",
        metrics=metrics,
        training_command=config.command("ecg"),
        protocol=PROTOCOL_TEXT[config.protocol],
        limits=LIMITS[config.protocol],
    )
    write_evaluation(out, metrics=metrics, card=card)
    report = out / "report"
    report.mkdir(exist_ok=True)
    title = f"{config.arch}, {config.protocol}-patient test"
    write_per_class_csv(test, report / "per_class_f1.csv")
    write_rows_csv(
        [
            {
                "arch": config.arch,
                "protocol": config.protocol,
                "parameters": n_params,
                "epochs": len(history),
                "train_seconds": round(train_seconds, 1),
                "test_accuracy": round(test["accuracy"], 4),
                "test_macro_f1": round(test["macro_f1"], 4),
                "j_index": round(test["j_index"], 4),
                "beats_only_accuracy": round(test["beats_only"]["accuracy"], 4),
            }
        ],
        report / "model_summary.csv",
    )
    write_rows_csv(history, report / "history.csv")
    plot_confusion(test, AAMI_CLASSES, report / "confusion_matrix.png", title)
    plot_roc_pr(data["label"][test_index], probabilities, AAMI_CLASSES, report / "roc_pr.png", title)
    first = [row for row in history if row.get("member", 0) == 0]
    plot_learning_curves(first, report / "learning_curves.png", title + (" (member 0)" if config.members > 1 else ""))
    print(
        json.dumps(
            {
                "out": str(out),
                "test_accuracy": test["accuracy"],
                "test_macro_f1": test["macro_f1"],
                "j_index": test["j_index"],
            }
        )
    )
    return out


def peak_detection_metrics(data_dir: str | None = None, *, method: str = "searchback") -> dict:
    """R-peak sensitivity and positive predictivity over all MIT-BIH records (150 ms tolerance, first lead)."""
    from core.ecg.beats import ecg_peaks, match_peaks
    from core.ecg.data import mitdb_dir
    from core.readers.wfdb_records import read_wfdb

    folder = mitdb_dir(data_dir or None)
    totals = np.zeros(3, dtype=int)
    per_record = {}
    for record in tqdm(folder.joinpath("RECORDS").read_text().split(), desc="R-peak detection"):
        recording = read_wfdb(folder / f"{record}.hea")
        symbols, samples = recording.annotations["symbol"], recording.annotations["sample"]
        reference = samples[[s in AAMI_MAP for s in symbols]]
        counts = np.array(
            match_peaks(reference, ecg_peaks(recording.signal[:, 0], recording.fs, method=method), recording.fs)
        )
        per_record[record] = counts.tolist()
        totals += counts
    tp, fn, fp = totals.tolist()
    return {
        "method": method,
        "tolerance_s": 0.15,
        "beats": tp + fn,
        "sensitivity": tp / (tp + fn),
        "positive_predictivity": tp / (tp + fp),
        "per_record_tp_fn_fp": per_record,
    }


def evaluate_main(argv: list[str] | None = None) -> None:
    """`python -m training.evaluate ecg [--variant inter|intra] [--peaks]`: test metrics of a shipped checkpoint
    as JSON."""
    import argparse

    from core import load_model

    parser = argparse.ArgumentParser(prog="python -m training.evaluate ecg")
    parser.add_argument("--variant", default=get_task("ecg").variant(), choices=list(get_task("ecg").checkpoints))
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--peaks", action="store_true", help="evaluate R-peak detection on all records instead")
    args = parser.parse_args(argv)
    if args.peaks:
        result = peak_detection_metrics(args.data_dir)
        result.pop("per_record_tp_fn_fp")
        print(json.dumps(result, indent=2))
        return
    if args.variant in FEATURE_VARIANTS:
        from training import ecg_features

        print(json.dumps(ecg_features.evaluate_main(args.variant, args.data_dir), indent=2))
        return
    model = load_model("ecg", variant=args.variant)
    config = json.loads((model.checkpoint_dir / "training_config.json").read_text())
    data = (
        load_kaggle_beats(config["kaggle_dir"]) if config["protocol"] == "kaggle" else load_beats(args.data_dir or None)
    )
    _, test_index = protocol_split(data, config["protocol"], seed=config["seed"])
    metrics, _ = evaluate(model, data, test_index)
    print(json.dumps({"variant": args.variant, "protocol": config["protocol"], **metrics}, indent=2))
