"""The three modes end to end on the shipped fixtures, the CLI's JSON, and every bad-input message."""

import json
from functools import cache

import numpy as np
import pytest

from core import get_task
from core.__main__ import main as cli
from core.errors import InputError, NoBreathsFoundError, SignalTooShortError, TimestampError
from core.readers import Recording
from core.readers.series import BeatSeries, ValueSeries
from core.respiration.apnea import apnea_inputs, apnea_model_inputs, apnea_windows
from core.respiration.model import ApneaNet
from core.respiration.pipeline import predict, read_respiration
from tests.conftest import FIXTURES

TASK = get_task("respiration")
WAVEFORM = FIXTURES / "respiration_bidmc01_40s.csv"
BEATS = FIXTURES / "respiration_a03_10min.csv"
SERIES = FIXTURES / "respiration_nab_ec2_300.csv"


@pytest.fixture(scope="module")
def load():
    """variant -> its shipped ONNX model, loaded once."""
    from core import load_model

    return cache(lambda variant: load_model("respiration", variant=variant, backend="onnx"))


def test_reader_tells_the_three_inputs_apart():
    assert isinstance(read_respiration(WAVEFORM), Recording)
    beats = read_respiration(BEATS)
    assert isinstance(beats, BeatSeries) and np.all(np.diff(beats.beat_times) > 0)
    series = read_respiration(SERIES)
    assert isinstance(series, ValueSeries) and len(series.values) == 300
    assert series.timestamps[0] == "2014-03-07 03:41:00"


def test_waveform_mode_finds_the_breaths_of_bidmc(load):
    result = TASK.run(read_respiration(WAVEFORM), load)
    assert result.mode == "waveform"
    # annotator 1 of BIDMC record 01 marks these 16 breaths in the first 40 s
    annotated = [
        1.512,
        3.808,
        5.896,
        8.296,
        10.592,
        13.168,
        16.432,
        18.8,
        21.024,
        23.392,
        25.76,
        28.224,
        30.784,
        33.528,
        36.136,
        39.064,
    ]
    assert len(result.breath_times_s) == 16
    np.testing.assert_allclose(result.breath_times_s, annotated, atol=0.5)
    assert result.pauses == []
    assert len(result.score) == pytest.approx(40 * 4, abs=2)


def test_rr_mode_scores_every_minute(load):
    result = TASK.run(read_respiration(BEATS), load)
    assert result.mode == "rr" and result.start_minute == 180
    assert len(result.probability) == 9  # 10 minutes of beats starting just after minute 180: 9 whole minutes
    assert np.all((result.probability >= 0) & (result.probability <= 1))
    assert 40 <= result.features[0]["heart_rate_bpm"] <= 120


def test_series_mode_threshold_changes_the_flags(load):
    series = read_respiration(SERIES)
    low = TASK.run(series, load, threshold="0")
    assert low.flags.all() and low.flagged == [("2014-03-07 03:41:00", str(series.timestamps[-1]))]
    high = TASK.run(series, load, threshold=1e9)
    assert not high.flags.any() and high.flagged == []


def test_predict_uses_the_model_it_is_given_and_names_the_variant_to_load(load):
    refusal = r"^This is a 'rr' input, which the 'apnea' variant reads; load that variant\.$"
    with pytest.raises(InputError, match=refusal):
        predict(load("series"), read_respiration(BEATS))
    with pytest.raises(InputError, match="which the 'waveform' variant reads"):
        predict(load("apnea"), read_respiration(WAVEFORM))
    with pytest.raises(InputError, match="which the 'series' variant reads"):
        predict(None, read_respiration(SERIES))
    with pytest.raises(InputError, match="companion of the 'rr' mode is the 'apnea-vae' variant"):
        predict(load("apnea"), read_respiration(BEATS), vae=load("series"))


def test_rr_mode_without_the_vae_lstm_has_no_anomaly_score(load):
    beats = read_respiration(BEATS)
    alone, both = predict(load("apnea"), beats), predict(load("apnea"), beats, vae=load("apnea-vae"))
    np.testing.assert_array_equal(alone.probability, both.probability)
    assert alone.vae_score is None and len(both.vae_score) == 9
    alone_json, both_json = alone.to_json(), both.to_json()
    assert "vae_lstm_threshold" not in alone_json and both_json["vae_lstm_threshold"] == load("apnea-vae").threshold
    assert "vae_lstm_score" not in alone_json["per_minute"][0] and "vae_lstm_flag" in both_json["per_minute"][0]


def test_cli_prints_json_for_each_mode(capsys):
    for path, mode in ((WAVEFORM, "waveform"), (BEATS, "rr"), (SERIES, "series")):
        assert cli(["predict", "respiration", str(path), "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["task"] == "respiration" and out["mode"] == mode
    assert cli(["predict", "respiration", str(SERIES), "--json", "--option", "threshold=0.5"]) == 0
    assert json.loads(capsys.readouterr().out)["threshold"] == 0.5


def test_cli_bad_mode_exits_2(capsys):
    assert cli(["predict", "respiration", str(SERIES), "--option", "mode=waveform"]) == 2
    assert "holds a series input" in capsys.readouterr().err


# bad input -------------------------------------------------------------------------------------------------------


def test_flat_waveform(tmp_path, load):
    path = tmp_path / "flat.csv"
    path.write_text("# fs=25\nRESP\n" + "0.5\n" * 1000)
    with pytest.raises(NoBreathsFoundError, match="flat"):
        TASK.run(read_respiration(path), load)


def test_noise_waveform(tmp_path, load):
    path = tmp_path / "noise.csv"
    noise = np.random.default_rng(0).standard_normal(125 * 60)
    path.write_text("# fs=125\nRESP\n" + "\n".join(f"{v:.4f}" for v in noise))
    with pytest.raises(NoBreathsFoundError, match="noise"):
        TASK.run(read_respiration(path), load)


def test_rr_outside_range_dropped_with_a_count(tmp_path, load):
    beats = read_respiration(BEATS)
    rr = beats.rr.copy()
    rr[[5, 50, 100]] = [0.1, 3.5, 5.0]
    path = tmp_path / "rr.csv"
    path.write_text("rr_s\n" + "\n".join(f"{v:.3f}" for v in rr))
    result = TASK.run(read_respiration(path), load)
    assert result.dropped_rr == 3 and result.total_rr == len(rr)
    assert "3 of" in result.summary() and "dropped" in result.summary()


def test_rr_in_milliseconds_under_a_seconds_name(tmp_path, load):
    path = tmp_path / "rr.csv"
    path.write_text("rr\n" + "\n".join(["800", "820", "790"] * 200))
    with pytest.raises(InputError, match="rr_ms"):
        TASK.run(read_respiration(path), load)


def test_too_few_minutes(tmp_path, load):
    path = tmp_path / "short.csv"
    path.write_text("beat_time_s\n" + "\n".join(f"{0.8 * i:.2f}" for i in range(300)))  # 4 minutes
    with pytest.raises(SignalTooShortError, match="at least 5"):
        TASK.run(read_respiration(path), load)


def test_non_numeric_value(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("beat_time_s\n0.8\n1.6\nabc\n2.4\n")
    with pytest.raises(InputError, match="non-numeric value 'abc'"):
        read_respiration(path)


def test_unparseable_timestamps(tmp_path):
    path = tmp_path / "series.csv"
    path.write_text("timestamp,value\n2014-03-07 03:41:00,1.0\nyesterday noon,2.0\n")
    with pytest.raises(TimestampError, match="'yesterday noon' in row 3"):
        read_respiration(path)


def test_wfdb_record_with_a_resp_channel_is_a_waveform(load):
    header = TASK.checkpoint().parent.parent / "spaces" / "respiration" / "examples" / "bidmc01_resp_2min_wfdb.hea"
    result = TASK.run(read_respiration(header), load)
    assert result.mode == "waveform" and result.channel == "RESP" and result.fs == 125.0
    assert 19 <= np.median(result.rate_per_min) <= 24  # BIDMC 01 breathes about 21 times a minute


def test_ecg_record_gives_beats_for_the_rr_mode(load):
    header = TASK.checkpoint().parent.parent / "spaces" / "respiration" / "examples" / "mitdb_100_6min_ecg.hea"
    result = TASK.run(read_respiration(header), load)
    assert result.mode == "rr" and result.source == "ecg" and len(result.probability) == 5
    # MIT-BIH record 100 is sinus rhythm at about 75 bpm
    assert all(65 <= row["heart_rate_bpm"] <= 85 for row in result.features)


def test_ecg_lead_with_invalid_samples_says_so_in_rr_mode(load):
    header = TASK.checkpoint().parent.parent / "spaces" / "respiration" / "examples" / "mitdb_100_6min_ecg.hea"
    recording = read_respiration(header)
    signal = recording.signal.copy()
    signal[1000:1010, 0] = np.nan
    broken = Recording(signal=signal, fs=recording.fs, channels=recording.channels, name=recording.name)
    with pytest.raises(InputError, match=r"^The ECG lead 'MLII' has 10 invalid \(NaN or infinite\) samples, so its"):
        TASK.run(broken, load, mode="rr")


def test_apnea_model_inputs_follow_the_model_context_and_night_median():
    inputs = apnea_inputs(read_respiration(BEATS))
    five = apnea_windows(inputs, length=600)
    nine = apnea_windows(inputs, length=1080)
    assert five.shape == (inputs["minutes"], 600) and nine.shape == (inputs["minutes"], 1080)
    np.testing.assert_array_equal(nine[:, 240:840], five)  # both centred on the scored minute
    assert len(apnea_model_inputs(ApneaNet(width=4), inputs)) == 1
    windows, night = apnea_model_inputs(ApneaNet(length=1080, width=4, members=2, night_members=1), inputs)
    np.testing.assert_array_equal(windows, nine)
    np.testing.assert_allclose(night, np.median(inputs["rr"]))


def test_apnea_probability_is_a_centred_mean_over_model_smooth_minutes():
    model = ApneaNet(width=4)
    inputs = apnea_inputs(read_respiration(BEATS))
    raw = model.apnea_probability(inputs)
    model.smooth = 3
    smoothed = model.apnea_probability(inputs)
    np.testing.assert_allclose(smoothed[1:-1], (raw[:-2] + raw[1:-1] + raw[2:]) / 3, rtol=1e-5)
    assert smoothed[0] == pytest.approx(raw[:2].mean(), rel=1e-5)  # fewer neighbours at the night's edges
