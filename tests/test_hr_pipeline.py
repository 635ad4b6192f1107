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
