"""Tracked training runs (training/tracking.py through training/train.py and the loop): the local run folder,
MLflow read back with mlflow.search_runs, the optional Weights & Biases, and --resume ending with the weights of an
uninterrupted run."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.conftest import FIXTURES
from training import tracking
from training import train as train_cli
from training.ecg import ECGTrainConfig
from training.loop import balanced_sampler, fit, tensors

TINY = "--protocol kaggle --epochs 3 --batch-size 16 --width 4 --stages 2 --val-fraction 0.2 --threads 1 --no-int8"


@pytest.fixture
def kaggle_folder(tmp_path, monkeypatch):
    """The 9 fixture beats as a tiny Kaggle folder (30 noisy copies to train on), run folders under tmp_path/runs."""
    rows = np.loadtxt(FIXTURES / "kaggle_beats.csv", delimiter=",")
    train = np.repeat(rows, 30, axis=0)
    train[:, :187] = np.clip(train[:, :187] + np.random.default_rng(0).normal(0, 0.01, (len(train), 187)), 0, 1)
    np.savetxt(tmp_path / "mitbih_train.csv", train, fmt="%.4f", delimiter=",")
    np.savetxt(tmp_path / "mitbih_test.csv", rows, fmt="%.4f", delimiter=",")
    monkeypatch.setattr(tracking, "RUNS", tmp_path / "runs")
    return tmp_path


def train_tiny(folder, *flags: str):
    return train_cli.main(["ecg", *TINY.split(), "--kaggle-dir", str(folder), "--out", str(folder / "ckpt"), *flags])


def test_local_run_folder_holds_params_epoch_metrics_and_the_report(kaggle_folder):
    out = train_tiny(kaggle_folder, "--experiment", "tiny")
    (run,) = (kaggle_folder / "runs" / "ecg" / "tiny").iterdir()
    params = json.loads((run / "params.json").read_text())
    assert (params["epochs"], params["width"], params["tracker"]) == (3, 4, "local")
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    history = (out / "report" / "history.csv").read_text().splitlines()[1:]
    assert [row["epoch"] for row in rows] == [1, 2, 3]
    assert [round(row["train_loss"], 6) for row in rows] == [round(float(h.split(",")[1]), 6) for h in history]
    assert (run / "artifacts" / "metrics.json").read_text() == (out / "metrics.json").read_text()
    assert (run / "artifacts" / "report" / "confusion_matrix.png").stat().st_size > 1000
    assert json.loads((run / "status.json").read_text())["status"] == "FINISHED"


def test_mlflow_run_reads_back_with_search_runs(kaggle_folder):
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{kaggle_folder / 'mlflow.db'}"
    out = train_tiny(kaggle_folder, "--tracker", "mlflow", "--tracking-uri", uri, "--experiment", "tiny")
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["ecg/tiny"])
    assert len(runs) == 1 and runs.status[0] == "FINISHED"
    assert (runs["params.epochs"][0], runs["params.protocol"][0]) == ("3", "kaggle")
    test = json.loads((out / "metrics.json").read_text())["test"]
    assert runs["metrics.test_accuracy"][0] == pytest.approx(test["accuracy"])
    client = mlflow.MlflowClient()
    history = [m.value for m in client.get_metric_history(runs.run_id[0], "train_loss")]
    local = next((kaggle_folder / "runs" / "ecg" / "tiny").iterdir())
    rows = [json.loads(line) for line in (local / "metrics.jsonl").read_text().splitlines()]
    assert history == pytest.approx([row["train_loss"] for row in rows]) and len(history) == 3
    artifacts = {a.path for a in client.list_artifacts(runs.run_id[0], "checkpoint/report")}
    assert {"checkpoint/report/confusion_matrix.png", "checkpoint/report/learning_curves.png"} <= artifacts


def test_wandb_runs_offline(kaggle_folder, monkeypatch):
    pytest.importorskip("wandb", reason="wandb is optional (pip install wandb)")
    monkeypatch.setenv("WANDB_MODE", "offline")
    train_tiny(kaggle_folder, "--tracker", "wandb", "--experiment", "tiny", "--tracking-uri", str(kaggle_folder / "w"))
    (run,) = (kaggle_folder / "w" / "ecg" / "tiny").iterdir()
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3
    assert len(list(run.glob("wandb/offline-run-*/run-*.wandb"))) == 1
    assert (run / "wandb_run_id").read_text().strip() in next(run.glob("wandb/offline-run-*")).name


def test_without_wandb_the_command_names_its_install(kaggle_folder, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "wandb", None)  # import fails as if it were not installed
    with pytest.raises(SystemExit) as exit_info:
        train_tiny(kaggle_folder, "--tracker", "wandb")
    assert str(exit_info.value.code) == (
        "error: Tracking with --tracker wandb needs the optional package 'wandb' (module 'wandb'), which is not "
        "installed; install it with `pip install wandb`."
    )


def tiny_fit(config: ECGTrainConfig, *, fail_at: int = 0) -> torch.nn.Module:
    """Fit a small dropout CNN with a weighted sampler and augmentation (every random draw the loop makes) in a
    tracked session; `fail_at`: raise during that epoch's validation, as an interrupted run."""
    from core.ecg.model import ECGClassifier
    from training.ecg import make_augment

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, 96)
    data = tensors(rng.random((96, 187)), rng.random((96, 5)), labels)
    model = ECGClassifier(width=4, stages=2, stem_stride=2, dropout=0.3)
    calls = []

    def score(out: np.ndarray) -> float:
        calls.append(1)
        if len(calls) == fail_at:
            raise KeyboardInterrupt
        return float(np.round(out[:, 0].mean(), 2))  # coarse, so the plateau scheduler acts

    with tracking.tracked("ecg") as session:
        fit(
            model,
            data,
            data,
            config,
            loss_fn=torch.nn.CrossEntropyLoss(),
            score_fn=score,
            sampler=balanced_sampler(labels),
            augment=make_augment(0.2, True),
        )
        session.close(None, "FINISHED")
    return model


def test_resume_ends_with_the_weights_of_an_uninterrupted_run(tmp_path):
    config = dict(epochs=5, batch_size=16, lr=1e-2, patience=0, lr_patience=0, threads=1, tracking_uri=str(tmp_path))
    whole = tiny_fit(ECGTrainConfig(**config, experiment="whole"))
    with pytest.raises(KeyboardInterrupt):
        tiny_fit(ECGTrainConfig(**config, experiment="cut"), fail_at=4)
    (folder,) = (tmp_path / "ecg" / "cut").iterdir()
    assert torch.load(folder / "state" / "fit0.pt", weights_only=True)["epoch"] == 3
    resumed = tiny_fit(ECGTrainConfig(**config, experiment="cut", resume=str(folder)))
    for name, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), name
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    (whole_folder,) = (tmp_path / "ecg" / "whole").iterdir()
    assert rows == [json.loads(line) for line in (whole_folder / "metrics.jsonl").read_text().splitlines()]


def test_resume_needs_a_run_folder_with_states(tmp_path):
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"resume='.*nowhere' is not a run folder with a saved state/ folder"):
        ECGTrainConfig(resume=str(tmp_path / "nowhere"))


def test_compare_logs_each_candidate_as_a_run(kaggle_folder):
    from training import compare

    flags = [*TINY.split(), "--epochs", "1", "--kaggle-dir", str(kaggle_folder)]
    compare.main(["ecg", "--archs", "rnn", "gru", "--out", str(kaggle_folder / "cmp"), "--", *flags])
    runs = sorted((kaggle_folder / "runs" / "ecg" / "cmp").iterdir())
    params = [json.loads((run / "params.json").read_text()) for run in runs]
    assert sorted(p["arch"] for p in params) == ["gru", "rnn"]
    table = (kaggle_folder / "cmp" / "comparison.csv").read_text().splitlines()
    for run, p in zip(runs, params):
        test = json.loads((run / "artifacts" / "metrics.json").read_text())["test"]
        row = next(line for line in table if line.startswith(p["arch"] + ","))
        assert f"{round(test['accuracy'], 4)}" in row.split(",")


def test_training_config_json_trains_the_same_model_again(kaggle_folder):
    out = train_tiny(kaggle_folder)
    again = train_cli.main(["--config", str(out / "training_config.json"), "--out", str(kaggle_folder / "again")])
    recorded = json.loads((out / "training_config.json").read_text())
    assert json.loads((again / "training_config.json").read_text()) == {**recorded, "out": str(again)}
    assert (again / "model.safetensors").read_bytes() == (out / "model.safetensors").read_bytes()
    assert (
        json.loads((again / "metrics.json").read_text())["test"]
        == json.loads((out / "metrics.json").read_text())["test"]
    )


def test_an_interrupted_ensemble_run_resumes_to_the_same_checkpoint(kaggle_folder, monkeypatch):
    import training.ecg

    whole = train_tiny(kaggle_folder, "--members", "2", "--experiment", "whole", "--out", str(kaggle_folder / "a"))
    score, calls = training.ecg.reporting_macro_f1, []

    def interrupted(y_val):
        inner = score(y_val)

        def score_fn(outputs):
            calls.append(1)
            if len(calls) == 5:  # member 1, epoch 2
                raise KeyboardInterrupt
            return inner(outputs)

        return score_fn

    monkeypatch.setattr(training.ecg, "reporting_macro_f1", interrupted)
    flags = ["--members", "2", "--experiment", "cut", "--out", str(kaggle_folder / "b")]
    with pytest.raises(KeyboardInterrupt):
        train_tiny(kaggle_folder, *flags)
    (run,) = (kaggle_folder / "runs" / "ecg" / "cut").iterdir()
    assert json.loads((run / "status.json").read_text())["status"] == "KILLED"
    resumed = train_cli.main(["ecg", "--resume", str(run)])  # the run's recorded configuration
    assert resumed == kaggle_folder / "b"
    assert len(calls) == 7  # member 0 not trained again, member 1 from epoch 2
    assert (resumed / "model.safetensors").read_bytes() == (whole / "model.safetensors").read_bytes()
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [(json.loads(line)["fit"], json.loads(line)["epoch"]) for line in lines] == [
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 1),
        (1, 2),
        (1, 3),
    ]
