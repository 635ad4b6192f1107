"""The model cards' snippets run as pasted: `pip install` of the project in a fresh virtualenv gives `physiospaces`
(module and command); each staged card's Python block, fed to that virtualenv's interpreter with torch blocked, loads
its model from a local Hub over HTTP and prints the same summary as the Space."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from core import get_task, list_tasks, load_model
from core.modelcard import card_example, upload_extras
from core.tasks import ROOT
from hub_upload.staging import shipped_variants, stage_model, stage_space
from tests.test_hub_upload_download import _hub_handler

NS = "local-hub"
NO_TORCH = (  # a .pth line: importing torch raises ImportError (sys.modules["torch"] = None would break scipy)
    "import sys, importlib.abc; sys.meta_path.insert(0, type('NoTorch', (importlib.abc.MetaPathFinder,), "
    "{'find_spec': staticmethod(lambda name, path=None, target=None: "
    "(_ for _ in ()).throw(ImportError('torch is blocked')) if name.split('.')[0] == 'torch' else None)})())\n"
)
TASKS = [name for name in list_tasks() if shipped_variants(get_task(name))]


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    """A new virtualenv with the project installed by pip; the project's dependencies come from this interpreter's
    site-packages through a .pth file, and torch is blocked (the cards' snippets do not name it)."""
    folder = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (site / "zz_no_torch.pth").write_text(NO_TORCH)
    source = tmp_path_factory.mktemp("source")  # a copy: pip's build writes into the source folder
    for name in ("pyproject.toml", "physiospaces", "core", "training", "hub_upload"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(
            ROOT / name,
            source / name,
            **({"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree else {}),
        )
    # pip fetches setuptools from PyPI to build (this interpreter's has no wheel support); dependencies are not fetched
    done = subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "-q", str(source)], capture_output=True, text=True, timeout=300
    )
    if done.returncode and re.search(r"Could not find a version|NewConnectionError|Temporary failure", done.stderr):
        pytest.skip("pip could not fetch setuptools from PyPI to build the package (offline)")
    assert done.returncode == 0, done.stderr[-3000:]
    return folder


@pytest.fixture(scope="module")
def card_hub(tmp_path_factory):
    """Staged model repos (every shipped variant of every task) served in the Hub's layout on 127.0.0.1."""
    out = tmp_path_factory.mktemp("hub")
    repos = {}
    for name in TASKS:
        for variant in shipped_variants(get_task(name)):
            staged = stage_model(get_task(name), variant, namespace=NS, out=out)
            repos[staged.repo_id] = staged.folder
    server = ThreadingHTTPServer(("127.0.0.1", 0), _hub_handler(repos, []))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", repos
    server.shutdown()


def test_pip_install_gives_the_physiospaces_module_and_command(fresh_venv, tmp_path):
    python, command = fresh_venv / "bin" / "python", fresh_venv / "bin" / "physiospaces"
    where = subprocess.run(
        [python, "-c", "import physiospaces, core; print(physiospaces.__file__, core.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.returncode == 0, where.stderr[-2000:]
    assert all(str(fresh_venv) in path for path in where.stdout.split()), where.stdout  # installed, not this checkout
    done = subprocess.run(
        [command, "predict", "ecg", "missing.csv"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and done.stderr.strip() == "error: File 'missing.csv' does not exist; check the path."


@pytest.mark.parametrize("task_name", TASKS)
def test_every_card_snippet_runs_as_pasted_and_prints_what_the_space_shows(task_name, fresh_venv, card_hub, tmp_path):
    endpoint, repos = card_hub
    task = get_task(task_name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_ENDPOINT=endpoint,
        HF_HUB_CACHE=str(tmp_path / "cache"),
        HF_HOME=str(tmp_path / "home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_XET="1",
        OMP_NUM_THREADS="1",
    )
    for variant in shipped_variants(task):
        card = (repos[f"{NS}/{task.hub.models[variant].split('/')[1]}"] / "README.md").read_text()
        snippet = re.search(r"## Use it\n.*?```python\n(.*?)```", card, re.S).group(1)
        example = card_example(task, variant)
        assert f"git+https://huggingface.co/spaces/{NS}/" in snippet and example.name in snippet
        for path in [example, *upload_extras(example)]:
            shutil.copy2(path, tmp_path / path.name)
        done = subprocess.run(
            [fresh_venv / "bin" / "python", "-"],
            input=snippet,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{task_name}/{variant}: {done.stderr[-3000:]}"
        data = task.read(example, extra_files=tuple(upload_extras(example)))
        runs = re.search(r'variant="([\w-]+)"', snippet).group(1)  # a companion model runs inside its main variant
        space = task.run(data, lambda v: load_model(task_name, variant=v, backend="onnx"), variant=runs)
        assert done.stdout.strip() == space.summary(), f"{task_name}/{variant}"


def test_the_space_repo_is_what_the_cards_install_from(tmp_path):
    staged = stage_space(get_task("ecg"), namespace=NS, out=tmp_path)
    assert (staged.folder / "pyproject.toml").read_text() == (ROOT / "pyproject.toml").read_text()
    assert (staged.folder / "physiospaces" / "__init__.py").is_file() and (staged.folder / "core").is_dir()
