"""The respiration predict methods, shared by the torch models and the torch-free ONNX predictor; the pipelines read
the models' settings (window, seq_len, threshold, smooth) as attributes."""

from __future__ import annotations

import numpy as np

from core.errors import SignalTooShortError
from core.predictor import Predictor
from core.respiration.apnea import apnea_model_inputs
from core.respiration.rr import GRID_FS
from core.respiration.scoring import smooth_scores


class RespirationPredictor(Predictor):
    """Base of the VAE-LSTM and the apnea CNN, torch or ONNX; class attributes are defaults for older configs."""

    smooth = 1
    """No smoothing, the models' constructor default, for checkpoints saved before the setting existed."""
    night_members = 0
    """Apnea CNN: no member sees RR divided by the night's median (checkpoints saved before the setting)."""

    def anomaly_scores(self, x: np.ndarray, *, stride: int | None = None) -> np.ndarray:
        """VAE-LSTM: per-point anomaly score of a series, the mean squared error of every predicted window covering it.

        Sequences of `seq_len` windows start every `stride` points (default: a quarter window) and at the very end.
        """
        span = self.window * self.seq_len
        if len(x) < span:
            raise SignalTooShortError(
                f"The series has {len(x)} points; the VAE-LSTM needs at least {span} (seq_len x window)."
            )
        stride = stride or max(1, self.window // 4)
        starts = np.unique(np.append(np.arange(0, len(x) - span + 1, stride), len(x) - span))
        sequences = np.stack([x[s : s + span] for s in starts]).reshape(len(starts), self.seq_len, self.window)
        errors = self.infer(sequences).reshape(len(starts), span)
        total, count = np.zeros(len(x)), np.zeros(len(x))
        for s, error in zip(starts, errors):
            total[s : s + span] += error
            count[s : s + span] += 1
        return total / count

    def minute_anomaly_scores(self, inputs: dict) -> np.ndarray:
        """VAE-LSTM: per-minute anomaly score (mean over the minute) of one night's `apnea_inputs`."""
        per_minute = int(60 * GRID_FS)
        scores = self.anomaly_scores(inputs["grid"], stride=per_minute)
        return scores.reshape(inputs["minutes"], per_minute).mean(axis=1)

    def apnea_probability(self, inputs: dict) -> np.ndarray:
        """Apnea CNN: per-minute apnea probability of one night's `apnea_inputs`, a centred moving mean over `smooth`
        minutes."""
        probability = 1.0 / (1.0 + np.exp(-self.infer(*apnea_model_inputs(self, inputs)).reshape(-1)))
        return smooth_scores(probability, self.smooth)
