"""The respiration Space's three endpoints answer through gradio_client, and bad input comes back as one sentence."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from gradio_client import handle_file

from core import load_model
from core.respiration.pipeline import predict, read_respiration
from tests.conftest import FIXTURES


def test_waveform_endpoint(space_client):
    client = space_client("respiration")
    plot, summary, table, files, events = client.predict(
        [handle_file(str(FIXTURES / "respiration_bidmc01_40s.csv"))], None, api_name="/waveform"
    )
    assert events["headers"] == ["kind", "start_s", "duration_s", "severity", "detail"] and events["data"] == []
    assert "breaths in 40 s" in summary and "0 pauses" in summary
    assert 12 <= len(table["data"]) <= 16
    assert [Path(f).name for f in files][:2] == ["respiration_bidmc01_40s.json", "respiration_bidmc01_40s.csv"]
    assert len(pd.read_csv(files[1])) == len(table["data"])


def test_rr_endpoint(space_client):
    client = space_client("respiration")
    plot, summary, table, files = client.predict(
        [handle_file(str(FIXTURES / "respiration_a03_10min.csv"))], None, api_name="/rr"
    )
    assert "of 9 minutes flagged as apnea" in summary
    assert [row[table["headers"].index("minute")] for row in table["data"]] == list(range(180, 189))


def test_series_endpoint_follows_the_threshold(space_client):
    client = space_client("respiration")
    path = FIXTURES / "respiration_nab_ec2_300.csv"
    _, summary, _, _ = client.predict([handle_file(str(path))], 0.0, api_name="/series")
    assert "300 points, 300 at or over threshold 0" in summary
    model = load_model("respiration", variant="series", backend="onnx")
    threshold = round(float(np.median(predict(model, read_respiration(path)).score)), 2)  # flags about half the points
    _, summary, table, files = client.predict([handle_file(str(path))], threshold, api_name="/series")
    expected = predict(model, read_respiration(path), threshold=threshold)
    assert f"{int(expected.flags.sum())} at or over threshold {threshold:.3g}" in summary
    assert 0 < expected.flags.sum() < 300
    assert len(table["data"]) == len(expected.flagged)
    assert json.loads(Path(files[0]).read_text())["flagged"] == json.loads(json.dumps(expected.to_json()))["flagged"]


def test_bad_input_is_one_sentence(space_client, tmp_path):
    client = space_client("respiration")
    bad = tmp_path / "series.csv"
    bad.write_text("timestamp,value\nnot a time,1\n")
    with pytest.raises(Exception, match="unparseable timestamp"):
        client.predict([handle_file(str(bad))], 1.0, api_name="/series")


def test_the_waveform_tab_states_the_irregular_rule_figures_from_the_shipped_metrics():
    import gradio as gr

    from core.space import load_space

    space = load_space("respiration")
    with gr.Blocks() as page:
        space.build()
    text = next(b.value for b in page.blocks.values() if isinstance(b, gr.Markdown) and "Irregular" in str(b.value))
    test = load_model("respiration", variant="waveform").metrics["bidmc_events"]["events"]["test_21_40"]
    assert f"it finds {test['sensitivity']['irregular']:.0%}, with" in text
    assert f"{test['false_events_per_hour_by_kind']['irregular']:.1f} false irregular events per hour" in text
