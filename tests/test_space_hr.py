"""The shipped heart-rate model through the CLI (`python -m core predict hr ... --json`) and the Space
(gradio_client)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import load_model
from core.__main__ import main
from core.downloads import plotly_script
from core.hr.pipeline import predict
from core.readers.workouts import read_workout
from tests.conftest import FIXTURES
from training.hr_examples import write_gpx


def test_cli_prints_every_step_and_the_mae(capsys):
    assert main(["predict", "hr", str(FIXTURES / "hr_run.tcx"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["task"] == "hr" and len(out["samples"]) == 91
    first = out["samples"][0]
    assert first["time_s"] == 0.0 and first["hr_true"] == 112.0 and 40 < first["hr_pred"] < 220
    known = [s for s in out["samples"] if s["hr_true"] is not None]
    assert out["mae"] == pytest.approx(np.mean([abs(s["hr_pred"] - s["hr_true"]) for s in known]), abs=0.06)


def test_cli_options_personalise(capsys):
    assert (
        main(
            [
                "predict",
                "hr",
                str(FIXTURES / "hr_run.gpx"),
                "--json",
                "--option",
                "resting_hr=45",
                "--option",
                "max_hr=200",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert "45-200 bpm" in out["personalisation"] and out["mae_before_personalisation"] is not None


def test_cli_bad_input_exits_2_with_one_sentence(tmp_path, capsys):
    short = write_gpx(
        tmp_path / "short.gpx", 1_600_000_000 + np.arange(30.0), np.full(30, 46.0), 7 + np.arange(30) * 3e-5
    )
    assert main(["predict", "hr", str(short)]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: The run 'short' has 30 samples, fewer than the 60 needed; upload a longer recording."
    )
    other = tmp_path / "run.kml"
    other.write_text("<kml/>")
    assert main(["predict", "hr", str(other)]) == 2
    assert "upload a GPX (.gpx), TCX (.tcx), FIT (.fit)" in capsys.readouterr().err


def test_torch_and_onnx_agree_on_a_real_run():
    recording = read_workout(FIXTURES / "hr_run.fit")
    torch_result = predict(load_model("hr"), recording)
    onnx_result = predict(load_model("hr", backend="onnx"), recording)
    np.testing.assert_allclose(torch_result.hr_pred, onnx_result.hr_pred, atol=1e-3)


def test_space_predicts_an_uploaded_run(space_client):
    from gradio_client import handle_file

    client = space_client("hr")
    summary, plot, replay, table, files = client.predict(
        handle_file(str(FIXTURES / "hr_run.gpx")), 0, None, None, None, api_name="/predict"
    )
    assert (
        summary.startswith("**8 min run, predicted heart rate mean")
        and "MAE against the recorded heart rate" in summary
    )
    assert len(table["data"]) == 91 and table["headers"] == ["time_s", "speed_kmh", "altitude_m", "hr_pred", "hr_true"]
    assert [Path(f).name for f in files] == ["hr_run.json", "hr_run.csv", "hr_run.html", "hr_run_replay.html"]
    replay_page = Path(files[3]).read_text()
    assert plotly_script() in replay_page and "Plotly.addFrames" in replay_page and "Plotly.animate" in replay_page
    assert "80 % band" in summary and "a profile or a calibration narrows it" in summary
    assert list(pd.read_csv(files[1]).columns) == table["headers"] and len(pd.read_csv(files[1])) == 91


def test_space_shows_bad_input_as_one_sentence(space_client, tmp_path):
    from gradio_client import handle_file

    broken = tmp_path / "broken.gpx"
    broken.write_text("not a run")
    with pytest.raises(Exception, match="'broken.gpx' is not a valid GPX file .*; export the run again as GPX 1.1."):
        space_client("hr").predict(handle_file(str(broken)), 0, None, None, None, api_name="/predict")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a run")
    with pytest.raises(Exception, match=r"Invalid file type.*'\.gpx', '\.tcx', '\.fit'"):
        space_client("hr").predict(handle_file(str(notes)), 0, None, None, None, api_name="/predict")


def test_every_space_example_runs_and_the_calibrated_one_says_so(space_client):
    from gradio_client import handle_file

    from core.space import load_space

    space = load_space("hr")
    assert len(set(space.EXAMPLE_LABELS)) == len(space.EXAMPLES), "two examples would look the same in the table"
    for (path, minutes), label in zip(space.EXAMPLES, space.EXAMPLE_LABELS):
        summary, *_ = space_client("hr").predict(handle_file(path), minutes, None, None, None, api_name="/predict")
        has_hr = "no_hr" not in path
        served_calibrated = "Calibrated on minutes 5-10" in summary and "(lstm-cal)" in summary  # its own model
        assert served_calibrated == (minutes > 0 and has_hr), label
        assert ("Not calibrated: minutes 8-10 hold no recorded heart rate." in summary) == (minutes > 0 and not has_hr)


def test_cli_profile_fits_earlier_runs_and_predict_uses_it(tmp_path, capsys):
    runs = [str(FIXTURES / "hr_run.gpx"), str(FIXTURES / "hr_run.tcx")]
    assert main(["profile", "hr", *runs]) == 0
    profile = json.loads(capsys.readouterr().out)
    assert profile["task"] == "hr" and profile["recorded_steps"] == 182 and profile["runs"] == ["hr_run", "hr_run"]
    assert profile["fit_mae_after"] < profile["fit_mae_before"]
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile))
    assert main(["predict", "hr", runs[0], "--json", "--option", f"profile={path}"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["personalisation"].startswith(f"Runner profile applied: level {profile['level_bpm']:+.1f} bpm")
    assert (
        out["band"]["basis"] == "unseen runners with a profile" and out["band"]["low_bpm"] < 0 < out["band"]["high_bpm"]
    )
    assert main(["profile", "hr", str(FIXTURES / "hr_run_nohr.gpx")]) == 2
    assert "fewer than the 12 (one minute) needed" in capsys.readouterr().err
    assert main(["profile", "ecg", runs[0]]) == 2
    assert capsys.readouterr().err.strip() == "error: Task 'ecg' has no personal profile; tasks with one: ['hr']."


def test_space_fits_a_profile_and_predicts_with_it(space_client):
    from gradio_client import handle_file

    client = space_client("hr")
    runs = [handle_file(str(FIXTURES / "hr_run.gpx")), handle_file(str(FIXTURES / "hr_run.tcx"))]
    summary, download, profile = client.predict(runs, api_name="/fit_profile")
    saved = json.loads(Path(download).read_text())
    assert summary.startswith("**Profile from 2 run(s), 182 steps with heart rate: level ") and saved["task"] == "hr"
    result, *_ = client.predict(
        handle_file(str(FIXTURES / "hr_run_nohr.gpx")), 0, handle_file(download), None, None, api_name="/predict"
    )
    assert f"Runner profile applied: level {saved['level_bpm']:+.1f} bpm" in result
    assert "(unseen runners with a profile)" in result
