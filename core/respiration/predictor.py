"""The respiration models as served: the pipelines read their settings (window, seq_len, threshold, smooth) as attributes."""
from __future__ import annotations

from core.predictor import Predictor


class RespirationPredictor(Predictor):
    """Base of the VAE-LSTM and the apnea CNN, torch or ONNX; class attributes are defaults for older configs."""

    smooth = 1
    """No smoothing, the models' constructor default, for checkpoints saved before the setting existed."""
    night_members = 0
    """Apnea CNN: no member sees RR divided by the night's median (checkpoints saved before the setting)."""
