"""A staged Space runs from its own folder (nothing from the repo on the path) and answers through gradio_client."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import gradio
import pytest
import streamlit
from gradio_client import Client, handle_file
from huggingface_hub import SpaceCard

from core import get_task, list_tasks
from core.predictor import served_onnx
from hub_upload.staging import shipped_variants, stage_explorer, stage_space
from tests.conftest import free_port


def _space_env(tmp_path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "PYTHON", "GRADIO_", "PHYSIOSPACES_"))}
    env.update(
        GRADIO_SERVER_NAME="127.0.0.1",
        GRADIO_SERVER_PORT=str(port),
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        HF_HOME=str(tmp_path / "hf"),
        PHYSIOSPACES_FROM_HUB="1",
        MPLBACKEND="Agg",
    )
    return env


def test_staged_space_runs_alone_and_answers(tmp_path):
    task = get_task("ecg")
    staged = stage_space(task, namespace="test-ns", out=tmp_path / "out")
    folder = staged.folder
    port = free_port()
    env = _space_env(tmp_path, port)
    where = subprocess.run(
        [sys.executable, "-c", "import core, sys; print(core.__file__); print(sys.path)"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.stdout.splitlines()[0] == str(folder / "core" / "__init__.py")
    log = open(tmp_path / "space.log", "w")
    process = subprocess.Popen([sys.executable, "app.py"], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, client = time.monotonic() + 90, None
        while client is None:
            assert process.poll() is None, (tmp_path / "space.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the staged Space did not start in 90 s"
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
            except Exception:
                time.sleep(1)
        example = folder / "spaces" / "ecg" / "examples" / "mitdb_100_20s.csv"
        plot, summary, counts, beats, *_ = client.predict([handle_file(str(example))], None, api_name="/classify")
        assert "beats" in summary.lower()
        column = counts["headers"].index("beats")
        assert sum(int(row[column]) for row in counts["data"]) == len(beats["data"]) > 10
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    text = (tmp_path / "space.log").read_text()
    assert "serving the shipped checkpoint" in text, text[-2000:]


@pytest.mark.parametrize("name", list_tasks())
def test_staged_space_folder_is_complete(tmp_path, name):
    task = get_task(name)
    staged = stage_space(task, namespace="test-ns", out=tmp_path)
    files = set(staged.files())
    assert {"app.py", "README.md", "requirements.txt", "core/__init__.py", f"core/{name}/task.py"} <= files
    served = [
        f"checkpoints/{task.checkpoint(v).name}/{served_onnx(task.checkpoint(v)).name}" for v in shipped_variants(task)
    ]
    assert served and set(served) <= files
    assert {f"spaces/{name}/examples/{p.name}" for p in task.examples} <= files
    requirements = [
        line.split("=")[0].split(">")[0] for line in (staged.folder / "requirements.txt").read_text().split()
    ]
    assert {"onnxruntime", "numpy"} <= set(requirements) and not {"gradio", "torch", "onnx"} & set(requirements)
    card = SpaceCard.load(staged.folder / "README.md").data
    assert (card.sdk, card.sdk_version, card.app_file) == ("gradio", gradio.__version__, "app.py")
    assert card.models == [f"test-ns/{task.hub.models[v].split('/')[1]}" for v in shipped_variants(task)]
    assert card.datasets == [f"test-ns/{task.hub.dataset.split('/')[1]}"]


def test_staged_explorer_front_matter(tmp_path):
    staged = stage_explorer(namespace="test-ns", out=tmp_path)
    card = SpaceCard.load(staged.folder / "README.md").data
    assert (card.sdk, card.sdk_version, card.app_file) == ("streamlit", streamlit.__version__, "app.py")
    assert {"app.py", "browse.py", "leaderboard.py", "core/tasks.py"} <= set(staged.files())
    assert (
        len(card.models) == sum(len(shipped_variants(get_task(n))) for n in list_tasks())
        and len(card.datasets) == sum(bool(get_task(n).dataset_repo) for n in list_tasks()) == 4
    )
    assert staged.space_variables == {"PHYSIOSPACES_NAMESPACE": "test-ns"}
    assert "physiospaces/" not in (staged.folder / "checkpoints" / "ecg-intra" / "README.md").read_text()
