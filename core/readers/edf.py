"""EDF and EDF+ files (European Data Format), read with `edfio`: every signal, at the fastest signal's rate, and the
EDF+ annotations as events."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from core.errors import FileTooLargeError, InputError
from core.readers import MAX_VALUES, Recording, check_file, millivolts_per

MAX_EVENTS = 100_000


def read_edf(path: str | Path) -> Recording:
    """An EDF/EDF+ file as a `Recording`: signals sampled slower than the fastest are linearly interpolated onto its
    clock (`meta["lead_fs"]` keeps each one's own rate), voltages in mV, EDF+ annotations in `meta["events"]`
    (onset and duration in s, text), what edfio repaired (a file cut off mid-record is read up to there) in
    `meta["warnings"]`. The patient and recording identification fields are never kept."""
    import edfio

    path = check_file(path)
    try:
        with warnings.catch_warnings(record=True) as caught:  # e.g. a cut-off last data record, read up to there
            warnings.simplefilter("always")
            edf = edfio.read_edf(path, lazy_load_data=True)
        signals = list(edf.signals)
    except Exception as exc:  # edfio raises ValueError and others on malformed headers
        raise InputError(
            f"File {path.name!r} is not a readable EDF/EDF+ file ({type(exc).__name__}); export it again as EDF."
        ) from None
    if not signals:
        raise InputError(f"File {path.name!r} holds no signals, only annotations; upload an EDF with a recording.")
    rates = [float(signal.sampling_frequency) for signal in signals]
    top = max(rates)
    n = int(round(edf.duration * top))
    if n * len(signals) > MAX_VALUES:
        raise FileTooLargeError(
            f"File {path.name!r} holds {n * len(signals):,} samples x signals at {top:g} Hz, over the {MAX_VALUES:,} "
            "limit of one request (slower signals count at that rate); upload a shorter part, or an EDF of only the "
            "signals you need."
        )
    columns, units = [], []
    try:
        for signal, rate in zip(signals, rates):
            data = np.asarray(signal.data, dtype=float)
            factor = millivolts_per(signal.physical_dimension)
            if factor is not None:
                data, unit = data * factor, "mV"
            else:
                unit = signal.physical_dimension.strip()
            if rate != top:
                data = np.interp(np.arange(n) / top, np.arange(len(data)) / rate, data)
            columns.append(data[:n])
            units.append(unit)
        events = [
            {"onset_s": float(a.onset), "duration_s": float(a.duration or 0.0), "text": str(a.text)}
            for a in edf.annotations[:MAX_EVENTS]
        ]
    except Exception as exc:
        raise InputError(
            f"File {path.name!r} is cut short or corrupt ({type(exc).__name__}); export it again as EDF."
        ) from None
    names = [signal.label.strip() or f"signal {i + 1}" for i, signal in enumerate(signals)]
    meta = {"units": tuple(units), "source": "EDF"}
    if len(set(rates)) > 1:
        meta["lead_fs"] = dict(zip(names, rates))
    if events:
        meta["events"] = events
    if caught:
        meta["warnings"] = [str(warning.message) for warning in caught]
    return Recording(signal=np.column_stack(columns), fs=top, channels=tuple(names), name=path.stem, meta=meta)
