"""The registry (core/tasks.py): lookups, variant choice, and a toy fifth task that the CLI, a Space, Hub staging and
the contract test pick up with no edit of any project file."""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pytest
import torch

from core import get_task, list_tasks, load_model
from core.__main__ import main as cli_main
from core.checkpoint import save_checkpoint, write_evaluation
from core.errors import CheckpointError, UnknownTaskError
from core.modelcard import model_card
from core.readers import Recording
from core.tasks import register_task, unregister_task
from hub_upload.staging import stage
from tests import test_contract
from tests.conftest import FIXTURES

TOY_FILES = ["__init__.py", "level.csv", "model.py", "space/app.py", "task.py"]
"""Everything the toy task consists of: its package (registry entry, predictor, model, predict) and its Space."""


def test_unknown_task_and_variant_name_the_known_ones():
    with pytest.raises(UnknownTaskError, match=r"known tasks are \['ecg', 'ecg_anomaly', 'har', 'hr', 'respiration'"):
        get_task("eeg")
    with pytest.raises(CheckpointError, match=r"known variants are \['inter', 'intra'\]"):
        get_task("ecg").variant("pediatric")


def test_variant_is_chosen_from_the_input():
    har = get_task("har")
    acc_only = Recording(np.zeros((10, 3)), 50.0, ("acc_x", "acc_y", "acc_z"))
    with_gyro = Recording(np.zeros((10, 6)), 50.0, ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"))
    assert (har.pick_variant(acc_only), har.pick_variant(with_gyro), har.pick_variant(acc_only, "full")) == (
        "acc",
        "full",
        "full",
    )
    assert get_task("respiration").pick_variant(Recording(np.zeros((10, 1)), 360.0, ("MLII",))) == "apnea"
    assert get_task("ecg").pick_variant(acc_only) == "inter"  # a recording: the new-patient model


def test_run_uses_the_model_it_is_given_and_loads_companions():
    respiration, loaded = get_task("respiration"), []

    def load(variant):
        loaded.append(variant)
        return load_model("respiration", variant=variant, backend="onnx")

    result = respiration.run(respiration.read(FIXTURES / "respiration_a03_10min.csv"), load)
    assert sorted(loaded) == ["apnea", "apnea-vae"] and result.mode == "rr"


def test_har_pipeline_refuses_a_recording_its_model_cannot_read():
    har = get_task("har")
    recording = har.read(har.example("uci_subject24_acc_only.csv"))
    with pytest.raises(Exception, match="no gyroscope columns .* use the accelerometer-only variant 'acc'"):
        har.predict(load_model("har", variant="full", backend="onnx"), recording)


@pytest.fixture
def toy(tmp_path):
    """The toy task copied to a temporary folder, registered, with a trained checkpoint beside it."""
    package = tmp_path / "toy_task"
    shutil.copytree(FIXTURES / "toy_task", package, ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(tmp_path))
    register_task("toy_task.task")
    task = get_task("toy")
    model = task.model_class_of()()
    with torch.no_grad():  # high when the window's sum is over 25 (mean over 2.5)
        model.linear.weight.copy_(torch.tensor([[0.0] * 10, [0.2] * 10]))
        model.linear.bias.copy_(torch.tensor([0.0, -5.0]))
    folder = save_checkpoint(model, task.checkpoint(), training_config={"set": "by hand"})
    metrics = {"test": {"accuracy": 1.0}}
    write_evaluation(
        folder,
        metrics=metrics,
        card=model_card(task, "default", metrics=metrics, training_command="none", protocol="toy", limits="toy"),
    )
    yield task
    unregister_task("toy_task.task")
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith("toy_task")]:
        del sys.modules[name]


def test_a_fifth_task_is_one_package_and_one_space_folder(toy, tmp_path, space_client, capsys):
    files = sorted(
        str(p.relative_to(tmp_path / "toy_task"))
        for p in (tmp_path / "toy_task").rglob("*")
        if p.is_file() and "checkpoint" not in p.parts and "__pycache__" not in p.parts
    )
    assert files == TOY_FILES
    print(f"\na new task is {len(files)} new files, in one package and its Space folder: {files}")
    assert list_tasks()[-1] == "toy"

    # the CLI
    assert cli_main(["tasks"]) == 0 and "toy\tToy level\t10-sample windows" in capsys.readouterr().out
    assert cli_main(["predict", "toy", str(toy.example("level.csv")), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"task": "toy", "windows": 5, "high": 2}

    # the contract test, and the Space endpoint answering its example as the CLI does
    test_contract.test_train_step_save_reload_onnx("toy", "default", tmp_path / "contract")
    test_contract.test_shipped_checkpoint_loads_and_matches_onnx("toy", "default")
    summary = test_contract.check_endpoint(space_client("toy"), toy, toy.endpoints[0], capsys)
    assert summary == "**5 windows, 2 high**"

    # Hub staging: its model repo and its Space repo (it names no dataset builder, so no dataset repo)
    staged = stage("all", "toy", namespace="tester", out=tmp_path / "staged")
    assert [(repo.repo_type, repo.repo_id) for repo in staged] == [
        ("model", "tester/toy-level"),
        ("space", "tester/toy-level-demo"),
    ]
    assert {"model.safetensors", "model.onnx", "config.json", "metrics.json", "README.md"} <= set(staged[0].files())
    assert (staged[1].folder / "app.py").read_text() == (toy.space_dir / "app.py").read_text()
