"""Train the new-patient ECG beat classifier on DS1, test it once on DS2, and write its checkpoint with a report.

python -m training.train ecg --variant inter --threads 1             # the shipped default model (a few minutes)
python -m training.train ecg --variant inter --folds 11 --threads 1  # plus the DS1 leave-records-out figure
python -m training.evaluate ecg --variant inter                      # DS2 re-measured with the served graph

Every choice (features, class weighting, tree and MLP settings, class scales) was made by leave-records-out
cross-validation on DS1 (11 folds of 2 records, criterion j-index); DS2 is only scored.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold
from tqdm.auto import tqdm

from core.checkpoint import save_checkpoint, write_evaluation
from core.ecg.beats import AAMI_CLASSES, AAMI_MAP, match_beats
from core.ecg.data import DS1, DS2, PACED, mitdb_dir
from core.ecg.feature_model import TRAINED_CLASSES, ECGFeatureClassifier
from core.ecg.features import ecg_beat_features
from core.ecg.pipeline import choose_lead
from core.ecg.predictor import ECGPredictor
from core.errors import ConfigError
from core.modelcard import model_card
from core.predictor import load_predictor
from core.readers.wfdb_records import read_wfdb
from core.tasks import get_task
from training.config import TrainConfig, parse_config
from training.loop import fit, seed_everything, tensors
from training.metrics import plot_confusion, write_rows_csv

PROTOCOL = (
    "inter-patient (de Chazal et al. 2004): trained on DS1, tested on DS2, 22 records each, paced records "
    f"{', '.join(PACED)} excluded; no patient is in both parts. Scored twice: at the reference beat positions (the "
    "published protocol) and end to end, at the R-peaks the served pipeline detects (a reference beat with no "
    "detection within 150 ms counts as an error). Q beats (7 in DS2) are not learned and count as errors."
)
LIMITS = (
    "What to expect on a new patient. S beats stay hard: a patient whose ectopic beats are the majority (MIT-BIH "
    "record 232) sets the reference rhythm and dominant beat by them. Q (paced) beats are not classified. Beats are "
    "compared with the recording's own rhythm and dominant beat, so a strip needs a few dozen beats to be read well; "
    "lone 187-sample beat rows go to the intra-patient benchmark variant."
)


@dataclass
class ECGFeatureTrainConfig(TrainConfig):
    """Training configuration of the new-patient classifier (boosted trees + MLP on patient-relative features)."""

    task: ClassVar[str] = "ecg"
    variant: str = "inter"
    epochs: int = 12
    lr: float = 3e-3
    weight_decay: float = 1e-3
    schedule: Literal["plateau", "cosine"] = "cosine"
    hidden: int = 128
    dropout: float = 0.3
    class_weight_power: float = 0.5
    """Class c weighs (n_N / n_c) ** power in both members' losses."""
    jitter_ms: float = 20.0
    """Each training beat also enters cut at its annotation moved by up to this much, like a detected R-peak."""
    trees: int = 200
    tree_lr: float = 0.05
    tree_leaves: int = 15
    tree_min_leaf: int = 200
    tree_max_features: float = 0.5
    class_scale: str = "1,0.86,2.85,1"
    """Factors on the averaged N,S,V,F probabilities before argmax (chosen by DS1 cross-validation)."""
    folds: int = 0
    """Also report leave-records-out cross-validation on DS1 with this many folds (0: skip)."""
    data_dir: str = ""

    def validate(self) -> None:
        super().validate()
        scale = self.scales()
        if len(scale) != len(TRAINED_CLASSES) or min(scale) <= 0:
            raise ConfigError(f"Config field class_scale={self.class_scale!r} must be 4 positive numbers (N,S,V,F).")
        if self.folds == 1 or self.folds < 0:
            raise ConfigError(f"Config field folds={self.folds!r} must be 0 (skip) or at least 2.")

    def scales(self) -> list[float]:
        try:
            return [float(x) for x in self.class_scale.split(",")]
        except ValueError:
            raise ConfigError(f"Config field class_scale={self.class_scale!r} must be comma-separated numbers.")


def record_beats(folder: Path, record: str) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """The record's classified lead, its rate, its reference beat positions and their AAMI class indices."""
    recording = read_wfdb(folder / f"{record}.hea")
    lead, *_ = choose_lead(recording)
    symbols, samples = recording.annotations["symbol"], recording.annotations["sample"]
    is_beat = np.array([s in AAMI_MAP for s in symbols])
    labels = np.array([AAMI_CLASSES.index(AAMI_MAP[s]) for s in symbols[is_beat]], dtype=np.int64)
    return lead, recording.fs, samples[is_beat], labels


def training_features(folder: Path, config: ECGFeatureTrainConfig) -> dict[str, np.ndarray]:
    """DS1 beats at reference positions and again at jittered positions (Q beats left out), with their records."""
    rng = np.random.default_rng(config.seed)
    parts = {"features": [], "jittered": [], "label": [], "record": []}
    for record in tqdm(DS1, desc="DS1 features"):
        lead, fs, samples, labels = record_beats(folder, record)
        reach = round(config.jitter_ms / 1000 * fs)
        jittered = samples + rng.integers(-reach, reach + 1, len(samples))
        keep = labels < len(TRAINED_CLASSES)
        parts["features"].append(ecg_beat_features(lead, fs, samples)[keep])
        parts["jittered"].append(ecg_beat_features(lead, fs, jittered)[keep])
        parts["label"].append(labels[keep])
        parts["record"].append(np.full(keep.sum(), int(record)))
    return {name: np.concatenate(values) for name, values in parts.items()}


class _MLPMember(torch.nn.Module):
    """The MLP member alone, for the shared training loop."""

    input_names = ("features",)

    def __init__(self, model: ECGFeatureClassifier):
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.model.mlp_logits(features)


def train_model(features: np.ndarray, labels: np.ndarray, config: ECGFeatureTrainConfig) -> ECGFeatureClassifier:
    """Both members fitted on (features, labels), in one `ECGFeatureClassifier`."""
    seed_everything(config.seed, config.threads)
    counts = np.bincount(labels, minlength=len(TRAINED_CLASSES))
    weights = (counts[0] / np.maximum(counts, 1)) ** config.class_weight_power
    booster = HistGradientBoostingClassifier(
        max_iter=config.trees,
        learning_rate=config.tree_lr,
        max_leaf_nodes=config.tree_leaves,
        min_samples_leaf=config.tree_min_leaf,
        max_features=config.tree_max_features,
        early_stopping=False,
        random_state=config.seed,
    ).fit(features, labels, sample_weight=weights[labels])
    nodes = [tree.nodes for iteration in booster._predictors for tree in iteration]
    model = ECGFeatureClassifier(
        n_trees=len(nodes),
        n_nodes=max(len(n) for n in nodes),
        depth=int(max(n["depth"].max() for n in nodes)),
        hidden=config.hidden,
        dropout=config.dropout,
        class_scale=config.scales(),
    )
    model.set_trees(booster)
    check = features[:: max(len(features) // 2000, 1)]
    with torch.inference_mode():
        walked = torch.softmax(model.tree_logits(torch.from_numpy(check)), dim=1).numpy()
    gap = float(np.abs(walked - booster.predict_proba(check)).max())
    if gap > 1e-4:
        raise RuntimeError(f"The tree tables differ from the booster by {gap:.2g}; the conversion is wrong.")
    model.set_quantiles(features)
    monitor = np.random.default_rng(config.seed).choice(len(labels), min(4096, len(labels)), replace=False)
    fit(
        _MLPMember(model),
        tensors(features, labels),
        tensors(features[monitor], labels[monitor]),
        config,
        loss_fn=torch.nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32)),
        score_fn=lambda logits: float((logits.argmax(axis=1) == labels[monitor]).mean()),
        keep_last=True,
    )
    return model.eval()


def beat_metrics(confusion: np.ndarray) -> dict:
    """Accuracy, per-class sensitivity / positive predictivity / F1, macro-F1 over N,S,V,F and the j-index, from a
    (true N,S,V,F,Q) x (predicted N,S,V,F,Q, missed) count table."""
    per_class = {}
    for c, label in enumerate(AAMI_CLASSES):
        hits, support, predicted = confusion[c, c], confusion[c].sum(), confusion[:, c].sum()
        se, pp = hits / max(support, 1), hits / max(predicted, 1)
        f1 = 2 * se * pp / (se + pp) if se + pp else 0.0
        per_class[label] = {"recall": se, "precision": pp, "f1": f1, "support": int(support)}
    per = {label: {k: float(v) for k, v in row.items()} for label, row in per_class.items()}
    return {
        "n": int(confusion.sum()),
        "accuracy": float(np.trace(confusion[:, : len(AAMI_CLASSES)]) / confusion.sum()),
        "macro_f1": float(np.mean([per[label]["f1"] for label in TRAINED_CLASSES])),
        "j_index": per["S"]["recall"] + per["S"]["precision"] + per["V"]["recall"] + per["V"]["precision"],
        "per_class": per,
        "confusion_matrix": confusion[:, : len(AAMI_CLASSES)].tolist(),
        "missed": dict(zip(AAMI_CLASSES, confusion[:, -1].tolist())),
    }


def count_table(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(true, predicted or -1 for missed) pairs counted into the 5 x 6 table of `beat_metrics`."""
    table = np.zeros((len(AAMI_CLASSES), len(AAMI_CLASSES) + 1), dtype=np.int64)
    np.add.at(table, (labels, np.where(predicted < 0, len(AAMI_CLASSES), predicted)), 1)
    return table


def evaluate_ds2(predictor: ECGPredictor, folder: Path) -> dict:
    """DS2 scored at reference positions ("test") and end to end at detected R-peaks ("test_end_to_end")."""
    at_reference, end_to_end, detections, per_record = 0, 0, np.zeros(3, dtype=np.int64), {}
    for record in tqdm(DS2, desc="DS2"):
        lead, fs, samples, labels = record_beats(folder, record)
        reference = predictor.predict_features(ecg_beat_features(lead, fs, samples)).argmax(axis=1)
        result = predictor.predict_record(lead, fs)
        detected = np.round(result.times_s * fs).astype(np.int64)
        matched = match_beats(samples, detected, fs)
        served = np.where(matched >= 0, result.probabilities.argmax(axis=1)[np.maximum(matched, 0)], -1)
        tables = count_table(labels, reference), count_table(labels, served)
        at_reference, end_to_end = at_reference + tables[0], end_to_end + tables[1]
        found = int((matched >= 0).sum())
        detections += [found, len(samples) - found, len(detected) - found]
        per_record[record] = {"reference": tables[0].tolist(), "end_to_end": tables[1].tolist()}
    tp, fn, fp = detections.tolist()
    return {
        "test": beat_metrics(at_reference),
        "test_end_to_end": {
            **beat_metrics(end_to_end),
            "r_peak_sensitivity": tp / (tp + fn),
            "r_peak_positive_predictivity": tp / (tp + fp),
        },
        "per_record": per_record,
    }


def cross_validate(data: dict[str, np.ndarray], config: ECGFeatureTrainConfig) -> dict:
    """Pooled out-of-fold figures of leave-records-out cross-validation on DS1 (reference positions)."""
    predicted = np.zeros(len(data["label"]), dtype=np.int64)
    folds = GroupKFold(n_splits=config.folds).split(data["features"], groups=data["record"])
    for fit_index, held_out in tqdm(list(folds), desc="DS1 folds"):
        model = train_model(
            np.concatenate([data["features"][fit_index], data["jittered"][fit_index]]),
            np.concatenate([data["label"][fit_index]] * 2),
            config,
        )
        with torch.inference_mode():
            predicted[held_out] = model(torch.from_numpy(data["features"][held_out])).argmax(dim=1).numpy()
    return {"folds": config.folds, **beat_metrics(count_table(data["label"], predicted))}


def headline(metrics: dict) -> dict:
    per = metrics["per_class"]
    return {
        "accuracy": round(metrics["accuracy"], 4),
        **{f"{c}_{k}": round(per[c][name], 4) for c in "SV" for k, name in (("se", "recall"), ("pp", "precision"))},
        "j_index": round(metrics["j_index"], 4),
    }


def figures_table(metrics: dict) -> str:
    """Markdown rows of the headline figures: DS2 at reference beats and end to end, DS1 cross-validation, and the
    published inter-patient figures of the task registry."""
    rows = [
        ("DS2, new patients, at reference beats (published protocol)", metrics["test"]),
        ("DS2, new patients, end to end at detected beats (what a user gets)", metrics["test_end_to_end"]),
    ]
    if "cross_validation" in metrics:
        rows.append(
            (
                f"DS1, {metrics['cross_validation']['folds']}-fold leave-records-out (model choice)",
                metrics["cross_validation"],
            )
        )
    lines = ["| part | accuracy | S Se | S +P | V Se | V +P | j-index |", "|---|---|---|---|---|---|---|"]
    for name, block in rows:
        figures = headline(block)
        lines.append(f"| {name} | " + " | ".join(f"{figures[k]:.3f}" for k in figures) + " |")
    published = [p for p in get_task("ecg").published if p.protocol == "inter"]
    for entry in published:  # accuracy in its column, the j-index in the last
        cells = [f"{entry.value:.3f}" if entry.metric == "accuracy" else ""] + [""] * 4
        cells.append(f"{entry.value:.3f}" if entry.metric == "j_index" else "")
        lines.append(f"| published: {entry.source} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def card(metrics: dict, config: ECGFeatureTrainConfig) -> str:
    """The model card: the registry's card with the figures table under the protocol."""
    protocol = f"{PROTOCOL}\n\n{figures_table(metrics)}"
    return model_card(
        get_task("ecg"),
        config.variant,
        metrics=metrics,
        training_command=config.command("ecg"),
        protocol=protocol,
        limits=LIMITS,
    )


def main(argv: list[str] | None = None) -> Path:
    config = parse_config(ECGFeatureTrainConfig, argv, prog="python -m training.train ecg --variant inter")
    task = get_task("ecg")
    out = Path(config.out) if config.out else task.checkpoint(config.variant)
    folder = mitdb_dir(config.data_dir or None)
    started = time.time()

    data = training_features(folder, config)
    print(f"DS1: {len(data['label']):,} beats (+ as many jittered copies), {data['features'].shape[1]} features")
    cv = cross_validate(data, config) if config.folds else None
    if cv:
        print("DS1 cross-validation:", json.dumps(headline(cv)))
    model = train_model(
        np.concatenate([data["features"], data["jittered"]]), np.concatenate([data["label"]] * 2), config
    )
    train_seconds = time.time() - started

    save_checkpoint(model, out, training_config=config.to_dict())
    evaluation = evaluate_ds2(load_predictor(ECGPredictor, out), folder)
    metrics = {
        "task": "ecg",
        "variant": config.variant,
        "protocol": "inter",
        "protocol_text": PROTOCOL,
        "dataset": "MIT-BIH Arrhythmia Database",
        "arch": "boosted trees + MLP on patient-relative beat features",
        "parameters": sum(p.numel() for p in model.mlp.parameters()) + int(model.tree_root.numel()),
        "train_seconds": round(train_seconds, 1),
        "served_onnx": "model.onnx",
        **({"cross_validation": cv} if cv else {}),
        **evaluation,
    }
    write_evaluation(out, metrics=metrics, card=card(metrics, config))
    report = out / "report"
    report.mkdir(exist_ok=True)
    for name, block in (("reference", evaluation["test"]), ("end_to_end", evaluation["test_end_to_end"])):
        plot_confusion(block, AAMI_CLASSES, report / f"confusion_{name}.png", f"DS2 new patients, {name}")
    write_rows_csv(
        [{"part": k, **headline(evaluation[k])} for k in ("test", "test_end_to_end")]
        + ([{"part": "ds1_cross_validation", **headline(cv)}] if cv else []),
        report / "summary.csv",
    )
    print(json.dumps({"out": str(out), **{k: headline(evaluation[k]) for k in ("test", "test_end_to_end")}}))
    return out


def evaluate_main(variant: str, data_dir: str = "") -> dict:
    """DS2 figures of the shipped checkpoint `variant`, measured with the served (onnxruntime) predictor."""
    from core import load_model

    evaluation = evaluate_ds2(load_model("ecg", variant=variant, backend="onnx"), mitdb_dir(data_dir or None))
    evaluation.pop("per_record")
    return {"variant": variant, "protocol": "inter", **evaluation}
