"""The torch-free serving path: predictors built from config.json and model.onnx."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import get_task, list_tasks, load_model
from core.errors import CheckpointError, InputError
from core.predictor import Predictor, load_predictor, served_onnx

ROOT = Path(__file__).resolve().parent.parent


def test_predictor_attributes_are_the_checkpoint_config():
    predictor = load_model("har", variant="acc", backend="onnx")
    config = json.loads((get_task("har").checkpoint("acc") / "config.json").read_text())
    assert predictor.channels == tuple(config["channels"]) and not predictor.needs_gyroscope
    assert (
        predictor.metrics["test"]["accuracy"]
        == json.loads((predictor.checkpoint_dir / "metrics.json").read_text())["test"]["accuracy"]
    )


def test_float32_onnx_predictions_equal_torch_predictions():
    beats = np.random.default_rng(0).random((6, 187), dtype=np.float32)
    torch_probabilities = load_model("ecg", variant="intra").predict_beats(beats)
    onnx_probabilities = (
        load_model("ecg", variant="intra", backend="onnx")
        .use_onnx(get_task("ecg").checkpoint("intra") / "model.onnx")
        .predict_beats(beats)
    )
    np.testing.assert_allclose(onnx_probabilities, torch_probabilities, atol=1e-5)
    assert onnx_probabilities.shape == (6, 5)


def test_intra_ecg_is_served_from_its_int8_graph_at_float32_quality():
    variant = "intra"  # the new-patient model is served in float32: its trees gain nothing from int8
    served = load_model("ecg", variant=variant, backend="onnx")
    assert served_onnx(served.checkpoint_dir).name == "model.int8.onnx"
    assert served.onnx_path == served.checkpoint_dir / "model.int8.onnx"
    test, float32 = served.metrics["test"], served.metrics["test_float32"]
    assert test["accuracy"] >= float32["accuracy"] - 0.001 and served.metrics["served_onnx"] == "model.int8.onnx"
    task = get_task("ecg")
    records = [task.read(path) for path in task.examples if path.name.startswith("mitdb_2")]
    served_labels = np.concatenate([task.predict(served, record).probabilities.argmax(1) for record in records])
    torch_labels = np.concatenate(
        [task.predict(load_model("ecg", variant=variant), record).probabilities.argmax(1) for record in records]
    )
    assert len(served_labels) > 50 and (served_labels == torch_labels).mean() >= 0.95


def test_checkpoint_without_onnx_says_how_to_fix(tmp_path):
    shutil.copy(get_task("ecg").checkpoint() / "config.json", tmp_path / "config.json")
    with pytest.raises(CheckpointError, match="No ONNX model at .*model.onnx; re-export the checkpoint"):
        load_predictor(get_task("ecg").predictor, tmp_path)
    with pytest.raises(CheckpointError, match="no ONNX session"):
        Predictor().infer(np.zeros((1, 3)))


def test_unknown_backend_is_refused():
    with pytest.raises(InputError, match=r"Unknown backend 'tf'; accepted backends are \['torch', 'onnx'\]"):
        load_model("ecg", backend="tf")


def test_hub_loads_every_model_without_the_heavy_training_libraries():
    """Start-up time: torch (training), scikit-learn (evaluation) and scipy.signal (first request) stay unimported."""
    script = (
        "import sys, app; "
        "print(sorted(app.SPACES), [m for m in ('torch', 'sklearn', 'scipy.signal') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.split("\n")[0] == "['ecg', 'ecg_anomaly', 'har', 'hr', 'respiration'] []"


def test_every_shipped_example_is_served_with_torch_unavailable():
    """What a Space without torch installed does: every task's examples, read, predicted and turned into JSON."""
    script = """
import importlib.abc, json, sys


class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("torch is not installed in this Space")


sys.meta_path.insert(0, NoTorch())
from core import get_task, list_tasks, load_model
for name in list_tasks():
    task = get_task(name)
    for example in task.examples:
        result = task.run(task.read(example), lambda variant: load_model(name, variant=variant, backend="onnx"))
        print(name, example.name, len(json.dumps(result.to_json())) > 50)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.split("\n")[:-1]
    assert len(lines) == sum(len(get_task(name).examples) for name in list_tasks()) >= 15
    assert all(line.endswith(" True") for line in lines), lines


def test_config_keys_missing_from_older_checkpoints_take_the_predictor_defaults(tmp_path):
    source = get_task("respiration").checkpoint("apnea")
    for name in ("config.json", "model.onnx"):
        shutil.copy(source / name, tmp_path / name)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config.pop("smooth") > 1
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert load_predictor(get_task("respiration").predictor, tmp_path).smooth == 1
    assert (
        load_model("respiration", variant="apnea", backend="onnx").smooth
        == json.loads((source / "config.json").read_text())["smooth"]
    )
