"""What every task result shares: class probabilities over named labels, rounding for JSON, progress reports."""

from __future__ import annotations

from typing import Callable

import numpy as np


def _silent(fraction: float, desc: str = "") -> None:
    """A progress report that goes nowhere."""


def progress_callback(progress: Callable | None) -> Callable:
    """`progress(fraction, desc=...)` as given (e.g. a `gr.Progress`), or one that reports nothing."""
    return progress or _silent


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (n, k) logits, stable for large values."""
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


class ClassProbabilities:
    """Mixin for result dataclasses with `labels` (k names) and `probabilities` (n, k)."""

    labels: tuple[str, ...]
    probabilities: np.ndarray

    @property
    def predicted(self) -> list[str]:
        """The most probable label of each item."""
        return [self.labels[i] for i in self.probabilities.argmax(axis=1)]

    @property
    def confidence(self) -> np.ndarray:
        """The probability of each item's predicted label."""
        return self.probabilities.max(axis=1)


def rounded(values, digits: int) -> np.ndarray:
    """`values` as float64 rounded to `digits` (rounded float32 shows in tables as 0.9980000257492065)."""
    return np.round(np.asarray(values, dtype=np.float64), digits)
