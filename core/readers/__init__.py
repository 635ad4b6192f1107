"""Readers turn a file into one small typed `Recording`, whatever the format.

`read_signal` dispatches on the file's suffix; every reader also accepts a local path, so the same code
reads a user's upload, a shipped example and a downloaded dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import FileTooLargeError, InputError, UnsupportedFormatError

MAX_FILE_BYTES = 100 * 1024 * 1024
"""Largest file one request may read (100 MiB: a 30-minute two-lead 360 Hz CSV is about 25 MiB)."""

MAX_VALUES = 70_000_000
"""Most samples x signals one request decodes: a 24-hour Holter (2 leads at 360 Hz, or 3 at 250 Hz) still passes."""
_VOLTS = {"v": 1000.0, "mv": 1.0, "uv": 0.001, "µv": 0.001, "μv": 0.001}

_PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


@dataclass(frozen=True)
class Recording:
    """A multichannel signal with its sampling rate.

    signal: (n_samples, n_channels) float64, in the channels' units.
    fs: sampling rate in Hz (nominal, when `time` holds irregular timestamps).
    channels: one name per column of `signal`.
    time: optional (n_samples,) timestamps in seconds, for irregularly sampled recordings.
    annotations: optional reference annotations, e.g. {"sample": array, "symbol": array}.
    meta: anything else the file states (units, sport, gender...).
    """

    signal: np.ndarray
    fs: float
    channels: tuple[str, ...]
    name: str = "recording"
    time: np.ndarray | None = None
    annotations: dict | None = None
    meta: dict = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return len(self.signal) / self.fs

    def channel(self, name: str) -> np.ndarray:
        """One channel by name."""
        if name not in self.channels:
            raise InputError(f"Channel {name!r} is not in this recording; it has {list(self.channels)}.")
        return self.signal[:, self.channels.index(name)]


def millivolts_per(unit: str) -> float | None:
    """The factor turning values in `unit` (V, mV, µV/uV) into mV; None for a unit that is not a voltage."""
    return _VOLTS.get(unit.strip().lower())


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def check_file(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> Path:
    """Refuse a missing, empty, oversized or pickled file before any parser sees it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"File {path.name!r} does not exist; check the path.")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"File {path.name!r} is empty; upload a file that holds a recording.")
    if size > max_bytes:
        raise FileTooLargeError(
            f"File {path.name!r} is {_size(size)}, over the {_size(max_bytes)} limit; upload a shorter excerpt."
        )
    with path.open("rb") as handle:
        head = handle.read(2)
    if head in _PICKLE_MAGIC:
        raise UnsupportedFormatError(
            f"File {path.name!r} is a Python pickle, which PhysioSpaces never loads; export it as CSV."
        )
    return path


def read_signal(path: str | Path, *, fs: float | None = None, extra_files: tuple[str | Path, ...] = ()) -> Recording:
    """Read a CSV signal table, an Apple Watch ECG export, a WFDB record (`.hea`, with its `.dat` or `.dat.xz` beside
    it or in `extra_files`, and optionally an annotation file there) or an EDF/EDF+ file.

    fs: sampling rate in Hz, required for a CSV that states none.
    """
    from core.readers.apple_watch import looks_like_apple_watch, read_apple_watch
    from core.readers.edf import read_edf
    from core.readers.tabular import read_signal_csv
    from core.readers.wfdb_records import read_wfdb

    path = check_file(path)
    suffixes = "".join(path.suffixes[-2:]).lower()
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        return read_apple_watch(path) if looks_like_apple_watch(path) else read_signal_csv(path, fs=fs)
    if path.suffix.lower() == ".hea":
        return read_wfdb(path, extra_files=extra_files)
    if path.suffix.lower() == ".edf":
        return read_edf(path)
    if path.suffix.lower() in (".atr", ".qrs", ".ann"):
        raise InputError(
            f"File {path.name!r} is a WFDB annotation file; upload it together with its record's .hea and .dat files."
        )
    if path.suffix.lower() == ".dat" or suffixes == ".dat.xz":
        raise InputError(f"File {path.name!r} is WFDB signal data without its header; upload the .hea file with it.")
    raise UnsupportedFormatError(
        f"File {path.name!r} has an unsupported type {path.suffix!r}; upload a CSV or a WFDB record (.hea + .dat), or "
        "an EDF file."
    )
