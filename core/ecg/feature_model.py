"""The new-patient beat classifier: gradient-boosted trees and a small MLP on `core.ecg.features`, averaged.

Both members live in one torch module, so the checkpoint is the project's usual safetensors + ONNX pair: the trees of
a scikit-learn `HistGradientBoostingClassifier` are stored as node tables, walked with gathers in torch (one step per
tree level) and exported as ONNX's own `TreeEnsembleRegressor` (onnxruntime's native trees, much faster than
the gathers); the MLP reads the features through a per-feature quantile map to normal scores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.checkpoint import PhysioModel
from core.ecg.features import FEATURE_NAMES
from core.ecg.predictor import ECGPredictor

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
        self.register_buffer("tree_root", torch.arange(n_trees, dtype=torch.int64) * n_nodes)
        self.register_buffer("tree_feature", torch.zeros(n_trees * n_nodes, dtype=torch.int64))
        self.register_buffer("tree_threshold", torch.full((n_trees * n_nodes,), torch.finfo(torch.float32).max))
        self.register_buffer("tree_left", torch.arange(n_trees * n_nodes, dtype=torch.int64))
        self.register_buffer("tree_right", torch.arange(n_trees * n_nodes, dtype=torch.int64))
        self.register_buffer("tree_value", torch.zeros(n_trees * n_nodes))
        self.register_buffer("tree_baseline", torch.zeros(n_classes))
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
        """Raw boosting scores (n, classes): every tree walked `depth` levels (leaves point to themselves)."""
        node = self.tree_root.expand(features.shape[0], -1)
        for _ in range(self.depth):
            value = torch.gather(features, 1, self.tree_feature[node])
            node = torch.where(value <= self.tree_threshold[node], self.tree_left[node], self.tree_right[node])
        leaves = self.tree_value[node].reshape(features.shape[0], -1, len(self.labels))
        return leaves.sum(dim=1) + self.tree_baseline

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
        trees = helper.make_node(
            "TreeEnsembleRegressor",
            ["features"],
            ["tree_logits"],
            domain="ai.onnx.ml",
            n_targets=len(self.labels),
            aggregate_function="SUM",
            post_transform="NONE",
            base_values=self.tree_baseline.tolist(),
            **self._tree_attributes(),
        )
        graph.graph.input.remove(next(i for i in graph.graph.input if i.name == "tree_logits"))
        graph.graph.node.insert(0, trees)
        graph.opset_import.append(helper.make_opsetid("ai.onnx.ml", 1))
        onnx.checker.check_model(graph)
        onnx.save(graph, str(path))
        return path

    def _tree_attributes(self) -> dict[str, list]:
        """The reachable nodes of every tree in `TreeEnsembleRegressor` form (tree t adds to class t mod classes)."""
        n_nodes = self.tree_feature.shape[0] // self.tree_root.shape[0]
        feature, threshold = self.tree_feature.tolist(), self.tree_threshold.tolist()
        left, right, value = self.tree_left.tolist(), self.tree_right.tolist(), self.tree_value.tolist()
        attributes = {
            key: []
            for key in (
                "nodes_treeids",
                "nodes_nodeids",
                "nodes_featureids",
                "nodes_values",
                "nodes_modes",
                "nodes_truenodeids",
                "nodes_falsenodeids",
                "target_treeids",
                "target_nodeids",
                "target_ids",
                "target_weights",
            )
        }
        for tree, root in enumerate(self.tree_root.tolist()):
            pending = [root]
            while pending:
                node = pending.pop()
                leaf = left[node] == node
                for key, item in (
                    ("nodes_treeids", tree),
                    ("nodes_nodeids", node - root),
                    ("nodes_featureids", 0 if leaf else feature[node]),
                    ("nodes_values", 0.0 if leaf else threshold[node]),
                    ("nodes_modes", "LEAF" if leaf else "BRANCH_LEQ"),
                    ("nodes_truenodeids", 0 if leaf else left[node] - root),
                    ("nodes_falsenodeids", 0 if leaf else right[node] - root),
                ):
                    attributes[key].append(item)
                if leaf:
                    for key, item in (
                        ("target_treeids", tree),
                        ("target_nodeids", node - root),
                        ("target_ids", tree % len(self.labels)),
                        ("target_weights", value[node]),
                    ):
                        attributes[key].append(item)
                else:
                    pending += [left[node], right[node]]
        assert all(0 <= n < n_nodes for n in attributes["nodes_nodeids"])
        return attributes

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
        trees = [tree.nodes for iteration in booster._predictors for tree in iteration]
        n_trees, n_nodes = self.tree_root.shape[0], self.tree_feature.shape[0] // self.tree_root.shape[0]
        if len(trees) != n_trees or max(len(nodes) for nodes in trees) > n_nodes:
            raise ValueError(
                f"The booster has {len(trees)} trees of up to {max(map(len, trees))} nodes; build the "
                f"model with n_trees={len(trees)} and n_nodes >= that."
            )
        feature = np.zeros(n_trees * n_nodes, dtype=np.int64)
        threshold = np.full(n_trees * n_nodes, np.finfo(np.float32).max, dtype=np.float32)
        left = np.arange(n_trees * n_nodes, dtype=np.int64)
        right = left.copy()
        value = np.zeros(n_trees * n_nodes, dtype=np.float32)
        for t, nodes in enumerate(trees):
            base = t * n_nodes
            for i, node in enumerate(nodes):
                if node["is_leaf"]:
                    value[base + i] = node["value"]
                    continue
                feature[base + i] = node["feature_idx"]
                # float32 features: x <= t (float64) exactly when x <= the largest float32 not above t
                cut = np.float32(node["num_threshold"])
                threshold[base + i] = cut if cut <= node["num_threshold"] else np.nextafter(cut, np.float32(-np.inf))
                left[base + i], right[base + i] = base + node["left"], base + node["right"]
        for name, array in (("feature", feature), ("threshold", threshold), ("left", left), ("right", right)):
            getattr(self, f"tree_{name}").copy_(torch.from_numpy(array))
        self.tree_value.copy_(torch.from_numpy(value))
        self.tree_baseline.copy_(torch.from_numpy(np.asarray(booster._baseline_prediction, dtype=np.float32).ravel()))
