"""The HAR task from the outside: registry entry, shipped checkpoints, CLI JSON and exit codes, and the Space."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from core import get_task, load_model
from core.__main__ import main as cli
from tests.conftest import FIXTURES, needs_data

TASK = get_task("har")
STITCHED = FIXTURES / "har_stitched_20hz.csv"


def rows(times: np.ndarray, acc: float = 1.0) -> str:
    """CSV rows of a still phone: time, then acceleration `acc` on x and 0 on y and z."""
    return "\n".join(f"{x:.3f},{acc:.4f},0,0" for x in times)


def bad_inputs(tmp_path) -> list[tuple[str, str, str]]:
    """(case, file path, expected message) for each bad recording the issue lists."""
    t = np.arange(300) / 50
    nan_rows = "\n".join(f"{x:.3f},{'nan' if 1 <= x < 2.5 else '1'},0,0" for x in t)
    cases = [
        (
            "missing accelerometer",
            "time,gyro_x,gyro_y,gyro_z\n" + rows(t),
            r"no accelerometer x/y/z columns \(found \['time', 'gyro_x', 'gyro_y', 'gyro_z'\]\)",
        ),
        (
            "shorter than a window",
            "time,acc_x,acc_y,acc_z\n" + rows(t[:100]),
            r"recording is 2.00 s long, shorter than one 2.56 s window",
        ),
        (
            "timestamps backwards",
            "time,acc_x,acc_y,acc_z\n" + rows(np.r_[t[:50], t[40:]]),
            r"timestamps going backwards at row 52",
        ),
        (
            "duplicated timestamps",
            "time,acc_x,acc_y,acc_z\n" + rows(np.r_[t[:50], t[49:]]),
            r"timestamps duplicated at row 52",
        ),
        (
            "rate below 10 Hz",
            "time,acc_x,acc_y,acc_z\n" + rows(np.arange(30) / 5),
            r"Sampling rate 5 Hz is outside the accepted 10-200 Hz",
        ),
        (
            "wrong unit",
            "time,acc_x,acc_y,acc_z\n" + rows(t, acc=1000.0),
            r"median accelerometer magnitude of 1e\+03, expected about 1 in g or 9.8 in m/s\^2",
        ),
        (
            "NaN gap over 1 s",
            "time,acc_x,acc_y,acc_z\n" + nan_rows,
            r"run of 75 missing values \(1.50 s\) from sample 50",
        ),
    ]
    written = []
    for case, text, message in cases:
        path = tmp_path / f"{case.replace(' ', '_')}.csv"
        path.write_text(text + "\n")
        written.append((case, str(path), message))
    return written


def test_registry_entry_and_shipped_variants():
    assert TASK.labels == ("WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING")
    assert (TASK.fs, TASK.window) == (50.0, 128)
    assert list(TASK.checkpoints) == ["full", "acc", "placement"]
    assert TASK.companions == {"full": {"placement_model": "placement"}, "acc": {"placement_model": "placement"}}
    assert TASK.hub.models["placement"] == "physiospaces/har-placement-trees"
    assert len(TASK.examples) == 3
    full, acc = load_model("har"), load_model("har", variant="acc")
    assert (len(full.channels), len(acc.channels)) == (9, 6) and not acc.needs_gyroscope
    assert full.metrics["test"]["n"] == 2947 and acc.metrics["test"]["n"] == 2947


def test_predict_windows_takes_uci_order_windows_for_both_variants():
    windows = np.random.default_rng(0).normal(size=(4, 128, 9)).astype(np.float32)
    for variant in ("full", "acc"):
        probabilities = load_model("har", variant=variant).predict_windows(windows)
        assert probabilities.shape == (4, 6)
        np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_cli_prints_windows_and_summary_as_json(capsys):
    assert cli(["predict", "har", str(STITCHED), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["task"] == "har"
    assert payload["summary"]["variant"] == "full"
    assert len(payload["windows"]) == payload["summary"]["windows"] == 22
    assert set(payload["windows"][0]) == {"start_s", "end_s", "label", "confidence"}


def test_cli_placement_option_states_where_the_phone_was(capsys):
    assert cli(["predict", "har", str(STITCHED), "--json", "--option", "placement=hand"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["placement"] | {"text": None} == {
        "name": "hand",
        "confidence": None,
        "source": "stated",
        "known": True,
        "text": None,
    }
    assert summary["variant"] == "placement" and set(summary["share"]) == set(summary["merged"])
    assert cli(["predict", "har", str(STITCHED), "--option", "placement=desk"]) == 2
    assert (
        "Unknown placement 'desk'; accepted are ['auto', 'waist', 'pocket', 'hand', 'bag']" in capsys.readouterr().err
    )


def test_cli_unit_option_and_bad_inputs_exit_2(tmp_path, capsys):
    assert cli(["predict", "har", str(STITCHED), "--option", "acc_unit=m/s^2"]) == 2
    assert "expected about 9.81 in m/s^2" in capsys.readouterr().err
    for case, path, message in bad_inputs(tmp_path):
        assert cli(["predict", "har", path]) == 2, case
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1, (case, err)
        assert re.search(message, err), (case, err)


@needs_data("uci_har", "har_test.npz")
@pytest.mark.parametrize(("variant", "floor"), [("full", 0.93), ("acc", 0.9)])
def test_shipped_metrics_reproduce_on_the_official_test_split(variant, floor):
    from core.har.data import load_split

    test = load_split("test")
    model = load_model("har", variant=variant, backend="onnx")
    accuracy = float(np.mean(model.predict_windows(test["X"], wearers=test["subject"]).argmax(axis=1) == test["y"]))
    assert len(test["y"]) == model.metrics["test"]["n"] == 2947
    assert accuracy == pytest.approx(model.metrics["test"]["accuracy"], abs=1e-3)
    assert accuracy >= floor


@needs_data("sp_sw_har")
@needs_data("oxford_step_counter", "validation")
def test_shipped_placement_metrics_reproduce_on_the_test_people():
    from core.predictor import load_predictor
    from training.har_placement import evaluate_placement

    model = load_predictor(TASK.predictor, TASK.checkpoint("placement"))
    shipped = model.metrics["test"]
    figures = evaluate_placement(model)
    for name in ("pocket_walking_vs_seated_accuracy", "pocket_placement_rate", "oxford_placement_accuracy"):
        assert figures[name] == pytest.approx(shipped[name], abs=1e-6), name
    assert figures["oxford"] == shipped["oxford"] and figures["steps"] == shipped["steps"]
    assert figures["pocket_placement_rate"] >= 0.95 and figures["oxford_placement_accuracy"] >= 0.8
    assert min(row["walking_recall"] for row in figures["oxford"].values()) >= 0.95
