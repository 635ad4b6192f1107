"""The HAR predict methods, shared by the torch model and the torch-free ONNX predictor."""

from __future__ import annotations

import numpy as np

from core.errors import InputError
from core.har.data import CHANNELS, WALKING_CLASSES, WINDOW
from core.predictor import Predictor
from core.results import progress_callback, softmax

MIN_REFERENCE_WINDOWS = 8
"""Walking windows (about 12 s with 50% overlap) a recording needs before a calibrated model calibrates to its
wearer."""
BATCH = 256
"""Cache-sized batches run faster than one large batch on CPU."""
CHUNK = 4096
"""Windows per progress step of a long recording."""


class HARPredictor(Predictor):
    """Activity classification of 2.56 s windows at 50 Hz over the UCI channels `channels`."""

    @property
    def needs_gyroscope(self) -> bool:
        return any("gyro" in c for c in self.channels)

    @property
    def is_calibrated(self) -> bool:
        """Whether the model calibrates to the wearer (see `HARClassifier`'s `calibrated`)."""
        return bool(getattr(self, "calibrated", False))

    def select_channels(self, windows: np.ndarray) -> np.ndarray:
        """The model's channels of (n, 128, 9) UCI-order windows;
        windows that already hold exactly them pass through."""
        windows = np.asarray(windows, dtype=np.float32)
        if windows.ndim == 2:
            windows = windows[None]
        if (
            windows.ndim != 3
            or windows.shape[1] != WINDOW
            or windows.shape[2] not in (len(CHANNELS), len(self.channels))
        ):
            raise InputError(
                f"Windows must have shape (n, {WINDOW}, {len(CHANNELS)}) in UCI channel order, got {windows.shape}; "
                f"cut 2.56 s windows at 50 Hz with channels {list(CHANNELS)}."
            )
        if windows.shape[2] == len(self.channels):
            return windows
        return windows[:, :, [CHANNELS.index(c) for c in self.channels]]

    def model_windows(self, windows: np.ndarray) -> np.ndarray:
        """`select_channels`, refusing NaN or infinite values."""
        windows = self.select_channels(windows)
        if not np.isfinite(windows).all():
            raise InputError("Windows contain NaN or infinite values; fill or cut those parts first.")
        return windows

    def predict_windows(self, windows: np.ndarray, *, wearers: np.ndarray | None = None) -> np.ndarray:
        """(n, 6) activity probabilities for (n, 128, 9) UCI-order windows (or windows of the model's own channels).

        A calibrated model treats the windows of one wearer as one recording (see `calibrated_logits`). wearers: (n,)
        wearer ids; by default all windows are one wearer's.
        """
        return self.classify_windows(windows, wearers=wearers)[0]

    def classify_windows(
        self, windows: np.ndarray, *, wearers: np.ndarray | None = None, progress=None
    ) -> tuple[np.ndarray, int | None]:
        """`predict_windows`, and the walking windows a calibrated model calibrated to, summed over wearers (0: too
        few for every wearer; None: the model does not calibrate).

        progress: called with the share done (0-1) and a description, once per chunk of `CHUNK` windows.
        """
        windows = self.model_windows(windows)
        report = progress_callback(progress)
        if not self.is_calibrated:
            parts = []
            for first in range(0, len(windows), CHUNK):
                report(first / len(windows), desc=f"Classifying windows {first + 1}-{min(first + CHUNK, len(windows))}")
                parts.append(self.infer(windows[first : first + CHUNK], batch_size=BATCH))
            return softmax(np.concatenate(parts)), None
        wearers = np.zeros(len(windows)) if wearers is None else np.asarray(wearers)
        if wearers.shape != (len(windows),):
            raise InputError(f"wearers must hold one id per window ({len(windows)}), got shape {wearers.shape}.")
        probabilities = np.zeros((len(windows), len(self.labels)), dtype=np.float32)
        walking = 0
        ids = np.unique(wearers)
        for i, wearer in enumerate(ids):
            rows = wearers == wearer
            logits, count = self.calibrated_logits(
                windows[rows], progress=lambda done, desc: report((i + done) / len(ids), desc=desc)
            )
            probabilities[rows] = softmax(logits)
            walking += count
        return probabilities, walking

    @staticmethod
    def wearer_reference(logits: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray | None, int]:
        """One wearer's reference from a first pass: the mean feature offsets of the windows classified as walking,
        and their count; None with fewer than `MIN_REFERENCE_WINDOWS` of them."""
        walking = np.isin(logits.argmax(axis=1), WALKING_CLASSES)
        if walking.sum() < MIN_REFERENCE_WINDOWS:
            return None, int(walking.sum())
        return offsets[walking].mean(axis=0), int(walking.sum())

    def calibrated_logits(self, windows: np.ndarray, *, progress=None) -> tuple[np.ndarray, int]:
        """Logits of one wearer's windows (`model_windows`) and the number of walking windows they were calibrated to.

        A first pass against the population's reference finds the walking windows; their mean feature offsets are
        the wearer's reference of a second pass. With fewer than `MIN_REFERENCE_WINDOWS`, the first pass stands (0).
        progress: called with the share done (0-1) and a description, once per chunk of `CHUNK` windows.
        """
        report = progress_callback(progress)

        def run(reference: np.ndarray, done: float, desc: str) -> list[np.ndarray]:
            parts = []
            for first in range(0, len(windows), CHUNK):
                report(
                    done + 0.5 * first / len(windows),
                    desc=f"{desc}: windows {first + 1}-{min(first + CHUNK, len(windows))}",
                )
                chunk = windows[first : first + CHUNK]
                parts.append(
                    self.infer_all(chunk, np.broadcast_to(reference, (len(chunk), len(reference))), batch_size=BATCH)
                )
            return [np.concatenate(outputs) for outputs in zip(*parts)]

        logits, offsets = run(np.zeros(self.reference_size(), dtype=np.float32), 0.0, "Finding the wearer's walking")
        reference, walking = self.wearer_reference(logits, offsets)
        if reference is None:
            return logits, 0
        return run(reference, 0.5, f"Classifying against {walking} walking windows")[0], walking

    def reference_size(self) -> int:
        """Length of a calibrated model's reference (its hand feature count)."""
        if self._onnx_session is not None:
            return int(self._onnx_session.get_inputs()[1].shape[1])
        return self.features.out_features
