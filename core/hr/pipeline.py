"""The heart-rate task's one code path: workout -> regular grid -> 14 features -> predicted heart rate
(+ personalisation).

The CLI, the Space and the evaluation in training all call `predict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.errors import InputError, SignalTooShortError
from core.hr.features import hr_features
from core.readers import Recording
from core.results import progress_callback

GRID_S = 5.0
"""Seconds between grid steps: every run is resampled to this grid before featurising."""
MIN_SAMPLES = 60
MAX_SPEED_KMH = 40.0
"""Faster points are GPS jumps, not running: they are dropped and interpolated over."""
HR_GAP_S = 15.0
"""Grid steps farther than this from a recorded heart rate have no true value (not interpolated across pauses)."""
RUNNING_SPORTS = ("", "run", "running", "trail_running", "trail running", "treadmill_running", "street_running", "9")
"""Sport names that count as running ("9" is Strava's GPX code for a run; "" is a file that states none)."""
MAX_STEPS = 24 * 3600 / GRID_S
CALIBRATION_WEIGHT = 0.75
"""Fraction of the calibration window's median error applied as the shift. The window's error is a noisy estimate of
the run's offset: the model's error still changes with elapsed time (warm-up, cardiac drift), most on long runs, so a
full shift over-corrects them. Chosen among the weights `python -m training.hr_cv` compares on held-out runners."""


@dataclass(frozen=True)
class Run:
    """A workout on the regular grid: time (s), speed (km/h), altitude (m), recorded heart rate (NaN where unknown),
    features."""

    name: str
    time_s: np.ndarray
    speed_kmh: np.ndarray
    altitude_m: np.ndarray
    heart_rate: np.ndarray
    features: np.ndarray
    sport: str = ""
    notes: tuple[str, ...] = ()


def _fill(values: np.ndarray, time_s: np.ndarray) -> np.ndarray | None:
    """Linear interpolation over NaNs (constant beyond the ends); None when there is no value at all."""
    good = np.isfinite(values)
    if not good.any():
        return None
    return np.interp(time_s, time_s[good], values[good])


def workout_grid(recording: Recording) -> Run:
    """Resample a workout `Recording` to the `GRID_S` grid and featurise it.

    Points faster than 40 km/h (GPS jumps) are interpolated over; speed then goes through cumulative distance, so each
    grid step gets the mean speed over its 5 s, and a 3-step median removes the remaining single spikes. Altitude is
    interpolated and smoothed the same way; a run without any is taken as flat.
    """
    from scipy.ndimage import median_filter  # imported on first use, as in core.signals

    time_s = recording.time if recording.time is not None else np.arange(len(recording.signal)) / recording.fs
    if len(time_s) < MIN_SAMPLES:
        raise SignalTooShortError(
            f"The run {recording.name!r} has {len(time_s)} samples, fewer than the {MIN_SAMPLES} needed; upload a "
            "longer recording."
        )
    if time_s[-1] / GRID_S > MAX_STEPS:
        raise InputError(
            f"The run {recording.name!r} lasts {time_s[-1] / 3600:.1f} h, over the 24 h limit; upload a single workout."
        )
    notes = list(recording.meta.get("notes", ()))
    sport = recording.meta.get("sport", "")
    if sport.lower() not in RUNNING_SPORTS:
        notes.append(
            f"The file's sport is {sport!r}, not running; the model was trained on runs, so the prediction may be off."
        )
    grid = np.arange(0.0, time_s[-1] + 1e-9, GRID_S)

    raw_speed = recording.channel("speed_kmh")
    speed = _fill(np.where(raw_speed > MAX_SPEED_KMH, np.nan, raw_speed), time_s)
    if speed is None:
        raise InputError(
            f"The run {recording.name!r} has no usable speed or GPS track; upload a run recorded with GPS."
        )
    distance_m = np.concatenate([[0.0], np.cumsum((speed[1:] + speed[:-1]) / 2 / 3.6 * np.diff(time_s))])
    grid_speed = np.diff(np.interp(grid, time_s, distance_m), prepend=0.0) / GRID_S * 3.6
    grid_speed[0] = grid_speed[1] if len(grid_speed) > 1 else 0.0
    grid_speed = np.clip(median_filter(grid_speed, size=3, mode="nearest"), 0.0, MAX_SPEED_KMH)

    altitude = _fill(recording.channel("altitude_m"), time_s)
    if altitude is None:
        notes.append("The file has no altitude; the course is taken as flat.")
        grid_altitude = np.zeros(len(grid))
    else:
        grid_altitude = median_filter(np.interp(grid, time_s, altitude), size=3, mode="nearest")

    hr = recording.channel("heart_rate")
    grid_hr = np.full(len(grid), np.nan)
    known = np.flatnonzero(np.isfinite(hr))
    if len(known):
        grid_hr = np.interp(grid, time_s[known], hr[known])
        after = np.clip(np.searchsorted(time_s[known], grid), 0, len(known) - 1)
        before = np.clip(after - 1, 0, len(known) - 1)
        distance = np.minimum(np.abs(time_s[known][after] - grid), np.abs(time_s[known][before] - grid))
        grid_hr[distance > HR_GAP_S] = np.nan

    features = hr_features(grid_speed, grid_altitude, recording.meta.get("gender", "unknown"))
    return Run(
        name=recording.name,
        time_s=grid,
        speed_kmh=grid_speed,
        altitude_m=grid_altitude,
        heart_rate=grid_hr,
        features=features,
        sport=sport,
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class HRResult:
    """Predicted heart rate on the grid, the recorded one where known, and what personalisation did."""

    run: Run
    hr_pred: np.ndarray
    hr_model: np.ndarray
    personalisation: str = ""
    scored_from_s: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def time_s(self) -> np.ndarray:
        return self.run.time_s

    @property
    def hr_true(self) -> np.ndarray:
        return self.run.heart_rate

    def _scored(self) -> np.ndarray:
        return np.isfinite(self.hr_true) & (self.time_s >= self.scored_from_s)

    def mae(self, *, personalised: bool = True) -> float | None:
        """Mean absolute error (bpm) where the heart rate was recorded (after the calibration window, if any)."""
        scored = self._scored()
        if not scored.any():
            return None
        prediction = self.hr_pred if personalised else self.hr_model
        return float(np.mean(np.abs(prediction[scored] - self.hr_true[scored])))

    def to_json(self) -> dict:
        samples = [
            {
                "time_s": round(float(t), 1),
                "hr_pred": round(float(p), 1),
                "hr_true": None if np.isnan(h) else round(float(h), 1),
            }
            for t, p, h in zip(self.time_s, self.hr_pred, self.hr_true)
        ]
        mae = self.mae()
        out = {
            "task": "hr",
            "name": self.run.name,
            "grid_s": GRID_S,
            "samples": samples,
            "mae": None if mae is None else round(mae, 2),
            "notes": list(self.notes),
        }
        if self.personalisation:
            before = self.mae(personalised=False)
            out["personalisation"] = self.personalisation
            out["mae_before_personalisation"] = None if before is None else round(before, 2)
        return out

    def summary(self) -> str:
        duration = self.time_s[-1] / 60
        text = (
            f"{duration:.0f} min run, predicted heart rate mean {np.mean(self.hr_pred):.0f} bpm "
            f"(range {np.min(self.hr_pred):.0f}-{np.max(self.hr_pred):.0f})"
        )
        mae = self.mae()
        if mae is not None:
            text += f"; MAE against the recorded heart rate {mae:.1f} bpm"
            if self.personalisation:
                text += f" ({self.mae(personalised=False):.1f} bpm before personalisation)"
        else:
            text += "; the file has no heart rate to compare with"
        parts = [text + "."]
        if self.personalisation:
            parts.append(self.personalisation)
        return " ".join(parts + list(self.notes))


def _option(value, name: str) -> float | None:
    """A numeric predict option (the CLI passes strings); None when absent or empty."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(
            f"Option {name}={value!r} is not a number; give it in {'minutes' if 'minutes' in name else 'bpm'}."
        ) from None


def personalise(
    run: Run,
    hr_model: np.ndarray,
    *,
    calibration_minutes: float | None,
    resting_hr: float | None,
    max_hr: float | None,
    population_rest: float,
    population_max: float,
    calibration_weight: float = CALIBRATION_WEIGHT,
) -> tuple[np.ndarray, str, float]:
    """Adjust a prediction to one runner: prediction, a sentence saying what changed, and the time (s) scoring starts.

    resting_hr / max_hr (bpm): map the population heart-rate reserve onto the runner's (either may be omitted); max_hr
    is the peak the runner reaches in hard runs, the quantity `population_max` measures on the training runs.
    calibration_minutes: shift the curve by `calibration_weight` times the median error over the second half of that
    many first minutes of recorded heart rate (the first half is warm-up: heart rate still climbing, chest straps not
    yet wet; on the validation runners this beat using the whole window); the MAE is then scored only after the window.
    """
    prediction, said, scored_from = hr_model.copy(), [], 0.0
    if resting_hr is not None or max_hr is not None:
        rest = population_rest if resting_hr is None else resting_hr
        top = population_max if max_hr is None else max_hr
        if not 30 <= rest < top <= 240:
            raise InputError(
                f"Resting HR {rest:g} and max HR {top:g} must satisfy 30 <= resting < max <= 240 bpm; check the values "
                "typed."
            )
        prediction = rest + (prediction - population_rest) * (top - rest) / (population_max - population_rest)
        said.append(f"Scaled to a heart-rate reserve of {rest:.0f}-{top:.0f} bpm.")
    if calibration_minutes:
        if calibration_minutes <= 0:
            raise InputError(
                f"Calibration of {calibration_minutes:g} minutes is not positive; give a number of minutes such as 5."
            )
        window = (
            (run.time_s >= calibration_minutes * 30)
            & (run.time_s <= calibration_minutes * 60)
            & np.isfinite(run.heart_rate)
        )
        if window.sum() < 3:
            raise InputError(
                f"Minutes {calibration_minutes / 2:g}-{calibration_minutes:g} hold no recorded heart rate to calibrate "
                "on; upload a run with heart rate or leave calibration off."
            )
        shift = calibration_weight * float(np.median(run.heart_rate[window] - prediction[window]))
        prediction = prediction + shift
        scored_from = calibration_minutes * 60
        said.append(
            f"Calibrated on minutes {calibration_minutes / 2:g}-{calibration_minutes:g}: shifted by {shift:+.1f} bpm; "
            "MAE counts only the time after."
        )
    return prediction, " ".join(said), scored_from


def predict(
    model, recording: Recording, *, calibration_minutes=None, resting_hr=None, max_hr=None, progress=None
) -> HRResult:
    """Predict the heart-rate curve of a workout; `progress(fraction, desc=...)` is optional.

    calibration_minutes, resting_hr, max_hr: optional personalisation (see `personalise`); numbers or numeric strings.
    """
    report = progress_callback(progress)
    report(0.2, desc="Resampling and featurising the run")
    run = workout_grid(recording)
    report(0.5, desc=f"Predicting heart rate over {len(run.time_s)} steps")
    hr_model = model.predict_run(run.features)
    report(0.9, desc="Personalising")
    hr_pred, said, scored_from = personalise(
        run,
        hr_model,
        calibration_minutes=_option(calibration_minutes, "calibration_minutes"),
        resting_hr=_option(resting_hr, "resting_hr"),
        max_hr=_option(max_hr, "max_hr"),
        population_rest=model.population_rest_hr,
        population_max=model.population_max_hr,
    )
    return HRResult(
        run=run, hr_pred=hr_pred, hr_model=hr_model, personalisation=said, scored_from_s=scored_from, notes=run.notes
    )
