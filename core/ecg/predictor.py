"""The ECG predict methods, shared by the torch model and the torch-free ONNX predictor."""

from __future__ import annotations

import numpy as np

from core.ecg.beats import BEAT_LENGTH, unknown_context, unknown_rr
from core.ecg.pipeline import classify_lead
from core.errors import InputError
from core.predictor import Predictor
from core.results import softmax


class ECGPredictor(Predictor):
    """Beat classification into the AAMI classes `labels`; inputs: 187-sample beats, 5 RR features and, when
    `context_samples` > 0, the pre-R context of each beat."""

    context_samples = 0
    """Pre-R samples the model takes (config.json; checkpoints without the key take none)."""
    feature_names: tuple[str, ...] = ()
    """Set (config.json) for a model that reads `core.ecg.features` rows instead of cut beats."""

    def predict_beats(
        self, beats: np.ndarray, rr: np.ndarray | None = None, context: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, 5) class probabilities for (n, 187) beats; `rr` (n, 5) from `rr_features` and `context` (n, k >=
        `context_samples`) from `ecg_context`, each unknown when omitted (a lone beat row)."""
        if self.feature_names:
            raise InputError(
                "The new-patient ECG model classifies the beats of a whole recording (it compares each beat with the "
                "patient's own rhythm and dominant beat); upload the ECG itself, or use variant 'intra' for lone "
                "187-sample beat rows."
            )
        beats = np.atleast_2d(np.asarray(beats, dtype=np.float32))
        if beats.ndim != 2 or beats.shape[1] != BEAT_LENGTH:
            raise InputError(
                f"Beats must have shape (n, {BEAT_LENGTH}), got {beats.shape}; resample each beat to 125 Hz and pad to "
                "187 samples."
            )
        if not np.isfinite(beats).all():
            raise InputError("Beats contain NaN or infinite values; remove or fill them first.")
        rr = unknown_rr(len(beats)) if rr is None else np.asarray(rr, dtype=np.float32)
        if not self.context_samples:
            return softmax(self.infer(beats, rr))
        k = self.context_samples
        context = (
            unknown_context(len(beats), k) if context is None else np.atleast_2d(np.asarray(context, dtype=np.float32))
        )
        if context.ndim != 2 or len(context) != len(beats) or context.shape[1] < k:
            raise InputError(
                f"Context must have shape ({len(beats)}, >= {k}) for {len(beats)} beats, got {context.shape}; cut it "
                "with ecg_context."
            )
        return softmax(self.infer(beats, rr, context[:, context.shape[1] - k :]))

    def predict_features(self, features: np.ndarray) -> np.ndarray:
        """(n, classes) probabilities for (n, len(feature_names)) rows of `core.ecg.features.ecg_beat_features`."""
        features = np.atleast_2d(np.asarray(features, dtype=np.float32))
        if not self.feature_names:
            raise InputError("This ECG model reads cut beats, not feature rows; use predict_beats or predict_record.")
        if features.shape[1:] != (len(self.feature_names),):
            raise InputError(
                f"Feature rows must have shape (n, {len(self.feature_names)}), got {features.shape}; compute them with "
                "ecg_beat_features."
            )
        return softmax(self.infer(features, batch_size=512))

    def predict_record(self, signal: np.ndarray, fs: float, *, progress=None):
        """Detect, segment and classify every beat of one ECG lead sampled at `fs` Hz; returns an `ECGResult`."""
        return classify_lead(self, np.asarray(signal, dtype=float), fs, progress=progress)
