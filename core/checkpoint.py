"""One checkpoint format for every task, the one the Hub expects.

A checkpoint is a folder: `model.safetensors` + `config.json` (written by `PyTorchModelHubMixin`), `README.md`
(model card), `model.onnx` (served with onnxruntime), `metrics.json` (measured on the test split) and
`training_config.json` (the resolved training configuration). A local folder and a Hub repo id load the same way.
"""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import torch
from huggingface_hub import PyTorchModelHubMixin

from core.errors import CheckpointError, InputError

CHECKPOINT_FILES = ("model.safetensors", "config.json", "README.md", "model.onnx", "metrics.json")


class PhysioModel(
    torch.nn.Module,
    PyTorchModelHubMixin,
    library_name="physiospaces",
    tags=["physiospaces", "physiological-signals", "time-series"],
    repo_url="https://github.com/physiospaces/physiospaces",
):
    """Base of every task model: the Hub mixin, a numpy `infer` that runs torch or onnxruntime, and ONNX export.

    Subclasses set `input_names`, `output_names` and `tiny_params` (constructor keywords of a tiny model for the
    contract test), and implement `forward(*inputs)` and `example_inputs(batch)`.
    """

    input_names: tuple[str, ...] = ("x",)
    output_names: tuple[str, ...] = ("logits",)
    tiny_params: dict = {}
    dynamic_axes: dict[str, dict[int, str]] = {}
    """Dynamic ONNX axes besides the batch axis, per input/output name, e.g. {"features": {1: "time"}}."""

    def example_inputs(self, batch: int = 2) -> tuple[torch.Tensor, ...]:
        raise NotImplementedError

    @property
    def backend(self) -> str:
        return "onnx" if getattr(self, "_onnx_session", None) is not None else "torch"

    def use_onnx(self, path: str | Path, *, threads: int | None = None) -> "PhysioModel":
        """Serve `infer` from an ONNX file with onnxruntime instead of torch."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self._onnx_session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return self

    def infer(self, *inputs: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """Outputs for numpy inputs (in `input_names` order), in batches, with torch or onnxruntime."""
        n = len(inputs[0])
        outputs = []
        for start in range(0, n, batch_size):
            chunk = [np.ascontiguousarray(x[start : start + batch_size], dtype=np.float32) for x in inputs]
            if self.backend == "onnx":
                feed = dict(zip(self.input_names, chunk))
                outputs.append(self._onnx_session.run(None, feed)[0])
            else:
                self.eval()
                with torch.inference_mode():
                    outputs.append(self(*map(torch.from_numpy, chunk)).numpy())
        return np.concatenate(outputs) if outputs else np.zeros((0,))

    def export_onnx(self, path: str | Path) -> Path:
        """Write the model as ONNX with a dynamic batch axis."""
        path = Path(path)
        self.eval()
        dynamic = {name: {0: "batch", **self.dynamic_axes.get(name, {})} for name in (*self.input_names, *self.output_names)}
        torch.onnx.export(
            self,
            self.example_inputs(2),
            str(path),
            input_names=list(self.input_names),
            output_names=list(self.output_names),
            dynamic_axes=dynamic,
            dynamo=False,
        )
        return path


def save_checkpoint(model: PhysioModel, folder: str | Path, *, metrics: dict, training_config: dict, card: str) -> Path:
    """Write the full checkpoint folder: weights, config, ONNX, metrics, resolved training config, model card."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    model.export_onnx(folder / "model.onnx")
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (folder / "training_config.json").write_text(json.dumps(training_config, indent=2, default=str) + "\n")
    (folder / "README.md").write_text(card)
    return folder


def resolve_checkpoint(local: Path | None, repo_id: str | None, revision: str | None = None) -> Path:
    """A local checkpoint folder, or the snapshot of a Hub repo id downloaded (or found in the cache)."""
    if repo_id is None:
        if local is None or not (local / "config.json").is_file():
            raise CheckpointError(f"No checkpoint at {local}; train one (see README) or pass repo_id=.")
        return local
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id, revision=revision, allow_patterns=list(CHECKPOINT_FILES) + ["training_config.json"]))


def read_metrics(folder: Path) -> dict:
    path = folder / "metrics.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def load_checkpoint(model_class: type[PhysioModel], folder: Path, *, backend: str = "torch") -> PhysioModel:
    """Instantiate `model_class` from a checkpoint folder; `backend="onnx"` serves it with onnxruntime."""
    if backend not in ("torch", "onnx"):
        raise InputError(f"Unknown backend {backend!r}; accepted backends are ['torch', 'onnx'].")
    # from_pretrained prints "Loading weights from local directory" on stdout, which would corrupt `--json` output
    with contextlib.redirect_stdout(io.StringIO()):
        model = model_class.from_pretrained(folder)
    model.eval()
    model.metrics = read_metrics(folder)
    model.checkpoint_dir = folder
    if backend == "onnx":
        onnx_path = folder / "model.onnx"
        if not onnx_path.is_file():
            raise CheckpointError(f"Checkpoint {folder} has no model.onnx; re-export it or use backend='torch'.")
        model.use_onnx(onnx_path)
    return model
