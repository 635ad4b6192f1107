"""Train the respiration models and write their checkpoint folders with reports.

    python -m training.train respiration --variant series --threads 1      # VAE-LSTM on the five NAB known-cause series
    python -m training.train respiration --variant waveform --threads 1    # VAE-LSTM on the BIDMC breathing waveform
    python -m training.train respiration --variant apnea-vae --threads 1   # VAE-LSTM on normal Apnea-ECG minutes (RR)
    python -m training.train respiration --variant apnea --threads 1       # supervised apnea-minute CNN (RR)
    python -m training.train respiration --variant series --grid code_size=6,8,20 hidden=64,256 --epochs 8

The trainers live by job: training/respiration_vae.py (the two-phase VAE-LSTM and its three variants),
training/respiration_nab.py (NAB tuning and evaluation), training/respiration_apnea.py (the supervised apnea CNN).
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from core.checkpoint import save_checkpoint, write_evaluation
from core.errors import ConfigError
from core.modelcard import model_card
from core.respiration.breaths import match_events, rsp_peaks
from core.respiration.data import bidmc_01
from core.respiration.rr import GRID_FS
from core.respiration.scoring import binary_metrics
from core.tasks import get_task
from training.config import TrainConfig, parse_config
from training.loop import seed_everything
from training.metrics import plot_learning_curves, plot_roc_pr, write_rows_csv
from training.respiration_apnea import apnea_records, split_records, train_apnea
from training.respiration_nab import evaluate_nab
from training.respiration_vae import train_apnea_vae, train_series, train_waveform

VARIANT_SHAPES = {"series": (24, 8), "waveform": (20, 4), "apnea-vae": (int(60 * GRID_FS), 5)}
"""(window, seq_len) per VAE-LSTM variant: 2 h of NAB's 5-min data; 5 s of breathing at 4 Hz; one minute of RR."""
PROTOCOLS = {
    "series": "NAB realKnownCause, the five series of Lin et al.: trained on each series' anomaly-free beginning "
    "(before its first labelled window), last 20 % of it held out for early stopping and the threshold "
    "(scored from the beginning alone, so no test point enters it); tested on the rest of the series. "
    "Point-wise P/R/F1 without and with point-adjustment.",
    "waveform": "BIDMC record 01 RESP (8 min, 125 Hz): first 75 % trains, last 25 % validates; breath detection "
    "(rule-based, not learned) scored against both annotators within 0.5 s.",
    "apnea-vae": "Apnea-ECG, split by record: 8 test records never seen, 5 validation records for early stopping and "
    "the threshold, 22 training records whose normal (N) minutes only train the model.",
    "apnea": "Apnea-ECG, split by record: 8 test records never seen, 5 validation records for early stopping, the "
    "threshold and the smoothing of per-minute probabilities, 22 training records.",
    "apnea-folds": "Apnea-ECG, split by record: 8 test records never seen; record-wise {folds}-fold cross-validation "
    "over the 27 other records (each fold model early-stopped on its held-out records); the threshold and the "
    "smoothing of per-minute probabilities chosen on the out-of-fold probabilities; the served model averages the "
    "probabilities of the fold models ({views}).",
}
VIEW_TEXT = {
    "raw": "one CNN per fold on the RR windows",
    "night": "one CNN per fold on the RR windows divided by the night's median RR",
    "both": "two CNNs per fold, one on the RR windows and one on them divided by the night's median RR",
}
LIMITS = {
    "series": "NAB series are not physiological; scores depend on standardising by the series' first 15 %.",
    "waveform": "Trained on one 8-minute record of one patient; anomaly scores flag departures from regular "
    "breathing only.",
    "apnea-vae": "Unsupervised: flags minutes whose heart-rate dynamics differ from normal ones; far below the "
    "supervised model.",
    "apnea": "Uses machine QRS detections of single-lead ECG; tested on 8 records of the 35 labelled Apnea-ECG "
    "records.",
}


@dataclass
class RespirationTrainConfig(TrainConfig):
    """Training configuration of the respiration models (window and seq_len 0 = the variant's default)."""

    derived = ("window", "seq_len")
    """Filled from the variant (`resolve`), so left out of the training command."""
    variant: Literal["series", "waveform", "apnea", "apnea-vae"] = "series"
    epochs: int = 15
    batch_size: int = 64
    window: int = 0
    seq_len: int = 0
    code_size: int = 6
    hidden: int = 64
    width: int = 64
    nab_train: str = ""
    """Train the series model on this one known-cause series only (Lin et al.'s per-series setting); empty: all five."""
    cnn_width: int = 16
    kl_weight: float = 0.01
    stride: int = 4
    threshold_quantile: float = 0.995
    data_dir: str = ""
    rr_scale: float = 0.0
    """apnea: standard deviation of a random log-scale factor multiplying each training window's RR intervals (heart
    rate levels differ between people; the cyclic variation apnea causes scales with them); 0 = none."""
    context: int = 5
    """apnea: minutes of RR each per-minute decision sees, centred on the scored minute (odd)."""
    views: Literal["raw", "night", "both"] = "raw"
    """apnea: what the CNNs see: the RR windows ("raw"), the windows divided by the night's median RR ("night"), or
    one CNN of each per fold, averaged ("both", needs --folds); see ApneaNet.night_members."""
    folds: int = 0
    """apnea: 0 = one split (22 training, 5 validation records); K >= 2 = record-wise K-fold cross-validation over
    the 27 non-test records (fold 1 = the 5 validation records), the served model the K fold models' ensemble."""

    def validate(self) -> None:
        super().validate()
        if self.context < 1 or self.context % 2 == 0:
            raise ConfigError(
                f"Config field context={self.context!r} must be an odd number of minutes "
                "(the minute and as many on each side)."
            )
        if self.folds == 1 or self.folds < 0:
            raise ConfigError(f"Config field folds={self.folds!r} must be 0 (one validation split) or at least 2.")
        if self.views == "both" and not self.folds:
            raise ConfigError(
                "Config field views='both' needs --folds K (K >= 2); use views 'raw' or 'night' for one split."
            )


TRAINERS = {"series": train_series, "waveform": train_waveform, "apnea-vae": train_apnea_vae, "apnea": train_apnea}


def resolve(config: RespirationTrainConfig) -> RespirationTrainConfig:
    """Fill the variant's default window and sequence length."""
    if config.variant in VARIANT_SHAPES:
        window, seq_len = VARIANT_SHAPES[config.variant]
        config = replace(config, window=config.window or window, seq_len=config.seq_len or seq_len)
    return config


def with_settings(model, **settings):
    """The same weights in a model built with updated constructor settings, so that config.json records them."""
    rebuilt = type(model)(**{**model._hub_mixin_config, **settings})
    rebuilt.load_state_dict(model.state_dict())
    return rebuilt.eval()


def write_report(config: RespirationTrainConfig, run: dict, out: Path, seconds: float) -> None:
    """The checkpoint folder of a trainer's `run`: weights, config, model card, metrics and the report's tables and
    plots."""
    task = get_task("respiration")
    trained = run["model"]
    settings = {k: getattr(trained, k) for k in ("threshold", "smooth") if k in trained._hub_mixin_config}
    model = with_settings(trained, **settings)
    protocol = PROTOCOLS[config.variant]
    if config.variant == "apnea" and config.folds:
        protocol = PROTOCOLS["apnea-folds"].format(folds=config.folds, views=VIEW_TEXT[config.views])
    metrics = {
        "task": "respiration",
        "variant": config.variant,
        "protocol_text": protocol,
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_seconds": round(seconds, 1),
        "threshold": model.threshold,
        "validation": run.get("validation", {}),
        "test": run["test"],
    }
    if "split" in run:
        metrics["split"] = run["split"]
    card = model_card(
        task,
        config.variant,
        metrics=metrics,
        training_command=config.command("respiration"),
        protocol=protocol,
        limits=LIMITS[config.variant],
    )
    save_checkpoint(model, out, training_config=config.to_dict())
    write_evaluation(out, metrics=metrics, card=card)
    report = out / "report"
    report.mkdir(exist_ok=True)
    names = run.get("history_names") or (("vae", "lstm") if len(run["histories"]) == 2 else ("cnn",))
    for name, history in zip(names, run["histories"]):
        write_rows_csv(history, report / f"history_{name}.csv")
        plot_learning_curves(history, report / f"learning_curves_{name}.png", f"{config.variant} {name}")
    for name, rows in run.get("tables", {}).items():
        write_rows_csv(rows, report / name)
    if "roc" in run:
        labels, scores = run["roc"]
        plot_roc_pr(
            labels,
            np.column_stack([-scores, scores]),
            ("N", "A"),
            report / "roc_pr.png",
            f"{config.variant}, test records",
        )


SELECT_BY = {
    "series": ("tuning_mean_f1", False),
    "waveform": ("lstm_val_mse", True),
    "apnea-vae": ("auroc", False),
    "apnea": ("auroc", False),
}
"""Grid selection criterion per variant, on validation data: for series the mean F1 over the 45 labelled NAB files
outside realKnownCause (code-space LSTM losses are not comparable across code sizes)."""


GRID_FIELDS = ("code_size", "hidden", "width", "window", "seq_len")


def parse_grid(argv: list[str]) -> tuple[dict[str, list[int]], list[str]]:
    """The `--grid NAME=V1,V2 ...` axes of `argv` (NAME one of GRID_FIELDS), and the other arguments (the config's)."""
    parser = argparse.ArgumentParser(prog="python -m training.train respiration", add_help=False, allow_abbrev=False)
    parser.add_argument("--grid", nargs="+", default=[], metavar="NAME=V1,V2")
    args, rest = parser.parse_known_args(argv)
    axes = {}
    for item in args.grid:
        name, _, values = item.partition("=")
        if name not in GRID_FIELDS or not re.fullmatch(r"\d+(,\d+)*", values):
            parser.error(f"grid axis {item!r} is not NAME=V1,V2 (whole numbers), NAME one of {', '.join(GRID_FIELDS)}")
        axes[name] = [int(v) for v in values.split(",")]
    return axes, rest


def run_grid(config: RespirationTrainConfig, axes: dict[str, list[int]], out: Path) -> Path:
    """Train every combination of the grid axes (field -> values), select by validation data, write a results table."""
    rows = []
    for combo in itertools.product(*axes.values()):
        trial = resolve(replace(config, **dict(zip(axes, combo))))
        seed_everything(trial.seed, trial.threads)
        started = time.time()
        run = TRAINERS[trial.variant](trial)
        validation = {k: round(v, 5) for k, v in run["validation"].items() if isinstance(v, (int, float))}
        row = {
            **dict(zip(axes, combo)),
            **validation,
            **{f"test_{k}": round(v, 4) for k, v in run["test"].items() if isinstance(v, float)},
            "seconds": round(time.time() - started, 1),
        }
        rows.append(row)
        tqdm.write(json.dumps(row))
    out.mkdir(parents=True, exist_ok=True)
    write_rows_csv(rows, out / "grid_results.csv")
    column, ascending = SELECT_BY[config.variant]
    frame = pd.DataFrame(rows).sort_values(column, ascending=ascending)
    table = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    table += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    (out / "grid_results.md").write_text(
        f"Grid search, variant {config.variant}, {config.epochs} epochs per phase, best first by {column} (validation "
        "data only: the model-selection criterion); test columns are reported, never used to select.\n\n"
        + "\n".join(table)
        + "\n"
    )
    print(frame.to_string(index=False))
    return out


def main(argv: list[str] | None = None) -> Path:
    axes, argv = parse_grid(list(argv or []))
    config = resolve(parse_config(RespirationTrainConfig, argv, prog="python -m training.train respiration"))
    out = Path(config.out) if config.out else get_task("respiration").checkpoint(config.variant)
    if axes:
        return run_grid(config, axes, Path(config.out) if config.out else out / "report" / "grid")
    seed_everything(config.seed, config.threads)
    started = time.time()
    run = TRAINERS[config.variant](config)
    write_report(config, run, out, time.time() - started)
    print(json.dumps({"out": str(out), "test": {k: v for k, v in run["test"].items() if isinstance(v, (int, float))}}))
    return out


def evaluate_main(argv: list[str] | None = None) -> None:
    """`python -m training.evaluate respiration [--variant series|waveform|apnea|apnea-vae]`: test metrics of a shipped
    checkpoint as JSON, on its protocol's test part with its stored threshold and smoothing."""
    import argparse

    from core import load_model

    parser = argparse.ArgumentParser(prog="python -m training.evaluate respiration")
    task = get_task("respiration")
    parser.add_argument("--variant", default=task.variant(), choices=list(task.checkpoints))
    parser.add_argument("--data-dir", default="")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or None
    model = load_model("respiration", variant=args.variant)
    if args.variant == "series":
        rows, nab = evaluate_nab(model, model.metrics["validation"]["quantile"], data_dir)
        test = {
            f"{kind}_{m}": float(np.mean([row[f"{kind}_{m}"] for row in rows]))
            for kind in ("raw", "point_adjusted")
            for m in ("precision", "recall", "f1")
        }
        test |= {"per_series": rows, "nab": nab}
    elif args.variant == "waveform":
        resp, fs, ann1, ann2 = bidmc_01(data_dir)
        peaks = rsp_peaks(resp, fs)
        test = {
            name: match_events(peaks / fs, ann / fs, 0.5) for name, ann in (("annotator1", ann1), ("annotator2", ann2))
        }
    else:
        records = apnea_records(data_dir)
        _, _, names = split_records(records)
        score = model.apnea_probability if args.variant == "apnea" else model.minute_anomaly_scores
        labels = np.concatenate([records[n]["labels"] for n in names])
        test = {
            **binary_metrics(labels, np.concatenate([score(records[n]["inputs"]) for n in names]), model.threshold),
            "records": names,
        }
    print(json.dumps({"variant": args.variant, "protocol": model.metrics["protocol_text"], **test}, indent=2))
