"""VAE-LSTM training in two phases as in Lin et al. (2020), the VAE on single windows, then (VAE frozen) the LSTM on
the sequence of window codes, both with the shared loop's early stopping on validation loss; and the three VAE-LSTM
trainers: series (NAB), waveform (BIDMC) and apnea-vae (normal Apnea-ECG minutes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from core.errors import ConfigError
from core.respiration.breaths import match_events, rsp_peaks
from core.respiration.data import bidmc_01, nab_known_cause
from core.respiration.model import VAELSTM
from core.respiration.rr import GRID_FS
from core.respiration.scoring import binary_metrics, pick_threshold, smooth_scores
from core.respiration.waveform import waveform_input
from training.loop import fit, tensors
from training.respiration_apnea import apnea_records, best_accuracy_threshold, split_records
from training.respiration_nab import evaluate_nab, nab_parts, tune_postprocessing, validation_scores

if TYPE_CHECKING:
    from training.respiration import RespirationTrainConfig


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


def train_vae_lstm(
    config: RespirationTrainConfig,
    train_seq: np.ndarray,
    val_seq: np.ndarray,
    *,
    purpose: str,
    input_mean: float = 0.0,
    input_std: float = 1.0,
) -> tuple[VAELSTM, list[dict], list[dict]]:
    """Two-phase training on (n, seq_len, window) sequences; returns the model and both phases' histories."""
    model = VAELSTM(
        window=config.window,
        seq_len=config.seq_len,
        code_size=config.code_size,
        hidden=config.hidden,
        width=config.width,
        purpose=purpose,
        input_mean=input_mean,
        input_std=input_std,
    )
    train_win, val_win = train_seq.reshape(-1, config.window), val_seq.reshape(-1, config.window)
    loss = vae_loss(config.window, config.kl_weight, model.standardise)
    target_val = model.standardise(torch.as_tensor(val_win, dtype=torch.float32)).numpy()

    def vae_score(output: np.ndarray) -> float:
        return -float(np.mean((output[:, : config.window] - target_val) ** 2))

    tqdm.write("phase 1: VAE on windows")
    vae_history = fit(
        VAEPhase(model),
        tensors(train_win, train_win.astype(np.float32)),
        tensors(val_win, val_win.astype(np.float32)),
        config,
        loss_fn=loss,
        score_fn=vae_score,
    )
    for module in (model.encoder, model.decoder):
        module.requires_grad_(False)
    with torch.inference_mode():
        codes = [
            model.encode(model.standardise(torch.as_tensor(s, dtype=torch.float32)))[0].numpy()
            for s in (train_seq, val_seq)
        ]
    val_target = codes[1][:, 1:]

    def lstm_score(output: np.ndarray) -> float:
        return -float(np.mean((output - val_target) ** 2))

    tqdm.write("phase 2: LSTM on code sequences")
    lstm_history = fit(
        LSTMPhase(model),
        tensors(codes[0][:, :-1], codes[0][:, 1:].copy()),
        tensors(codes[1][:, :-1], val_target.copy()),
        config,
        loss_fn=nn.functional.mse_loss,
        score_fn=lstm_score,
    )
    model.requires_grad_(True)
    model.eval()
    return model, vae_history, lstm_history


def sequences(x: np.ndarray, window: int, seq_len: int, stride: int) -> np.ndarray:
    """(n, seq_len, window) sequences of consecutive windows starting every `stride` points."""
    span = window * seq_len
    if len(x) < span:
        raise ConfigError(
            f"Config fields window={window} x seq_len={seq_len} span {span} points, more than a {len(x)}-point "
            "training or validation part; lower window or seq_len."
        )
    starts = np.arange(0, len(x) - span + 1, stride)
    return np.stack([x[s : s + span] for s in starts]).reshape(len(starts), seq_len, window).astype(np.float32)


def train_series(config: RespirationTrainConfig) -> dict:
    """The series VAE-LSTM on the known-cause series' anomaly-free beginnings; smoothing and quantile tuned on the rest
    of NAB."""
    known = [s for s in nab_known_cause(config.data_dir or None) if s.name == config.nab_train or not config.nab_train]
    if not known:
        raise ConfigError(f"Config field nab_train={config.nab_train!r} is not one of the five known-cause series.")
    train, val = [], []
    for series in known:
        x, val_start, train_end = nab_parts(series)
        train.append(sequences(x[:val_start], config.window, config.seq_len, config.stride))
        val.append(sequences(x[val_start:train_end], config.window, config.seq_len, config.stride))
    model, vae_history, lstm_history = train_vae_lstm(
        config, np.concatenate(train), np.concatenate(val), purpose="series"
    )
    model.smooth, quantile, tuning = tune_postprocessing(model, config.data_dir or None)
    model.threshold = pick_threshold(
        np.concatenate([validation_scores(model, series) for series in known]), quantile=quantile
    )
    rows, nab = evaluate_nab(model, quantile, config.data_dir or None)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k.startswith(("raw_", "point_adjusted_"))}
    test = {
        "f1": mean["raw_f1"],
        "precision": mean["raw_precision"],
        "recall": mean["raw_recall"],
        "point_adjusted_f1": mean["point_adjusted_f1"],
        "per_series": rows,
        "nab": nab,
    }
    validation = {
        "lstm_val_mse": -max(r["val_score"] for r in lstm_history),
        "smooth": model.smooth,
        "quantile": quantile,
        "tuning_mean_f1": max(r["mean_f1"] for r in tuning),
    }
    return {
        "model": model,
        "histories": (vae_history, lstm_history),
        "test": test,
        "validation": validation,
        "tables": {"nab_per_series.csv": rows, "postprocessing_tuning.csv": tuning},
    }


def train_waveform(config: RespirationTrainConfig) -> dict:
    """The waveform VAE-LSTM on BIDMC record 01's first 75 %; breath detection scored against both annotators."""
    resp, fs, ann1, ann2 = bidmc_01(config.data_dir or None)
    x = waveform_input(resp, fs)
    split = int(0.75 * len(x))
    model, vae_history, lstm_history = train_vae_lstm(
        config,
        sequences(x[:split], config.window, config.seq_len, config.stride),
        sequences(x[split:], config.window, config.seq_len, config.stride),
        purpose="waveform",
    )
    model.smooth = config.window  # one window (5 s): a breath-scale score, not a per-sample one
    validation_score = smooth_scores(model.anomaly_scores(x[split:]), model.smooth)
    model.threshold = pick_threshold(validation_score, quantile=config.threshold_quantile)
    peaks = rsp_peaks(resp, fs)
    breath = {
        name: match_events(peaks / fs, ann / fs, 0.5) for name, ann in (("annotator1", ann1), ("annotator2", ann2))
    }
    test = {
        "breath_sensitivity": breath["annotator1"]["sensitivity"],
        "breath_positive_predictivity": breath["annotator1"]["positive_predictivity"],
        "breath_detection": breath,
    }
    return {
        "model": model,
        "histories": (vae_history, lstm_history),
        "test": test,
        "tables": {"breath_detection.csv": [{"annotator": k, **v} for k, v in breath.items()]},
        "validation": {"lstm_val_mse": -max(r["val_score"] for r in lstm_history)},
    }


def train_apnea_vae(config: RespirationTrainConfig) -> dict:
    """The apnea-vae VAE-LSTM on the training records' runs of normal minutes; threshold of best validation accuracy."""
    records = apnea_records(config.data_dir or None)
    train, val, test = split_records(records)
    per_minute = int(60 * GRID_FS)

    def normal_sequences(names):
        runs = []
        for name in names:
            minutes = records[name]["inputs"]["grid"].reshape(-1, per_minute)
            normal = records[name]["labels"] == 0
            for s in range(len(minutes) - config.seq_len + 1):
                if normal[s : s + config.seq_len].all():
                    runs.append(minutes[s : s + config.seq_len])
        return np.stack(runs)

    train_seq = normal_sequences(train)
    model, vae_history, lstm_history = train_vae_lstm(
        config,
        train_seq,
        normal_sequences(val),
        purpose="apnea",
        input_mean=float(train_seq.mean()),
        input_std=float(train_seq.std()),
    )
    scores = {name: model.minute_anomaly_scores(records[name]["inputs"]) for name in val + test}
    val_labels = np.concatenate([records[n]["labels"] for n in val])
    model.threshold = best_accuracy_threshold(val_labels, np.concatenate([scores[n] for n in val]))
    test_labels = np.concatenate([records[n]["labels"] for n in test])
    test_scores = np.concatenate([scores[n] for n in test])
    metrics = binary_metrics(test_labels, test_scores, model.threshold)
    validation = binary_metrics(val_labels, np.concatenate([scores[n] for n in val]), model.threshold)
    return {
        "model": model,
        "histories": (vae_history, lstm_history),
        "test": {**metrics, "records": test},
        "validation": {**validation, "records": val},
        "roc": (test_labels, test_scores),
    }
