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

from core.predictor import Predictor, read_metrics


class PhysioModel(
    torch.nn.Module,
    PyTorchModelHubMixin,
    Predictor,
    library_name="physiospaces",
    tags=["physiospaces", "physiological-signals", "time-series"],
    repo_url="https://github.com/physiospaces/physiospaces",
):
    """Base of every task model: the Hub mixin, a numpy `infer` that runs torch (or onnxruntime after `use_onnx`), and ONNX export.

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

    def _run(self, chunk: list[np.ndarray]) -> np.ndarray:
        if self.backend == "onnx":
            return super()._run(chunk)
        self.eval()
        with torch.inference_mode():
            return self(*map(torch.from_numpy, chunk)).numpy()

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


def load_checkpoint(model_class: type[PhysioModel], folder: Path) -> PhysioModel:
    """Instantiate the torch `model_class` from a checkpoint folder (serving uses `core.predictor.load_predictor`)."""
    # from_pretrained prints "Loading weights from local directory" on stdout, which would corrupt `--json` output
    with contextlib.redirect_stdout(io.StringIO()):
        model = model_class.from_pretrained(folder)
    model.eval()
    model.metrics = read_metrics(folder)
    model.checkpoint_dir = folder
    return model
