"""The ECG anomaly Space (spaces/ecg_anomaly/app.py): scores, the beat selector and bad input as one sentence."""

from __future__ import annotations

import gradio as gr
import pytest

from core import get_task
from core.space import load_space, upload_of

TASK = get_task("ecg_anomaly")


def silent(fraction, desc=""):
    pass


@pytest.fixture(scope="module")
def app():
    return load_space("ecg_anomaly")


@pytest.mark.parametrize("method", list(TASK.checkpoints))
def test_score_marks_beats_and_selects_the_highest_scoring_one(app, method):
    files = [str(path) for path in upload_of(TASK.example("mitdb_200_60s.hea"))]
    plot, summary, table, result, slider, beat_plot = app.score(files, None, method, progress=silent)
    n = len(result.scores)
    assert summary == f"**{result.summary()}**" and summary.startswith(f"**{n} beats in lead MLII")
    assert len(table) == n and table["anomalous"].sum() == result.anomalous.sum()
    assert slider.maximum == n and slider.value == table["score"].idxmax() + 1
    assert plot.layout.shapes[0].y0 == pytest.approx(result.threshold)
    assert f"score {result.scores.max():.2f}" in beat_plot.layout.title.text
    other = app.show_beat(result, 1)
    assert other.layout.title.text.startswith("Beat 1 at")


def test_bad_input_is_one_sentence(app, tmp_path):
    with pytest.raises(gr.Error, match="Score an ECG first"):
        app.show_beat(None, 1)
    with pytest.raises(gr.Error, match="No file was uploaded"):
        app.score(None, None, "ae", progress=silent)
    rows = tmp_path / "rows.csv"
    rows.write_text("\n".join(",".join(["0.5"] * 187 + ["0"]) for _ in range(3)) + "\n")
    with pytest.raises(gr.Error, match="pre-cut beat rows"):
        app.score([str(rows)], None, "ae", progress=silent)
