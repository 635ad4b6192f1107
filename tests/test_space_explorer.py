"""The Streamlit explorer runs under AppTest: every task's measured metrics, the references, the browser and the
cards."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from core import get_task, list_tasks
from core.predictor import read_metrics
from core.tasks import ROOT
from hub_upload.staging import stage_explorer
from tests.conftest import needs_data

APP = str(ROOT / "spaces" / "explorer" / "app.py")


@pytest.fixture(scope="module")
def app():
    return AppTest.from_file(APP, default_timeout=120).run()


def test_leaderboard_shows_every_task_measured_metrics_and_references(app):
    assert not app.exception
    tables = [table.value for table in app.dataframe if "task" in table.value.columns]
    shown = {(row.task, row.model, row.metric): row.value for table in tables for row in table.itertuples()}
    for name in list_tasks():
        task = get_task(name)
        assert any(key[0] == name and key[1] == "published" for key in shown), f"no reference rows for {name}"
        for variant, folder in task.checkpoints.items():
            for metric, value in read_metrics(folder).get("test", {}).items():
                if metric in (
                    "accuracy",
                    "macro_f1",
                    "mae",
                    "rmse",
                    "f1",
                    "auroc",
                    "breath_sensitivity",
                ) and isinstance(value, float):
                    assert shown[(name, variant, metric)] == pytest.approx(value, abs=1e-4)
    sources = {row.source for table in tables for row in table.itertuples() if row.model == "published"}
    assert all("issue" in source or "https://" in source for source in sources)  # a source one can check


@needs_data("uci_har")
def test_dataset_browser_filters_by_subject(app):
    app.selectbox[0].set_value("har").run()
    assert not app.exception
    assert "UCI HAR test split" in app.caption[-1].value and "2947 examples" in app.caption[-1].value
    app.multiselect[0].set_value([2]).run()
    balance = next(t.value for t in app.dataframe if list(t.value.columns) == ["label", "examples"])
    from core.har.data import load_split

    subjects = load_split("test")["subject"]
    assert int(balance["examples"].sum()) == int((subjects == 2).sum()) > 0
    assert set(balance["label"]) <= set(get_task("har").labels)
    assert [type(e).__name__ for e in app.main].count("Image") == 1  # one figure of example signals, a panel per class


def test_model_cards_tab_shows_the_card(app):
    options = app.selectbox[1].options
    assert len(options) == sum(
        (f / "README.md").is_file() for n in list_tasks() for f in get_task(n).checkpoints.values()
    )
    text = " ".join(m.value for m in app.markdown)
    assert "## Use it" in text and "from physiospaces import predict" in text


STAGED_RUN = """
import json, sys
from streamlit.testing.v1 import AppTest
import core
at = AppTest.from_file(sys.argv[1], default_timeout=120).run()
print(json.dumps({"core": core.__file__, "exceptions": [e.message for e in at.exception],
                  "tables": [list(t.value["task"].unique()) for t in at.dataframe if "task" in t.value.columns]}))
"""


def test_staged_explorer_runs_from_its_own_folder(tmp_path):
    folder = stage_explorer(namespace="test-ns", out=tmp_path).folder
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "PYTHON", "PHYSIOSPACES_"))}
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"), PHYSIOSPACES_DATA=str(tmp_path / "no-data"))
    done = subprocess.run(
        [sys.executable, "-c", STAGED_RUN, str(folder / "app.py")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["core"] == str(folder / "core" / "__init__.py")
    assert result["exceptions"] == []
    assert sorted({t for table in result["tables"] for t in table}) == sorted(list_tasks())


def test_offline_first_paint_is_quick_and_a_dataset_failure_is_cached_with_a_note(tmp_path, monkeypatch):
    import time

    import huggingface_hub.constants
    import streamlit as st

    monkeypatch.setenv("PHYSIOSPACES_DATA", str(tmp_path / "no-data"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    st.cache_resource.clear()
    start = time.monotonic()
    offline = AppTest.from_file(APP, default_timeout=120).run()
    assert not offline.exception and time.monotonic() - start < 3
    assert offline.selectbox[0].value is None and not offline.warning  # no dataset is loaded for the first paint
    offline.selectbox[0].set_value("har").run()
    assert "The har dataset cannot be loaded here" in offline.warning[0].value
    start = time.monotonic()
    offline.selectbox[0].set_value("har").run()  # a later click: the failure comes from the cache
    assert time.monotonic() - start < 1 and "cannot be loaded here" in offline.warning[0].value
