"""The respiration task's one code path, in three modes, shared by the CLI, the Space and evaluation.

waveform: a breathing waveform -> breaths, rate, pauses > 10 s, VAE-LSTM anomaly score along the signal.
rr: beat times, RR intervals or an ECG record -> per-minute apnea probability (supervised) and VAE-LSTM score.
series: any `timestamp,value` series (the NAB format) -> VAE-LSTM anomaly score per point and flagged intervals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.errors import InputError
from core.readers import Recording, check_file, read_signal
from core.readers.series import (
    BEAT_COLUMNS,
    RR_COLUMNS,
    SERIES_COLUMNS,
    BeatSeries,
    ValueSeries,
    header_columns,
    read_beats,
    read_series,
)
from core.readers.tabular import read_signal_csv
from core.respiration.apnea import ApneaResult, check_night, ecg_beats, predict_apnea
from core.respiration.series import SeriesResult, predict_series
from core.respiration.waveform import WaveformResult, predict_waveform

MODES = ("waveform", "rr", "series")
RESP_CHANNELS = ("RESP", "IMPEDANCE", "BREATH", "THO", "CHEST", "ABD", "AIRFLOW", "FLOW", "NASAL", "PNEUMO")
"""Starts of respiration lead names, in order of preference (RESP, Resp, THOR, Thorax, ABD, Abdomen, Airflow...)."""
ECG_CHANNELS = ("MLII", "II", "ECG", "LEAD II", "ECG1", "V5", "V1", "V", "I")
MODE_VARIANT = {"series": "series", "waveform": "waveform", "rr": "apnea"}
COMPANION_PURPOSE = "apnea"
"""The `purpose` of the VAE-LSTM that scores the rr mode's minutes beside the apnea CNN (variant "apnea-vae")."""


def read_respiration(
    path: str | Path, *, fs: float | None = None, extra_files: tuple = ()
) -> Recording | BeatSeries | ValueSeries:
    """A respiration-task upload: a waveform (CSV or WFDB), beat times / RR intervals (CSV), an ECG, or a
    `timestamp,value` series."""
    path = check_file(path)
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        columns = set(header_columns(path))
        if set(SERIES_COLUMNS) <= columns:
            return read_series(path)
        if columns & (set(RR_COLUMNS) | set(BEAT_COLUMNS)):
            return read_beats(path)
        return read_signal_csv(path, fs=fs, split_gaps=True)
    if path.suffix.lower() == ".hea":
        from core.readers.wfdb_records import read_wfdb

        return read_wfdb(path, extra_files=extra_files, split_gaps=True)
    return read_signal(path, fs=fs, extra_files=extra_files)


def _channel(recording: Recording, names: tuple[str, ...]) -> int | None:
    upper = [c.strip().upper() for c in recording.channels]
    return next((upper.index(n) for n in names if n in upper), None)


def resp_leads(recording: Recording) -> list[str]:
    """The recording's respiration leads by name (see RESP_CHANNELS), most preferred first."""
    upper = [c.strip().upper() for c in recording.channels]
    ranked = sorted(
        (rank, i) for i, name in enumerate(upper) for rank, start in enumerate(RESP_CHANNELS) if name.startswith(start)
    )
    return list(dict.fromkeys(recording.channels[i] for _, i in ranked))


def lead_samples(recording: Recording, index: int) -> tuple[np.ndarray, float]:
    """One lead at its own rate: a lead a multi-rate reader put on a faster clock (`meta["lead_fs"]`, EDF or WFDB)
    gets its own samples back when the clocks are whole multiples, else stays on the recording's clock."""
    own = recording.meta.get("lead_fs", {}).get(recording.channels[index], recording.fs)
    if 0 < own < recording.fs and abs(recording.fs / own - round(recording.fs / own)) < 1e-9:
        step = recording.fs / own
        return recording.signal[:: int(round(step)), index], float(own)
    return recording.signal[:, index], recording.fs


def resp_lead(recording: Recording, lead: str | None = None) -> int:
    """Index of the respiration lead: `lead` by name when given, else the first of `resp_leads`, else the only
    channel."""
    if lead:
        names = [c.strip().upper() for c in recording.channels]
        if lead.strip().upper() not in names:
            raise InputError(f"Lead {lead!r} is not in this recording; it has {list(recording.channels)}.")
        return names.index(lead.strip().upper())
    leads = resp_leads(recording)
    return recording.channels.index(leads[0]) if leads else 0


def recording_mode(recording: Recording) -> str:
    """ "waveform" for a recording with a respiration channel (or a single unnamed one), "rr" for an ECG."""
    if not resp_leads(recording) and _channel(recording, ECG_CHANNELS) is not None:
        return "rr"
    return "waveform"


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


def _check_model(model, mode: str) -> None:
    """Refuse a model that is not the variant `mode` reads: a VAE-LSTM of that purpose, or for rr the apnea CNN."""
    wanted = None if mode == "rr" else mode  # only the VAE-LSTM has a purpose
    if model is None or getattr(model, "purpose", None) != wanted:
        variant = MODE_VARIANT[mode]
        raise InputError(f"This is a {mode!r} input, which the {variant!r} variant reads; load that variant.")


def predict(
    model,
    data,
    *,
    mode: str | None = None,
    threshold: float | str | None = None,
    lead: str | None = None,
    vae=None,
    progress=None,
) -> WaveformResult | ApneaResult | SeriesResult:
    """Run the mode that fits `data` (or the given `mode`) with `model`, which must be that mode's variant
    (`choose_variant`).

    threshold: the series-mode anomaly threshold (default: the model's). lead: the waveform mode's respiration lead by
    name (default: the first of `resp_leads`). vae: the rr mode's "apnea-vae" VAE-LSTM, which adds an anomaly score per
    minute (None: no score).
    """
    mode = input_mode(data, mode)
    _check_model(model, mode)
    if mode == "series":
        threshold = None if threshold in (None, "") else float(threshold)
        return predict_series(model, data, threshold=threshold, progress=progress)
    if mode == "rr":
        if vae is not None and getattr(vae, "purpose", None) != COMPANION_PURPOSE:
            raise InputError("The vae= companion of the 'rr' mode is the 'apnea-vae' variant; load that variant.")
        if isinstance(data, Recording) and data.fs > 0:  # a bad rate is named by the ECG checks
            check_night(data.duration_s)
        beats = data if isinstance(data, BeatSeries) else ecg_beats(data, _channel(data, ECG_CHANNELS))
        return predict_apnea(model, beats, vae=vae, progress=progress)
    index = resp_lead(data, lead)
    resp, fs = lead_samples(data, index)
    return predict_waveform(model, resp, fs, channel=data.channels[index], progress=progress)
