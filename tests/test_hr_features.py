"""The 14 heart-rate features on hand-computed examples, and their training statistics."""

from __future__ import annotations

import numpy as np
import pytest

from core.hr.features import FEATURE_NAMES, feature_statistics, features_normalise, hr_features


def column(features: np.ndarray, name: str) -> list[float]:
    return features[:, FEATURE_NAMES.index(name)].tolist()


def test_fourteen_features_on_a_four_step_run():
    features = hr_features(np.array([10.0, 12.0, 8.0, 6.0]), np.array([100.0, 103.0, 101.0, 104.0]), "male")
    assert features.shape == (4, 14) and len(FEATURE_NAMES) == 14
    expected = {
        "speed_kmh": [10, 12, 8, 6],
        "altitude_m": [100, 103, 101, 104],
        "gender": [1, 1, 1, 1],
        "speed_lag_2": [10, 10, 10, 12],
        "speed_lag_5": [10, 10, 10, 10],
        "altitude_lag_30": [100, 100, 100, 100],
        "speed_derivative": [0, 2, -4, -2],
        "altitude_derivative": [0, 3, -2, 3],
        "speed_rolling_10": [10, 11, 10, 9],
        "speed_rolling_30": [10, 11, 10, 9],
        "cumulative_elevation_gain": [0, 3, 3, 6],
        "speed_lag_15": [10, 10, 10, 10],
        "speed_rolling_3": [10, 11, 10, 26 / 3],
        "altitude_change_60": [0, 3, 1, 4],
    }
    for name, values in expected.items():
        assert column(features, name) == pytest.approx(values, abs=1e-4), name


def test_lags_and_windows_count_grid_steps():
    ramp = np.arange(100.0)
    features = hr_features(ramp, 2 * ramp, "female")
    assert column(features, "gender")[0] == 0.0
    assert column(features, "speed_lag_2")[40] == 38 and column(features, "speed_lag_5")[40] == 35
    assert column(features, "speed_lag_15")[40] == 25 and column(features, "altitude_lag_30")[40] == 20
    assert column(features, "speed_rolling_10")[20] == pytest.approx(np.mean(np.arange(11, 21)))
    assert column(features, "speed_rolling_30")[35] == pytest.approx(np.mean(np.arange(6, 36)))
    assert column(features, "altitude_change_60")[80] == 120 and column(features, "altitude_change_60")[30] == 60
    assert column(features, "cumulative_elevation_gain")[99] == 198


def test_unknown_gender_is_half_and_descents_add_no_gain():
    features = hr_features(np.full(3, 9.0), np.array([50.0, 40.0, 45.0]), "unknown")
    assert column(features, "gender") == [0.5, 0.5, 0.5]
    assert column(features, "cumulative_elevation_gain") == [0, 0, 5]


def test_statistics_standardise_and_keep_constant_features_finite():
    runs = [
        hr_features(np.array([8.0, 10.0]), np.array([0.0, 0.0])),
        hr_features(np.array([12.0, 14.0]), np.array([0.0, 0.0])),
    ]
    mean, std = feature_statistics(runs)
    assert mean[0] == pytest.approx(11.0) and std[0] == pytest.approx(np.std([8, 10, 12, 14]))
    assert std[FEATURE_NAMES.index("gender")] == 1.0
    normalised = features_normalise(np.concatenate(runs), mean, std)
    assert normalised[:, 0].mean() == pytest.approx(0.0, abs=1e-6) and normalised[:, 0].std() == pytest.approx(
        1.0, abs=1e-5
    )
