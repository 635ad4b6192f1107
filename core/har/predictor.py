"""The HAR predict methods, shared by the torch model and the torch-free ONNX predictor."""
from __future__ import annotations

import numpy as np

from core.errors import InputError
from core.har.data import CHANNELS, WINDOW
from core.predictor import Predictor
from core.results import softmax


class HARPredictor(Predictor):
    """Activity classification of 2.56 s windows at 50 Hz over the UCI channels `channels`."""

    @property
    def needs_gyroscope(self) -> bool:
        return any("gyro" in c for c in self.channels)

    def select_channels(self, windows: np.ndarray) -> np.ndarray:
        """The model's channels of (n, 128, 9) UCI-order windows; windows that already hold exactly them pass through."""
        windows = np.asarray(windows, dtype=np.float32)
        if windows.ndim == 2:
            windows = windows[None]
        if windows.ndim != 3 or windows.shape[1] != WINDOW or windows.shape[2] not in (len(CHANNELS), len(self.channels)):
            raise InputError(
                f"Windows must have shape (n, {WINDOW}, {len(CHANNELS)}) in UCI channel order, got {windows.shape}; "
                f"cut 2.56 s windows at 50 Hz with channels {list(CHANNELS)}."
            )
        if windows.shape[2] == len(self.channels):
            return windows
        return windows[:, :, [CHANNELS.index(c) for c in self.channels]]

    def predict_windows(self, windows: np.ndarray) -> np.ndarray:
        """(n, 6) activity probabilities for (n, 128, 9) UCI-order windows (or windows of the model's own channels)."""
        windows = self.select_channels(windows)
        if not np.isfinite(windows).all():
            raise InputError("Windows contain NaN or infinite values; fill or cut those parts first.")
        return softmax(self.infer(windows, batch_size=256))  # cache-sized batches run faster than one large batch on CPU
