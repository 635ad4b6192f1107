"""The respiration task's one code path, in three modes, shared by the CLI, the Space and evaluation.

waveform: a breathing waveform -> breaths, rate, pauses > 10 s, VAE-LSTM anomaly score along the signal.
rr: beat times, RR intervals or an ECG record -> per-minute apnea probability (supervised) and VAE-LSTM score.
series: any `timestamp,value` series (the NAB format) -> VAE-LSTM anomaly score per point and flagged intervals.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import InputError, SignalTooShortError, TimestampError
from core.readers import Recording, check_file, read_signal
from core.readers.tabular import numeric_columns, read_table
from core.respiration.breaths import check_resp, rsp_clean, rsp_pauses, rsp_peaks, rsp_rate
from core.respiration.rr import (GRID_FS, rr_clean, rr_from_beats, rr_minute_windows, rr_resample, minute_features,
                                 n_minutes)
from core.respiration.scoring import flag_intervals, smooth_scores
from core.signals import signal_resample
from core.results import progress_callback

MODES = ("waveform", "rr", "series")
WAVE_FS = 4.0
"""Rate at which the VAE-LSTM sees a cleaned breathing waveform (the breathing band ends at 1 Hz)."""
SERIES_REFERENCE = 0.15
"""Share of an uploaded series, from its start, taken as the normal reference for standardisation (NAB's probation)."""
RESP_CHANNELS = ("RESP", "RESPIRATION", "IMPEDANCE", "BREATH", "BREATHING", "THOR", "ABDO", "AIRFLOW", "FLOW", "NASAL")
ECG_CHANNELS = ("MLII", "II", "ECG", "LEAD II", "ECG1", "V5", "V1", "V", "I")
RR_COLUMNS = {"rr_s": 1.0, "rr": 1.0, "rr_interval": 1.0, "rr_interval_s": 1.0, "rri": 1.0, "rr_ms": 0.001}
BEAT_COLUMNS = ("beat_time_s", "beat_time", "beat_times", "beats", "r_peak_s", "r_peaks_s")
MODE_VARIANT = {"series": "series", "waveform": "waveform", "rr": "apnea"}
VARIANT_OF_PURPOSE = {"series": "series", "waveform": "waveform", "apnea": "apnea-vae"}


@dataclass(frozen=True)
class BeatSeries:
    """Heartbeat times (s) and the RR interval (s) ending at each, from a beat/RR table or an ECG."""

    beat_times: np.ndarray
    rr: np.ndarray
    name: str = "beats"
    source: str = "rr"


@dataclass(frozen=True)
class ValueSeries:
    """A univariate series: values and their timestamps (datetimes as ISO strings, or seconds)."""

    values: np.ndarray
    timestamps: np.ndarray
    name: str = "series"


@dataclass(frozen=True)
class WaveformResult:
    """Breaths, breathing rate, pauses and the VAE-LSTM anomaly score (at WAVE_FS) of one breathing waveform."""

    fs: float
    resp: np.ndarray
    channel: str
    breath_times_s: np.ndarray
    rate_times_s: np.ndarray
    rate_per_min: np.ndarray
    pauses: list[tuple[float, float]]
    score: np.ndarray
    threshold: float
    mode: str = "waveform"

    @property
    def flagged(self) -> list[tuple[float, float]]:
        return [(a / WAVE_FS, b / WAVE_FS) for a, b in flag_intervals(self.score >= self.threshold)]

    def to_json(self) -> dict:
        return {
            "task": "respiration", "mode": self.mode, "fs": self.fs, "channel": self.channel,
            "duration_s": round(len(self.resp) / self.fs, 2), "breaths": len(self.breath_times_s),
            "mean_rate_per_min": round(float(np.median(self.rate_per_min)), 2),
            "breath_times_s": [round(float(t), 3) for t in self.breath_times_s],
            "pauses": [{"start_s": round(a, 2), "end_s": round(b, 2), "duration_s": round(b - a, 2)} for a, b in self.pauses],
            "anomaly_score_fs": WAVE_FS, "anomaly_score": [round(float(s), 4) for s in self.score],
            "threshold": self.threshold,
            "flagged": [{"start_s": round(a, 2), "end_s": round(b, 2)} for a, b in self.flagged],
        }

    def summary(self) -> str:
        duration = len(self.resp) / self.fs
        return (f"{len(self.breath_times_s)} breaths in {duration:.0f} s, median rate {np.median(self.rate_per_min):.1f}/min; "
                f"{len(self.pauses)} pauses over 10 s; {len(self.flagged)} anomalous stretches")


def _json_number(value):
    """A rounded float, or None for NaN (a minute without beats has no heart rate), for strict JSON."""
    if isinstance(value, float):
        return round(value, 2) if np.isfinite(value) else None
    return value


@dataclass(frozen=True)
class ApneaResult:
    """Per-minute apnea probability (supervised CNN) and VAE-LSTM anomaly score of one night of beats."""

    start_minute: int
    probability: np.ndarray
    threshold: float
    vae_score: np.ndarray
    vae_threshold: float
    features: list[dict]
    dropped_rr: int
    total_rr: int
    source: str
    mode: str = "rr"

    @property
    def flagged(self) -> np.ndarray:
        return self.probability >= self.threshold

    @property
    def index_per_hour(self) -> float:
        """Apnea-hypopnea-like index: flagged minutes per hour of recording."""
        return float(self.flagged.sum() / (len(self.probability) / 60.0))

    def to_json(self) -> dict:
        minutes = [
            {**{k: _json_number(v) for k, v in row.items()}, "minute": self.start_minute + i,
             "apnea_probability": round(float(p), 4), "apnea": bool(f),
             "vae_lstm_score": round(float(v), 4), "vae_lstm_flag": bool(v >= self.vae_threshold)}
            for i, (row, p, f, v) in enumerate(zip(self.features, self.probability, self.flagged, self.vae_score))
        ]
        return {
            "task": "respiration", "mode": self.mode, "source": self.source, "minutes": len(self.probability),
            "apnea_minutes": int(self.flagged.sum()), "index_per_hour": round(self.index_per_hour, 2),
            "threshold": self.threshold, "vae_lstm_threshold": self.vae_threshold,
            "rr_dropped": self.dropped_rr, "rr_total": self.total_rr,
            "flagged_intervals_min": [[self.start_minute + a, self.start_minute + b] for a, b in flag_intervals(self.flagged)],
            "per_minute": minutes,
        }

    def summary(self) -> str:
        dropped = f"; {self.dropped_rr} of {self.total_rr} RR intervals outside 0.25-3 s were dropped" if self.dropped_rr else ""
        return (f"{int(self.flagged.sum())} of {len(self.probability)} minutes flagged as apnea "
                f"({self.index_per_hour:.1f} flagged minutes per hour){dropped}")


@dataclass(frozen=True)
class SeriesResult:
    """VAE-LSTM anomaly score per point of a univariate series, and the points at or over `threshold`."""

    timestamps: np.ndarray
    values: np.ndarray
    score: np.ndarray
    threshold: float
    name: str = "series"
    mode: str = "series"

    @property
    def flags(self) -> np.ndarray:
        return self.score >= self.threshold

    @property
    def flagged(self) -> list[tuple[str, str]]:
        return [(str(self.timestamps[a]), str(self.timestamps[b - 1])) for a, b in flag_intervals(self.flags)]

    def with_threshold(self, threshold: float) -> "SeriesResult":
        return SeriesResult(self.timestamps, self.values, self.score, float(threshold), self.name)

    def to_json(self) -> dict:
        return {
            "task": "respiration", "mode": self.mode, "points": len(self.values), "threshold": self.threshold,
            "flagged_points": int(self.flags.sum()),
            "flagged": [{"start": a, "end": b} for a, b in self.flagged],
            "anomaly_score": [round(float(s), 4) for s in self.score],
        }

    def summary(self) -> str:
        stretches = len(self.flagged)
        return (f"{len(self.values)} points, {int(self.flags.sum())} at or over threshold {self.threshold:.3g}, "
                f"in {stretches} interval{'' if stretches == 1 else 's'}")


# reading ----------------------------------------------------------------------------------------------------------

def _header(path: Path) -> list[str]:
    with path.open("r", errors="replace") as handle:
        for line in handle:
            if line.strip() and not line.lstrip().startswith("#"):
                return [c.strip().lower() for c in line.replace(";", ",").replace("\t", ",").split(",")]
    return []


def read_series(path: str | Path) -> ValueSeries:
    """A `timestamp,value` CSV (the NAB format); timestamps are datetimes or seconds."""
    path = check_file(path)
    frame = read_table(path)
    lower = {c.lower(): c for c in frame.columns}
    values = numeric_columns(frame[[lower["value"]]], path.name).to_numpy()[:, 0]
    raw = frame[lower["timestamp"]]
    numeric = pd.to_numeric(raw, errors="coerce")
    if numeric.notna().all():
        timestamps = numeric.to_numpy(dtype=float)
    else:
        parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
        if parsed.isna().any():
            row = int(parsed.isna().to_numpy().argmax())
            raise TimestampError(
                f"File {path.name!r} has an unparseable timestamp {raw.iloc[row]!r} in row {row + 2}; "
                "write timestamps as 'YYYY-MM-DD HH:MM:SS' or as seconds."
            )
        timestamps = parsed.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy()
    missing = ~np.isfinite(values)
    if missing.all():
        raise InputError(f"File {path.name!r} has no numeric values in column 'value'; fill it with numbers.")
    if missing.any():  # isolated gaps in monitoring series are common; interpolate them
        values[missing] = np.interp(np.flatnonzero(missing), np.flatnonzero(~missing), values[~missing])
    return ValueSeries(values=values, timestamps=timestamps, name=path.stem)


def read_beats(path: str | Path) -> BeatSeries:
    """A CSV of beat times (s) and/or RR intervals (s, or ms in a column named rr_ms)."""
    path = check_file(path)
    frame = read_table(path)
    lower = {c.lower(): c for c in frame.columns}
    beat_column = next((lower[c] for c in BEAT_COLUMNS if c in lower), None)
    rr_column = next((c for c in RR_COLUMNS if c in lower), None)
    if beat_column is not None:
        times = numeric_columns(frame[[beat_column]], path.name).to_numpy()[:, 0]
        times = times[np.isfinite(times)]
        beat_times, rr = rr_from_beats(times)
    else:
        rr = numeric_columns(frame[[lower[rr_column]]], path.name).to_numpy()[:, 0] * RR_COLUMNS[rr_column]
        rr = rr[np.isfinite(rr)]
        beat_times = np.cumsum(rr)
    return BeatSeries(beat_times=beat_times, rr=rr, name=path.stem)


def read_respiration(path: str | Path, *, fs: float | None = None, extra_files: tuple = ()) -> Recording | BeatSeries | ValueSeries:
    """A respiration-task upload: a waveform (CSV or WFDB), beat times / RR intervals (CSV), an ECG, or a `timestamp,value` series."""
    path = check_file(path)
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        columns = set(_header(path))
        if {"timestamp", "value"} <= columns:
            return read_series(path)
        if columns & (set(RR_COLUMNS) | set(BEAT_COLUMNS)):
            return read_beats(path)
    return read_signal(path, fs=fs, extra_files=extra_files)


# models -----------------------------------------------------------------------------------------------------------

@cache
def variant_model(variant: str, backend: str = "onnx"):
    """A shipped respiration checkpoint variant, loaded once per process."""
    from core import load_model

    return load_model("respiration", variant=variant, backend=backend)


def _variant(model) -> str:
    return VARIANT_OF_PURPOSE[model.purpose] if hasattr(model, "purpose") else "apnea"  # only the VAE-LSTM has a purpose


def _model(model, variant: str, models: dict | None):
    """`model` if it is the wanted variant, else `models[variant]`, else that shipped variant on the same backend."""
    if model is not None and _variant(model) == variant:
        return model
    if models and variant in models:
        return models[variant]
    return variant_model(variant, getattr(model, "backend", "onnx"))


def vae_lstm_scores(model, x: np.ndarray, *, stride: int | None = None) -> np.ndarray:
    """Per-point anomaly score of a series: the mean squared error of every predicted window that covers the point.

    Sequences of `seq_len` windows start every `stride` points (default: a quarter window) and at the very end.
    """
    span = model.window * model.seq_len
    if len(x) < span:
        raise SignalTooShortError(f"The series has {len(x)} points; the VAE-LSTM needs at least {span} (seq_len x window).")
    stride = stride or max(1, model.window // 4)
    starts = np.unique(np.append(np.arange(0, len(x) - span + 1, stride), len(x) - span))
    sequences = np.stack([x[s : s + span] for s in starts]).reshape(len(starts), model.seq_len, model.window)
    errors = model.infer(sequences).reshape(len(starts), span)
    total, count = np.zeros(len(x)), np.zeros(len(x))
    for s, error in zip(starts, errors):
        total[s : s + span] += error
        count[s : s + span] += 1
    return total / count


def standardise_by_reference(values: np.ndarray, reference_end: int) -> np.ndarray:
    """Values standardised by the mean and std of `values[:reference_end]` (std floored to avoid division by ~0)."""
    reference = values[:reference_end]
    scale = max(float(reference.std()), 1e-6 * max(1.0, float(np.abs(reference).mean())), 1e-12)
    return (values - reference.mean()) / scale


# the three modes --------------------------------------------------------------------------------------------------

def waveform_input(resp: np.ndarray, fs: float) -> np.ndarray:
    """The VAE-LSTM input of a breathing waveform: cleaned, at WAVE_FS, standardised by its own spread."""
    clean = signal_resample(rsp_clean(resp, fs), fs, WAVE_FS)
    return standardise_by_reference(clean, len(clean))


def predict_waveform(model, resp: np.ndarray, fs: float, *, channel: str = "RESP", progress=None) -> WaveformResult:
    """Breaths, rate, pauses and anomaly score of a breathing waveform sampled at `fs` Hz."""
    report = progress_callback(progress)
    resp, fs = check_resp(resp, fs)
    report(0.2, desc="Detecting breaths")
    peaks = rsp_peaks(resp, fs)
    rate_times, rates = rsp_rate(peaks, fs)
    report(0.6, desc="Scoring with the VAE-LSTM")
    score = smooth_scores(vae_lstm_scores(model, waveform_input(resp, fs)), model.smooth)
    return WaveformResult(fs=fs, resp=resp, channel=channel, breath_times_s=peaks / fs, rate_times_s=rate_times,
                          rate_per_min=rates, pauses=rsp_pauses(peaks, fs), score=score, threshold=model.threshold)


def apnea_inputs(beats: BeatSeries) -> dict:
    """Cleaned RR, its 2 Hz grid from the first whole minute, and the per-minute model windows of a night of beats."""
    times, rr, dropped = rr_clean(beats.beat_times, beats.rr)
    start_minute = int(times[0] // 60)
    offset = 60.0 * start_minute
    minutes = n_minutes(times[-1] - offset)
    grid = rr_resample(times - offset, rr, duration_s=60.0 * minutes)
    return {"start_minute": start_minute, "times": times - offset, "rr": rr, "dropped": dropped, "minutes": minutes,
            "grid": grid, "windows": rr_minute_windows(grid, minutes)}


def apnea_scores(model, vae, inputs: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per-minute apnea probability (CNN, smoothed over `model.smooth` minutes) and VAE-LSTM score of `apnea_inputs`."""
    return apnea_probability(model, inputs), apnea_vae_scores(vae, inputs)


def apnea_windows(inputs: dict, *, length: int) -> np.ndarray:
    """The apnea model's per-minute RR windows of `length` grid samples, centred on each minute, from `apnea_inputs`."""
    windows = inputs["windows"]
    if windows.shape[1] != length:
        windows = rr_minute_windows(inputs["grid"], inputs["minutes"], context=int(length // (60 * GRID_FS)))
    return windows


def apnea_night_rr(inputs: dict, count: int) -> np.ndarray:
    """The night's median RR (s) of `apnea_inputs`, repeated for `count` windows: the input `night_rr`."""
    return np.full(count, np.median(inputs["rr"]), dtype=np.float32)


def apnea_model_inputs(model, inputs: dict) -> tuple[np.ndarray, ...]:
    """The apnea model's inputs for one night: its RR windows, and the night's median RR per window if it takes it."""
    windows = apnea_windows(inputs, length=model.length)
    if not model.night_members:
        return (windows,)
    return windows, apnea_night_rr(inputs, len(windows))


def apnea_probability(model, inputs: dict) -> np.ndarray:
    """Per-minute apnea probability of one night's `apnea_inputs`, a centred moving mean over `model.smooth` minutes."""
    probability = 1.0 / (1.0 + np.exp(-model.infer(*apnea_model_inputs(model, inputs)).reshape(-1)))
    return smooth_scores(probability, model.smooth)


def apnea_vae_scores(vae, inputs: dict) -> np.ndarray:
    """Per-minute VAE-LSTM anomaly score (mean over the minute) of `apnea_inputs`."""
    per_minute = int(60 * GRID_FS)
    return vae_lstm_scores(vae, inputs["grid"], stride=per_minute).reshape(inputs["minutes"], per_minute).mean(axis=1)


def predict_apnea(model, vae, beats: BeatSeries, *, progress=None) -> ApneaResult:
    """Per-minute apnea probability and VAE-LSTM score from heartbeat times."""
    report = progress_callback(progress)
    report(0.3, desc=f"Cleaning and resampling {len(beats.rr)} RR intervals")
    inputs = apnea_inputs(beats)
    report(0.5, desc=f"Scoring {inputs['minutes']} minutes")
    probability, vae_score = apnea_scores(model, vae, inputs)
    return ApneaResult(start_minute=inputs["start_minute"], probability=probability, threshold=model.threshold,
                       vae_score=vae_score, vae_threshold=vae.threshold,
                       features=minute_features(inputs["times"], inputs["rr"], inputs["minutes"]),
                       dropped_rr=inputs["dropped"], total_rr=len(beats.rr), source=beats.source)


def predict_series(model, series: ValueSeries, *, threshold: float | None = None, reference_end: int | None = None,
                   causal: bool = False, progress=None) -> SeriesResult:
    """Anomaly score per point of a univariate series, standardised by its first SERIES_REFERENCE share (or `reference_end` points).

    The score is smoothed over `model.smooth` points, centred, or trailing when `causal` (streaming evaluation).
    """
    report = progress_callback(progress)
    values = np.asarray(series.values, dtype=float)
    span = model.window * model.seq_len
    reference_end = reference_end or max(span, int(SERIES_REFERENCE * len(values)))
    report(0.3, desc="Scoring with the VAE-LSTM")
    score = smooth_scores(vae_lstm_scores(model, standardise_by_reference(values, reference_end)), model.smooth, causal=causal)
    return SeriesResult(series.timestamps, values, score, model.threshold if threshold is None else float(threshold), series.name)


def _channel(recording: Recording, names: tuple[str, ...]) -> int | None:
    upper = [c.strip().upper() for c in recording.channels]
    return next((upper.index(n) for n in names if n in upper), None)


def recording_mode(recording: Recording) -> str:
    """"waveform" for a recording with a respiration channel (or a single unnamed one), "rr" for an ECG."""
    if _channel(recording, RESP_CHANNELS) is None and _channel(recording, ECG_CHANNELS) is not None:
        return "rr"
    return "waveform"


def ecg_beats(recording: Recording) -> BeatSeries:
    """Beat times of an ECG record, from the ECG task's R-peak detector."""
    from core.ecg.beats import ecg_peaks

    index = _channel(recording, ECG_CHANNELS)
    peaks = ecg_peaks(recording.signal[:, 0 if index is None else index], recording.fs)
    beat_times, rr = rr_from_beats(peaks / recording.fs)
    return BeatSeries(beat_times=beat_times, rr=rr, name=recording.name, source="ecg")


def input_mode(data, mode: str | None = None) -> str:
    """The mode that reads `data`: `mode` when given and it fits the data, else the data's own."""
    if mode is not None and mode not in MODES:
        raise InputError(f"Unknown mode {mode!r}; accepted modes are {list(MODES)}.")
    kind = "series" if isinstance(data, ValueSeries) else "rr" if isinstance(data, BeatSeries) else recording_mode(data)
    if mode is not None and mode != kind and not (mode == "rr" and isinstance(data, Recording)):
        raise InputError(
            f"This file holds a {kind} input, not {mode!r}; for 'series' upload a timestamp,value CSV, for 'rr' beat "
            "times or RR intervals (or an ECG), for 'waveform' a breathing signal."
        )
    return mode or kind


def choose_variant(data, *, mode: str | None = None, **options) -> str:
    """The checkpoint variant of the mode that reads `data` (see `input_mode`)."""
    return MODE_VARIANT[input_mode(data, mode)]


def predict(model, data, *, mode: str | None = None, threshold: float | str | None = None, models: dict | None = None,
            vae=None, progress=None):
    """Run the mode that fits `data` (or the given `mode`).

    The mode's model variants come from `model`, then `models` (variant -> loaded model, as a Space holds them),
    then the shipped checkpoints. threshold: the series-mode anomaly threshold (default: the checkpoint's).
    """
    mode = input_mode(data, mode)
    if mode == "series":
        return predict_series(_model(model, "series", models), data, threshold=None if threshold in (None, "") else float(threshold),
                              progress=progress)
    if mode == "rr":
        beats = data if isinstance(data, BeatSeries) else ecg_beats(data)
        return predict_apnea(_model(model, "apnea", models), vae or _model(model, "apnea-vae", models), beats, progress=progress)
    index = _channel(data, RESP_CHANNELS)
    index = 0 if index is None else index
    return predict_waveform(_model(model, "waveform", models), data.signal[:, index], data.fs, channel=data.channels[index], progress=progress)
