"""ECG training (training/ecg.py) on a tiny Kaggle-format beat folder: a checkpoint with its report, the pre-R context
input and a seed ensemble."""

from __future__ import annotations

import json

import numpy as np
import torch

from core.ecg.beats import unknown_context, unknown_rr
from core.ecg.model import ECGClassifier
from core.ecg.predictor import ECGPredictor
from core.predictor import load_predictor
from tests.conftest import FIXTURES
from training.ecg import main as train_ecg
from training.ecg import make_augment


def train_tiny_kaggle(folder, *flags: str):
    """Train on the 9 fixture beats (30 noisy copies each; the 9 originals test) with `flags` added."""
    rows = np.loadtxt(FIXTURES / "kaggle_beats.csv", delimiter=",")
    train = np.repeat(rows, 30, axis=0)
    train[:, :187] = np.clip(train[:, :187] + np.random.default_rng(0).normal(0, 0.01, (len(train), 187)), 0, 1)
    np.savetxt(folder / "mitbih_train.csv", train, fmt="%.4f", delimiter=",")
    np.savetxt(folder / "mitbih_test.csv", rows, fmt="%.4f", delimiter=",")
    tiny = "--protocol kaggle --epochs 4 --batch-size 16 --width 4 --stages 2 --val-fraction 0.2 --threads 1".split()
    return train_ecg([*tiny, "--kaggle-dir", str(folder), "--out", str(folder / "ckpt"), *flags]), rows


def test_context_ensemble_trains_and_serves_from_one_graph(tmp_path):
    out, rows = train_tiny_kaggle(tmp_path, "--context-samples", "8", "--members", "2")
    metrics = json.loads((out / "metrics.json").read_text())
    assert [m["seed"] for m in metrics["members"]] == [0, 1] and metrics["test"]["accuracy"] >= 6 / 9
    config = json.loads((out / "config.json").read_text())
    assert (config["context_samples"], config["members"]) == (8, 2)
    served = load_predictor(ECGPredictor, out)
    assert [i.name for i in served._onnx_session.get_inputs()] == ["beats", "rr", "context"]
    # a lone row's missing RR features and context are the documented 'unknown' fallbacks
    beats = rows[:, :187].astype(np.float32)
    np.testing.assert_allclose(
        served.predict_beats(beats), served.predict_beats(beats, unknown_rr(9), unknown_context(9, 8))
    )


def test_ensemble_averages_its_members_logits():
    torch.manual_seed(0)
    members = [ECGClassifier(width=4, stages=2, context_samples=8) for _ in range(3)]
    ensemble = ECGClassifier(width=4, stages=2, context_samples=8, members=3)
    for i, member in enumerate(members):
        ensemble.set_member(i, member)
    inputs = ensemble.example_inputs(4)
    expected = sum(member.eval()(*inputs) for member in members) / 3
    torch.testing.assert_close(ensemble.eval()(*inputs), expected)


def test_lone_beats_in_training_lose_rr_and_context_together():
    torch.manual_seed(0)
    beats, rr, context = torch.rand(64, 187), torch.rand(64, 5), torch.rand(64, 8) + 0.1
    beats2, rr2, context2, _ = make_augment(0.5, True)([beats, rr, context, torch.zeros(64)])
    lone = rr2[:, 4] == 0.0
    assert 10 < lone.sum() < 54
    assert torch.all(context2[lone] == 0.0) and torch.all(context2[~lone] != 0.0)
    assert beats2.shape == (64, 187) and context2.shape == (64, 8)


def test_kaggle_protocol_trains_and_writes_a_checkpoint(tmp_path):
    out, _ = train_tiny_kaggle(tmp_path)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["protocol"] == "kaggle" and metrics["test"]["n"] == 9
    history = (out / "report" / "history.csv").read_text().splitlines()
    losses = [float(line.split(",")[1]) for line in history[1:]]
    assert losses[-1] < losses[0], "training loss did not fall"
    assert metrics["test"]["accuracy"] >= 6 / 9
    assert {p.name for p in (out / "report").iterdir()} >= {
        "confusion_matrix.png",
        "roc_pr.png",
        "learning_curves.png",
        "per_class_f1.csv",
        "model_summary.csv",
    }
    assert json.loads((out / "training_config.json").read_text())["kaggle_dir"] == str(tmp_path)
