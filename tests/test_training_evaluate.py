"""`python -m training.evaluate TASK`: every task answers, and re-scoring a shipped checkpoint gives its
metrics.json."""

from __future__ import annotations

import importlib
import json

import pytest

from core import get_task, list_tasks
from tests.conftest import needs_data
from training._dispatch import dispatch


@pytest.mark.parametrize("task", list_tasks())
def test_every_task_has_train_and_evaluate_entry_points(task):
    module = importlib.import_module(f"training.{task}")
    assert callable(module.main) and callable(module.evaluate_main)


def test_unknown_variant_is_refused_by_argparse(capsys):
    with pytest.raises(SystemExit) as exited:
        dispatch("evaluate_main", "python -m training.evaluate", ["hr", "--variant", "gru"])
    assert exited.value.code == 2
    assert "invalid choice: 'gru'" in capsys.readouterr().err


def evaluated(task: str, variant: str, capsys) -> tuple[dict, dict]:
    dispatch("evaluate_main", "python -m training.evaluate", [task, "--variant", variant])
    recorded = json.loads((get_task(task).checkpoint(variant) / "metrics.json").read_text())["test"]
    return json.loads(capsys.readouterr().out), recorded


@needs_data("running_hr")
@pytest.mark.parametrize("variant", ["lstm", "physio"])
def test_hr_reproduces_the_shipped_test_metrics(variant, capsys):
    printed, recorded = evaluated("hr", variant, capsys)
    assert printed["n_runs"] == recorded["n_runs"] == 12
    assert printed["mae"] == pytest.approx(recorded["mae"], abs=0.01)
    assert printed["baselines"]["constant_mean"]["mae"] == pytest.approx(
        recorded["baselines"]["constant_mean"]["mae"], abs=1e-6
    )


@needs_data("respiration")
@pytest.mark.parametrize("variant", ["apnea", "apnea-vae"])
def test_apnea_reproduces_the_shipped_test_metrics(variant, capsys):
    printed, recorded = evaluated("respiration", variant, capsys)
    assert printed["records"] == recorded["records"] and len(printed["records"]) == 8
    for metric in ("accuracy", "sensitivity", "specificity", "auroc"):
        assert printed[metric] == pytest.approx(recorded[metric], abs=1e-4), metric


@needs_data("respiration")
def test_breath_detection_reproduces_the_shipped_figures(capsys):
    printed, recorded = evaluated("respiration", "waveform", capsys)
    assert printed["annotator1"] == recorded["breath_detection"]["annotator1"]
    assert printed["annotator1"]["reference"] == 170
