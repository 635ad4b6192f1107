"""Gradient-boosted trees inside a torch checkpoint: a scikit-learn `HistGradientBoostingClassifier` stored as node
tables (buffers named `<prefix>root`, `<prefix>feature`, ...), walked with gathers in torch (one step per tree level)
and exported as ONNX's own `TreeEnsembleRegressor` (onnxruntime's native trees, much faster than the gathers).

Tree t of a multiclass booster adds to class t mod classes (iteration-major); leaves point to themselves.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

TABLES = ("feature", "threshold", "left", "right", "value")


def trees_register(module: nn.Module, prefix: str, *, n_trees: int, n_nodes: int, n_classes: int) -> None:
    """Empty node tables of `n_trees` trees of up to `n_nodes` nodes, and a baseline per class, as buffers."""
    module.register_buffer(f"{prefix}root", torch.arange(n_trees, dtype=torch.int64) * n_nodes)
    module.register_buffer(f"{prefix}feature", torch.zeros(n_trees * n_nodes, dtype=torch.int64))
    module.register_buffer(f"{prefix}threshold", torch.full((n_trees * n_nodes,), torch.finfo(torch.float32).max))
    module.register_buffer(f"{prefix}left", torch.arange(n_trees * n_nodes, dtype=torch.int64))
    module.register_buffer(f"{prefix}right", torch.arange(n_trees * n_nodes, dtype=torch.int64))
    module.register_buffer(f"{prefix}value", torch.zeros(n_trees * n_nodes))
    module.register_buffer(f"{prefix}baseline", torch.zeros(n_classes))


def trees_logits(module: nn.Module, prefix: str, features: torch.Tensor, *, depth: int) -> torch.Tensor:
    """Raw boosting scores (n, classes): every tree walked `depth` levels."""
    root, feature, threshold = (getattr(module, f"{prefix}{name}") for name in ("root", "feature", "threshold"))
    left, right, value = (getattr(module, f"{prefix}{name}") for name in ("left", "right", "value"))
    baseline = getattr(module, f"{prefix}baseline")
    node = root.expand(features.shape[0], -1)
    for _ in range(depth):
        x = torch.gather(features, 1, feature[node])
        node = torch.where(x <= threshold[node], left[node], right[node])
    return value[node].reshape(features.shape[0], -1, len(baseline)).sum(dim=1) + baseline


def trees_copy(module: nn.Module, prefix: str, booster) -> None:
    """Copy a fitted multiclass `HistGradientBoostingClassifier` (no missing values in training) into the tables."""
    trees = [tree.nodes for iteration in booster._predictors for tree in iteration]
    root = getattr(module, f"{prefix}root")
    n_trees, n_nodes = root.shape[0], getattr(module, f"{prefix}feature").shape[0] // root.shape[0]
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
    for name, array in zip(TABLES, (feature, threshold, left, right, value)):
        getattr(module, f"{prefix}{name}").copy_(torch.from_numpy(array))
    baseline = np.asarray(booster._baseline_prediction, dtype=np.float32).ravel()
    getattr(module, f"{prefix}baseline").copy_(torch.from_numpy(baseline))


def trees_depth(booster) -> int:
    """The deepest tree's depth: the walk steps `trees_logits` needs."""
    return int(max(tree.nodes["depth"].max() for iteration in booster._predictors for tree in iteration))


def trees_onnx_node(module: nn.Module, prefix: str, inputs: str, output: str, *, base_values: list[float]):
    """The `TreeEnsembleRegressor` node (domain ai.onnx.ml) of the tables: `inputs` -> summed scores `output`."""
    from onnx import helper

    return helper.make_node(
        "TreeEnsembleRegressor",
        [inputs],
        [output],
        domain="ai.onnx.ml",
        n_targets=len(base_values),
        aggregate_function="SUM",
        post_transform="NONE",
        base_values=list(base_values),
        **_attributes(module, prefix, len(base_values)),
    )


def _attributes(module: nn.Module, prefix: str, n_classes: int) -> dict[str, list]:
    """The reachable nodes of every tree in `TreeEnsembleRegressor` form."""
    root = getattr(module, f"{prefix}root").tolist()
    feature, threshold, left, right, value = (getattr(module, f"{prefix}{name}").tolist() for name in TABLES)
    keys = ("treeids", "nodeids", "featureids", "values", "modes", "truenodeids", "falsenodeids")
    attributes = {f"nodes_{key}": [] for key in keys}
    attributes.update({f"target_{key}": [] for key in ("treeids", "nodeids", "ids", "weights")})
    for tree, first in enumerate(root):
        pending = [first]
        while pending:
            node = pending.pop()
            leaf = left[node] == node
            for key, item in zip(
                keys,
                (
                    tree,
                    node - first,
                    0 if leaf else feature[node],
                    0.0 if leaf else threshold[node],
                    "LEAF" if leaf else "BRANCH_LEQ",
                    0 if leaf else left[node] - first,
                    0 if leaf else right[node] - first,
                ),
            ):
                attributes[f"nodes_{key}"].append(item)
            if leaf:
                for key, item in zip(
                    ("treeids", "nodeids", "ids", "weights"), (tree, node - first, tree % n_classes, value[node])
                ):
                    attributes[f"target_{key}"].append(item)
            else:
                pending += [left[node], right[node]]
    return attributes
