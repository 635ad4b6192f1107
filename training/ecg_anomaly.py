"""Train a one-class beat model (autoencoder, beta-VAE or BeatGAN) on normal MIT-BIH beats and write its checkpoint.

python -m training.train ecg_anomaly --variant ae        # also vae, beatgan
python -m training.evaluate ecg_anomaly --variant ae     # DS2 figures of the shipped checkpoint, beside the baseline
python -m training.ecg_anomaly --variant ae --epochs 6 --patience 0   # DS1 fold AUROC of each pair of score weights
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn import metrics as skm
from torch import nn
from tqdm.auto import tqdm

from core.checkpoint import save_checkpoint, write_evaluation
from core.ecg.beats import AAMI_CLASSES, BEAT_LENGTH
from core.ecg_anomaly.data import CACHE, CONTEXT_SAMPLES, TEST, TRAIN, VALIDATION, anomaly_beats, label_detected
from core.ecg_anomaly.model import BeatAutoencoder
from core.ecg_anomaly.predictor import METHODS, AnomalyPredictor, dominant_distance
from core.errors import ConfigError
from core.modelcard import model_card
from core.predictor import load_predictor
from core.tasks import get_task
from training.config import TrainConfig, parse_config
from training.loop import seed_everything

PROTOCOL_TEXT = (
    "one-class, inter-patient (de Chazal DS1/DS2): trained on the normal (N) beats of 18 DS1 records only, score "
    "weights chosen on three leave-records-out folds of the 22 DS1 records, threshold chosen on DS1 records "
    f"{', '.join(VALIDATION)}, tested on every beat of the 22 DS2 records, abnormal = any non-N class. Training "
    "beats are cut at the reference annotations moved by up to 20 ms; validation and test beats at detected R-peaks "
    "(the serving path), labelled by the reference beat within 150 ms (detections without one are left out, missed "
    "beats counted). A beat's score adds its shape error, its RR error and its distance to its record's dominant "
    "beat, each relative to the training beats' median."
)
LIMITS = {
    True: "The score is relative to the record's typical beat: in a strip where most beats are abnormal (bigeminy, "
    "paced rhythm) the abnormal beats are the typical ones and score low.",
    False: "The score is relative to the training patients' normal beats: a noisy lead or an unusual but normal "
    "morphology raises every beat's score.",
}
LIMITS_COMMON = (
    " Supraventricular (S) beats look normal and are flagged mainly by their RR intervals; fusion (F) beats are the "
    "hardest. Trained on one lead (MLII) of 18 patients."
)
COMPARE = ("--variant", ("f1", "phi", "auroc"))
"""`python -m training.compare ecg_anomaly --archs ae vae beatgan`: candidates are methods, compared by AUROC."""
UMAP_BEATS = 1500
"""Beats per class and part drawn for the UMAP plot (all of a class when it has fewer)."""


@dataclass
class AnomalyTrainConfig(TrainConfig):
    """Training configuration of the one-class beat models; `--variant` is the method: ae, vae or beatgan."""

    variant: str = "ae"
    epochs: int = 8
    batch_size: int = 128
    patience: int = 3
    threads: int = 1
    latent: int = 4
    width: int = 16
    beta: float = 0.5
    """beta-VAE: weight of the KL term (per element, like the reconstruction error)."""
    adversarial: float = 0.1
    """BeatGAN: weight of the discriminator feature-matching term in the generator loss."""
    rr_weight: float = 2.0
    dominant_weight: float = 1.0
    """Weights of the RR and dominant-beat terms beside the shape error (weight 1), chosen for the highest mean AUROC
    of the held-out beats of the three methods on three leave-records-out folds of the 22 DS1 records."""
    per_record: bool = False
    """Errors relative to each record's median instead of the training beats' (fails on short uploads and on
    records where abnormal beats are the majority, so off by default; its DS2 AUROC is reported either way)."""
    data_dir: str = ""

    def validate(self) -> None:
        super().validate()
        if self.variant not in METHODS:
            raise ConfigError(f"Config field variant={self.variant!r} is not a method; accepted are {list(METHODS)}.")


def model_inputs(data: dict, index: np.ndarray | slice = slice(None)) -> tuple[np.ndarray, ...]:
    """The (beats, rr, context) of `data`'s rows `index`."""
    return data["beats"][index], data["rr"][index], data["context"][index]


def losses(model: BeatAutoencoder, batch: list[torch.Tensor], config: AnomalyTrainConfig) -> dict[str, torch.Tensor]:
    """Reconstruction loss of a batch (plus the KL term of the VAE), and the reconstruction for the discriminator."""
    x, _ = model.inputs(*batch)
    code = model.encode(x)
    kl = torch.zeros(())
    length = model.context_samples + BEAT_LENGTH
    if model.method == "vae":
        mu, logvar = code.chunk(2, dim=1)
        code = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar.clamp(-10, 10)) if model.training else mu
        kl = -0.5 * torch.mean(torch.sum(1 + logvar - mu**2 - logvar.exp(), dim=1)) / length
    x_hat = model.decode(code)
    recon = nn.functional.mse_loss(x_hat[:, :length], x[:, :length])
    return {"loss": recon + config.beta * kl, "recon": recon, "x": x, "x_hat": x_hat}


def fit_beats(model: BeatAutoencoder, train: dict, val: dict, config: AnomalyTrainConfig) -> list[dict]:
    """Train on normal beats with early stopping on the validation records' normal-beat reconstruction loss.

    One loop for the three methods: BeatGAN alternates a discriminator step with each generator step, which the
    shared loop does not do.
    """
    dataset = torch.utils.data.TensorDataset(*(torch.from_numpy(x) for x in model_inputs(train)))
    loader = torch.utils.data.DataLoader(dataset, batch_size=config.batch_size, shuffle=True, drop_last=True)
    val_inputs = [torch.from_numpy(x) for x in model_inputs(val)]
    generator = [p for name, p in model.named_parameters() if not name.startswith("discriminator")]
    optimizer = torch.optim.AdamW(generator, lr=config.lr, weight_decay=config.weight_decay)
    gan = model.method == "beatgan"
    if gan:
        d_optimizer = torch.optim.AdamW(model.discriminator.parameters(), lr=config.lr, betas=(0.5, 0.999))
        d_features, bce = model.discriminator[0], nn.functional.binary_cross_entropy_with_logits
    history, best, best_state, stale = [], np.inf, None, 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        total = 0.0
        for batch in tqdm(loader, desc=f"epoch {epoch}/{config.epochs}", leave=False):
            out = losses(model, list(batch), config)
            loss = out["loss"]
            if gan:
                real, fake = out["x"].unsqueeze(1), out["x_hat"].unsqueeze(1)
                d_optimizer.zero_grad()
                d_real, d_fake = model.discriminator(real), model.discriminator(fake.detach())
                (bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))).backward()
                d_optimizer.step()
                loss = loss + config.adversarial * nn.functional.mse_loss(d_features(fake), d_features(real).detach())
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(generator, config.grad_clip)
            optimizer.step()
            total += out["recon"].item() * len(batch[0])
        model.eval()
        with torch.inference_mode():
            val_loss = float(losses(model, val_inputs, config)["recon"])
        history.append(
            {"epoch": epoch, "train_recon": total / (len(loader) * config.batch_size), "val_recon": val_loss}
        )
        tqdm.write(f"epoch {epoch:3d}  train_recon {history[-1]['train_recon']:.4f}  val_recon {val_loss:.4f}")
        if val_loss < best:
            best, best_state, stale = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
            if config.patience and stale >= config.patience:
                tqdm.write(f"early stop: no validation gain in {stale} epochs")
                break
    model.load_state_dict(best_state)
    model.eval()
    return history


def record_scores(model: AnomalyPredictor, data: dict, errors: np.ndarray) -> np.ndarray:
    """`beat_scores` record by record (each record has its own dominant beat)."""
    scores = np.empty(len(errors))
    for record in np.unique(data["record"]):
        rows = data["record"] == record
        scores[rows] = model.beat_scores(errors[rows], np.concatenate([data["context"][rows], data["beats"][rows]], 1))
    return scores


def dominant_distances(data: dict, context_samples: int) -> np.ndarray:
    """`dominant_distance` of every beat of `data`, record by record."""
    distances = np.empty(len(data["beats"]))
    for record in np.unique(data["record"]):
        rows = data["record"] == record
        inputs = np.concatenate([data["context"][rows], data["beats"][rows]], axis=1)
        distances[rows] = dominant_distance(inputs, context_samples)
    return distances


def best_f1_threshold(abnormal: np.ndarray, scores: np.ndarray) -> float:
    """The score cut-off of highest F1 for abnormal beats (chosen on validation records only)."""
    precision, recall, thresholds = skm.precision_recall_curve(abnormal, scores)
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    return float(thresholds[np.argmax(f1)])


def detection_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    """AUROC, F1, phi (Matthews), precision, recall, specificity, and the detection rate of each abnormal class, for
    labelled beats (label >= 0; abnormal = not N)."""
    keep = labels >= 0
    labels, scores = labels[keep], scores[keep]
    abnormal, flagged = labels > 0, scores > threshold
    return {
        "n": int(len(labels)),
        "abnormal": int(abnormal.sum()),
        "auroc": float(skm.roc_auc_score(abnormal, scores)),
        "f1": float(skm.f1_score(abnormal, flagged)),
        "phi": float(skm.matthews_corrcoef(abnormal, flagged)),
        "precision": float(skm.precision_score(abnormal, flagged, zero_division=0)),
        "recall": float(flagged[abnormal].mean()),
        "specificity": float(1 - flagged[~abnormal].mean()),
        "threshold": float(threshold),
        "detection_rate": {
            label: float(flagged[labels == c].mean()) for c, label in enumerate(AAMI_CLASSES) if (labels == c).any()
        },
        "beats_per_class": {label: int((labels == c).sum()) for c, label in enumerate(AAMI_CLASSES)},
    }


def baseline(data_dir: str | None = None) -> dict:
    """The supervised ECG model's "not N" probability (`core.load_model("ecg")`, its default variant, served as
    ONNX through the ecg task's `Task.run`) on the beats it detects itself, labelled like ours, threshold of best F1
    on the validation records."""
    from core import load_model
    from core.ecg.data import mitdb_dir
    from core.ecg_anomaly.data import reference_beats
    from core.readers.wfdb_records import read_wfdb

    task = get_task("ecg")
    model = load_model("ecg", backend="onnx")
    stamp = int(model.onnx_path.stat().st_mtime)
    cache = CACHE / f"baseline_{model.checkpoint_dir.name}_{stamp}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    folder = mitdb_dir(data_dir)
    parts = {}
    for part, records in (("validation", VALIDATION), ("test", TEST)):
        labels, scores = [], []
        for record in tqdm(records, desc=f"baseline, {part} records"):
            result = task.run(read_wfdb(folder / f"{record}.hea"), lambda _: model)
            lead, fs, reference, classes = reference_beats(folder, record)
            labels.append(label_detected(np.round(result.times_s * fs).astype(int), reference, classes, fs))
            scores.append(1 - result.probabilities[:, AAMI_CLASSES.index("N")])
        parts[part] = np.concatenate(labels), np.concatenate(scores)
    labels, scores = parts["validation"]
    threshold = best_f1_threshold(labels[labels >= 0] > 0, scores[labels >= 0])
    result = {
        "checkpoint": f"ecg/{task.variant()} ({model.checkpoint_dir.name})",
        "test": detection_metrics(*parts["test"], threshold),
    }
    cache.write_text(json.dumps(result))
    return result


def evaluate(model: AnomalyPredictor, validation: dict, test: dict) -> dict:
    """Validation and DS2 figures of a model whose score weights and `threshold` are set."""
    parts = {}
    for name, data in (("validation", validation), ("test", test)):
        errors = model.reconstruct(*model_inputs(data))[0]
        parts[name] = detection_metrics(data["label"], record_scores(model, data, errors), model.threshold)
    other = copy.copy(model)
    other.per_record = not model.per_record
    keep = test["label"] >= 0
    scores = record_scores(other, test, model.reconstruct(*model_inputs(test))[0])
    name = "auroc_per_record" if other.per_record else "auroc_training_scale"
    parts["test"][name] = float(skm.roc_auc_score(test["label"][keep] > 0, scores[keep]))
    parts["test"]["false_detections"] = int((test["label"] < 0).sum())
    parts["test"]["missed_beats"] = int(test["missed"].sum())
    return parts


def plot_umap(model: AnomalyPredictor, parts: dict[str, dict], path: Path, *, seed: int = 0) -> None:
    """UMAP of the codes of DS1 and DS2 beats (up to UMAP_BEATS per class and part), coloured by class."""
    from matplotlib.figure import Figure

    from core.dependencies import require
    from core.ecg.render import CLASS_COLOURS

    umap = require("umap", "umap-learn", purpose="The latent-space plot")
    rng = np.random.default_rng(seed)
    picked = []
    for name, data in parts.items():
        for c in range(len(AAMI_CLASSES)):
            rows = np.flatnonzero(data["label"] == c)
            rows = rng.choice(rows, min(UMAP_BEATS, len(rows)), replace=False)
            if len(rows):
                picked.append((name, c, model.reconstruct(*model_inputs(data, rows))[2]))
    embedding = umap.UMAP(random_state=seed, n_jobs=1).fit_transform(np.concatenate([codes for *_, codes in picked]))
    fig = Figure(figsize=(11, 5), layout="constrained")
    axes = dict(zip(parts, fig.subplots(1, len(parts), sharex=True, sharey=True)))
    start = 0
    for name, c, codes in picked:
        points = embedding[start : start + len(codes)]
        start += len(codes)
        label = AAMI_CLASSES[c]
        axes[name].scatter(*points.T, s=3, alpha=0.5, color=CLASS_COLOURS[label], label=f"{label} ({len(codes)})")
    for name, ax in axes.items():
        ax.set(title=f"{name} beats", xlabel="UMAP 1", ylabel="UMAP 2")
        ax.legend(markerscale=4, fontsize=8)
    fig.savefig(path, dpi=100)


def card_details(metrics: dict) -> str:
    """The card's sections beyond the common ones: figures beside the baseline, per-class detection, the UMAP."""
    rows = [
        ("generative (this model)", metrics["test"]),
        (f"supervised {metrics['baseline']['checkpoint']}", metrics["baseline"]["test"]),
    ]
    lines = [
        "\n## Beside the supervised classifier\n",
        "DS2 beats, abnormal = any non-N class; both thresholds chosen for best F1 on the same DS1 validation "
        "records.\n",
        "| model | AUROC | F1 | phi | S | V | F | Q |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, block in rows:
        rate = block["detection_rate"]
        lines.append(
            f"| {name} | {block['auroc']:.3f} | {block['f1']:.3f} | {block['phi']:.3f} | "
            + " | ".join(f"{rate.get(c, float('nan')):.1%}" for c in "SVFQ")
            + " |"
        )
    lines += [
        "\nS, V, F, Q: share of that class's DS2 beats above the threshold. The supervised model has seen labelled "
        "abnormal beats; this one only normal beats.\n",
        "## Latent space\n",
        "![UMAP of the codes of DS1 and DS2 beats, coloured by class](umap.png)\n",
    ]
    return "\n".join(lines)


def write_card(out: Path, metrics: dict, training_command: str) -> None:
    """Write metrics.json and the model card of checkpoint folder `out`."""
    card = model_card(
        get_task("ecg_anomaly"),
        metrics["variant"],
        metrics=metrics,
        training_command=training_command,
        protocol=PROTOCOL_TEXT,
        limits=LIMITS[metrics["per_record"]] + LIMITS_COMMON,
    )
    write_evaluation(
        out, metrics=metrics, card=card.replace("\n## Training\n", card_details(metrics) + "\n## Training\n", 1)
    )


def finish(model: AnomalyPredictor, out: Path, config: AnomalyTrainConfig, extra: dict, parts: dict) -> dict:
    """Choose the threshold on validation records, then measure the served graph on DS2."""
    validation, test = parts["validation"], parts["test"]
    served = load_predictor(AnomalyPredictor, out)
    served.error_scale = model.error_scale
    errors = served.reconstruct(*model_inputs(validation))[0]
    labelled = validation["label"] >= 0
    served.per_record, served.rr_weight = config.per_record, config.rr_weight
    served.dominant_weight = config.dominant_weight
    served.threshold = best_f1_threshold(
        validation["label"][labelled] > 0, record_scores(served, validation, errors)[labelled]
    )
    config_path = out / "config.json"
    stored = json.loads(config_path.read_text())
    stored.update(
        error_scale=list(served.error_scale),
        rr_weight=served.rr_weight,
        dominant_weight=served.dominant_weight,
        per_record=served.per_record,
        threshold=served.threshold,
    )
    config_path.write_text(json.dumps(stored, indent=2) + "\n")
    figures = evaluate(served, validation, test)
    return {
        **extra,
        "per_record": served.per_record,
        "rr_weight": served.rr_weight,
        "dominant_weight": served.dominant_weight,
        "validation": figures["validation"],
        "test": figures["test"],
    }


def standardised_model(config, normal: dict) -> BeatAutoencoder:
    """A new model of `config`, its inputs standardised with the statistics of the `normal` beats it trains on."""
    signal = np.concatenate([normal["context"], normal["beats"]], axis=1)
    log_rr = np.log(np.maximum(normal["rr"][:, :2], 0.05))
    return BeatAutoencoder(
        method=config.variant,
        latent=config.latent,
        width=config.width,
        context_samples=CONTEXT_SAMPLES,
        signal_mean=float(signal.mean()),
        signal_std=float(signal.std()),
        rr_mean=log_rr.mean(axis=0).tolist(),
        rr_std=log_rr.std(axis=0).tolist(),
    )


def main(argv: list[str] | None = None) -> Path:
    config = parse_config(AnomalyTrainConfig, argv, prog="python -m training.train ecg_anomaly")
    task = get_task("ecg_anomaly")
    out = Path(config.out) if config.out else task.checkpoint(config.variant)
    seed_everything(config.seed, config.threads)

    # data: normal beats of the training records; validation and test records only scored
    parts = {
        name: anomaly_beats(name, data_dir=config.data_dir or None, seed=config.seed)
        for name in ("train", "validation", "test")
    }
    train, validation, test = parts["train"], parts["validation"], parts["test"]
    normal = np.flatnonzero(train["label"] == 0)
    if config.limit:
        normal = np.random.default_rng(config.seed).choice(normal, min(config.limit, len(normal)), replace=False)
    train_normal = {key: value[normal] for key, value in train.items()}
    val_normal = {key: value[validation["label"] == 0] for key, value in validation.items() if key != "missed"}
    model = standardised_model(config, train_normal)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{config.variant}: {n_params:,} parameters; {len(normal):,} normal training beats of {len(TRAIN)} records")

    started = time.time()
    history = fit_beats(model, train_normal, val_normal, config)
    train_seconds = time.time() - started
    terms = np.column_stack(
        [model.reconstruct(*model_inputs(train_normal))[0], dominant_distances(train, CONTEXT_SAMPLES)[normal]]
    )
    model.error_scale = np.median(terms, axis=0).tolist()

    # the checkpoint, then the served graph: threshold from validation records, figures on DS2
    save_checkpoint(model, out, training_config=config.to_dict())
    metrics = finish(
        model,
        out,
        config,
        {
            "task": "ecg_anomaly",
            "variant": config.variant,
            "protocol_text": PROTOCOL_TEXT,
            "dataset": "MIT-BIH Arrhythmia Database",
            "records": {"train": list(TRAIN), "validation": list(VALIDATION), "test": list(TEST)},
            "parameters": n_params,
            "epochs_run": len(history),
            "train_seconds": round(train_seconds, 1),
            "served_onnx": "model.onnx",
            "history": history,
        },
        parts,
    )
    metrics["baseline"] = baseline(config.data_dir or None)
    ds1 = {key: np.concatenate([train[key], validation[key]]) for key in ("beats", "rr", "context", "label")}
    plot_umap(load_predictor(AnomalyPredictor, out), {"DS1": ds1, "DS2": test}, out / "umap.png", seed=config.seed)
    write_card(out, metrics, config.command("ecg_anomaly"))
    test_figures = metrics["test"]
    print(
        json.dumps(
            {
                "out": str(out),
                **{k: test_figures[k] for k in ("auroc", "f1", "phi")},
                "baseline_auroc": metrics["baseline"]["test"]["auroc"],
            }
        )
    )
    return out


def evaluate_main(argv: list[str] | None = None) -> None:
    """`python -m training.evaluate ecg_anomaly [--variant ae|vae|beatgan]`: the shipped checkpoint's validation and
    DS2 figures (served ONNX graph) beside the supervised baseline's, as JSON."""
    import argparse

    from core import load_model

    task = get_task("ecg_anomaly")
    parser = argparse.ArgumentParser(prog="python -m training.evaluate ecg_anomaly")
    parser.add_argument("--variant", default=task.variant(), choices=list(task.checkpoints))
    parser.add_argument("--data-dir", default="")
    parser.add_argument(
        "--write-baseline", action="store_true", help="re-measure the baseline into metrics.json and the card"
    )
    args = parser.parse_args(argv)
    model = load_model("ecg_anomaly", variant=args.variant, backend="onnx")
    if args.write_baseline:
        stored = json.loads((model.checkpoint_dir / "training_config.json").read_text())
        config = AnomalyTrainConfig(**{k: v for k, v in stored.items() if k in AnomalyTrainConfig().to_dict()})
        metrics = {**model.metrics, "baseline": baseline(args.data_dir or None)}
        write_card(model.checkpoint_dir, metrics, config.command("ecg_anomaly"))
        model.metrics = metrics
    seed = json.loads((model.checkpoint_dir / "training_config.json").read_text())["seed"]
    parts = {name: anomaly_beats(name, data_dir=args.data_dir or None, seed=seed) for name in ("validation", "test")}
    figures = evaluate(model, parts["validation"], parts["test"])
    figures["baseline"] = baseline(args.data_dir or None)
    print(json.dumps({"variant": args.variant, "protocol": PROTOCOL_TEXT, **figures}, indent=2))


WEIGHT_GRID = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
FOLDS = 3


def fold_aurocs(config: AnomalyTrainConfig) -> dict[tuple[float, float], float]:
    """AUROC of held-out beats for each (rr_weight, dominant_weight) of WEIGHT_GRID: the 22 DS1 records in FOLDS
    leave-records-out folds, a model of `config` trained on the other records' normal beats (no DS2 beat is read)."""
    train, validation = (
        anomaly_beats(part, data_dir=config.data_dir or None, seed=config.seed) for part in ("train", "validation")
    )
    keys = ("beats", "rr", "context", "label", "record")
    pool = {key: np.concatenate([train[key], validation[key]]) for key in keys}
    records, distances = np.unique(pool["record"]), dominant_distances(pool, CONTEXT_SAMPLES)
    terms, labels = [], []
    for fold in range(FOLDS):
        held = np.isin(pool["record"], records[fold::FOLDS])
        normal = ~held & (pool["label"] == 0)
        fit = {key: value[normal] for key, value in pool.items()}
        out = {key: value[held] for key, value in pool.items()}
        model = standardised_model(config, fit)
        fit_beats(model, fit, {key: value[:2000] for key, value in fit.items()}, config)
        scale = np.append(np.median(model.reconstruct(*model_inputs(fit))[0], axis=0), np.median(distances[normal]))
        terms.append(np.column_stack([model.reconstruct(*model_inputs(out))[0], distances[held]]) / scale)
        labels.append(out["label"])
        tqdm.write(f"fold {fold + 1}/{FOLDS}: held-out records {records[fold::FOLDS].tolist()}")
    terms, labels = np.concatenate(terms), np.concatenate(labels)
    keep = labels >= 0
    return {
        (rr, dominant): float(skm.roc_auc_score(labels[keep] > 0, terms[keep] @ [1.0, rr, dominant]))
        for rr in WEIGHT_GRID
        for dominant in WEIGHT_GRID
    }


def choose_weights_main(argv: list[str] | None = None) -> dict:
    """`python -m training.ecg_anomaly --variant ae --epochs 6 --patience 0`: the DS1 fold AUROC of every score
    weight pair, as JSON (the defaults of AnomalyTrainConfig are the pair of highest mean over the three methods)."""
    config = parse_config(AnomalyTrainConfig, argv, prog="python -m training.ecg_anomaly")
    seed_everything(config.seed, config.threads)
    table = fold_aurocs(config)
    best = max(table, key=table.get)
    result = {
        "variant": config.variant,
        "best": {"rr_weight": best[0], "dominant_weight": best[1], "auroc": table[best]},
        "auroc": [{"rr_weight": rr, "dominant_weight": d, "auroc": auroc} for (rr, d), auroc in table.items()],
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    choose_weights_main()
