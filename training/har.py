"""Train a human activity classifier on UCI HAR and write its checkpoint folder with a report.

    python -m training.train har --variant full --members 2 --feature-members 2 --fc 256 --epochs 20 --schedule cosine \
        --folds 3 --calibrated --compare --threads 1 --wearer-copies 2   # shipped nine-channel model: 2 CNNs + 2
                      # feature MLPs; out of fold, the ensemble without wearer calibration beat the calibrated one
    python -m training.train har --variant acc --members 2 --feature-members 2 --fc 256 --epochs 20 --schedule cosine \
        --folds 3 --calibrated --compare --threads 1   # shipped accelerometer-only model (calibrated, no wearer copies)
    python -m training.train har --features hand --epochs 30 --out runs/har-hand   # CNN with the hand window features
    python -m training.train har --arch lstm --epochs 5 --out runs/har-lstm
    python -m training.evaluate har --variant acc                   # test metrics of a shipped checkpoint
    python -m training.evaluate har --variant placement  # every figure of issue 19: UCI (both models), pocket,
                                                         # Oxford per placement, steps (training.har_placement)

Validation is five held-out training subjects (`core.har.data.VAL_SUBJECTS`); the nine test subjects are only evaluated.
With `--refit --schedule cosine` the chosen model is trained again on all 21 training subjects for its best validation
epoch count. With `--folds K --schedule cosine` every candidate is instead cross-validated by subject over all 21
training subjects (K fold models, each trained for the configured epochs), chosen by its out-of-fold macro-F1, and
trained once more on all 21. `--limit` samples the training split before the validation subjects are held out.
With `--calibrated` the model calibrates to the wearer (see `HARClassifier`): each training subject's reference is the
mean hand features of its labelled walking windows; held-out and test subjects get theirs label-free from
`predict_windows`' first pass. `--wearer-copies N` adds N copies of the training subjects, each subject's windows turned
by one random rotation of up to `--wearer-rotation` degrees (the phone clipped on differently), as new wearers.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from core.checkpoint import save_checkpoint, write_evaluation
from core.errors import ConfigError
from core.har.data import (
    ACC_CHANNELS,
    ACTIVITIES,
    CHANNELS,
    HAR_FS,
    STEP,
    VAL_SUBJECTS,
    WALKING_CLASSES,
    har_segments,
    har_stitch,
    load_split,
    validation_mask,
)
from core.har.model import HARClassifier, WindowFeatures
from core.har.pipeline import har_windows, inertial_uci
from core.har.predictor import MIN_REFERENCE_WINDOWS
from core.modelcard import model_card
from core.results import softmax
from core.tasks import get_task
from training.config import TrainConfig, parse_config
from training.loop import fit, seed_everything, tensors
from training.metrics import (
    classification_metrics,
    macro_f1_score,
    plot_confusion,
    plot_learning_curves,
    plot_roc_pr,
    write_per_class_csv,
    write_rows_csv,
)

VARIANT_CHANNELS = {"full": CHANNELS, "acc": ACC_CHANNELS}
TEST_PROTOCOL = (
    "tested once on the 2,947 windows of the 9 test subjects (2, 4, 9, 10, 12, 13, 18, 20, 24); input is the raw "
    "inertial windows (2.56 s at 50 Hz), no 561-feature vectors."
)
VAL_TEXT = f"the other five ({', '.join(map(str, VAL_SUBJECTS))})"
PROTOCOL = (
    "UCI HAR official subject-wise split: trained on 16 of the 21 training subjects, "
    f"model selection on {VAL_TEXT}, {TEST_PROTOCOL}"
)
FOLDS_PROTOCOL = (
    "UCI HAR official subject-wise split: the model chosen by {folds}-fold cross-validation by subject over the "
    "21 training subjects (out-of-fold macro-F1; every fold model trained for a fixed epoch count, no early "
    f"stopping), then trained on all 21; {TEST_PROTOCOL}"
)
REFIT_PROTOCOL = (
    f"UCI HAR official subject-wise split: model and epoch count chosen by training on 16 of the 21 training "
    f"subjects and validating on {VAL_TEXT}, then retrained on all 21 for that many epochs; {TEST_PROTOCOL}"
)
CALIBRATION_PROTOCOL = (
    " Wearer calibration: each subject's windows are one wearer's recording; a first pass finds the "
    "subject's walking windows (no labels), whose mean hand features are the reference of the second "
    "pass; fold models and the test are scored so."
)
CALIBRATION_LIMITS = (
    " Wearer calibration needs at least {windows} windows (about {seconds:.0f} s) of walking in the recording; "
    "with less, the training population's reference is used. The ONNX graph takes `windows` and "
    "`reference` (zeros: no calibration) and also returns each window's features, from which "
    "`predict_windows` builds the wearer's reference."
)
LIMITS = {
    "full": "Trained on one phone model worn at the waist by 30 adults aged 19-48 in a lab protocol; other placements "
    "(pocket, wrist, hand) and activities outside the six classes are not recognised.",
    "acc": "Accelerometer only: sitting and standing are told apart by the phone's tilt alone, and stairs up/down are "
    "harder without the gyroscope. Same placement limits as the nine-channel model (phone at the waist).",
}
COMPARISON_GRID = (
    {"calibrated": False},
    {"arch": "cnn", "members": 1, "feature_members": 0, "calibrated": False},
    {
        "arch": "lstm",
        "hidden": 64,
        "layers": 2,
        "bidirectional": False,
        "members": 1,
        "feature_members": 0,
        "calibrated": False,
        "wearer_copies": 0,
    },
    {
        "arch": "gru",
        "hidden": 64,
        "layers": 2,
        "bidirectional": False,
        "members": 1,
        "feature_members": 0,
        "calibrated": False,
        "wearer_copies": 0,
    },
    {
        "arch": "lstm",
        "hidden": 32,
        "layers": 1,
        "bidirectional": False,
        "members": 1,
        "feature_members": 0,
        "calibrated": False,
        "wearer_copies": 0,
    },
    {
        "arch": "lstm",
        "hidden": 32,
        "layers": 1,
        "bidirectional": True,
        "members": 1,
        "feature_members": 0,
        "calibrated": False,
        "wearer_copies": 0,
    },
)
"""With --compare: the same ensemble without wearer calibration, a single CNN, the seed's recurrent baselines (2-layer
LSTM and GRU, 64 units, dropout 0.3, FC 128, on the original subjects only) and smaller or bidirectional LSTMs."""


@dataclass
class HARTrainConfig(TrainConfig):
    """Training configuration of the activity classifier."""

    variant: Literal["full", "acc"] = "full"
    arch: Literal["cnn", "lstm", "gru"] = "cnn"
    width: int = 32
    use_stats: bool = True
    features: Literal["stats", "hand"] = "stats"
    members: int = 3
    feature_members: int = 0
    calibrated: bool = False
    reference_dropout: float = 0.2
    hidden: int = 64
    layers: int = 2
    bidirectional: bool = False
    fc: int = 128
    dropout: float = 0.3
    batch_size: int = 64
    epochs: int = 40
    patience: int = 8
    scale_jitter: float = 0.1
    rotation: float = 0.0
    wearer_copies: int = 0
    wearer_rotation: float = 20.0
    label_smoothing: float = 0.05
    refit: bool = False
    folds: int = 0
    compare: bool = False
    baseline_epochs: int = 8
    data_dir: str = ""

    def validate(self) -> None:
        super().validate()
        if self.refit and self.schedule != "cosine":
            raise ConfigError(
                f"Config field refit=True needs schedule='cosine' (got {self.schedule!r}): a plateau schedule "
                "would be driven by validation subjects that the refit trains on."
            )
        if not 0.0 <= self.reference_dropout <= 1.0:
            raise ConfigError(
                f"Config field reference_dropout={self.reference_dropout!r} must be a share between 0 and 1."
            )
        if self.wearer_copies < 0:
            raise ConfigError(f"Config field wearer_copies={self.wearer_copies!r} must not be negative.")
        if not 0.0 < self.wearer_rotation <= 180.0:
            raise ConfigError(
                f"Config field wearer_rotation={self.wearer_rotation!r} must be an angle in degrees, "
                "above 0 and at most 180."
            )
        if self.folds and (self.folds < 2 or self.schedule != "cosine" or self.refit):
            raise ConfigError(
                f"Config field folds={self.folds} needs at least 2 folds, schedule='cosine' (got "
                f"{self.schedule!r}) and no refit: fold models train for a fixed epoch count and the chosen "
                "model is trained on all 21 subjects anyway."
            )


def random_rotations(n: int, degrees: float, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """(n, 3, 3) rotations by up to `degrees` about random axes (Rodrigues' formula)."""
    axis = torch.nn.functional.normalize(torch.randn(n, 3, generator=generator), dim=1)
    angle = torch.deg2rad(degrees * (2 * torch.rand(n, 1, 1, generator=generator) - 1))
    k = torch.zeros(n, 3, 3)
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k = k - k.transpose(1, 2)
    return torch.eye(3) + torch.sin(angle) * k + (1 - torch.cos(angle)) * (k @ k)


def rotated_wearers(split: dict, copies: int, degrees: float, seed: int) -> dict:
    """The split and `copies` more of it in which each subject's windows are all turned by one rotation of up to
    `degrees` (the same person with the phone clipped on differently), each copy's subjects as new subjects."""
    generator = torch.Generator().manual_seed(seed)
    subjects = np.unique(split["subject"])
    parts = [split]
    for copy in range(1, copies + 1):
        windows = split["X"].copy()
        for subject, rotation in zip(subjects, random_rotations(len(subjects), degrees, generator=generator).numpy()):
            rows = split["subject"] == subject
            triplets = windows[rows].reshape(rows.sum(), windows.shape[1], -1, 3)  # body acc, gyroscope, total acc
            windows[rows] = (triplets @ rotation.T).reshape(rows.sum(), windows.shape[1], -1)
        parts.append({**split, "X": windows, "subject": split["subject"] + 1000 * copy})
    return {key: np.concatenate([part[key] for part in parts]) for key in split}


def make_augment(scale: float, rotation: float, *, reference_dropout: float = 0.0):
    """Multiply each window by a random gain in [1 - scale, 1 + scale] (sensor gain and body size vary) and turn all
    its x/y/z triplets by one rotation of up to `rotation` degrees (the phone sits a little differently on each waist).
    For a calibrated model (batches of windows, reference, target), zero a `reference_dropout` share of the wearer
    references (the population's reference), as serving does for a recording without walking."""

    def augment(batch: list[torch.Tensor]) -> list[torch.Tensor]:
        windows, *references, target = batch
        if rotation:
            triplets = windows.unflatten(2, (-1, 3))  # UCI channel order: body acc, gyroscope, total acc, x/y/z each
            windows = torch.einsum("btsj,bij->btsi", triplets, random_rotations(len(windows), rotation)).flatten(2)
        gain = 1 + scale * (2 * torch.rand(len(windows), 1, 1) - 1)
        if references:
            dropped = torch.rand(len(windows), 1) < reference_dropout
            references = [references[0].masked_fill(dropped, 0.0)]
        return [windows * gain, *references, target]

    return augment


@torch.inference_mode()
def wearer_references(
    extractor: WindowFeatures, split: dict, windows: np.ndarray, population: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Training references: per window, the mean hand features of its subject's walking windows as offsets from the
    population's (zeros when the subject has fewer than `MIN_REFERENCE_WINDOWS`), and the population's reference (the
    mean over the split's walking windows unless given)."""
    features = torch.cat(
        [extractor(torch.from_numpy(chunk)) for chunk in np.array_split(windows, max(1, len(windows) // 1024))]
    ).numpy()
    walking = np.isin(split["y"], WALKING_CLASSES)
    if population is None:
        population = features[walking].mean(axis=0) if walking.any() else features.mean(axis=0)
    references = np.zeros_like(features)
    for subject in np.unique(split["subject"]):
        rows = split["subject"] == subject
        own = rows & walking
        if own.sum() >= MIN_REFERENCE_WINDOWS:
            references[rows] = features[own].mean(axis=0) - population
    return references, population


def ensemble_loss(label_smoothing: float):
    """Cross-entropy of each member's prediction in training ((batch, members, classes)), of the ensemble otherwise."""
    cross_entropy = torch.nn.CrossEntropyLoss(label_smoothing=label_smoothing)

    def loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if output.dim() == 3:
            return cross_entropy(output.flatten(0, 1), target.repeat_interleave(output.shape[1]))
        return cross_entropy(output, target)

    return loss


def train_one(
    config: HARTrainConfig, train: dict, val: dict, *, keep_last: bool = False
) -> tuple[HARClassifier, list[dict], float]:
    """Fit one model of `config` on `train`, selected by validation macro-F1 (or its last state with `keep_last`);
    returns model, history, seconds."""
    seed_everything(config.seed, config.threads)
    if config.wearer_copies:
        train = rotated_wearers(train, config.wearer_copies, config.wearer_rotation, config.seed)
    channels = VARIANT_CHANNELS[config.variant]
    pick = [CHANNELS.index(c) for c in channels]
    x_train, x_val = train["X"][:, :, pick], val["X"][:, :, pick]
    inputs_train, inputs_val, population = (x_train,), (x_val,), None
    if config.calibrated:
        extractor = WindowFeatures(channels)
        references, population = wearer_references(extractor, train, x_train)
        inputs_train, inputs_val = (
            (x_train, references),
            (x_val, wearer_references(extractor, val, x_val, population)[0]),
        )
    model = HARClassifier(
        arch=config.arch,
        channels=channels,
        width=config.width,
        use_stats=config.use_stats,
        features=config.features,
        members=config.members,
        feature_members=config.feature_members,
        calibrated=config.calibrated,
        hidden=config.hidden,
        layers=config.layers,
        bidirectional=config.bidirectional,
        fc=config.fc,
        dropout=config.dropout,
        labels=ACTIVITIES,
        mean=x_train.mean(axis=(0, 1)).tolist(),
        std=x_train.std(axis=(0, 1)).tolist(),
    )
    if config.calibrated:
        model.population_reference.copy_(torch.from_numpy(population))
    print(
        f"{config.arch} ({config.variant}): {sum(p.numel() for p in model.parameters()):,} parameters; "
        f"{len(x_train):,} train / {len(x_val):,} validation windows"
    )

    started = time.time()
    augment = make_augment(config.scale_jitter, config.rotation, reference_dropout=config.reference_dropout)
    history = fit(
        model,
        tensors(*inputs_train, train["y"]),
        tensors(*inputs_val, val["y"]),
        config,
        loss_fn=ensemble_loss(config.label_smoothing),
        score_fn=macro_f1_score(val["y"], ACTIVITIES),
        augment=augment,
        keep_last=keep_last,
    )
    return model, history, time.time() - started


def subject_folds(subjects: np.ndarray, folds: int) -> list[np.ndarray]:
    """Held-out masks of `folds` folds by subject: the sorted subjects dealt out in turn."""
    order = np.unique(subjects)
    return [np.isin(subjects, order[k::folds]) for k in range(folds)]


def cross_validate(config: HARTrainConfig, train_all: dict) -> tuple[dict, list[dict]]:
    """Out-of-fold metrics of `config` over the training subjects, and the first fold's history (the report's
    learning curves)."""
    probabilities = np.zeros((len(train_all["y"]), len(ACTIVITIES)), dtype=np.float32)
    histories = []
    for k, held in enumerate(subject_folds(train_all["subject"], config.folds), start=1):
        print(f"fold {k}/{config.folds}: held-out subjects {np.unique(train_all['subject'][held]).tolist()}")
        part = {key: value[~held] for key, value in train_all.items()}
        out = {key: value[held] for key, value in train_all.items()}
        model, history, _ = train_one(config, part, out, keep_last=True)
        probabilities[held] = model.predict_windows(out["X"], wearers=out["subject"])
        histories.append(history)
    return classification_metrics(train_all["y"], probabilities, ACTIVITIES), histories[0]


def evaluate(model: HARClassifier, split: dict) -> tuple[dict, np.ndarray]:
    probabilities = model.predict_windows(split["X"], wearers=split["subject"])
    return classification_metrics(split["y"], probabilities, ACTIVITIES), probabilities


def population_reference_metrics(model: HARClassifier, split: dict) -> dict:
    """Accuracy and macro-F1 of a calibrated model when every window is read against the training population's
    walking, as for a recording without walking."""
    windows = model.select_channels(split["X"])
    logits = model.infer(windows, np.zeros((len(windows), model.reference_size()), dtype=np.float32))
    metrics = classification_metrics(split["y"], softmax(logits), ACTIVITIES)
    return {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"]}


def experiment_row(
    config: HARTrainConfig, model: HARClassifier, history: list[dict], seconds: float, val: dict, test: dict
) -> dict:
    return {
        "arch": config.arch,
        "hidden": config.hidden if config.arch != "cnn" else "",
        "layers": config.layers if config.arch != "cnn" else "",
        "bidirectional": config.bidirectional if config.arch != "cnn" else "",
        "width": config.width if config.arch == "cnn" else "",
        "members": config.members,
        "feature_members": config.feature_members,
        "parameters": sum(p.numel() for p in model.parameters()),
        "epochs": len(history),
        "train_seconds": round(seconds, 1),
        "val_accuracy": round(val["accuracy"], 4),
        "val_macro_f1": round(val["macro_f1"], 4),
        "test_accuracy": round(test["accuracy"], 4),
        "test_macro_f1": round(test["macro_f1"], 4),
    }


def candidates(config: HARTrainConfig) -> list[HARTrainConfig]:
    """The configured model and, with `compare`, its `COMPARISON_GRID` variants (recurrent ones for
    `baseline_epochs`)."""
    grid = COMPARISON_GRID if config.compare else ()
    return [config] + [
        dataclasses.replace(
            config, **row, **({} if row.get("arch", "cnn") == "cnn" else {"epochs": config.baseline_epochs})
        )
        for row in grid
    ]


def main(argv: list[str] | None = None) -> Path:
    config = parse_config(HARTrainConfig, argv, prog="python -m training.train har")
    task = get_task("har")
    out = Path(config.out) if config.out else task.checkpoint(config.variant)

    # data: the official train split minus the validation subjects; the test split is only evaluated
    train_all, test = load_split("train", config.data_dir or None), load_split("test", config.data_dir or None)
    if config.limit:
        keep = np.random.default_rng(config.seed).choice(
            len(train_all["y"]), min(config.limit, len(train_all["y"])), replace=False
        )
        train_all = {key: value[keep] for key, value in train_all.items()}
    held_out = validation_mask(train_all["subject"])
    train = {key: value[~held_out] for key, value in train_all.items()}
    val = {key: value[held_out] for key, value in train_all.items()}

    # candidates: the configured model, plus the comparison grid with --compare; the best on validation ships
    runs = []
    for candidate in candidates(config):
        if config.folds:  # selection by out-of-fold figures; the model is then trained on every training subject
            val_metrics, history = cross_validate(candidate, train_all)
            model, _, seconds = train_one(candidate, train_all, val, keep_last=True)
        else:
            model, history, seconds = train_one(candidate, train, val)
            val_metrics, _ = evaluate(model, val)
        test_metrics, probabilities = evaluate(model, test)
        runs.append((candidate, model, history, seconds, val_metrics, test_metrics, probabilities))
        print(json.dumps(experiment_row(candidate, model, history, seconds, val_metrics, test_metrics)))
    best = max(runs, key=lambda run: run[4]["macro_f1"])
    chosen, model, history, seconds, val_metrics, test_metrics, probabilities = best
    refit_epochs = None
    if config.refit:  # the chosen model again on all 21 training subjects, for its best validation epoch count
        refit_epochs = 1 + int(np.argmax([row["val_score"] for row in history]))
        print(f"refit on all {len(train_all['y']):,} training windows for {refit_epochs} epochs")
        model, _, seconds = train_one(dataclasses.replace(chosen, epochs=refit_epochs), train_all, val, keep_last=True)
        test_metrics, probabilities = evaluate(model, test)
    protocol = (
        REFIT_PROTOCOL if config.refit else FOLDS_PROTOCOL.format(folds=config.folds) if config.folds else PROTOCOL
    )
    limits = LIMITS[config.variant]
    if chosen.calibrated:
        protocol += CALIBRATION_PROTOCOL
        limits += CALIBRATION_LIMITS.format(
            windows=MIN_REFERENCE_WINDOWS, seconds=(MIN_REFERENCE_WINDOWS + 1) * STEP / HAR_FS
        )

    # the checkpoint folder, its model card and report
    metrics = {
        "task": "har",
        "variant": config.variant,
        "protocol_text": protocol,
        "dataset": "UCI HAR (Anguita et al. 2013)",
        "arch": chosen.arch,
        "channels": list(model.channels),
        "parameters": sum(p.numel() for p in model.parameters()),
        "epochs_run": len(history),
        "refit_epochs": refit_epochs,
        "train_seconds": round(seconds, 1),
        "validation": {
            "accuracy": val_metrics["accuracy"],
            "macro_f1": val_metrics["macro_f1"],
            "part": f"out of fold, {config.folds} folds by subject" if config.folds else "held-out training subjects",
        },
        "test": test_metrics,
        "test_population_reference": population_reference_metrics(model, test) if chosen.calibrated else None,
        "experiments": [experiment_row(*run[:4], run[4], run[5]) for run in runs],
    }
    card = model_card(
        task, config.variant, metrics=metrics, training_command=config.command("har"), protocol=protocol, limits=limits
    )
    save_checkpoint(model, out, training_config=chosen.to_dict())
    write_evaluation(out, metrics=metrics, card=card)
    report = out / "report"
    report.mkdir(exist_ok=True)
    title = f"{chosen.arch} ({config.variant}), UCI HAR test subjects"
    write_per_class_csv(test_metrics, report / "per_class_f1.csv")
    write_rows_csv(metrics["experiments"], report / "experiments.csv")
    write_rows_csv(history, report / "history.csv")
    plot_confusion(test_metrics, ACTIVITIES, report / "confusion_matrix.png", title)
    plot_roc_pr(test["y"], probabilities, ACTIVITIES, report / "roc_pr.png", title)
    plot_learning_curves(history, report / "learning_curves.png", title)
    print(
        json.dumps(
            {
                "out": str(out),
                "arch": chosen.arch,
                "test_accuracy": test_metrics["accuracy"],
                "test_macro_f1": test_metrics["macro_f1"],
            }
        )
    )
    return out


def raw_path_accuracy(model: HARClassifier, split: dict) -> float:
    """Accuracy when each continuous run of windows is stitched back into a recording (total acceleration and
    gyroscope) and sent through the serving pipeline (gravity filter, windows); the windows of all of a subject's
    recordings are classified together, as one wearer's."""
    raw = [
        CHANNELS.index(c)
        for c in ("total_acc_x", "total_acc_y", "total_acc_z", "body_gyro_x", "body_gyro_y", "body_gyro_z")
    ]
    has_gyro = model.needs_gyroscope
    hits = total = 0
    for subject in np.unique(split["subject"]):
        windows, labels = [], []
        for activity in range(len(ACTIVITIES)):
            rows = np.flatnonzero((split["subject"] == subject) & (split["y"] == activity))
            for segment in har_segments(split["X"][rows]):
                signal = har_stitch(split["X"][rows[segment]])[:, raw if has_gyro else raw[:3]]
                windows.append(har_windows(inertial_uci(signal, has_gyro=has_gyro))[0])
                labels.append(np.full(len(windows[-1]), activity))
        predicted = model.predict_windows(np.concatenate(windows)).argmax(axis=1)
        hits += int((predicted == np.concatenate(labels)).sum())
        total += len(predicted)
    return hits / total


PLACEMENT_PROTOCOL = (
    "Trained on the training people of UCI HAR (waist, 21), sp_sw_har (trouser pocket, 18) and the Oxford walks "
    "(hand, pockets, bag, neck pouch, armband: Jamie, Carmelo, Dario); the candidate and the unknown-placement "
    "threshold chosen by 4-fold cross-validation by person over them. Tested once on the test people: UCI official "
    "test subjects, sp_sw_har s04, s08, s12, s16, s20, Oxford user1 and user2. Waist recordings are read by the UCI "
    "models (full, acc), whose UCI test figures are reported beside."
)
PLACEMENT_LIMITS = (
    "Placements learnt: waist (UCI HAR), trouser pocket (sp_sw_har), hand (held, swinging) and bag/other (bag, purse, "
    "neck pouch, armband) from walking only; a recording is placed from its walking windows, so one without walking "
    "has no placement. Postures are not told apart away from the waist (still = sitting, standing or lying) and "
    "stairs were recorded only at the waist. Pocket data are one lab protocol (timed up and go) of 23 adults; the "
    "Oxford walks are 5 people."
)


def uci_figures(variant: str, data_dir: str | None = None) -> dict:
    """Test metrics of the shipped UCI checkpoint `variant` on the official windows and the raw-recording path."""
    from core import load_model

    model = load_model("har", variant=variant, backend="onnx")
    test = load_split("test", data_dir or None)
    metrics, _ = evaluate(model, test)
    metrics["raw_path_accuracy"] = raw_path_accuracy(model, test)
    if model.is_calibrated:
        metrics["population_reference"] = population_reference_metrics(model, test)
    return {"variant": variant, "protocol": model.metrics["protocol_text"], **metrics}


def placement_figures(folder: Path | None = None) -> dict:
    """Every issue-19 figure: the UCI test of both UCI checkpoints and the placement checkpoint's test figures."""
    from core.predictor import load_predictor
    from training.har_placement import evaluate_placement

    folder = folder or get_task("har").checkpoint("placement")
    model = load_predictor(get_task("har").predictor, folder)
    figures = evaluate_placement(model)
    uci = {variant: uci_figures(variant) for variant in ("full", "acc")}
    oxford = figures["oxford"]
    test = {
        "uci_accuracy": uci["full"]["accuracy"],
        "uci_acc_only_accuracy": uci["acc"]["accuracy"],
        "pocket_walking_vs_seated_accuracy": figures["pocket_walking_vs_seated_accuracy"],
        "pocket_placement_rate": figures["pocket_placement_rate"],
        "oxford_min_walking_recall": min(row["walking_recall"] for row in oxford.values()),
        "oxford_placement_accuracy": figures["oxford_placement_accuracy"],
        "steps_max_median_abs_pct_error": max(
            row["median_abs_pct_error"] for key, row in figures["steps"].items() if key != "all"
        ),
        **{key: value for key, value in figures.items() if key not in ("oxford", "steps")},
        "oxford": oxford,
        "steps": figures["steps"],
    }
    return {"variant": "placement", "protocol_text": PLACEMENT_PROTOCOL, "test": test}


def placement_card(metrics: dict) -> str:
    """The placement checkpoint's card: the registry's card with the per-placement tables added."""
    from core.har.placement import UNKNOWN_BELOW

    test = metrics["test"]
    card = model_card(
        get_task("har"),
        "placement",
        metrics=metrics,
        training_command="python -m training.har_placement --ship\npython -m training.evaluate har --variant placement",
        protocol=PLACEMENT_PROTOCOL,
        limits=PLACEMENT_LIMITS,
    )
    oxford = "\n".join(
        f"| {place} | {row['walks']} | {row['walking_recall']:.1%} | {row['placement_accuracy']:.1%} |"
        for place, row in test["oxford"].items()
    )
    steps = "\n".join(
        f"| {place} | {row['walks']} | {row['median_abs_pct_error']:.1f}% | "
        + ("-" if row["hardware_median_abs_pct_error"] is None else f"{row['hardware_median_abs_pct_error']:.1f}%")
        + " |"
        for place, row in test["steps"].items()
    )
    tables = f"""
## Test figures (issue 19)

| figure | value |
|---|---|
| UCI HAR official test, nine-channel model (waist) | {test["uci_accuracy"]:.2%} |
| UCI HAR official test, accelerometer-only model (waist) | {test["uci_acc_only_accuracy"]:.2%} |
| Trouser pocket (sp_sw_har), walking vs seated window accuracy | {test["pocket_walking_vs_seated_accuracy"]:.1%} |
| Trouser pocket recordings placed as pocket | {test["pocket_placement_rate"]:.1%} |
| UCI test walking runs (level or stairs) placed at the waist | {test["uci_walking_waist_placement_rate"]:.1%} |
| Oxford walks placed correctly | {test["oxford_placement_accuracy"]:.1%} |
| ... placed correctly with confidence >= {UNKNOWN_BELOW:.2f} (not called unknown): pocket, Oxford, UCI walking runs | \
{test["pocket_placement_rate_confident"]:.1%}, {test["oxford_placement_rate_confident"]:.1%}, \
{test["uci_walking_waist_placement_rate_confident"]:.1%} |

Oxford walks per placement:

| placement | walks | walking recall | placed correctly |
|---|---|---|---|
{oxford}

Steps counted in the walking bouts found, median absolute error per walk (Oxford test walks), beside the phone's
hardware step counter:

| placement | walks | ours | hardware counter |
|---|---|---|---|
{steps}

Transitions (standing up, sitting down) are folded into still, the nearest activity.
"""
    # the registry's metric table shows only the figures of other tasks' names: the tables below replace it
    card = re.sub(r"\| metric \(test split\) \| value \|\n\|---\|---\|\n+", "", card)
    return card.replace("## Training", tables.lstrip("\n") + "\n## Training", 1)


def write_placement_evaluation(folder: Path) -> dict:
    """Measure `placement_figures` on the saved checkpoint in `folder` and write its metrics.json and card."""
    metrics = placement_figures(folder)
    write_evaluation(folder, metrics=metrics, card=placement_card(metrics))
    return metrics


def evaluate_main(argv: list[str] | None = None) -> None:
    """`python -m training.evaluate har [--variant full|acc|placement]`: test metrics of a shipped checkpoint as JSON;
    for `placement`, every issue-19 figure (UCI test of both UCI models, pocket, Oxford and steps)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training.evaluate har")
    parser.add_argument("--variant", default="full", choices=list(get_task("har").checkpoints))
    parser.add_argument("--data-dir", default="")
    args = parser.parse_args(argv)
    if args.variant == "placement":
        print(json.dumps(placement_figures()["test"], indent=2))
        return
    print(json.dumps(uci_figures(args.variant, args.data_dir), indent=2))
