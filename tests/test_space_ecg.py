"""The ECG Space (spaces/ecg/app.py) through gradio_client: a WFDB upload, and bad input as one sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import load_model
from tests.test_ecg_task import EXAMPLES, bad_inputs


def test_space_answers_and_reports_bad_input(space_client, tmp_path):
    from gradio_client import handle_file

    client = space_client("ecg")
    header = EXAMPLES["mitdb_119_60s.hea"]
    plot, summary, counts, table, files, rhythm, scoring = client.predict(
        [handle_file(str(header)), handle_file(str(header.with_suffix(".dat")))], None, api_name="/classify"
    )
    assert summary.startswith("**") and "beats in lead MLII" in summary
    assert [row[0] for row in counts["data"]] == list(load_model("ecg", backend="onnx").labels)  # the served classes
    assert len(table["data"]) == sum(row[2] for row in counts["data"])
    assert [Path(f).suffix for f in files][:2] == [".json", ".csv"]
    assert len(json.loads(Path(files[0]).read_text())["beats"]) == len(table["data"])
    for case, files, fs, message in bad_inputs(tmp_path):
        if case == "file over the size limit":
            continue  # refused by the server's upload limit before the app runs; covered by the library and CLI
        with pytest.raises(Exception, match=message):
            client.predict([handle_file(str(f)) for f in files], fs, api_name="/classify")
    # the server still answers a good request after the bad ones
    assert "beats" in client.predict([handle_file(str(EXAMPLES["mitdb_100_20s.csv"]))], None, api_name="/classify")[1]


def test_space_scores_an_uploaded_annotation_file_on_the_lead_chosen(space_client):
    from gradio_client import handle_file

    from tests.conftest import FIXTURES

    client = space_client("ecg")
    upload = [handle_file(str(FIXTURES / f"mitdb100_10s.{ext}")) for ext in ("hea", "dat", "atr")]
    plot, summary, counts, table, files, rhythm, scoring = client.predict(upload, None, "MLII", api_name="/classify")
    assert "the lead asked for" in summary and "Against mitdb100_10s.atr: 13 of 13 reference beats found" in summary
    assert [row[0] for row in scoring["data"]][-1] == "-" and table["headers"][-1] == "reference"
    assert sum(sum(row[1:-2]) for row in scoring["data"]) == 13
    assert rhythm["headers"] == ["kind", "class", "start_s", "end_s", "duration_s", "beats", "rate_bpm"]


def test_lead_dropdown_lists_the_uploads_leads(tmp_path):
    import shutil

    from core.space import load_space

    space = load_space("ecg")
    header = EXAMPLES["mitdb_119_60s.hea"]
    dropdown = space.leads_of([str(header), str(header.with_suffix(".dat"))], None)
    assert [value for _, value in dropdown.choices] == ["automatic", "MLII", "V1"] and dropdown.value == "automatic"
    lone = shutil.copy(header, tmp_path)
    broken = space.leads_of([lone], None)  # no .dat: the run will say so; the choice stays automatic
    assert [value for _, value in broken.choices] == ["automatic"]
