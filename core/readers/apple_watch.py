"""Apple Watch ECG exports: the CSV the Health app writes per recording (key,value metadata lines such as
`Sample Rate,512 hertz`, `Lead,Lead I` and `Unit,µV`, then one voltage per line, with the device locale's decimal
separator)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from core.errors import FileTooLargeError, InputError, SamplingRateError
from core.readers import Recording, check_file, millivolts_per

MAX_SAMPLES = 2_000_000
"""Most samples one export may hold: over an hour at 512 Hz (the watch records 30 s)."""
KEEP = {"recorded date": "recorded", "classification": "classification", "device": "device", "symptoms": "symptoms"}
"""Metadata kept in `Recording.meta`; the person's name and date of birth never are."""
_RATE = re.compile(r"^\ufeff?\s*Sample Rate\s*,\s*([\d.]+)\s*hertz", re.IGNORECASE | re.MULTILINE)
_SAMPLE = re.compile(r"-?\d+(?:[.,]\d+)?")


def looks_like_apple_watch(path: Path) -> bool:
    """Whether a text file opens like an Apple Watch ECG export (a `Sample Rate,... hertz` line in its header)."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        head = "".join(handle.readline() for _ in range(20))
    return _RATE.search(head) is not None


def read_apple_watch(path: str | Path) -> Recording:
    """An Apple Watch ECG export as a one-lead `Recording` in mV (the file states µV)."""
    path = check_file(path)
    meta: dict = {"source": "Apple Watch ECG export"}
    fields: dict[str, str] = {}
    values: list[float] = []
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            if values or _SAMPLE.fullmatch(text):
                if not _SAMPLE.fullmatch(text):
                    raise InputError(
                        f"File {path.name!r} has {text[:30]!r} on line {number} among its voltage samples; export the "
                        "ECG again from the Health app."
                    )
                if len(values) == MAX_SAMPLES:
                    raise FileTooLargeError(
                        f"File {path.name!r} holds over {MAX_SAMPLES:,} samples, more than an Apple Watch ECG export "
                        "(30 s); upload the export as the Health app wrote it."
                    )
                values.append(float(text.replace(",", ".")))
                continue
            row = next(csv.reader([text]))
            fields[row[0].strip().lower()] = ",".join(row[1:]).strip()
    rate = re.match(r"([\d.]+)", fields.get("sample rate", ""))
    fs = float(rate.group(1)) if rate else 0.0
    if not fs > 0:
        raise SamplingRateError(
            f"File {path.name!r} states no usable 'Sample Rate' ({fields.get('sample rate', 'missing')!r}); it should "
            "read like 'Sample Rate,512 hertz'."
        )
    if len(values) < 2:
        raise InputError(f"File {path.name!r} holds no voltage samples after its header; export the ECG again.")
    unit = fields.get("unit", "µV")
    factor = millivolts_per(unit)
    if factor is None:
        raise InputError(f"File {path.name!r} states the unit {unit!r}; an Apple Watch ECG is in µV (or mV, V).")
    signal = np.array(values) * factor
    meta.update({name: fields[key] for key, name in KEEP.items() if fields.get(key)})
    meta["units"] = ("mV",)
    return Recording(
        signal=signal[:, None], fs=fs, channels=(fields.get("lead") or "Lead I",), name=path.stem, meta=meta
    )
