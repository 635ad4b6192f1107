"""The anomaly predict methods, shared by the torch models and the torch-free ONNX predictor."""

from __future__ import annotations

import numpy as np

from core.ecg.beats import BEAT_LENGTH
from core.errors import InputError
from core.predictor import Predictor

METHODS = ("ae", "vae", "beatgan")


class AnomalyPredictor(Predictor):
    """Per-beat anomaly scores from a beat autoencoder's reconstruction errors; inputs: 187-sample beats, their RR
    features and their pre-R context (`context_samples`)."""

    def reconstruct(self, beats: np.ndarray, rr: np.ndarray, context: np.ndarray) -> list[np.ndarray]:
        """(signal, RR) errors (n, 2), reconstructed context + beat (n, context_samples + 187) and codes (n, latent)."""
        beats = np.atleast_2d(np.asarray(beats, dtype=np.float32))
        n = len(beats)
        if beats.shape[1] != BEAT_LENGTH or np.shape(rr) != (n, 5) or np.shape(context)[:1] != (n,):
            raise InputError(
                f"Beats must be (n, {BEAT_LENGTH}) with rr (n, 5) and context (n, {self.context_samples}), got "
                f"{beats.shape}, {np.shape(rr)} and {np.shape(context)}; cut them with ecg_cut and rr_features."
            )
        if not all(np.isfinite(x).all() for x in (beats, rr, context)):
            raise InputError("Beats contain NaN or infinite values; remove or fill them first.")
        return self.infer_all(beats, rr, context)

    def beat_scores(self, errors: np.ndarray) -> np.ndarray:
        """Anomaly score of each beat of one record: each of its (signal, RR) errors over the training beats' median,
        or with `per_record` over the record's own median (floored at half the training one), weighted by
        `rr_weight`; about 1 for a typical beat."""
        scale = np.asarray(self.error_scale, dtype=float)
        if self.per_record:
            scale = np.maximum(np.median(errors, axis=0), 0.5 * scale)
        relative = errors / scale
        return (relative[:, 0] + self.rr_weight * relative[:, 1]) / (1 + self.rr_weight)

    def predict_record(self, signal: np.ndarray, fs: float, *, progress=None):
        """Detect, cut and score every beat of one ECG lead sampled at `fs` Hz; returns an `AnomalyResult`."""
        from core.ecg_anomaly.pipeline import score_lead

        return score_lead(self, np.asarray(signal, dtype=float), fs, progress=progress)
