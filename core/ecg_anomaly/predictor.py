"""The anomaly predict methods, shared by the torch models and the torch-free ONNX predictor."""

from __future__ import annotations

import numpy as np

from core.ecg.beats import BEAT_LENGTH
from core.errors import InputError
from core.predictor import Predictor

METHODS = ("vae", "ae", "beatgan")
DOMINANT_WINDOW = (32, 75)
"""125 Hz samples before and after the R-peak compared with the record's dominant beat (0.26 s, 0.6 s)."""


def dominant_distance(inputs: np.ndarray, context_samples: int) -> np.ndarray:
    """1 - correlation of each beat of one record with the record's dominant (median) beat, from 0.26 s before to
    0.6 s after the R-peak; `inputs` are the (n, context_samples + 187) context + beat rows."""
    before, after = DOMINANT_WINDOW
    x = inputs[:, max(context_samples - before, 0) : context_samples + after]
    dominant = np.median(x, axis=0)
    x, dominant = x - x.mean(axis=1, keepdims=True), dominant - dominant.mean()
    return 1 - (x @ dominant) / np.sqrt((x * x).sum(axis=1) * (dominant @ dominant) + 1e-12)


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

    def beat_scores(self, errors: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        """Anomaly score of each beat of one record from its (signal, RR) errors and its context + beat `inputs`:
        the shape error, the RR error and the distance to the record's dominant beat (`dominant_distance`), each over
        the training beats' median, or with `per_record` over the record's own median (floored at half the training
        one), weighted 1, `rr_weight` and `dominant_weight`; about 1 for a typical beat."""
        terms = np.column_stack([errors, dominant_distance(inputs, self.context_samples)])
        scale = np.asarray(self.error_scale, dtype=float)
        if self.per_record:
            scale = np.maximum(np.median(terms, axis=0), 0.5 * scale)
        weights = np.array([1.0, self.rr_weight, self.dominant_weight])
        return (terms / scale) @ weights / weights.sum()

    def predict_record(self, signal: np.ndarray, fs: float, *, progress=None):
        """Detect, cut and score every beat of one ECG lead sampled at `fs` Hz; returns an `AnomalyResult`."""
        from core.ecg_anomaly.pipeline import score_lead

        return score_lead(self, np.asarray(signal, dtype=float), fs, progress=progress)
