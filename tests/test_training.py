"""Training configuration, CLI overrides, and one real training run on a tiny Kaggle-format beat folder."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from core.errors import ConfigError
from tests.conftest import FIXTURES
from training.config import parse_config
from training.ecg import ECGTrainConfig, main as train_ecg
from training.loop import fit, tensors


def test_config_validation_names_the_field():
    with pytest.raises(ConfigError, match=r"epochs=0 must be positive"):
        ECGTrainConfig(epochs=0)
    with pytest.raises(ConfigError, match=r"val_fraction=0.7 must be between 0 and 0.5"):
        ECGTrainConfig(val_fraction=0.7)


def test_cli_overrides_and_reproducing_command():
    config = parse_config(ECGTrainConfig, ["--epochs", "3", "--protocol", "inter", "--no-use-rr", "--width", "8"], prog="t")
    assert (config.epochs, config.protocol, config.use_rr, config.width) == (3, "inter", False, 8)
    assert config.command("ecg") == "python -m training.train ecg --epochs 3 --protocol inter --width 8 --no-use-rr"
    one_thread = parse_config(ECGTrainConfig, ["--threads", "1", "--out", "runs/x"], prog="t")
    assert one_thread.command("ecg") == "python -m training.train ecg --threads 1"  # the thread count changes the weights
    with pytest.raises(SystemExit):
        parse_config(ECGTrainConfig, ["--protocol", "nonsense"], prog="t")


def test_kaggle_protocol_trains_and_writes_a_checkpoint(tmp_path):
    rows = np.loadtxt(FIXTURES / "kaggle_beats.csv", delimiter=",")
    rng = np.random.default_rng(0)
    train = np.repeat(rows, 30, axis=0)
    train[:, :187] = np.clip(train[:, :187] + rng.normal(0, 0.01, (len(train), 187)), 0, 1)
    np.savetxt(tmp_path / "mitbih_train.csv", train, fmt="%.4f", delimiter=",")
    np.savetxt(tmp_path / "mitbih_test.csv", rows, fmt="%.4f", delimiter=",")
    out = train_ecg(["--protocol", "kaggle", "--kaggle-dir", str(tmp_path), "--epochs", "4", "--batch-size", "16",
                     "--width", "4", "--stages", "2", "--val-fraction", "0.2", "--threads", "1", "--out", str(tmp_path / "ckpt")])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["protocol"] == "kaggle" and metrics["test"]["n"] == 9
    history = (out / "report" / "history.csv").read_text().splitlines()
    losses = [float(line.split(",")[1]) for line in history[1:]]
    assert losses[-1] < losses[0], "training loss did not fall"
    assert metrics["test"]["accuracy"] >= 6 / 9
    assert {p.name for p in (out / "report").iterdir()} >= {"confusion_matrix.png", "roc_pr.png", "learning_curves.png", "per_class_f1.csv", "model_summary.csv"}
    assert json.loads((out / "training_config.json").read_text())["kaggle_dir"] == str(tmp_path)


def test_cosine_schedule_decays_the_rate_to_zero_by_the_last_epoch():
    from core.ecg.model import ECGClassifier

    rng = np.random.default_rng(0)
    data = tensors(rng.random((64, 187)), rng.random((64, 5)), rng.integers(0, 5, 64))
    config = ECGTrainConfig(epochs=4, batch_size=16, lr=1e-2, schedule="cosine", patience=0, threads=1)
    history = fit(ECGClassifier(width=4, stages=2, stem_stride=2), data, data, config,
                  loss_fn=torch.nn.CrossEntropyLoss(), score_fn=lambda out: 0.0)
    rates = [row["lr"] for row in history]
    assert rates[0] == pytest.approx(1e-2 * (1 + np.cos(np.pi / 4)) / 2)
    assert rates[-1] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(("keep_last", "kept_epoch"), [(False, 0), (True, 2)])
def test_fit_restores_the_best_state_or_keeps_the_last(keep_last, kept_epoch):
    from core.ecg.model import ECGClassifier

    rng = np.random.default_rng(0)
    data = tensors(rng.random((64, 187)), rng.random((64, 5)), rng.integers(0, 5, 64))
    outputs = []

    def falling_score(out: np.ndarray) -> float:  # the first epoch scores best
        outputs.append(out)
        return -len(outputs)

    torch.manual_seed(0)
    model = ECGClassifier(width=4, stages=2, stem_stride=2)
    config = ECGTrainConfig(epochs=3, batch_size=16, lr=1e-2, patience=0, threads=1)
    fit(model, data, data, config, loss_fn=torch.nn.CrossEntropyLoss(), score_fn=falling_score, keep_last=keep_last)
    with torch.inference_mode():
        final = model(*data.tensors[:2]).numpy()
    np.testing.assert_allclose(final, outputs[kept_epoch], atol=1e-6)
    assert not np.allclose(outputs[0], outputs[2])
