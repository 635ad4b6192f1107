"""The ECG result as a person sees it (core/ecg/render.py): Plotly strip, close-up and heart rate, and the tables."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.ecg.pipeline import ECGResult
from core.ecg.render import beats_frame, minmax_decimate, plot_result, rhythm_frame, scoring_frame
from core.ecg.scoring import ecg_score

LABELS = ("N", "S", "V", "F")


def result_of(labels: str, *, fs: float = 250.0, period_s: float = 0.8, scored: bool = False) -> ECGResult:
    """Spikes at each beat of a synthetic lead, labelled `labels`."""
    times = 0.5 + np.arange(len(labels)) * period_s
    lead = np.zeros(int((times[-1] + 0.5) * fs))
    lead[np.round(times * fs).astype(int)] = 1.0
    probabilities = np.eye(len(LABELS))[[LABELS.index(c) for c in labels]] * 0.9 + 0.025
    result = ECGResult(fs=fs, times_s=times, probabilities=probabilities, labels=LABELS, lead=lead, lead_name="I")
    if scored:  # the reference calls beat 3 S and has no beat 5
        reference = np.array(list(labels), dtype=object)
        reference[2] = "S"
        keep = np.arange(len(labels)) != 4
        scoring = ecg_score(times[keep], reference[keep], times, list(labels), LABELS, source="r.atr")
        result = replace(result, scoring=scoring)
    return result


def test_minmax_decimation_keeps_every_peak_of_a_long_record():
    fs = 360.0
    lead = np.zeros(int(30 * 60 * fs))
    beats = np.arange(100, len(lead), 300)
    lead[beats] = 1.0
    lead[beats + 20] = -0.4
    index = minmax_decimate(lead)
    assert len(index) <= 4000 and np.all(np.diff(index) > 0)
    assert lead[index].max() == 1.0 and lead[index].min() == -0.4
    assert np.array_equal(minmax_decimate(lead[:3000]), np.arange(3000))


def test_plot_is_plotly_with_beats_disagreements_and_heart_rate():
    result = result_of("NNVVNNNSNN" * 3, scored=True)
    fig = plot_result(result)
    names = [trace.name for trace in fig.data]
    assert "V ventricular ectopic" in names and "disagrees with the reference" in names
    circled = next(trace for trace in fig.data if trace.name == "disagrees with the reference")
    np.testing.assert_allclose(circled.x, [2.1, 3.7])  # beat 3 (reference S, predicted V) and the extra beat 5
    assert list(circled.text) == ["reference S, predicted V", "extra beat: predicted N, no reference beat"]
    assert "circled: 2 beats" in fig.layout.annotations[0].text
    assert any(trace.name == "V runs, bigeminy, trigeminy" for trace in fig.data)  # the three V couplets shaded
    rate = next(trace for trace in fig.data if trace.name.startswith("heart rate"))
    np.testing.assert_allclose(rate.y, [75.0, 75.0, 75.0], rtol=1e-6)


def test_long_record_plot_stays_light():
    result = result_of("N" * 2000, fs=360.0, period_s=0.9)
    fig = plot_result(result)
    assert max(len(trace.x) for trace in fig.data if trace.mode == "lines") <= 4000
    markers = next(trace for trace in fig.data if trace.name == "N normal")
    assert len(markers.x) == 2000  # every beat of a 30-minute record is marked
    many = plot_result(result_of("N" * 9000, fs=125.0, period_s=0.4))  # an hour of tachycardia
    assert len(next(trace for trace in many.data if trace.name == "N normal").x) == 4000
    assert len(many.to_json()) < 1_000_000
    assert len(fig.to_json()) < 1_000_000


def test_tables_carry_reference_rhythm_and_confusion():
    result = result_of("NNVVNNNSNN", scored=True)
    beats = beats_frame(result)
    assert beats["reference"].tolist() == ["N", "N", "S", "V", "-", "N", "N", "S", "N", "N"]
    rhythm = rhythm_frame(result)
    assert rhythm[["kind", "class", "beats"]].values.tolist() == [["couplet", "V", 2]]
    table = scoring_frame(result)
    assert table.columns.tolist()[:2] == ["reference", "predicted N"] and table["reference"].tolist()[-1] == "-"
    row_s = table[table["reference"] == "S"].iloc[0]
    assert (row_s["predicted V"], row_s["predicted S"], row_s["Se"]) == (1, 1, 0.5)
    assert scoring_frame(result_of("NNNN")).empty and "reference" not in beats_frame(result_of("NNNN"))
