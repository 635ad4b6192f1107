"""The series view smooths over time, never flags before a cause, and every respiration input is bounded."""

import numpy as np
import pandas as pd
import pytest

from core.errors import FileTooLargeError, InputError
from core.readers.series import ValueSeries, read_beats, read_series
from core.respiration.apnea import MAX_NIGHT_S, check_night
from core.respiration.series import predict_series, series_step_s


def test_step_of_datetimes_and_seconds():
    assert series_step_s(np.array(["2024-01-01 00:00:00", "2024-01-01 01:00:00", "2024-01-01 02:00:00"])) == 3600.0
    assert series_step_s(np.array([0.0, 300.0, 600.0])) == 300.0
    assert series_step_s(np.array([5.0])) is None


def test_hourly_spike_is_flagged_from_its_start_for_about_a_day():
    """A 10-hour spike in an hourly series: smoothing spans one day (288 x 5 min), not 288 hours, and trails."""
    from core import load_model

    model = load_model("respiration", variant="series", backend="onnx")
    stamps = pd.date_range("2024-01-01", periods=60 * 24, freq="h")
    values = 10 + np.sin(2 * np.pi * np.arange(len(stamps)) / 24) + 0.2 * np.random.default_rng(0).standard_normal(1440)
    values[40 * 24 : 40 * 24 + 10] += 8
    result = predict_series(model, ValueSeries(values, stamps.strftime("%Y-%m-%d %H:%M:%S").to_numpy(), "hourly"))
    assert result.smooth_s == 86400.0 and result.to_json()["smoothing_s"] == 86400.0
    assert result.flagged and result.flagged[0][0] == "2024-02-10 00:00:00"  # the spike's first hour
    flagged_hours = np.flatnonzero(result.flags)
    assert flagged_hours.min() >= 40 * 24 and flagged_hours.max() < 43 * 24


def test_series_and_beats_longer_than_their_limit_are_refused_before_scoring(tmp_path, monkeypatch):
    import core.readers.series as series

    monkeypatch.setattr(series, "MAX_SERIES_POINTS", 100)
    monkeypatch.setattr(series, "MAX_BEATS", 100)
    path = tmp_path / "long.csv"
    path.write_text("timestamp,value\n" + "".join(f"{i},{i % 7}\n" for i in range(101)))
    with pytest.raises(FileTooLargeError, match="over 100 rows, the limit"):
        read_series(path)
    path.write_text("rr_s\n" + "0.8\n" * 101)
    with pytest.raises(FileTooLargeError, match="over 100 rows, the limit"):
        read_beats(path)
    check_night(MAX_NIGHT_S)
    with pytest.raises(InputError, match="spans 30.0 h, over the 26 h limit"):
        check_night(30 * 3600.0)


def test_waveform_longer_than_its_limit_is_refused_before_analysis(monkeypatch):
    import core.respiration.waveform as waveform

    monkeypatch.setattr(waveform, "MAX_WAVEFORM_S", 60.0)
    with pytest.raises(InputError, match="h long, over the .* h limit of one request"):
        waveform.predict_waveform(None, np.zeros(61 * 25), 25.0)
