"""Serving without torch: a checkpoint folder's ONNX graph run by onnxruntime behind the task's predict methods.

A task's predictor class (e.g. `ECGPredictor`) holds its numpy predict methods; the torch model class inherits them,
so training, evaluation and serving share one code path while the Spaces never import torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.errors import CheckpointError

CHECKPOINT_FILES = ("model.safetensors", "config.json", "README.md", "model.onnx", "model.int8.onnx", "metrics.json")
SERVED_ONNX_FILES = ("model.int8.onnx", "model.onnx")
"""The graph a checkpoint is served from: its int8-quantized graph when it has one, else the float32 one."""


class Predictor:
    """Base of every task predictor: a numpy `infer` that runs the ONNX graph in batches.

    Torch models (`core.checkpoint.PhysioModel`) inherit it and run torch until `use_onnx` is called;
    `load_predictor` builds a torch-free one whose attributes are the checkpoint's config.json values.
    """

    _onnx_session = None

    @property
    def backend(self) -> str:
        return "onnx" if self._onnx_session is not None else "torch"

    def use_onnx(self, path: str | Path, *, threads: int | None = None) -> "Predictor":
        """Serve `infer` from an ONNX file with onnxruntime."""
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise CheckpointError(f"No ONNX model at {path}; re-export the checkpoint or use backend='torch'.")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # idle worker threads sleep instead of spinning: a Space runs several requests' sessions at once, and spinning
        # threads took the cores their neighbours' requests needed (python benchmarks/load.py)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._onnx_session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.onnx_path = path
        return self

    def infer(self, *inputs: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """The first output for numpy inputs (in the model's input order), in batches."""
        return self.infer_all(*inputs, batch_size=batch_size)[0]

    def infer_all(self, *inputs: np.ndarray, batch_size: int = 4096) -> list[np.ndarray]:
        """Every output (in the model's output order) for numpy inputs, in batches."""
        chunks = []
        for start in range(0, len(inputs[0]), batch_size):
            chunk = [np.ascontiguousarray(x[start : start + batch_size], dtype=np.float32) for x in inputs]
            chunks.append(self._run(chunk))
        return [np.concatenate(parts) for parts in zip(*chunks)] if chunks else [np.zeros((0,))]

    def _run(self, chunk: list[np.ndarray]) -> list[np.ndarray]:
        if self._onnx_session is None:
            raise CheckpointError("This predictor has no ONNX session; load it with load_predictor or call use_onnx.")
        names = [node.name for node in self._onnx_session.get_inputs()]
        return self._onnx_session.run(None, dict(zip(names, chunk)))


def resolve_checkpoint(local: Path | None, repo_id: str | None, revision: str | None = None) -> Path:
    """A local checkpoint folder, or the snapshot of a Hub repo id downloaded (or found in the cache)."""
    if repo_id is None:
        if local is None or not (local / "config.json").is_file():
            raise CheckpointError(f"No checkpoint at {local}; train one (see README) or pass repo_id=.")
        return local
    from huggingface_hub import snapshot_download

    return Path(
        snapshot_download(repo_id, revision=revision, allow_patterns=list(CHECKPOINT_FILES) + ["training_config.json"])
    )


SHOWN_METRICS = (
    "accuracy",
    "macro_f1",
    "j_index",
    "mae",
    "rmse",
    "gain_over_constant_mean",
    "sensitivity",
    "specificity",
    "auroc",
    "precision",
    "recall",
    "f1",
    "phi",
    "point_adjusted_f1",
    "breath_sensitivity",
    "breath_positive_predictivity",
    "uci_accuracy",
    "pocket_walking_vs_seated_accuracy",
    "oxford_min_walking_recall",
    "oxford_placement_accuracy",
    "steps_max_median_abs_pct_error",
)
"""The test figures the README table, the model cards and the explorer show, in this order (counts and operating
points such as `n` or `threshold` are not figures)."""


def shown_metrics(block: dict) -> dict[str, float]:
    """The `SHOWN_METRICS` of a metrics block (e.g. metrics.json's "test"), in that order."""
    return {
        name: float(block[name])
        for name in SHOWN_METRICS
        if isinstance(block.get(name), (int, float)) and not isinstance(block.get(name), bool)
    }


def read_metrics(folder: Path) -> dict:
    path = folder / "metrics.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def served_onnx(folder: Path) -> Path:
    """The ONNX file of `folder` that serving runs (see `SERVED_ONNX_FILES`)."""
    return next((folder / name for name in SERVED_ONNX_FILES if (folder / name).is_file()), folder / "model.onnx")


def load_predictor(predictor_class: type[Predictor], folder: Path) -> Predictor:
    """A torch-free `predictor_class` serving the checkpoint in `folder` with onnxruntime (its `served_onnx` graph)."""
    predictor = predictor_class()
    for name, value in json.loads((folder / "config.json").read_text()).items():
        setattr(predictor, name, tuple(value) if isinstance(value, list) else value)
    predictor.metrics = read_metrics(folder)
    predictor.checkpoint_dir = folder
    return predictor.use_onnx(served_onnx(folder))
