"""The heart-rate task's one code path: workout -> regular grid -> 14 features -> predicted heart rate
(+ personalisation).

The CLI, the Space and the evaluation in training all call `predict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.errors import InputError, PhysioError, SignalTooShortError
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
"""Fraction of the calibration window's median error applied as the shift, for a checkpoint without chosen settings
(the shipped ones carry theirs in metrics.json, see `settings`). The window's error is a noisy estimate of the run's
offset: the model's error still changes with elapsed time (warm-up, cardiac drift), so a full shift over-corrects."""
CALIBRATION_START = 0.5
"""The calibration window starts at this fraction of the calibration minutes (the warm-up before it is skipped), for
a checkpoint without chosen settings."""
PAUSE_SPEED_KMH = 2.0
PAUSE_MIN_S = 30.0
"""A pause: this long or longer below `PAUSE_SPEED_KMH`, or without any recorded point (an auto-paused watch)."""
MAX_PROFILE_BYTES = 10_000
GAIN_RANGE = (0.5, 2.0)
"""A profile's gain stays within this range (the model's swing halved to doubled)."""


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
    pauses: tuple[tuple[float, float], ...] = ()
    """(start, end) seconds of each pause."""


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
    steps = np.diff(time_s)
    # no distance across a gap in the recording (an auto-paused watch): the runner is taken as stopped there
    moved = np.where(steps >= PAUSE_MIN_S, 0.0, (speed[1:] + speed[:-1]) / 2 / 3.6 * steps)
    distance_m = np.concatenate([[0.0], np.cumsum(moved)])
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
        pauses=find_pauses(time_s, grid, grid_speed),
        name=recording.name,
        time_s=grid,
        speed_kmh=grid_speed,
        altitude_m=grid_altitude,
        heart_rate=grid_hr,
        features=features,
        sport=sport,
        notes=tuple(notes),
    )


def find_pauses(time_s: np.ndarray, grid: np.ndarray, grid_speed: np.ndarray) -> tuple[tuple[float, float], ...]:
    """(start, end) seconds of every pause: grid steps below `PAUSE_SPEED_KMH` or gaps between recorded points, lasting
    at least `PAUSE_MIN_S`; overlapping ones merged."""
    slow = np.concatenate([[False], grid_speed < PAUSE_SPEED_KMH, [False]]).astype(int)
    edges = np.flatnonzero(np.diff(slow))
    # grid step k holds the mean speed over the GRID_S before grid[k]
    spans = [(grid[a] - GRID_S, grid[b - 1]) for a, b in zip(edges[::2], edges[1::2])]
    gaps = np.flatnonzero(np.diff(time_s) >= PAUSE_MIN_S)
    spans += [(time_s[i], time_s[i + 1]) for i in gaps]
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((float(a), float(b)) for a, b in merged if b - a >= PAUSE_MIN_S)


@dataclass(frozen=True)
class HRResult:
    """Predicted heart rate on the grid, the recorded one where known, and what personalisation did."""

    run: Run
    hr_pred: np.ndarray
    hr_model: np.ndarray
    personalisation: str = ""
    scored_from_s: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    band: tuple[float, float] | None = None
    """Recorded minus predicted heart rate (bpm) that 80 % of unseen runners' samples fall within, for the
    personalisation applied; None when the checkpoint has not measured it."""
    band_basis: str = ""
    calibration_window_s: tuple[float, float] | None = None

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
                **(
                    {"band_low": round(float(p) + self.band[0], 1), "band_high": round(float(p) + self.band[1], 1)}
                    if self.band
                    else {}
                ),
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
            "pauses": [{"start_s": a, "end_s": b} for a, b in self.run.pauses],
        }
        if self.band:
            out["band"] = {"low_bpm": self.band[0], "high_bpm": self.band[1], "basis": self.band_basis}
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
        if self.band:
            parts.append(
                f"80 % band {self.band[0]:+.0f} to {self.band[1]:+.0f} bpm around the prediction ({self.band_basis})."
            )
        if self.personalisation:
            parts.append(self.personalisation)
        if self.run.pauses:
            total = sum(b - a for a, b in self.run.pauses) / 60
            parts.append(f"{len(self.run.pauses)} pause{'s' * (len(self.run.pauses) > 1)} ({total:.1f} min in all).")
        return " ".join(parts + list(self.notes))


def fit_profile(runs: list[tuple[Run, np.ndarray]], *, hr_mean: float, shrinkage: float) -> dict:
    """A runner's level (bpm) and gain from earlier runs: recorded = model + level + (gain - 1) * (model - hr_mean).

    runs: (grid run with recorded heart rate, the model's curve for it) pairs; every recorded step counts.
    shrinkage: ridge penalty pulling the gain towards 1 (inf: level only); chosen by `python -m training.hr_personal`.
    """
    model = np.concatenate([curve[np.isfinite(run.heart_rate)] for run, curve in runs])
    recorded = np.concatenate([run.heart_rate[np.isfinite(run.heart_rate)] for run, _ in runs])
    if len(recorded) < 12:
        raise InputError(
            f"The profile runs hold {len(recorded)} steps of recorded heart rate, fewer than the 12 (one minute) "
            "needed; upload runs recorded with a heart-rate sensor."
        )
    x, r = model - hr_mean, recorded - model
    slope = 0.0
    if np.isfinite(shrinkage):
        xc = x - x.mean()
        slope = float(np.sum(xc * (r - r.mean())) / (np.sum(xc**2) + shrinkage))
    slope = float(np.clip(slope, GAIN_RANGE[0] - 1.0, GAIN_RANGE[1] - 1.0))
    return {"level_bpm": float(r.mean() - slope * x.mean()), "gain": 1.0 + slope, "hr_mean": float(hr_mean)}


def profile_curve(hr_model: np.ndarray, profile: dict) -> np.ndarray:
    """The model's curve adjusted to a runner profile (see `fit_profile`)."""
    return hr_model + profile["level_bpm"] + (profile["gain"] - 1.0) * (hr_model - profile["hr_mean"])


def _option(value, name: str) -> float | None:
    """A numeric predict option (the CLI passes strings); None when absent or empty."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        unit = {"calibration_minutes": "minutes", "recorded_start": "0 or 1"}.get(name, "bpm")
        raise InputError(f"Option {name}={value!r} is not a number; give it in {unit}.") from None


def settings(model) -> dict:
    """The checkpoint's personalisation settings (metrics.json "personalisation", chosen by `python -m
    training.hr_personal` on training runners only), or the fallbacks for a checkpoint without them."""
    chosen = (getattr(model, "metrics", None) or {}).get("personalisation", {})
    calibration = chosen.get("calibration", {})
    shrinkage = chosen.get("profile", {}).get("shrinkage", None)
    return {
        "calibration_start": calibration["start_min"] / calibration["end_min"] if calibration else CALIBRATION_START,
        "calibration_weight": calibration.get("weight", CALIBRATION_WEIGHT),
        "start_tau_s": chosen.get("start_tau_s", 0.0),
        "shrinkage": np.inf if shrinkage is None else shrinkage,
        "band": chosen.get("band", {}),
    }


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
    calibration_start: float = CALIBRATION_START,
    profile: dict | None = None,
    start_tau_s: float = 0.0,
) -> tuple[np.ndarray, str, float]:
    """Adjust a prediction to one runner: prediction, a sentence saying what changed, and the time (s) scoring starts.

    profile: a runner profile (`fit_profile`) from earlier runs, applied first.
    resting_hr / max_hr (bpm): map the population heart-rate reserve onto the runner's (either may be omitted); max_hr
    is the peak the runner reaches in hard runs, the quantity `population_max` measures on the training runs.
    calibration_minutes: shift the curve by `calibration_weight` times the median error over the end of that many
    first minutes of recorded heart rate, from `calibration_start` of them on (before it: warm-up, heart rate still
    climbing, chest straps not yet wet); the MAE is then scored only after the window. A run without recorded heart
    rate there is left uncalibrated, and the sentence says so.
    start_tau_s: when the run has a recorded heart rate at its first step, start from it and hand over to the model
    with this time constant (a file that starts mid-effort); 0 turns it off.
    """
    prediction, said, scored_from = hr_model.copy(), [], 0.0
    if profile is not None:
        prediction = profile_curve(prediction, profile)
        said.append(f"Runner profile applied: level {profile['level_bpm']:+.1f} bpm, gain {profile['gain']:.2f}.")
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
        first = calibration_minutes * calibration_start
        window = (run.time_s >= first * 60) & (run.time_s <= calibration_minutes * 60) & np.isfinite(run.heart_rate)
        if window.sum() < 3:
            said.append(f"Not calibrated: minutes {first:g}-{calibration_minutes:g} hold no recorded heart rate.")
        else:
            shift = calibration_weight * float(np.median(run.heart_rate[window] - prediction[window]))
            prediction = prediction + shift
            scored_from = calibration_minutes * 60
            said.append(
                f"Calibrated on minutes {first:g}-{calibration_minutes:g}: shifted by {shift:+.1f} bpm; "
                "MAE counts only the time after."
            )
    if start_tau_s and np.isfinite(run.heart_rate[0]):
        prediction = prediction + (run.heart_rate[0] - prediction[0]) * np.exp(-run.time_s / start_tau_s)
        said.append(
            f"Starts from the recorded {run.heart_rate[0]:.0f} bpm and hands over to the model within "
            f"{3 * start_tau_s / 60:.0f} min."
        )
    return prediction, " ".join(said), scored_from


def load_profile(profile) -> dict:
    """A runner profile from a dict, its JSON text, or a JSON file written by `build_profile` (`python -m core profile
    hr ...`). Every failure is the same sentence, so a path sent through the JSON API tells nothing about the server's
    files."""
    import json
    from pathlib import Path

    from core.readers import check_file

    refusal = InputError(
        f"The runner profile needs numbers level_bpm (-80 to 80), gain ({GAIN_RANGE[0]:g} to {GAIN_RANGE[1]:g}) and "
        "hr_mean (80 to 220); make it with 'python -m core profile hr RUN...'."
    )
    if isinstance(profile, (str, Path)):
        try:
            text = str(profile) if str(profile).lstrip().startswith("{") else None
            if text is None:
                text = check_file(profile, max_bytes=MAX_PROFILE_BYTES).read_text(encoding="utf-8")
            profile = json.loads(text)
        except (PhysioError, OSError, UnicodeDecodeError, ValueError, RecursionError):
            raise refusal from None
    values = [profile.get(key) if isinstance(profile, dict) else None for key in ("level_bpm", "gain", "hr_mean")]
    if not all(isinstance(v, (int, float)) and np.isfinite(v) for v in values) or not (
        -80 <= values[0] <= 80 and GAIN_RANGE[0] <= values[1] <= GAIN_RANGE[1] and 80 <= values[2] <= 220
    ):
        raise refusal
    return {"level_bpm": float(values[0]), "gain": float(values[1]), "hr_mean": float(values[2])}


def build_profile(model, recordings: list[Recording], *, progress=None) -> dict:
    """A runner profile (JSON-able) fitted on earlier runs with recorded heart rate; the shrinkage of its gain comes
    from the checkpoint's settings."""
    report = progress_callback(progress)
    pairs = []
    for k, recording in enumerate(recordings):
        report(k / max(len(recordings), 1), desc=f"Predicting {recording.name}")
        run = workout_grid(recording)
        pairs.append((run, model.predict_run(run.features)))
    hr_mean = float(np.asarray(model.hr_mean))
    profile = fit_profile(pairs, hr_mean=hr_mean, shrinkage=settings(model)["shrinkage"])
    known = [np.isfinite(run.heart_rate) for run, _ in pairs]
    before = np.concatenate([curve[k] - run.heart_rate[k] for (run, curve), k in zip(pairs, known)])
    after = np.concatenate(
        [profile_curve(curve, profile)[k] - run.heart_rate[k] for (run, curve), k in zip(pairs, known)]
    )
    return {
        "task": "hr",
        **{key: round(value, 3) for key, value in profile.items()},
        "runs": [run.name for run, _ in pairs],
        "recorded_steps": int(len(before)),
        "fit_mae_before": round(float(np.mean(np.abs(before))), 2),
        "fit_mae_after": round(float(np.mean(np.abs(after))), 2),
    }


CALIBRATED_VARIANT_WINDOW_MIN = (5.0, 10.0)
"""The calibration window (minutes) of the `lstm-cal` variant, the one its out-of-fold curves chose; it serves a run
calibrated on its first 10 minutes that holds heart rate in this window."""


def choose_variant(recording: Recording, *, calibration_minutes=None, profile=None, **options) -> str:
    """ "lstm-cal" (trained for the calibrated protocol) for a run calibrated on its own first 10 minutes with recorded
    heart rate in its window and no profile (profiles are fitted on the "lstm" curve), else "lstm"."""
    start, end = CALIBRATED_VARIANT_WINDOW_MIN
    if _option(calibration_minutes, "calibration_minutes") != end or not (profile is None or profile == ""):
        return "lstm"
    time_s = recording.time if recording.time is not None else np.arange(len(recording.signal)) / recording.fs
    heart_rate = recording.channel("heart_rate") if "heart_rate" in recording.channels else np.array([np.nan])
    window = (time_s >= start * 60) & (time_s <= end * 60) & np.isfinite(heart_rate)
    return "lstm-cal" if window.sum() >= 3 else "lstm"  # as many as personalise needs to calibrate


def predict(
    model,
    recording: Recording,
    *,
    calibration_minutes=None,
    resting_hr=None,
    max_hr=None,
    profile=None,
    recorded_start=1,
    progress=None,
) -> HRResult:
    """Predict the heart-rate curve of a workout; `progress(fraction, desc=...)` is optional.

    calibration_minutes, resting_hr, max_hr: optional personalisation (see `personalise`); numbers or numeric strings.
    profile: a runner profile (dict, or the path of its JSON file). recorded_start: 0 never uses the run's own
    first heart rate (the uncalibrated protocol).
    """
    report = progress_callback(progress)
    report(0.2, desc="Resampling and featurising the run")
    run = workout_grid(recording)
    report(0.5, desc=f"Predicting heart rate over {len(run.time_s)} steps")
    hr_model = model.predict_run(run.features)
    report(0.9, desc="Personalising")
    chosen = settings(model)
    minutes = _option(calibration_minutes, "calibration_minutes")
    profile = None if profile is None or profile == "" else load_profile(profile)
    hr_pred, said, scored_from = personalise(
        run,
        hr_model,
        calibration_minutes=minutes,
        resting_hr=_option(resting_hr, "resting_hr"),
        max_hr=_option(max_hr, "max_hr"),
        population_rest=model.population_rest_hr,
        population_max=model.population_max_hr,
        calibration_weight=chosen["calibration_weight"],
        calibration_start=chosen["calibration_start"],
        profile=profile,
        start_tau_s=chosen["start_tau_s"] if _option(recorded_start, "recorded_start") else 0.0,
    )
    if (getattr(model, "metrics", None) or {}).get("variant") == "lstm-cal":
        said = f"{said} Model: the LSTM trained for calibrated runs (lstm-cal)."
    basis = "calibrated" if scored_from else "profiled" if profile is not None else "uncalibrated"
    band = chosen["band"].get(basis)
    texts = {
        "uncalibrated": "unseen runners, no personal data; a profile or a calibration narrows it",
        "calibrated": "unseen runners after calibration",
        "profiled": "unseen runners with a profile",
    }
    return HRResult(
        run=run,
        hr_pred=hr_pred,
        hr_model=hr_model,
        personalisation=said,
        scored_from_s=scored_from,
        notes=run.notes,
        band=(band["low"], band["high"]) if band else None,
        band_basis=texts[basis] if band else "",
        calibration_window_s=(scored_from * chosen["calibration_start"], scored_from) if scored_from else None,
    )
