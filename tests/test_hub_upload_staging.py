"""hub_upload: staged model and dataset repos as the Hub and `load_dataset` read them; tokens and namespaces."""

from __future__ import annotations

import json

import datasets
import numpy as np
import pytest
from huggingface_hub import DatasetCard, ModelCard

from core import get_task, list_tasks
from core.errors import ConfigError, HubAuthError
from core.predictor import served_onnx
from hub_upload import publish
from hub_upload.__main__ import main
from hub_upload.staging import StagedRepo, check_namespace, shipped_variants, stage
from tests.conftest import needs_data

NS = "test-ns"
LIMIT = 40


@pytest.fixture(scope="module")
def staged_models(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    for name in list_tasks():
        assert main(["model", name, "--namespace", NS, "--dry-run", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("name", list_tasks())
def test_model_repo_files_and_card(staged_models, name, capsys):
    task = get_task(name)
    variants = shipped_variants(task)
    assert variants, f"no shipped checkpoint for {name}"
    for variant in variants:
        repo_name = task.hub.models[variant].split("/")[1]
        folder = staged_models / repo_name
        for file in ("model.safetensors", "config.json", "model.onnx", "metrics.json", "training_config.json"):
            assert (folder / file).read_bytes() == (task.checkpoint(variant) / file).read_bytes()
        served = served_onnx(task.checkpoint(variant)).name
        assert (folder / served).read_bytes() == (task.checkpoint(variant) / served).read_bytes()
        card = ModelCard.load(folder / "README.md")
        data = card.data
        assert data.library_name == "physiospaces"
        assert data.license == task.license
        assert data.pipeline_tag == task.extra.get("pipeline_tag", "time-series-classification")
        assert data.datasets == [f"{NS}/{task.hub.dataset.split('/')[1]}"]
        assert name in data.tags
        assert data.model_name == f"{NS}/{repo_name}"
        test_metrics = json.loads((folder / "metrics.json").read_text())["test"]
        assert data.eval_results, "model-index has no results"
        for result in data.eval_results:
            assert result.dataset_split == "test"
            assert result.metric_value == pytest.approx(test_metrics[result.metric_type], abs=6e-4)
        text = card.text
        assert "from physiospaces import predict" in text and f"git+https://huggingface.co/spaces/{NS}/" in text
        assert "python -m training" in text and "not a medical device" in text and "Protocol:" in text
        assert "physiospaces/" not in card.content


def _expected_rows(name: str) -> dict[str, dict[str, np.ndarray | list]]:
    """Per config and split, the source rows the staged parquet must hold (label column), from the task's own
    loaders."""
    if name == "ecg":
        from core.ecg.data import load_beats, protocol_split

        beats = load_beats()
        return {
            p: dict(zip(("train", "test"), (beats["label"][i[:LIMIT]] for i in protocol_split(beats, p))))
            for p in ("intra", "inter")
        }
    if name == "har":
        from core.har.data import load_split

        return {"default": {s: load_split(s)["y"][:LIMIT] for s in ("train", "test")}}
    if name == "hr":
        from core.hr.data import load_workouts, protocol_split

        workouts = load_workouts()
        parts = dict(zip(("train", "validation", "test"), protocol_split(workouts, "user")))
        return {"default": {s: [workouts[i].workout_id for i in idx[:LIMIT]] for s, idx in parts.items()}}
    if name == "respiration":
        from core.respiration.data import APNEA_TEST_RECORDS, apnea_ecg

        _, labels = apnea_ecg()
        return {
            "apnea_minutes": {"test": labels[labels["record"].isin(APNEA_TEST_RECORDS)]["label"].to_numpy()[:LIMIT]}
        }
    return {}  # a task without known source rows: its splits are still checked against the card


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=[needs_data(d) for d in get_task(n).datasets])
        for n in list_tasks()
        if get_task(n).dataset_repo
    ],
)
def test_dataset_repo_loads_with_declared_splits(tmp_path, name):
    task = get_task(name)
    assert main(["dataset", name, "--namespace", NS, "--dry-run", "--out", str(tmp_path), "--limit", str(LIMIT)]) == 0
    folder = tmp_path / task.hub.dataset.split("/")[1]
    card = DatasetCard.load(folder / "README.md")
    declared = {c["config_name"]: [f["split"] for f in c["data_files"]] for c in card.data.configs}
    info = {i["config_name"]: i for i in card.data.dataset_info}
    assert card.data.license and "Citation" in card.text
    expected = _expected_rows(name)
    for config, splits in declared.items():
        loaded = datasets.load_dataset(str(folder), config)
        assert sorted(loaded) == sorted(splits)
        assert [f["name"] for f in info[config]["features"]] == list(loaded[splits[0]].features)
        for split in splits:
            rows = {s["name"]: s["num_examples"] for s in info[config]["splits"]}[split]
            assert len(loaded[split]) == rows > 0
            if split in expected.get(config, {}):
                column = "workout_id" if name == "hr" else "label"
                assert list(loaded[split][column]) == list(expected[config][split])
    if name in ("ecg", "har"):
        first = datasets.load_dataset(str(folder), next(iter(declared)))["train"]
        assert first.features["label"].names == list(task.labels)
    if name == "har":
        from core.har.data import load_split

        signal = np.asarray(datasets.load_dataset(str(folder))["test"].with_format("numpy")["signal"])
        np.testing.assert_array_equal(signal, load_split("test")["X"][:LIMIT])


def test_bad_namespace_is_echoed():
    with pytest.raises(ConfigError, match=r"'\.\./etc'"):
        check_namespace("../etc")


def test_missing_token_message(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(publish, "get_token", lambda: None)
    with pytest.raises(HubAuthError, match="HF_TOKEN.*hf auth login"):
        publish.require_token()
    assert main(["model", "ecg", "--namespace", NS]) == 2
    assert "hf auth login" in capsys.readouterr().err


def test_publish_calls_the_hub_api_and_never_prints_the_token(monkeypatch, tmp_path, capsys):
    calls = []

    class FakeApi:
        def __init__(self, token):
            calls.append(("token", token))

        def create_repo(self, repo_id, **kwargs):
            calls.append(("create_repo", repo_id, kwargs["repo_type"], kwargs["space_sdk"], kwargs["space_variables"]))
            return f"https://huggingface.co/{repo_id}"

        def upload_folder(self, **kwargs):
            calls.append(("upload_folder", kwargs["repo_id"], sorted(p.name for p in kwargs["folder_path"].iterdir())))

        def create_collection(self, title, **kwargs):
            calls.append(("create_collection", title, kwargs["namespace"]))
            return type("Collection", (), {"slug": f"{kwargs['namespace']}/physiospaces-0123"})()

        def add_collection_item(self, slug, item_id, item_type, **kwargs):
            calls.append(("add_collection_item", item_id, item_type))

    secret = "hf_" + "x" * 30
    monkeypatch.setattr(publish, "HfApi", FakeApi)
    monkeypatch.setattr(publish, "get_token", lambda: secret)
    assert main(["space", "hr", "--namespace", NS, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert secret not in out.out + out.err
    assert (
        "create_repo",
        f"{NS}/running-heart-rate",
        "space",
        "gradio",
        [{"key": "PHYSIOSPACES_FROM_HUB", "value": "1"}, {"key": "PHYSIOSPACES_NAMESPACE", "value": NS}],
    ) in calls
    upload = next(c for c in calls if c[0] == "upload_folder")
    assert upload[1] == f"{NS}/running-heart-rate" and {
        "app.py",
        "core",
        "checkpoints",
        "requirements.txt",
        "README.md",
    } <= set(upload[2])
    repos = [
        StagedRepo("model", f"{NS}/running-hr-physio", tmp_path),
        StagedRepo("space", f"{NS}/running-heart-rate", tmp_path),
    ]
    assert publish.link_collection(repos, namespace=NS, token=secret) == f"{NS}/physiospaces-0123"
    assert calls[-3:] == [
        ("create_collection", "PhysioSpaces", NS),
        ("add_collection_item", f"{NS}/running-hr-physio", "model"),
        ("add_collection_item", f"{NS}/running-heart-rate", "space"),
    ]


def test_all_without_raw_data_stages_every_other_repo_and_says_which_it_skipped(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PHYSIOSPACES_DATA", str(tmp_path / "no-data"))
    staged = stage("all", None, namespace="tester", out=tmp_path / "staged")
    kinds = [repo.repo_type for repo in staged]
    tasks = [get_task(name) for name in list_tasks()]
    assert kinds.count("dataset") == 0 and kinds.count("space") == len(tasks) + 1  # every task's Space and the explorer
    assert kinds.count("model") == sum(len(task.checkpoints) for task in tasks)
    skipped = [
        record.getMessage() for record in caplog.records if record.getMessage().startswith("Skipping the dataset")
    ]
    assert [message.split(":")[0] for message in skipped] == [f"Skipping the dataset repo of {t.name}" for t in tasks]
    for task, message in zip(tasks, skipped):  # a missing dataset is named; a task without a dataset repo says so
        assert str(tmp_path / "no-data") in message if task.dataset_repo else "names no dataset_repo" in message
    assert sorted(p.name for p in (tmp_path / "staged").iterdir()) == sorted(repo.folder.name for repo in staged)
    assert all(any(repo.folder.iterdir()) for repo in staged)
