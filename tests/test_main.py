"""The command line: option parsing, one-sentence refusals with status 2, strict JSON, and messy CSV uploads."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

import pytest

from core import get_task, list_tasks
from core.__main__ import main as cli
from core.__main__ import parse_options
from core.errors import InputError
from tests.conftest import FIXTURES

SERIES = FIXTURES / "respiration_nab_ec2_300.csv"
RESP_EXAMPLE = get_task("respiration").example("bidmc01_resp_2min.csv")


def strict_json(text: str):
    """`text` parsed as JSON that has no NaN or Infinity (which `json.loads` accepts by default)."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_option_values_that_look_like_numbers_become_numbers():
    options = parse_options(["n=3", "threshold=0.5", "small=1e-3", "lead=MLII", "empty="])
    assert options == {"n": 3, "threshold": 0.5, "small": 0.001, "lead": "MLII", "empty": ""}
    assert type(options["n"]) is int and type(options["threshold"]) is float


def test_options_are_checked_against_the_tasks_predict_keywords():
    assert parse_options(["threshold=0.5", "mode=series"], get_task("respiration")) == {
        "threshold": 0.5,
        "mode": "series",
    }
    assert parse_options(["lead=1"], get_task("ecg")) == {"lead": "1"}  # annotated str: a lead called "1" stays text
    assert parse_options(["resting_hr=55"], get_task("hr")) == {"resting_hr": 55}
    keywords, catch_all = get_task("respiration").predict_options()
    # vae= and progress= are passed by Task.run, not by the user
    assert list(keywords) == ["mode", "threshold", "lead"] and not catch_all
    with pytest.raises(InputError, match="no option 'vae'; the options it takes are: mode, threshold, lead"):
        parse_options(["vae=1"], get_task("respiration"))


def test_a_catch_all_predict_takes_any_option_name():
    toy = replace(get_task("ecg"), name="toy", predict=lambda model, data, *, progress=None, **options: None)
    assert parse_options(["anything=2", "other=x"], toy) == {"anything": 2, "other": "x"}
    with pytest.raises(InputError, match="no option 'progress'"):
        parse_options(["progress=1"], toy)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["respiration", str(SERIES), "--option", "bogus=1"],
            "error: Task 'respiration' has no option 'bogus'; the options it takes are: mode, threshold, lead.",
        ),
        (
            ["ecg", str(FIXTURES / "mitdb100_10s.hea"), "--mode", "rr"],
            "error: Task 'ecg' has no option 'mode'; the options it takes are: lead.",
        ),
        (
            ["respiration", str(SERIES), "--option", "threshold=nan"],
            "error: Option threshold=nan is not a finite number; give a finite number instead.",
        ),
        (
            ["respiration", str(SERIES), "--option", "threshold=-inf"],
            "error: Option threshold=-inf is not a finite number; give a finite number instead.",
        ),
        (
            ["respiration", str(SERIES), "--option", "threshold=high"],
            "error: Option threshold='high' is not a number; give a number such as threshold=0.5.",
        ),
        (
            ["hr", str(FIXTURES / "hr_run.tcx"), "--option", "max_hr=inf"],
            "error: Option max_hr=inf is not a finite number; give a finite number instead.",
        ),
        (
            ["respiration", str(SERIES), "--option", "threshold"],
            "error: Option 'threshold' is not KEY=VALUE; write it like --option lead=MLII.",
        ),
    ],
)
def test_bad_options_are_one_sentence_and_status_2(capsys, argv, message):
    assert cli(["predict", *argv, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == message + "\n"


def test_mode_and_numeric_threshold_reach_predict(capsys):
    assert cli(["predict", "respiration", str(SERIES), "--json", "--mode", "series", "--option", "threshold=0.5"]) == 0
    out = strict_json(capsys.readouterr().out)
    assert out["mode"] == "series" and out["threshold"] == 0.5 and out["points"] == 300


@pytest.mark.parametrize("task", list_tasks())
def test_json_output_is_strict_json(capsys, task):
    example = get_task(task).examples[0]
    assert cli(["predict", task, str(example), "--json"]) == 0
    out = strict_json(capsys.readouterr().out)
    assert out["task"] == task


def test_json_output_refuses_nan_instead_of_writing_it(monkeypatch):
    task = get_task("respiration")
    bad = SimpleNamespace(to_json=lambda: {"task": "respiration", "threshold": float("nan")})
    monkeypatch.setattr(type(task), "run", lambda self, data, load, **options: bad)
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        cli(["predict", "respiration", str(SERIES), "--json"])


def european(text: str, *, sep: str | None) -> str:
    """`text` (a '# ...' line, a header line, one value per line) as a spreadsheet in a decimal-comma locale writes it:
    decimal commas, and with `sep` a time column before the values."""
    comment, header, *values = text.splitlines()
    if sep is None:
        return "\n".join([comment, header, *(value.replace(".", ",") for value in values)]) + "\n"
    rows = [f"{i / 125:.3f}{sep}{value}".replace(".", ",") for i, value in enumerate(values)]
    return "\n".join([f"time{sep}{header}", *rows]) + "\n"


@pytest.mark.parametrize("sep", [None, ";", "\t"])
def test_respiration_example_in_decimal_commas_gives_the_same_summary(tmp_path, capsys, sep):
    assert cli(["predict", "respiration", str(RESP_EXAMPLE)]) == 0
    expected = capsys.readouterr().out
    assert expected.startswith("45 breaths in 120 s, median rate 22.0/min")
    path = tmp_path / "bidmc01_resp_2min_european.csv"
    path.write_text(european(RESP_EXAMPLE.read_text(), sep=sep))
    assert "0,3539" in path.read_text()
    assert cli(["predict", "respiration", str(path)]) == 0
    assert capsys.readouterr().out == expected
