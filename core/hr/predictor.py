"""The heart-rate predict method, shared by the torch model and the torch-free ONNX predictor."""

from __future__ import annotations

import numpy as np

from core.errors import InputError
from core.hr.features import FEATURE_NAMES
from core.predictor import Predictor


class HRPredictor(Predictor):
    """Heart rate (bpm) at every grid step of a run from its 14 engineered features."""

    def predict_run(self, features: np.ndarray) -> np.ndarray:
        """Heart rate (bpm) per grid step of one run's (time, 14) features."""
        features = np.asarray(features, dtype=np.float32)
        if features.ndim != 2 or features.shape[1] != len(FEATURE_NAMES):
            raise InputError(
                f"Features must have shape (time, {len(FEATURE_NAMES)}), got {features.shape}; build them with "
                "hr_features."
            )
        if not np.isfinite(features).all():
            raise InputError(
                "The run's features contain NaN or infinite values; check the speed and altitude of the file."
            )
        return self.infer(features[None])[0]
