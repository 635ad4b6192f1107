"""Heart-rate pipeline: grid resampling, bad runs, personalisation and the result JSON."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InputError, SignalTooShortError
from core.hr.model import HRModel
from core.hr.pipeline import CALIBRATION_WEIGHT, GRID_S, personalise, predict, workout_grid
from core.readers.workouts import read_workout, workout_recording
from tests.conftest import FIXTURES
from training.hr_examples import write_tcx


class ConstantModel:
    """Predicts 140 bpm everywhere, so pipeline arithmetic can be checked by hand."""

    population_rest_hr, population_max_hr = 60.0, 190.0

    def predict_run(self, features):
        return np.full(len(features), 140.0)


def steady_run(seconds: int = 300, **kwargs):
    return workout_recording(
        time_s=np.arange(float(seconds)),
        speed_kmh=np.full(seconds, 10.8),
        altitude_m=np.linspace(0, 30, seconds),
        **kwargs,
    )


def test_grid_has_5_s_steps_with_mean_speed_per_step():
    run = workout_grid(steady_run())
    assert len(run.time_s) == 60 and run.time_s[1] - run.time_s[0] == GRID_S
    np.testing.assert_allclose(run.speed_kmh, 10.8, atol=1e-9)
    assert run.features.shape == (60, 14)
    assert run.altitude_m[30] == pytest.approx(30 * 150 / 299, abs=1e-6)


def test_heart_rate_is_not_interpolated_across_a_long_gap():
    hr = np.full(300, 150.0)
    hr[100:160] = np.nan
    run = workout_grid(steady_run(heart_rate=hr))
    missing = np.flatnonzero(np.isnan(run.heart_rate))
    assert missing.min() * GRID_S > 99 + 15 and missing.max() * GRID_S < 160 - 15
    assert np.nanmean(run.heart_rate) == 150.0


def test_single_gps_jump_is_removed_by_the_median():
    time_s = np.arange(0.0, 600.0)
    lon = 7.0 + np.arange(600) * 2.5 / 77_000  # about 9 km/h at latitude 46
    lon[300] += 0.01
    run = workout_grid(workout_recording(time_s=time_s, latitude=np.full(600, 46.0), longitude=lon))
    assert run.speed_kmh.max() < 10.5 and np.median(run.speed_kmh) == pytest.approx(9.0, rel=0.05)


def test_fewer_than_60_samples_is_refused():
    with pytest.raises(SignalTooShortError, match="59 samples, fewer than the 60"):
        workout_grid(steady_run(59))


def test_non_running_sport_warns_and_still_predicts(tmp_path):
    n = 120
    path = write_tcx(
        tmp_path / "ride.tcx",
        1_600_000_000 + np.arange(n) * 5.0,
        heart_rate=np.full(n, 130.0),
        speed_kmh=np.full(n, 25.0),
        sport="Biking",
    )
    result = predict(ConstantModel(), read_workout(path))
    assert "sport is 'biking', not running" in result.summary()
    assert result.to_json()["notes"] == [
        "The file's sport is 'biking', not running; the model was trained on runs, so the prediction may be off.",
        "The file has no altitude; the course is taken as flat.",
    ]
    assert result.mae() == pytest.approx(10.0)


def test_calibration_shifts_by_the_weighted_median_error_after_warm_up_and_scores_after_the_window():
    hr = np.concatenate([np.full(55, 100.0), np.full(65, 150.0), np.full(180, 155.0)])  # the warm-up minute is ignored
    result = predict(ConstantModel(), steady_run(heart_rate=hr), calibration_minutes="2")
    assert CALIBRATION_WEIGHT == 0.75 and result.scored_from_s == 120.0
    assert result.hr_pred[0] == pytest.approx(147.5)  # 140 + 0.75 * median(150 - 140)
    assert result.mae() == pytest.approx(7.5) and result.mae(personalised=False) == pytest.approx(15.0)
    out = result.to_json()
    assert out["mae"] == 7.5 and out["mae_before_personalisation"] == 15.0 and "+7.5 bpm" in out["personalisation"]
    full, _, _ = personalise(
        result.run,
        result.hr_model,
        calibration_minutes=2.0,
        resting_hr=None,
        max_hr=None,
        population_rest=60.0,
        population_max=190.0,
        calibration_weight=1.0,
    )
    assert full[0] == pytest.approx(150.0)


def test_resting_and_max_heart_rate_rescale_the_reserve():
    run = workout_grid(steady_run())
    prediction, said, _ = personalise(
        run,
        np.array([60.0, 125.0, 190.0]),
        calibration_minutes=None,
        resting_hr=50.0,
        max_hr=180.0,
        population_rest=60.0,
        population_max=190.0,
    )
    assert prediction.tolist() == [50.0, 115.0, 180.0] and "50-180 bpm" in said
    with pytest.raises(InputError, match="30 <= resting < max <= 240"):
        personalise(
            run,
            prediction,
            calibration_minutes=None,
            resting_hr=200.0,
            max_hr=180.0,
            population_rest=60.0,
            population_max=190.0,
        )
    with pytest.raises(InputError, match="not a number"):
        predict(ConstantModel(), steady_run(), resting_hr="fast")


def test_json_holds_every_step_with_null_heart_rate_when_unrecorded():
    out = predict(
        HRModel(hidden=4, layers=1, kernel_steps=8).eval(), read_workout(FIXTURES / "hr_run_nohr.gpx")
    ).to_json()
    assert out["task"] == "hr" and out["mae"] is None and len(out["samples"]) == 91
    assert set(out["samples"][0]) == {"time_s", "hr_pred", "hr_true"} and out["samples"][0]["hr_true"] is None
    assert out["samples"][-1]["time_s"] == 450.0


def test_profile_recovers_a_known_level_and_gain_and_is_applied_by_predict(tmp_path):
    from core.hr.pipeline import fit_profile, load_profile, profile_curve

    run = workout_grid(steady_run(600, heart_rate=np.full(600, 150.0)))
    model = 150.0 + 10.0 * np.sin(np.arange(len(run.time_s)) / 7)
    recorded = model + 8.0 + 0.5 * (model - 150.0)
    run = run.__class__(**{**run.__dict__, "heart_rate": recorded})
    profile = fit_profile([(run, model)], hr_mean=150.0, shrinkage=0.0)
    assert profile["level_bpm"] == pytest.approx(8.0) and profile["gain"] == pytest.approx(1.5)
    np.testing.assert_allclose(profile_curve(model, profile), recorded)
    level_only = fit_profile([(run, model)], hr_mean=150.0, shrinkage=np.inf)
    assert level_only["gain"] == 1.0 and level_only["level_bpm"] == pytest.approx(np.mean(recorded - model))
    path = tmp_path / "profile.json"
    path.write_text('{"level_bpm": -12, "gain": 1.0, "hr_mean": 140}')
    result = predict(ConstantModel(), steady_run(), profile=str(path))
    assert result.hr_pred[5] == pytest.approx(128.0) and "level -12.0 bpm" in result.summary()
    assert load_profile({"level_bpm": 3, "gain": 0.9, "hr_mean": 150.0})["gain"] == 0.9


@pytest.mark.parametrize("text", ['{"level_bpm": 500, "gain": 1, "hr_mean": 150}', "not json", '{"gain": "x"}', ""])
def test_a_bad_profile_is_one_sentence(tmp_path, text):
    path = tmp_path / "profile.json"
    path.write_text(text)
    with pytest.raises(
        InputError, match=r"^The runner profile needs numbers .*'python -m core profile hr RUN\.\.\.'\.$"
    ):
        predict(ConstantModel(), steady_run(), profile=str(path))


def test_a_profile_path_that_is_not_a_profile_says_the_same_whether_or_not_it_exists(tmp_path):
    messages = set()
    for path in ("/etc/passwd", "/no/such/file", str(tmp_path)):
        with pytest.raises(InputError) as error:
            predict(ConstantModel(), steady_run(), profile=path)
        messages.add(str(error.value))
    assert len(messages) == 1
    result = predict(ConstantModel(), steady_run(), profile='{"level_bpm": 5, "gain": 1, "hr_mean": 150}')
    assert result.hr_pred[0] == 145.0


def test_band_and_chosen_calibration_come_from_the_checkpoint_settings():
    model = ConstantModel()
    model.metrics = {
        "personalisation": {
            "calibration": {"start_min": 8, "end_min": 10, "weight": 1.0},
            "band": {"uncalibrated": {"low": -20.0, "high": 25.0}, "calibrated": {"low": -5.0, "high": 6.0}},
        }
    }
    hr = np.concatenate([np.full(96, 100.0), np.full(504, 150.0)])  # minutes 8-10 of a 10 s... 600 s run
    plain = predict(model, steady_run(600, heart_rate=hr))
    assert plain.band == (-20.0, 25.0) and plain.to_json()["samples"][0]["band_high"] == 165.0
    assert "80 % band -20 to +25 bpm" in plain.summary() and "a profile or a calibration narrows it" in plain.summary()
    calibrated = predict(model, steady_run(600, heart_rate=hr), calibration_minutes=10)
    assert calibrated.band == (-5.0, 6.0) and "minutes 8-10" in calibrated.personalisation
    assert calibrated.hr_pred[0] == pytest.approx(150.0)  # only minutes 8-10 (all 150) set the level


def test_a_run_that_starts_mid_effort_starts_from_its_recorded_heart_rate():
    model = ConstantModel()
    model.metrics = {"personalisation": {"start_tau_s": 60.0}}
    hr = np.full(600, 140.0)
    hr[0] = 170.0
    result = predict(model, steady_run(600, heart_rate=hr))
    assert result.hr_pred[0] == pytest.approx(170.0) and result.hr_pred[12] == pytest.approx(140 + 30 * np.exp(-1))
    assert "Starts from the recorded 170 bpm" in result.personalisation
    assert predict(model, steady_run(600, heart_rate=hr), recorded_start=0).hr_pred[0] == 140.0


def test_pauses_are_found_from_standing_still_and_from_gaps_between_points():
    time_s = np.concatenate([np.arange(0.0, 600.0), np.arange(900.0, 1500.0)])  # a 5-minute auto-pause
    speed = np.full(len(time_s), 10.0)
    speed[(time_s >= 1200) & (time_s < 1260)] = 0.0  # one minute standing
    run = workout_grid(workout_recording(time_s=time_s, speed_kmh=speed))
    assert run.pauses == ((599.0, 900.0), (1200.0, 1260.0))
    result = predict(ConstantModel(), workout_recording(time_s=time_s, speed_kmh=speed))
    assert "2 pauses (6.0 min in all)." in result.summary()
    assert result.to_json()["pauses"][1] == {"start_s": 1200.0, "end_s": 1260.0}


def test_a_run_calibrated_on_its_first_10_minutes_is_served_by_the_model_trained_for_it():
    import json

    from core.hr.pipeline import CALIBRATED_VARIANT_WINDOW_MIN
    from core.tasks import get_task

    task = get_task("hr")
    chosen = json.loads((task.checkpoint("lstm-cal") / "metrics.json").read_text())["personalisation"]["calibration"]
    assert CALIBRATED_VARIANT_WINDOW_MIN == (chosen["start_min"], chosen["end_min"])  # the window its curves chose
    with_hr = steady_run(700, heart_rate=np.full(700, 150.0))
    assert task.pick_variant(with_hr, calibration_minutes="10") == "lstm-cal"
    assert task.pick_variant(with_hr, calibration_minutes=10, profile="runner.json") == "lstm"  # profiles fit on lstm
    assert task.pick_variant(with_hr) == "lstm" and task.pick_variant(steady_run(700), calibration_minutes=10) == "lstm"
    two_beats = np.full(700, np.nan)
    two_beats[[400, 500]] = 150.0  # too few in minutes 5-10 to calibrate: the plain model serves the uncalibrated run
    assert task.pick_variant(steady_run(700, heart_rate=two_beats), calibration_minutes=10) == "lstm"
    assert task.pick_variant(with_hr, variant="physio", calibration_minutes=10) == "physio"
    model = ConstantModel()
    model.metrics = {"variant": "lstm-cal"}
    assert "trained for calibrated runs (lstm-cal)" in predict(model, with_hr, calibration_minutes=10).personalisation
