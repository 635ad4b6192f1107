"""The HAR Space (spaces/har/app.py) through gradio_client: an example, and bad input as one sentence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.test_har_task import STITCHED, TASK, bad_inputs


def test_space_answers_and_reports_bad_input(space_client, tmp_path):
    from gradio_client import handle_file

    client = space_client("har")
    example = next(path for path in TASK.examples if "acc_only" in path.name)
    plot, summary, shares, table, files, bouts = client.predict(
        handle_file(str(example)), "auto", "auto", None, "auto", api_name="/recognise"
    )
    assert summary.startswith("**") and "acc model" in summary and "Placement: waist (inferred, confidence" in summary
    assert sorted(row[0] for row in shares["data"]) == sorted(TASK.labels)
    assert len(table["data"]) == int(summary.strip("*").split(" windows")[0])
    assert [Path(f).suffix for f in files] == [".json", ".csv", ".html"]  # the interactive figure too
    assert bouts["headers"] == ["bout", "start_s", "end_s", "duration_s", "steps", "cadence_per_min"]
    assert len(pd.read_csv(files[1])) == len(table["data"])
    for case, path, message in bad_inputs(tmp_path):
        with pytest.raises(Exception, match=message):
            client.predict(handle_file(path), "auto", "auto", None, "auto", api_name="/recognise")
    assert (
        "full model"
        in client.predict(handle_file(str(STITCHED)), "auto", "auto", None, "auto", api_name="/recognise")[1]
    )
    stated = client.predict(handle_file(str(STITCHED)), "auto", "auto", None, "bag", api_name="/recognise")[1]
    assert "Placement: bag or other (stated)." in stated and "Still is one class (sitting, standing or lying)" in stated
