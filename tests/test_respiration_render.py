"""Respiration figures are interactive Plotly figures that break lines at pauses and gaps and stay light."""

import numpy as np

from core.respiration.render import MAX_TRACE_POINTS, breaths_frame, plot_waveform
from core.respiration.waveform import predict_waveform
from tests.test_respiration_events import FS, breathing, model


def test_waveform_figure_marks_events_and_breaks_the_rate_line():
    result = predict_waveform(model(), breathing(1800.0, pause=(100, 120), gap=(150, 153)), FS)
    figure = plot_waveform(result)
    traces = {trace.name: trace for trace in figure.data}
    assert set(traces) == {"waveform", "breath", "rate", "event score", "VAE-LSTM score"}
    assert len(traces["waveform"].x) <= MAX_TRACE_POINTS and traces["waveform"].x[-1] > 1790  # 45,000 samples thinned
    assert len(traces["breath"].x) == len(result.breath_times_s)
    rate = np.array(traces["rate"].y, dtype=float)
    breaks = np.diff(np.concatenate([[0], np.isnan(rate).astype(int)])) == 1
    assert breaks.sum() == 2  # the line breaks at the pause and across the gap
    assert np.nanmax(rate) < 16 and np.nanmin(rate) > 14
    shaded = sorted((shape.x0, shape.x1) for shape in figure.layout.shapes if shape.type == "rect")
    assert shaded == sorted((e.start_s, e.end_s) for e in result.events)
    assert "pause" in figure.layout.annotations[0].text or "pause" in str(figure.layout.annotations)
    table = breaths_frame(result)
    assert list(table.loc[table["after"] != "", "after"]) == ["pause", "gap"]
    assert table.loc[table["after"] != "", "rate_per_min"].isna().all()
