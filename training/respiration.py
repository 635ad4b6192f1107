"""Train the respiration models and write their checkpoint folders with reports.

    python -m training.train respiration --variant series --threads 1      # VAE-LSTM on the five NAB known-cause series
    python -m training.train respiration --variant waveform --threads 1    # VAE-LSTM on the BIDMC breathing waveform
    python -m training.train respiration --variant apnea-vae --threads 1   # VAE-LSTM on normal Apnea-ECG minutes (RR)
    python -m training.train respiration --variant apnea --threads 1       # supervised apnea-minute CNN (RR)
    python -m training.train respiration --variant series --grid code_size=6,8,20 hidden=64,256 --epochs 8

The VAE-LSTM is trained in two phases as in Lin et al. (2020): the VAE on single windows, then (VAE frozen) the
LSTM on the sequence of window codes. Both phases use the shared loop with early stopping on validation loss.
"""
from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from core.checkpoint import save_checkpoint, write_evaluation
from core.errors import ConfigError
from core.modelcard import model_card
from core.respiration.breaths import match_events, rsp_peaks
from core.respiration.data import (APNEA_TEST_RECORDS, APNEA_VAL_RECORDS, bidmc_01, nab_corpus, nab_known_cause,
                                   nab_series)
from core.respiration.model import ApneaNet, VAELSTM
from core.respiration.pipeline import (BeatSeries, ValueSeries, apnea_inputs, apnea_night_rr, apnea_probability,
                                       apnea_vae_scores, apnea_windows, predict_series, standardise_by_reference,
                                       waveform_input)
from core.respiration.rr import GRID_FS
from core.respiration.scoring import (binary_metrics, detection_metrics, nab_normalised, nab_raw_score, onsets,
                                      pick_threshold, smooth_scores)
from core.tasks import get_task
from training.config import TrainConfig, parse_config
from training.loop import fit, seed_everything, tensors
from training.metrics import plot_learning_curves, plot_roc_pr, write_rows_csv

VARIANT_SHAPES = {"series": (24, 8), "waveform": (20, 4), "apnea-vae": (int(60 * GRID_FS), 5)}
"""(window, seq_len) per VAE-LSTM variant: 2 h of NAB's 5-min data; 5 s of breathing at 4 Hz; one minute of RR."""
PROTOCOLS = {
    "series": "NAB realKnownCause, the five series of Lin et al.: trained on each series' anomaly-free beginning (before "
    "its first labelled window), last 20 % of it held out for early stopping and the threshold (scored from the beginning "
    "alone, so no test point enters it); tested on the rest of the series. Point-wise P/R/F1 without and with "
    "point-adjustment.",
    "waveform": "BIDMC record 01 RESP (8 min, 125 Hz): first 75 % trains, last 25 % validates; breath detection "
    "(rule-based, not learned) scored against both annotators within 0.5 s.",
    "apnea-vae": "Apnea-ECG, split by record: 8 test records never seen, 5 validation records for early stopping and the "
    "threshold, 22 training records whose normal (N) minutes only train the model.",
    "apnea": "Apnea-ECG, split by record: 8 test records never seen, 5 validation records for early stopping, the "
    "threshold and the smoothing of per-minute probabilities, 22 training records.",
    "apnea-folds": "Apnea-ECG, split by record: 8 test records never seen; record-wise {folds}-fold cross-validation over "
    "the 27 other records (each fold model early-stopped on its held-out records); the threshold and the smoothing of "
    "per-minute probabilities chosen on the out-of-fold probabilities; the served model averages the probabilities of the "
    "fold models ({views}).",
}
VIEW_TEXT = {"raw": "one CNN per fold on the RR windows",
             "night": "one CNN per fold on the RR windows divided by the night's median RR",
             "both": "two CNNs per fold, one on the RR windows and one on them divided by the night's median RR"}
LIMITS = {
    "series": "NAB series are not physiological; scores depend on standardising by the series' first 15 %.",
    "waveform": "Trained on one 8-minute record of one patient; anomaly scores flag departures from regular breathing only.",
    "apnea-vae": "Unsupervised: flags minutes whose heart-rate dynamics differ from normal ones; far below the supervised model.",
    "apnea": "Uses machine QRS detections of single-lead ECG; tested on 8 records of the 35 labelled Apnea-ECG records.",
}


@dataclass
class RespirationTrainConfig(TrainConfig):
    """Training configuration of the respiration models (window and seq_len 0 = the variant's default)."""

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
            raise ConfigError(f"Config field context={self.context!r} must be an odd number of minutes (the minute and as many on each side).")
        if self.folds == 1 or self.folds < 0:
            raise ConfigError(f"Config field folds={self.folds!r} must be 0 (one validation split) or at least 2.")
        if self.views == "both" and not self.folds:
            raise ConfigError("Config field views='both' needs --folds K (K >= 2); use views 'raw' or 'night' for one split.")


# the two-phase VAE-LSTM training -------------------------------------------------------------------------------------

class VAEPhase(nn.Module):
    """Phase 1 view of a VAELSTM: windows -> [reconstruction, mu, logvar] (one tensor, as the shared loop expects)."""

    input_names = ("windows",)

    def __init__(self, model: VAELSTM):
        super().__init__()
        self.model = model

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.model.encode(self.model.standardise(windows))
        code = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        return torch.cat([self.model.decode(code), mu, logvar], dim=1)


class LSTMPhase(nn.Module):
    """Phase 2 view: the LSTM and its head only, codes of windows 1..k-1 -> predicted codes of windows 2..k."""

    input_names = ("codes",)

    def __init__(self, model: VAELSTM):
        super().__init__()
        self.lstm, self.head = model.lstm, model.lstm_head

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        state = codes.new_zeros(1, codes.shape[0], self.lstm.hidden_size)
        return self.head(self.lstm(codes, (state, state))[0])


def vae_loss(window: int, kl_weight: float, standardise):
    def loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        recon, mu, logvar = output[:, :window], *output[:, window:].chunk(2, dim=1)
        kl = -0.5 * torch.mean(torch.sum(1 + logvar - mu**2 - logvar.exp(), dim=1)) / window
        return nn.functional.mse_loss(recon, standardise(target)) + kl_weight * kl

    return loss


def train_vae_lstm(config: RespirationTrainConfig, train_seq: np.ndarray, val_seq: np.ndarray, *, purpose: str,
                   input_mean: float = 0.0, input_std: float = 1.0) -> tuple[VAELSTM, list[dict], list[dict]]:
    """Two-phase training on (n, seq_len, window) sequences; returns the model and both phases' histories."""
    model = VAELSTM(window=config.window, seq_len=config.seq_len, code_size=config.code_size, hidden=config.hidden,
                    width=config.width, purpose=purpose, input_mean=input_mean, input_std=input_std)
    train_win, val_win = train_seq.reshape(-1, config.window), val_seq.reshape(-1, config.window)
    loss = vae_loss(config.window, config.kl_weight, model.standardise)
    target_val = model.standardise(torch.as_tensor(val_win, dtype=torch.float32)).numpy()

    def vae_score(output: np.ndarray) -> float:
        return -float(np.mean((output[:, : config.window] - target_val) ** 2))

    tqdm.write("phase 1: VAE on windows")
    vae_history = fit(VAEPhase(model), tensors(train_win, train_win.astype(np.float32)),
                      tensors(val_win, val_win.astype(np.float32)), config, loss_fn=loss, score_fn=vae_score)
    for module in (model.encoder, model.decoder):
        module.requires_grad_(False)
    with torch.inference_mode():
        codes = [model.encode(model.standardise(torch.as_tensor(s, dtype=torch.float32)))[0].numpy() for s in (train_seq, val_seq)]
    val_target = codes[1][:, 1:]

    def lstm_score(output: np.ndarray) -> float:
        return -float(np.mean((output - val_target) ** 2))

    tqdm.write("phase 2: LSTM on code sequences")
    lstm_history = fit(LSTMPhase(model), tensors(codes[0][:, :-1], codes[0][:, 1:].copy()),
                       tensors(codes[1][:, :-1], val_target.copy()), config, loss_fn=nn.functional.mse_loss, score_fn=lstm_score)
    model.requires_grad_(True)
    model.eval()
    return model, vae_history, lstm_history


def sequences(x: np.ndarray, window: int, seq_len: int, stride: int) -> np.ndarray:
    """(n, seq_len, window) sequences of consecutive windows starting every `stride` points."""
    span = window * seq_len
    if len(x) < span:
        raise ConfigError(f"Config fields window={window} x seq_len={seq_len} span {span} points, more than a {len(x)}-point "
                          "training or validation part; lower window or seq_len.")
    starts = np.arange(0, len(x) - span + 1, stride)
    return np.stack([x[s : s + span] for s in starts]).reshape(len(starts), seq_len, window).astype(np.float32)


# variants ------------------------------------------------------------------------------------------------------------

def nab_parts(series, train_share: float = 0.8) -> tuple[np.ndarray, int, int]:
    """Series standardised by its anomaly-free beginning, the end of the training part and of the validation part."""
    x = standardise_by_reference(series.values, series.train_end)
    return x, int(train_share * series.train_end), series.train_end


def nab_windows_idx(stamps: pd.DatetimeIndex, windows: list) -> list[tuple[int, int]]:
    """Labelled windows as inclusive (first, last) point indices."""
    out = []
    for start, end in windows:
        inside = np.flatnonzero((stamps >= pd.Timestamp(start)) & (stamps <= pd.Timestamp(end)))
        if len(inside):
            out.append((int(inside[0]), int(inside[-1])))
    return out


SMOOTH_GRID = (1, 12, 48, 144, 288, 576)
QUANTILE_GRID = (0.99, 0.995, 1.0)


def whole(series) -> ValueSeries:
    return ValueSeries(series.values, np.arange(len(series.values)), series.name)


def validation_scores(model: VAELSTM, series) -> np.ndarray:
    """Smoothed scores of a known-cause series' validation part, computed from its anomaly-free beginning alone: scored
    and smoothed over the whole series, the last validation points would average in predicted windows and scores of
    the test part."""
    _, val_start, train_end = nab_parts(series)
    beginning = ValueSeries(series.values[:train_end], np.arange(train_end), series.name)
    return predict_series(model, beginning, reference_end=train_end).score[val_start:]


def tune_postprocessing(model: VAELSTM, data_dir: str | None) -> tuple[int, float, list[dict]]:
    """Score smoothing width and threshold quantile of best mean F1 over the NAB series outside realKnownCause.

    Each file is standardised, and its threshold set, on its own first 15 % (NAB's probationary part); F1 is
    measured on the rest. The five evaluated known-cause series take no part in this choice.
    """
    model.smooth = 1
    rows, scores = [], []
    for relative in tqdm([r for r in nab_corpus(data_dir) if not r.startswith("realKnownCause/")], desc="tuning files"):
        series = nab_series(relative, data_dir)
        if series.labels.any():
            scores.append((series, predict_series(model, whole(series)).score))
    for width, quantile in itertools.product(SMOOTH_GRID, QUANTILE_GRID):
        f1 = []
        for series, raw in scores:
            smoothed = smooth_scores(raw, width)
            probation = int(0.15 * len(raw))
            threshold = pick_threshold(smoothed[:probation], quantile=quantile)
            f1.append(detection_metrics(smoothed[probation:] >= threshold, series.labels[probation:])["raw"]["f1"])
        rows.append({"smooth": width, "quantile": quantile, "files": len(f1), "mean_f1": round(float(np.mean(f1)), 4)})
    best = max(rows, key=lambda r: r["mean_f1"])
    return best["smooth"], best["quantile"], rows


def evaluate_nab(model: VAELSTM, quantile: float, data_dir: str | None) -> tuple[list[dict], dict]:
    """Per-series P/R/F1 on the five known-cause series (thresholds from each series' validation part) and the NAB score."""
    rows = []
    for series in nab_known_cause(data_dir):
        _, val_start, train_end = nab_parts(series)
        score = predict_series(model, whole(series), reference_end=train_end).score
        threshold = pick_threshold(validation_scores(model, series), quantile=quantile)
        test_labels = series.labels[train_end:]
        metrics = detection_metrics(score[train_end:] >= threshold, test_labels)
        best = max(detection_metrics(score[train_end:] >= t, test_labels)["raw"]["f1"]
                   for t in np.quantile(score[train_end:], np.linspace(0.5, 0.999, 60)))
        rows.append({"series": series.name, "train_points": int(val_start), "val_points": int(train_end - val_start),
                     "test_points": int(len(test_labels)), "threshold": round(threshold, 4),
                     **{f"{kind}_{m}": round(metrics[kind][m], 4) for kind in ("raw", "point_adjusted") for m in ("precision", "recall", "f1")},
                     "test_tuned_f1_not_a_result": round(best, 4)})
    raw, counts, fixed_raw = [], [], []
    for relative in tqdm(nab_corpus(data_dir), desc="NAB corpus"):
        series = nab_series(relative, data_dir)
        score = predict_series(model, whole(series), causal=True).score
        probation = min(int(0.15 * len(score)), 5000)
        windows = nab_windows_idx(series.timestamps, series.windows)
        own = pick_threshold(score[:probation], quantile=quantile)
        raw.append(nab_raw_score(onsets(score >= own), windows)[0])
        fixed_raw.append(nab_raw_score(onsets(score >= model.threshold), windows)[0])
        counts.append(len(windows))
    nab = {"files": len(counts), "windows": int(sum(counts)),
           "standard_profile_probation_threshold": round(nab_normalised(raw, counts), 2),
           "standard_profile_fixed_threshold": round(nab_normalised(fixed_raw, counts), 2)}
    return rows, nab


def train_series(config: RespirationTrainConfig, out: Path) -> dict:
    known = [s for s in nab_known_cause(config.data_dir or None) if s.name == config.nab_train or not config.nab_train]
    if not known:
        raise ConfigError(f"Config field nab_train={config.nab_train!r} is not one of the five known-cause series.")
    train, val = [], []
    for series in known:
        x, val_start, train_end = nab_parts(series)
        train.append(sequences(x[:val_start], config.window, config.seq_len, config.stride))
        val.append(sequences(x[val_start:train_end], config.window, config.seq_len, config.stride))
    model, vae_history, lstm_history = train_vae_lstm(config, np.concatenate(train), np.concatenate(val), purpose="series")
    model.smooth, quantile, tuning = tune_postprocessing(model, config.data_dir or None)
    model.threshold = pick_threshold(np.concatenate([validation_scores(model, series) for series in known]), quantile=quantile)
    rows, nab = evaluate_nab(model, quantile, config.data_dir or None)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k.startswith(("raw_", "point_adjusted_"))}
    test = {"f1": mean["raw_f1"], "precision": mean["raw_precision"], "recall": mean["raw_recall"],
            "point_adjusted_f1": mean["point_adjusted_f1"], "per_series": rows, "nab": nab}
    validation = {"lstm_val_mse": -max(r["val_score"] for r in lstm_history), "smooth": model.smooth, "quantile": quantile,
                  "tuning_mean_f1": max(r["mean_f1"] for r in tuning)}
    return {"model": model, "histories": (vae_history, lstm_history), "test": test, "validation": validation,
            "tables": {"nab_per_series.csv": rows, "postprocessing_tuning.csv": tuning}}


def train_waveform(config: RespirationTrainConfig, out: Path) -> dict:
    resp, fs, ann1, ann2 = bidmc_01(config.data_dir or None)
    x = waveform_input(resp, fs)
    split = int(0.75 * len(x))
    model, vae_history, lstm_history = train_vae_lstm(
        config, sequences(x[:split], config.window, config.seq_len, config.stride),
        sequences(x[split:], config.window, config.seq_len, config.stride), purpose="waveform")
    from core.respiration.pipeline import vae_lstm_scores

    model.smooth = config.window  # one window (5 s): a breath-scale score, not a per-sample one
    model.threshold = pick_threshold(smooth_scores(vae_lstm_scores(model, x[split:]), model.smooth), quantile=config.threshold_quantile)
    peaks = rsp_peaks(resp, fs)
    breath = {name: match_events(peaks / fs, ann / fs, 0.5) for name, ann in (("annotator1", ann1), ("annotator2", ann2))}
    test = {"breath_sensitivity": breath["annotator1"]["sensitivity"],
            "breath_positive_predictivity": breath["annotator1"]["positive_predictivity"], "breath_detection": breath}
    return {"model": model, "histories": (vae_history, lstm_history), "test": test,
            "tables": {"breath_detection.csv": [{"annotator": k, **v} for k, v in breath.items()]},
            "validation": {"lstm_val_mse": -max(r["val_score"] for r in lstm_history)}}


def apnea_records(data_dir: str | None) -> dict[str, dict]:
    """Per labelled record: the serving inputs (`apnea_inputs`) and the aligned minute labels."""
    from core.respiration.data import apnea_ecg

    beats, labels = apnea_ecg(data_dir)
    records = {}
    for record, minutes in tqdm(labels.groupby("record"), desc="Apnea-ECG records"):
        rows = beats[beats["record"] == record]
        times = rows["beat_time_s"].to_numpy()
        inputs = apnea_inputs(BeatSeries(times[1:], np.diff(times), record))
        n = min(inputs["minutes"], len(minutes))
        inputs["windows"], inputs["grid"], inputs["minutes"] = inputs["windows"][:n], inputs["grid"][: n * int(60 * GRID_FS)], n
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


def train_apnea_vae(config: RespirationTrainConfig, out: Path) -> dict:
    records = apnea_records(config.data_dir or None)
    train, val, test = split_records(records)
    per_minute = int(60 * GRID_FS)

    def normal_sequences(names):
        out = []
        for name in names:
            minutes = records[name]["inputs"]["grid"].reshape(-1, per_minute)
            normal = records[name]["labels"] == 0
            for s in range(len(minutes) - config.seq_len + 1):
                if normal[s : s + config.seq_len].all():
                    out.append(minutes[s : s + config.seq_len])
        return np.stack(out)

    train_seq = normal_sequences(train)
    model, vae_history, lstm_history = train_vae_lstm(config, train_seq, normal_sequences(val), purpose="apnea",
                                                      input_mean=float(train_seq.mean()), input_std=float(train_seq.std()))
    scores = {name: apnea_vae_scores(model, records[name]["inputs"]) for name in val + test}
    val_labels = np.concatenate([records[n]["labels"] for n in val])
    model.threshold = best_accuracy_threshold(val_labels, np.concatenate([scores[n] for n in val]))
    test_labels = np.concatenate([records[n]["labels"] for n in test])
    test_scores = np.concatenate([scores[n] for n in test])
    metrics = binary_metrics(test_labels, test_scores, model.threshold)
    validation = binary_metrics(val_labels, np.concatenate([scores[n] for n in val]), model.threshold)
    return {"model": model, "histories": (vae_history, lstm_history), "test": {**metrics, "records": test},
            "validation": {**validation, "records": val}, "roc": (test_labels, test_scores)}


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
    return (tuple(np.concatenate([records[n][k] for n in names]) for k in keys),
            np.concatenate([records[n]["labels"] for n in names]).astype(np.float32))


def per_record_rows(records: dict, probability: dict[str, np.ndarray], names: list[str], threshold: float) -> list[dict]:
    """Per-record metrics at `threshold`, for the report."""
    return [{"record": n, **{k: round(v, 4) for k, v in binary_metrics(records[n]["labels"], probability[n], threshold).items() if k != "threshold"}}
            for n in names]


def train_apnea(config: RespirationTrainConfig, out: Path) -> dict:
    records = apnea_records(config.data_dir or None)
    length = int(config.context * 60 * GRID_FS)
    for record in records.values():  # the inputs the model is served, so training sees what serving computes
        record["windows"] = apnea_windows(record["inputs"], length=length)
        record["night_rr"] = apnea_night_rr(record["inputs"], len(record["windows"]))
    if config.folds:
        return train_apnea_folds(config, records)
    train, val, test = split_records(records)

    night = int(config.views == "night")
    (x_train, y_train), (x_val, y_val), (_, y_test) = (stack_records(records, names, night=night) for names in (train, val, test))
    model = ApneaNet(length=x_train[0].shape[1], width=config.cnn_width, rr_mean=float(x_train[0].mean()),
                     rr_std=float(x_train[0].std()), night_members=night)

    def auroc(logits: np.ndarray) -> float:
        return binary_metrics(y_val, logits, 0.0)["auroc"]

    history = fit(model, tensors(*x_train, y_train), tensors(*x_val, y_val), config,
                  loss_fn=nn.functional.binary_cross_entropy_with_logits, score_fn=auroc, augment=rr_scaling(config.rr_scale))
    model.threshold, model.smooth, tuning = tune_apnea_smoothing(model, {n: records[n] for n in val})
    probability = {n: apnea_probability(model, records[n]["inputs"]) for n in val + test}
    p_val, p_test = (np.concatenate([probability[n] for n in names]) for names in (val, test))
    per_record = per_record_rows(records, probability, test, model.threshold)
    return {"model": model, "histories": (history,), "test": {**binary_metrics(y_test, p_test, model.threshold), "records": test},
            "validation": {**binary_metrics(y_val, p_val, model.threshold), "smooth": model.smooth, "records": val},
            "roc": (y_test.astype(int), p_test), "tables": {"per_record.csv": per_record, "smoothing_tuning.csv": tuning},
            "split": {"train": train, "validation": val, "test": test}}


APNEA_SMOOTH_GRID = (1, 3, 5, 7)
"""Minutes of probability smoothing tried on the validation records."""
APNEA_FOLD_SMOOTH_GRID = (1, 3, 5, 7, 9, 11)
"""Minutes of probability smoothing tried on the out-of-fold predictions of a cross-validation (27 records)."""


def tune_apnea_smoothing(model: ApneaNet, val: dict[str, dict]) -> tuple[float, int, list[dict]]:
    """Threshold and smoothing width of best accuracy over the validation records (each night smoothed on its own)."""
    raw = {}
    for name, record in val.items():
        model.smooth = 1
        raw[name] = apnea_probability(model, record["inputs"])
    return tune_smoothing(raw, {n: r["labels"] for n, r in val.items()}, APNEA_SMOOTH_GRID)


def tune_smoothing(raw: dict[str, np.ndarray], labels: dict[str, np.ndarray], grid: tuple[int, ...]) -> tuple[float, int, list[dict]]:
    """Threshold and smoothing width of best accuracy over per-record unsmoothed probabilities."""
    y = np.concatenate([labels[n] for n in raw])
    rows = []
    for width in grid:
        scores = np.concatenate([smooth_scores(raw[n], width) for n in raw])
        threshold = best_accuracy_threshold(y, scores)
        rows.append({"smooth": width, "threshold": threshold, "accuracy": binary_metrics(y, scores, threshold)["accuracy"]})
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
    ensemble = ApneaNet(length=everything.shape[1], width=config.cnn_width, rr_mean=float(everything.mean()),
                        rr_std=float(everything.std()), members=config.folds * len(views), night_members=config.folds * sum(views))
    raw, histories, fold_rows = {}, [], []
    for k, held_out in enumerate(folds):
        tqdm.write(f"fold {k + 1}/{config.folds}: held out {', '.join(held_out)}")
        train = [n for f in folds if f is not held_out for n in f]
        fold_probability = {name: [] for name in held_out}
        for v, night in enumerate(views):  # members of one view are consecutive, the night view's last
            (x_train, y_train), (x_val, y_val) = stack_records(records, train, night=night), stack_records(records, held_out, night=night)
            index = v * config.folds + k
            member = ensemble.member(index)

            def auroc(logits: np.ndarray) -> float:
                return binary_metrics(y_val, logits, 0.0)["auroc"]

            history = fit(member, tensors(*x_train, y_train), tensors(*x_val, y_val), config,
                          loss_fn=nn.functional.binary_cross_entropy_with_logits, score_fn=auroc, augment=rr_scaling(config.rr_scale))
            ensemble.set_member(index, member)
            histories.append([{"fold": k + 1, "view": "night" if night else "raw", **row} for row in history])
            for name in held_out:
                fold_probability[name].append(apnea_probability(member, records[name]["inputs"]))
            best = max(history, key=lambda r: r["val_score"])
            fold_rows.append({"fold": k + 1, "view": "night" if night else "raw", "records": " ".join(held_out),
                              "best_epoch": best["epoch"], "epochs_run": len(history), "val_auroc": round(best["val_score"], 4)})
        for name in held_out:  # the fold's members averaged in probability, as the served ensemble averages them
            raw[name] = np.mean(fold_probability[name], axis=0)
    labels = {n: records[n]["labels"] for n in raw}
    ensemble.threshold, ensemble.smooth, tuning = tune_smoothing(raw, labels, APNEA_FOLD_SMOOTH_GRID)
    oof = {n: smooth_scores(p, ensemble.smooth) for n, p in raw.items()}
    for row in fold_rows:
        held_out = row["records"].split()
        y = np.concatenate([labels[n] for n in held_out])
        row.update({f"oof_{k}": round(v, 4) for k, v in binary_metrics(y, np.concatenate([oof[n] for n in held_out]),
                                                                          ensemble.threshold).items() if k != "threshold"})
    ensemble.eval()
    probability = {n: apnea_probability(ensemble, records[n]["inputs"]) for n in test}
    y_test, p_test = (np.concatenate([d[n] for n in test]) for d in ({n: records[n]["labels"] for n in test}, probability))
    y_oof, p_oof = np.concatenate([labels[n] for n in raw]), np.concatenate([oof[n] for n in raw])
    former = folds[0]
    per_record = per_record_rows(records, probability, test, ensemble.threshold)
    validation = {**binary_metrics(y_oof, p_oof, ensemble.threshold), "smooth": ensemble.smooth, "folds": config.folds,
                  "out_of_fold": "each non-test record scored by the fold model that did not train on it",
                  "former_validation_records": {**binary_metrics(np.concatenate([labels[n] for n in former]),
                                                                 np.concatenate([oof[n] for n in former]), ensemble.threshold),
                                                "records": former},
                  "per_fold": fold_rows}
    return {"model": ensemble, "histories": tuple(histories), "history_names": [f"cnn_fold{k + 1}" + ("_night" if night and len(views) > 1 else "")
                                                                    for k in range(config.folds) for night in views], "test": {**binary_metrics(y_test, p_test, ensemble.threshold), "records": test},
            "validation": validation, "roc": (y_test.astype(int), p_test),
            "tables": {"per_record.csv": per_record, "smoothing_tuning.csv": tuning, "folds.csv": fold_rows},
            "split": {"folds": folds, "test": test}}


TRAINERS = {"series": train_series, "waveform": train_waveform, "apnea-vae": train_apnea_vae, "apnea": train_apnea}


# entry points --------------------------------------------------------------------------------------------------------

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
    task = get_task("respiration")
    trained = run["model"]
    model = with_settings(trained, **{k: getattr(trained, k) for k in ("threshold", "smooth") if k in trained._hub_mixin_config})
    protocol = PROTOCOLS["apnea-folds"].format(folds=config.folds, views=VIEW_TEXT[config.views]) if config.variant == "apnea" and config.folds else PROTOCOLS[config.variant]
    metrics = {"task": "respiration", "variant": config.variant, "protocol_text": protocol,
               "parameters": sum(p.numel() for p in model.parameters()), "train_seconds": round(seconds, 1),
               "threshold": model.threshold, "validation": run.get("validation", {}), "test": run["test"]}
    if "split" in run:
        metrics["split"] = run["split"]
    defaults = RespirationTrainConfig(variant=config.variant).to_dict()
    changed = [f"--{k.replace('_', '-')} {v}" for k, v in config.to_dict().items()
               if v != defaults[k] and k not in ("variant", "window", "seq_len", "threads", "out")]
    command = " ".join(["python -m training.train respiration --variant", config.variant, "--threads 1", *changed])
    card = model_card(task, config.variant, metrics=metrics, training_command=command, protocol=protocol,
                      limits=LIMITS[config.variant])
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
        plot_roc_pr(labels, np.column_stack([-scores, scores]), ("N", "A"), report / "roc_pr.png", f"{config.variant}, test records")


SELECT_BY = {"series": ("tuning_mean_f1", False), "waveform": ("lstm_val_mse", True), "apnea-vae": ("auroc", False),
             "apnea": ("auroc", False)}
"""Grid selection criterion per variant, on validation data: for series the mean F1 over the 45 labelled NAB files
outside realKnownCause (code-space LSTM losses are not comparable across code sizes)."""


def run_grid(config: RespirationTrainConfig, grid: list[str], out: Path) -> Path:
    """Train every combination of the grid (`name=v1,v2`), select by validation loss, write a results table."""
    axes = {}
    for item in grid:
        name, _, values = item.partition("=")
        if name not in ("code_size", "hidden", "width", "window", "seq_len") or not values:
            raise ConfigError(f"Grid axis {item!r} is not NAME=V1,V2 with NAME in code_size, hidden, width, window, seq_len.")
        axes[name] = [int(v) for v in values.split(",")]
    rows = []
    for combo in itertools.product(*axes.values()):
        trial = resolve(replace(config, **dict(zip(axes, combo))))
        seed_everything(trial.seed, trial.threads)
        started = time.time()
        run = TRAINERS[trial.variant](trial, out)
        row = {**dict(zip(axes, combo)), **{k: round(v, 5) for k, v in run["validation"].items() if isinstance(v, (int, float))},
               **{f"test_{k}": round(v, 4) for k, v in run["test"].items() if isinstance(v, float)},
               "seconds": round(time.time() - started, 1)}
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
        "data only: the model-selection criterion); test columns are reported, never used to select.\n\n" + "\n".join(table) + "\n")
    print(frame.to_string(index=False))
    return out


def main(argv: list[str] | None = None) -> Path:
    argv = list(argv or [])
    grid = []
    if "--grid" in argv:
        at = argv.index("--grid")
        rest = argv[at + 1 :]
        count = next((i for i, a in enumerate(rest) if a.startswith("--")), len(rest))
        grid, argv = rest[:count], argv[:at] + rest[count:]
    config = resolve(parse_config(RespirationTrainConfig, argv, prog="python -m training.train respiration"))
    out = Path(config.out) if config.out else get_task("respiration").checkpoint(config.variant)
    if grid:
        return run_grid(config, grid, Path(config.out) if config.out else out / "report" / "grid")
    seed_everything(config.seed, config.threads)
    started = time.time()
    run = TRAINERS[config.variant](config, out)
    write_report(config, run, out, time.time() - started)
    print(json.dumps({"out": str(out), "test": {k: v for k, v in run["test"].items() if isinstance(v, (int, float))}}))
    return out


def evaluate_main(argv: list[str] | None = None) -> None:
    """`python -m training.evaluate respiration [--variant series|waveform|apnea|apnea-vae]`: test metrics of a shipped
    checkpoint as JSON, on its protocol's test part with its stored threshold and smoothing."""
    import argparse

    from core import load_model

    parser = argparse.ArgumentParser(prog="python -m training.evaluate respiration")
    parser.add_argument("--variant", default=get_task("respiration").variant(), choices=list(get_task("respiration").checkpoints))
    parser.add_argument("--data-dir", default="")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or None
    model = load_model("respiration", variant=args.variant)
    if args.variant == "series":
        rows, nab = evaluate_nab(model, model.metrics["validation"]["quantile"], data_dir)
        test = {f"{kind}_{m}": float(np.mean([row[f"{kind}_{m}"] for row in rows]))
                for kind in ("raw", "point_adjusted") for m in ("precision", "recall", "f1")}
        test |= {"per_series": rows, "nab": nab}
    elif args.variant == "waveform":
        resp, fs, ann1, ann2 = bidmc_01(data_dir)
        peaks = rsp_peaks(resp, fs)
        test = {name: match_events(peaks / fs, ann / fs, 0.5) for name, ann in (("annotator1", ann1), ("annotator2", ann2))}
    else:
        records = apnea_records(data_dir)
        _, _, names = split_records(records)
        score = apnea_probability if args.variant == "apnea" else apnea_vae_scores
        labels = np.concatenate([records[n]["labels"] for n in names])
        test = {**binary_metrics(labels, np.concatenate([score(model, records[n]["inputs"]) for n in names]), model.threshold),
                "records": names}
    print(json.dumps({"variant": args.variant, "protocol": model.metrics["protocol_text"], **test}, indent=2))
