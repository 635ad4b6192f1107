"""Classification metrics and report files (tables and plots) shared by the classification tasks."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn import metrics as skm

from core.results import softmax


def macro_f1_score(y_true: np.ndarray, labels: tuple[str, ...]):
    """Validation score for `fit`: macro-F1 of the logits against `y_true`."""

    def score(logits: np.ndarray) -> float:
        return classification_metrics(y_true, softmax(logits), labels)["macro_f1"]

    return score


def classification_metrics(y_true: np.ndarray, probabilities: np.ndarray, labels: tuple[str, ...]) -> dict:
    """Accuracy, macro-F1, per-class precision/recall(sensitivity)/F1/support, confusion matrix, one-vs-rest AUROC."""
    y_pred = probabilities.argmax(axis=1)
    classes = list(range(len(labels)))
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=classes, zero_division=0
    )
    present = [c for c in classes if (y_true == c).any()]
    auroc = {
        labels[c]: float(skm.roc_auc_score(y_true == c, probabilities[:, c])) for c in present if (y_true != c).any()
    }
    return {
        "n": int(len(y_true)),
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "macro_f1": float(skm.f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)),
        "per_class": {
            labels[c]: {
                "precision": float(precision[c]),
                "recall": float(recall[c]),
                "f1": float(f1[c]),
                "support": int(support[c]),
            }
            for c in classes
        },
        "auroc": auroc,
        "confusion_matrix": skm.confusion_matrix(y_true, y_pred, labels=classes).tolist(),
    }


def write_per_class_csv(metrics: dict, path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["class", "precision", "recall", "f1", "support"])
        for label, row in metrics["per_class"].items():
            writer.writerow(
                [label, f"{row['precision']:.4f}", f"{row['recall']:.4f}", f"{row['f1']:.4f}", row["support"]]
            )


def write_rows_csv(rows: list[dict], path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def plot_confusion(metrics: dict, labels: tuple[str, ...], path: Path, title: str) -> None:
    matrix = np.array(metrics["confusion_matrix"], dtype=float)
    normalised = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.1 * len(labels) + 2, 1.1 * len(labels) + 1.5))
    ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(
                j,
                i,
                f"{int(matrix[i, j])}\n{normalised[i, j]:.1%}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if normalised[i, j] > 0.5 else "black",
            )
    ax.set(
        xticks=range(len(labels)),
        yticks=range(len(labels)),
        xticklabels=labels,
        yticklabels=labels,
        xlabel="predicted",
        ylabel="true",
        title=title,
    )
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_roc_pr(y_true: np.ndarray, probabilities: np.ndarray, labels: tuple[str, ...], path: Path, title: str) -> None:
    fig, (roc_ax, pr_ax) = plt.subplots(1, 2, figsize=(11, 4.5))
    for c, label in enumerate(labels):
        positive = y_true == c
        if not positive.any() or positive.all():
            continue
        fpr, tpr, _ = skm.roc_curve(positive, probabilities[:, c])
        roc_ax.plot(fpr, tpr, label=f"{label} (AUC {skm.auc(fpr, tpr):.3f})")
        precision, recall, _ = skm.precision_recall_curve(positive, probabilities[:, c])
        pr_ax.plot(
            recall, precision, label=f"{label} (AP {skm.average_precision_score(positive, probabilities[:, c]):.3f})"
        )
    roc_ax.plot([0, 1], [0, 1], ":", color="grey")
    roc_ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC, {title}")
    pr_ax.set(xlabel="recall", ylabel="precision", title=f"Precision-recall, {title}")
    for ax in (roc_ax, pr_ax):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_learning_curves(history: list[dict], path: Path, title: str) -> None:
    epochs = [row["epoch"] for row in history]
    fig, (loss_ax, score_ax) = plt.subplots(1, 2, figsize=(10, 3.8))
    loss_ax.plot(epochs, [row["train_loss"] for row in history], label="train")
    loss_ax.plot(epochs, [row["val_loss"] for row in history], label="validation")
    loss_ax.set(xlabel="epoch", ylabel="loss", title=f"Loss, {title}")
    loss_ax.legend()
    score_ax.plot(epochs, [row["val_score"] for row in history], color="tab:green")
    score_ax.set(xlabel="epoch", ylabel="validation score", title="Validation score (model selection)")
    for ax in (loss_ax, score_ax):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
