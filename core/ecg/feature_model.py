"""The new-patient beat classifier: gradient-boosted trees and a small MLP on `core.ecg.features`, averaged.

Both members live in one torch module, so the checkpoint is the project's usual safetensors + ONNX pair: the trees of
a scikit-learn `HistGradientBoostingClassifier` are stored as node tables (`core.trees`) and exported as ONNX's own
`TreeEnsembleRegressor`; the MLP reads the features through a per-feature quantile map to normal scores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.checkpoint import PhysioModel
from core.ecg.features import FEATURE_NAMES
from core.ecg.predictor import ECGPredictor
from core.trees import trees_copy, trees_logits, trees_onnx_node, trees_register

TRAINED_CLASSES = ("N", "S", "V", "F")
"""AAMI classes the model learns; Q (paced or unclassifiable, 8 beats in DS1) is left out, as in de Chazal 2004."""


class _Combine(nn.Module):
    """`ECGFeatureClassifier.combine` as a module of two inputs, for the ONNX export."""

    def __init__(self, model: "ECGFeatureClassifier"):
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor, tree_logits: torch.Tensor) -> torch.Tensor:
        return self.model.combine(features, tree_logits)


class ECGFeatureClassifier(ECGPredictor, PhysioModel, pipeline_tag="tabular-classification"):
    """Classifies beats from their `core.ecg.features` row into `labels`.

    n_trees, n_nodes, depth: shape of the tree tables (n_trees = boosting iterations x classes, iteration-major).
    n_quantiles, hidden, dropout: the MLP member. class_scale: per-class factors on the averaged probabilities (prior
    correction chosen by cross-validation), renormalised, so argmax is the decision.
    """

    input_names = ("features",)
    output_names = ("logits",)
    tiny_params = {"n_trees": 8, "n_nodes": 3, "depth": 1, "n_quantiles": 5, "hidden": 8}

    def __init__(
        self,
        *,
        feature_names: tuple[str, ...] | list[str] = FEATURE_NAMES,
        labels: tuple[str, ...] | list[str] = TRAINED_CLASSES,
        n_trees: int = 800,
        n_nodes: int = 29,
        depth: int = 14,
        n_quantiles: int = 101,
        hidden: int = 128,
        dropout: float = 0.3,
        class_scale: list[float] | None = None,
    ):
        super().__init__()
        self.feature_names = tuple(feature_names)
        self.labels = tuple(labels)
        n_features, n_classes = len(self.feature_names), len(self.labels)
        self.depth = int(depth)
        trees_register(self, "tree_", n_trees=n_trees, n_nodes=n_nodes, n_classes=n_classes)
        self.register_buffer("quantiles", torch.linspace(-1, 1, n_quantiles).repeat(n_features, 1))
        self.register_buffer("normal_scores", torch.linspace(-3, 3, n_quantiles))
        self.register_buffer("class_scale", torch.tensor(class_scale or [1.0] * n_classes))
        self.mlp = nn.Sequential(
            nn.Linear(n_features, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden // 2),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden // 2, n_classes),
        )

    def tree_logits(self, features: torch.Tensor) -> torch.Tensor:
        """Raw boosting scores (n, classes) of the trees (see `core.trees`)."""
        return trees_logits(self, "tree_", features, depth=self.depth)

    def normal_scores_of(self, features: torch.Tensor) -> torch.Tensor:
        """Each feature mapped through its training quantiles to a standard-normal score (piecewise linear)."""
        n_quantiles = self.quantiles.shape[1]
        below = (features.unsqueeze(2) >= self.quantiles.unsqueeze(0)).to(features.dtype).sum(dim=2).to(torch.int64)
        upper = below.clamp(1, n_quantiles - 1)
        lower = upper - 1
        offsets = torch.arange(self.quantiles.shape[0], device=features.device) * n_quantiles
        flat = self.quantiles.reshape(-1)
        q_lower, q_upper = flat[lower + offsets], flat[upper + offsets]
        share = ((features - q_lower) / (q_upper - q_lower).clamp_min(1e-12)).clamp(0.0, 1.0)
        return self.normal_scores[lower] + share * (self.normal_scores[upper] - self.normal_scores[lower])

    def mlp_logits(self, features: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.normal_scores_of(features))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Log of the scaled, renormalised mean of the two members' probabilities (softmax gives them back)."""
        return self.combine(features, self.tree_logits(features))

    def combine(self, features: torch.Tensor, tree_logits: torch.Tensor) -> torch.Tensor:
        mean = (torch.softmax(tree_logits, dim=1) + torch.softmax(self.mlp_logits(features), dim=1)) / 2
        scaled = mean * self.class_scale
        return torch.log(scaled / scaled.sum(dim=1, keepdim=True) + 1e-12)

    def export_onnx(self, path: str | Path) -> Path:
        """The torch graph of `combine`, its tree input replaced by a `TreeEnsembleRegressor` node on the features."""
        import onnx
        from onnx import helper

        path = Path(path)
        self.eval()
        features = self.example_inputs(2)[0]
        torch.onnx.export(
            _Combine(self),
            (features, self.tree_logits(features)),
            str(path),
            input_names=["features", "tree_logits"],
            output_names=list(self.output_names),
            dynamic_axes={name: {0: "batch"} for name in ("features", "tree_logits", *self.output_names)},
            dynamo=False,
        )
        graph = onnx.load(str(path))
        trees = trees_onnx_node(self, "tree_", "features", "tree_logits", base_values=self.tree_baseline.tolist())
        graph.graph.input.remove(next(i for i in graph.graph.input if i.name == "tree_logits"))
        graph.graph.node.insert(0, trees)
        graph.opset_import.append(helper.make_opsetid("ai.onnx.ml", 1))
        onnx.checker.check_model(graph)
        onnx.save(graph, str(path))
        return path

    def example_inputs(self, batch: int = 2) -> tuple[torch.Tensor, ...]:
        return (torch.randn(batch, len(self.feature_names)),)

    def set_quantiles(self, features: np.ndarray) -> None:
        """Fit the MLP's quantile map on training features (n, features)."""
        from scipy.stats import norm

        n_quantiles = self.quantiles.shape[1]
        levels = np.linspace(0, 1, n_quantiles)
        self.quantiles.copy_(torch.from_numpy(np.quantile(features, levels, axis=0).T.astype(np.float32)))
        self.normal_scores.copy_(torch.from_numpy(norm.ppf(np.clip(levels, 1e-3, 1 - 1e-3)).astype(np.float32)))

    def set_trees(self, booster) -> None:
        """Copy a fitted multiclass `HistGradientBoostingClassifier` (no missing values in training) into the tables."""
        trees_copy(self, "tree_", booster)
