"""One checkpoint format for every task, the one the Hub expects.

A checkpoint is a folder: `model.safetensors` + `config.json` (written by `PyTorchModelHubMixin`), `README.md`
(model card), `model.onnx` (served with onnxruntime; optionally `model.int8.onnx`, its int8 quantization, served
instead), `metrics.json` (measured on the test split) and `training_config.json` (the resolved training
configuration). A local folder and a Hub repo id load the same way.
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
    """Base of every task model: the Hub mixin, a numpy `infer` that runs torch (or onnxruntime after `use_onnx`), and
    ONNX export.

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

    def serving_module(self) -> torch.nn.Module:
        """The module that `infer` runs and `export_onnx` writes: one output per name in `output_names`."""
        return self

    def _run(self, chunk: list[np.ndarray]) -> list[np.ndarray]:
        if self.backend == "onnx":
            return super()._run(chunk)
        self.eval()
        with torch.inference_mode():
            outputs = self.serving_module()(*map(torch.from_numpy, chunk))
        return [o.numpy() for o in outputs] if isinstance(outputs, tuple) else [outputs.numpy()]

    def export_onnx(self, path: str | Path) -> Path:
        """Write the model as ONNX with a dynamic batch axis."""
        path = Path(path)
        self.eval()
        dynamic = {
            name: {0: "batch", **self.dynamic_axes.get(name, {})} for name in (*self.input_names, *self.output_names)
        }
        torch.onnx.export(
            self.serving_module(),
            self.example_inputs(2),
            str(path),
            input_names=list(self.input_names),
            output_names=list(self.output_names),
            dynamic_axes=dynamic,
            dynamo=False,
        )
        return path


def save_checkpoint(
    model: PhysioModel, folder: str | Path, *, training_config: dict, calibration: tuple[np.ndarray, ...] | None = None
) -> Path:
    """Write the model part of a checkpoint folder: weights, config, ONNX graph(s) and the resolved training config.

    calibration: model inputs (a few thousand training items) to also write `model.int8.onnx`, the int8 graph
    serving then prefers. Evaluate the served predictor, then `write_evaluation`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    model.export_onnx(folder / "model.onnx")
    if calibration is not None:
        quantize_onnx(folder / "model.onnx", folder / "model.int8.onnx", calibration)
    (folder / "training_config.json").write_text(json.dumps(training_config, indent=2, default=str) + "\n")
    return folder


def write_evaluation(folder: str | Path, *, metrics: dict, card: str) -> None:
    """Write the measured part of a checkpoint folder: `metrics.json` and the model card."""
    folder = Path(folder)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (folder / "README.md").write_text(card)


def quantize_onnx(source: Path, target: Path, calibration: tuple[np.ndarray, ...], *, batch_size: int = 256) -> Path:
    """Static int8 quantization of an ONNX graph (weights per channel, activations calibrated on `calibration`)."""
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    names = [node.name for node in ort.InferenceSession(str(source), providers=["CPUExecutionProvider"]).get_inputs()]

    class Batches(CalibrationDataReader):
        def __init__(self):
            self.starts = iter(range(0, len(calibration[0]), batch_size))

        def get_next(self) -> dict | None:
            start = next(self.starts, None)
            if start is None:
                return None
            return {
                name: np.asarray(x[start : start + batch_size], dtype=np.float32) for name, x in zip(names, calibration)
            }

    quantize_static(
        str(source),
        str(target),
        Batches(),
        quant_format=QuantFormat.QOperator,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
    )
    return target


def load_checkpoint(model_class: type[PhysioModel], folder: Path) -> PhysioModel:
    """Instantiate the torch `model_class` from a checkpoint folder (serving uses `core.predictor.load_predictor`)."""
    # from_pretrained prints "Loading weights from local directory" on stdout, which would corrupt `--json` output
    with contextlib.redirect_stdout(io.StringIO()):
        model = model_class.from_pretrained(folder)
    model.eval()
    model.metrics = read_metrics(folder)
    model.checkpoint_dir = folder
    return model
