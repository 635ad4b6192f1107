"""The 14 engineered features of the SUB3 v2 heart-rate model, on a run resampled to a regular grid,
and their statistics."""

from __future__ import annotations

import numpy as np

FEATURE_NAMES = (
    "speed_kmh",
    "altitude_m",
    "gender",
    "speed_lag_2",
    "speed_lag_5",
    "altitude_lag_30",
    "speed_derivative",
    "altitude_derivative",
    "speed_rolling_10",
    "speed_rolling_30",
    "cumulative_elevation_gain",
    "speed_lag_15",
    "speed_rolling_3",
    "altitude_change_60",
)
GENDER_CODES = {"female": 0.0, "male": 1.0, "unknown": 0.5}


def _lag(x: np.ndarray, steps: int) -> np.ndarray:
    """x delayed by `steps`; the first steps repeat the first value (the runner stood still before the start)."""
    return np.concatenate([np.full(min(steps, len(x)), x[0]), x[: max(len(x) - steps, 0)]])


def _rolling_mean(x: np.ndarray, steps: int) -> np.ndarray:
    """Trailing mean over the last `steps` values (fewer at the start): causal,
    so a prediction never sees the future."""
    total = np.cumsum(np.concatenate([[0.0], x]))
    stop = np.arange(1, len(x) + 1)
    start = np.maximum(stop - steps, 0)
    return (total[stop] - total[start]) / (stop - start)


def hr_features(speed_kmh: np.ndarray, altitude_m: np.ndarray, gender: str = "unknown") -> np.ndarray:
    """The (n, 14) feature matrix of a run on a regular grid, columns in `FEATURE_NAMES` order.

    speed_kmh, altitude_m: (n,) values per grid step (km/h, m); gender: "female", "male" or "unknown" (0, 1, 0.5).
    Lags, differences and windows count grid steps (5 s each in the shipped model):
      base: speed, altitude, gender code;
      lags: speed 2 and 5 steps back, altitude 30 steps back;
      derivatives: speed[t] - speed[t-1], altitude[t] - altitude[t-1] (0 at the start);
      rolling means: trailing mean speed over 10 and 30 steps;
      cumulative elevation gain: running sum of the positive altitude steps (m);
      the three temporal features of v2: speed 15 steps back (medium-term lag), trailing mean speed over 3 steps
      (short-term smoothing), altitude[t] - altitude[t-60] (long-term elevation context; from the start altitude in
      the first 60 steps).
    """
    speed = np.asarray(speed_kmh, dtype=float)
    altitude = np.asarray(altitude_m, dtype=float)
    altitude_step = np.diff(altitude, prepend=altitude[:1])
    columns = (
        speed,
        altitude,
        np.full(len(speed), GENDER_CODES.get(gender, GENDER_CODES["unknown"])),
        _lag(speed, 2),
        _lag(speed, 5),
        _lag(altitude, 30),
        np.diff(speed, prepend=speed[:1]),
        altitude_step,
        _rolling_mean(speed, 10),
        _rolling_mean(speed, 30),
        np.cumsum(np.clip(altitude_step, 0.0, None)),
        _lag(speed, 15),
        _rolling_mean(speed, 3),
        altitude - _lag(altitude, 60),
    )
    return np.column_stack(columns).astype(np.float32)


def feature_statistics(feature_arrays: list[np.ndarray]) -> tuple[list[float], list[float]]:
    """Per-feature mean and standard deviation over every grid step of the training runs
    (std 1 for constant features)."""
    stacked = np.concatenate(feature_arrays).astype(float)
    std = stacked.std(axis=0)
    return stacked.mean(axis=0).tolist(), np.where(std < 1e-6, 1.0, std).tolist()


def features_normalise(features: np.ndarray, mean: list[float], std: list[float]) -> np.ndarray:
    """Standardise features with the training statistics (the model does the same inside its forward pass)."""
    return (np.asarray(features, dtype=np.float32) - np.asarray(mean, dtype=np.float32)) / np.asarray(
        std, dtype=np.float32
    )
