"""Predicted beats scored against a record's reference annotations: beat matching within 150 ms, per-class
sensitivity (Se) and positive predictivity (+P), a confusion table and the beats where the two disagree."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.ecg.beats import AAMI_CLASSES, AAMI_MAP, match_beats

TOLERANCE_S = 0.15
"""A detected beat matches a reference beat at most this far away (the usual MIT-BIH protocol)."""
NONE = "-"
"""Confusion-table row of detections with no reference beat, and column of reference beats never detected."""


@dataclass(frozen=True)
class BeatScoring:
    """Reference beats (times in s, AAMI classes), the detected beats' times and predicted labels, and which detected
    beat each reference beat matched (-1: missed)."""

    reference_s: np.ndarray
    reference: np.ndarray
    detected_s: np.ndarray
    predicted: np.ndarray
    matched: np.ndarray
    labels: tuple[str, ...]
    source: str = ""

    @property
    def classes(self) -> list[str]:
        """Rows and columns of the confusion table: the five AAMI classes (the same table for every record, so tables
        add up), then any other class of the model's labels or the reference."""
        extra = (set(self.reference.tolist()) | set(self.labels)) - set(AAMI_CLASSES)
        return [*AAMI_CLASSES, *sorted(extra)]

    def confusion(self) -> np.ndarray:
        """Counts, reference class (rows) x predicted class (columns), each with a last `NONE` row/column for
        detections without a reference beat and reference beats never detected."""
        index = {c: i for i, c in enumerate(self.classes)}
        table = np.zeros((len(index) + 1, len(index) + 1), dtype=np.int64)
        hit = self.matched >= 0
        for ref, det in zip(self.reference[hit], self.matched[hit]):
            table[index[ref], index[self.predicted[det]]] += 1
        for ref in self.reference[~hit]:
            table[index[ref], -1] += 1
        extra = np.ones(len(self.predicted), dtype=bool)
        extra[self.matched[hit]] = False
        for det in np.flatnonzero(extra):
            table[-1, index[self.predicted[det]]] += 1
        return table

    def per_class(self) -> dict[str, dict]:
        """Se and +P of each model label on the matched beats (None where a class has no reference or predicted
        beat)."""
        table = self.confusion()[:-1, :-1]
        out = {}
        for label in self.labels:
            i = self.classes.index(label)
            reference, predicted, tp = int(table[i].sum()), int(table[:, i].sum()), int(table[i, i])
            out[label] = {
                "se": round(tp / reference, 4) if reference else None,
                "ppv": round(tp / predicted, 4) if predicted else None,
                "reference": reference,
                "predicted": predicted,
            }
        return out

    def disagreements(self) -> list[dict]:
        """Every beat where the reference and the prediction differ: a different class, a missed or an extra beat."""
        rows = []
        for ref_s, ref, det in zip(self.reference_s, self.reference, self.matched):
            if det < 0:
                rows.append({"time_s": float(ref_s), "reference": str(ref), "predicted": None})
            elif self.predicted[det] != ref:
                rows.append(
                    {"time_s": float(self.detected_s[det]), "reference": str(ref), "predicted": self.predicted[det]}
                )
        extra = np.ones(len(self.predicted), dtype=bool)
        extra[self.matched[self.matched >= 0]] = False
        rows += [
            {"time_s": float(self.detected_s[i]), "reference": None, "predicted": str(self.predicted[i])}
            for i in np.flatnonzero(extra)
        ]
        return sorted(rows, key=lambda row: row["time_s"])

    def to_json(self) -> dict:
        matched = int((self.matched >= 0).sum())
        table = self.confusion()
        hits = int(np.trace(table[:-1, :-1]))
        return {
            "annotation_file": self.source,
            "tolerance_s": TOLERANCE_S,
            "reference_beats": len(self.reference),
            "detected_beats": len(self.predicted),
            "matched_beats": matched,
            "detection": {
                "se": round(matched / len(self.reference), 4) if len(self.reference) else None,
                "ppv": round(matched / len(self.predicted), 4) if len(self.predicted) else None,
            },
            "accuracy": round(hits / matched, 4) if matched else None,
            "per_class": self.per_class(),
            "confusion": {"rows": [*self.classes, NONE], "columns": [*self.classes, NONE], "counts": table.tolist()},
            "disagreements": [{**row, "time_s": round(row["time_s"], 3)} for row in self.disagreements()],
        }

    def summary(self) -> str:
        scores = self.to_json()
        figures = ", ".join(
            f"{label} Se {_share(row['se'])} +P {_share(row['ppv'])}" for label, row in scores["per_class"].items()
        )
        return (
            f"Against {self.source or 'the reference'}: {scores['matched_beats']} of {scores['reference_beats']} "
            f"reference beats found (+P {_share(scores['detection']['ppv'])}), class accuracy "
            f"{_share(scores['accuracy'])} on them; {figures}."
        )


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def reference_beats(annotations: dict, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Times (s) and AAMI classes of the beat annotations (non-beat annotations such as rhythm changes dropped)."""
    symbols = np.asarray(annotations["symbol"])
    is_beat = np.array([s in AAMI_MAP for s in symbols], dtype=bool)
    classes = np.array([AAMI_MAP[s] for s in symbols[is_beat]], dtype=object)
    return np.asarray(annotations["sample"])[is_beat] / fs, classes


def ecg_score(
    reference_s: np.ndarray,
    reference: np.ndarray,
    detected_s: np.ndarray,
    predicted: list[str],
    labels: tuple[str, ...],
    *,
    source: str = "",
) -> BeatScoring:
    """Match detected beats (s) to reference beats (s) one to one within `TOLERANCE_S` (wfdb's annotation
    comparison, on a 1 ms clock) and keep both label sequences for the figures."""
    reference_s, detected_s = np.asarray(reference_s, dtype=float), np.asarray(detected_s, dtype=float)
    matched = match_beats(np.round(reference_s * 1000), np.round(detected_s * 1000), 1000.0, tolerance_s=TOLERANCE_S)
    return BeatScoring(
        reference_s=reference_s,
        reference=np.asarray(reference, dtype=object),
        detected_s=detected_s,
        predicted=np.asarray(predicted, dtype=object),
        matched=matched,
        labels=tuple(labels),
        source=source,
    )
