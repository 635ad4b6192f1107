"""WFDB records (`.hea` + `.dat`, or `.dat.xz` as stored in the shared MIT-BIH copy), read with the `wfdb` package.

The header is rewritten into a private folder before `wfdb` sees it, so neither the record name nor the
signal file names written in an uploaded header are ever used as paths.
"""

from __future__ import annotations

import lzma
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import wfdb

from core.errors import FileTooLargeError, InputError
from core.readers import MAX_FILE_BYTES, Recording, check_file
from core.readers.tabular import repair_signal

CACHE_DIR = Path(os.environ.get("PHYSIOSPACES_CACHE", Path.home() / ".cache" / "physiospaces")) / "wfdb"
MAX_HEADER_BYTES = 64 * 1024
MAX_DECOMPRESSED_BYTES = 4 * MAX_FILE_BYTES


def _decompress_xz(source: Path, target: Path) -> None:
    """Decompress in 1 MiB pieces, refusing output over MAX_DECOMPRESSED_BYTES
    (a compression bomb) with bounded memory."""
    decompressor = lzma.LZMADecompressor()
    written = 0
    try:
        with source.open("rb") as inp, target.open("wb") as out:
            for chunk in iter(lambda: inp.read(1 << 20), b""):
                data = decompressor.decompress(chunk, max_length=1 << 20)
                while True:
                    written += len(data)
                    if written > MAX_DECOMPRESSED_BYTES:
                        raise FileTooLargeError(
                            f"File {source.name!r} decompresses to over {MAX_DECOMPRESSED_BYTES / 2**20:.0f} MiB; "
                            "upload a shorter record."
                        )
                    out.write(data)
                    if decompressor.eof or decompressor.needs_input:
                        break
                    data = decompressor.decompress(b"", max_length=1 << 20)
    except lzma.LZMAError:
        raise InputError(f"File {source.name!r} is not valid xz data; upload the plain .dat file.") from None


def _cached_xz(source: Path) -> Path:
    """Decompressed copy of a local `.dat.xz`, kept in the cache folder keyed by size and mtime."""
    stat = source.stat()
    target = CACHE_DIR / f"{source.name[:-3]}.{stat.st_size}.{int(stat.st_mtime)}"
    if not target.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        # a private partial file per call: concurrent readers of the same record never see another's half-written copy
        handle, name = tempfile.mkstemp(dir=CACHE_DIR, prefix=target.name, suffix=".part")
        os.close(handle)
        partial = Path(name)
        try:
            _decompress_xz(source, partial)
        except InputError:
            partial.unlink(missing_ok=True)  # a refused bomb must not leave hundreds of MiB in the cache
            raise
        partial.replace(target)
    return target


def _parse_header(text: str, name: str) -> tuple[list[str], list[int]]:
    """Header lines without comments, and the indices of the signal lines."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InputError(f"File {name!r} is not a WFDB header: it has no record line; upload the record's .hea file.")
    fields = lines[0].split()
    try:
        n_signals = int(fields[1])
    except (IndexError, ValueError):
        raise InputError(
            f"File {name!r} is not a WFDB header: its first line {lines[0][:60]!r} has no signal count."
        ) from None
    rate = fields[2].split("/")[0] if len(fields) > 2 else "360"
    if not re.fullmatch(r"\d+\.?\d*|\.\d+", rate):  # wfdb would silently read '1e+09' as 1 Hz
        raise InputError(
            f"File {name!r} states the sampling rate {rate[:20]!r}, not a plain number of Hz; write it like 360."
        )
    if n_signals < 1 or len(lines) < 1 + n_signals:
        raise InputError(
            f"File {name!r} declares {n_signals} signals but describes {len(lines) - 1}; upload an intact header."
        )
    return lines, list(range(1, 1 + n_signals))


def _find_data(file_name: str, header_dir: Path, extra_files: tuple[Path, ...]) -> Path:
    """The data file a header names: among the uploaded extras, or beside the header (plain or `.xz`)."""
    base = Path(file_name).name  # never follow directories written in a header
    for candidate in extra_files:
        if candidate.name in (base, base + ".xz") or candidate.name.endswith("_" + base):
            return candidate
    for candidate in (header_dir / base, header_dir / (base + ".xz")):
        if candidate.is_file():
            return candidate
    raise InputError(
        f"The WFDB header names the data file {base!r}, which was not provided; upload {base!r} together with the .hea "
        "file."
    )


def read_wfdb(
    header_path: str | Path, *, extra_files: tuple[str | Path, ...] = (), split_gaps: bool = False
) -> Recording:
    """Read a WFDB record from its header path; data files are found beside it or among `extra_files`.

    split_gaps: keep invalid runs too long to fill as NaN (see `repair_signal`) instead of refusing the record.
    Reference annotations (`.atr` beside the header) are attached when present.
    """
    header_path = check_file(header_path, max_bytes=MAX_HEADER_BYTES)
    extras = tuple(check_file(path) for path in extra_files)
    try:
        text = header_path.read_text(encoding="ascii")
    except UnicodeDecodeError:
        raise InputError(
            f"File {header_path.name!r} is not a text WFDB header; upload the record's .hea file."
        ) from None
    lines, signal_lines = _parse_header(text, header_path.name)
    record_name = lines[0].split()[0].split("/")[0]
    with tempfile.TemporaryDirectory(prefix="physiospaces-wfdb-") as workdir:
        workdir = Path(workdir)
        safe_names: dict[str, str] = {}
        for index in signal_lines:
            fields = lines[index].split()
            original = fields[0]
            if original not in safe_names:
                source = _find_data(original, header_path.parent, extras)
                safe = f"signal{len(safe_names)}.dat"
                if source.name.endswith(".xz"):
                    cached = _cached_xz(source) if not extras else None
                    if cached is not None:
                        os.symlink(cached, workdir / safe)
                    else:
                        _decompress_xz(source, workdir / safe)
                else:
                    shutil.copyfile(source, workdir / safe)
                safe_names[original] = safe
            lines[index] = " ".join([safe_names[original], *fields[1:]])
        first = lines[0].split()
        lines[0] = " ".join(["record", *first[1:]])
        (workdir / "record.hea").write_text("\n".join(lines) + "\n")
        try:
            record = wfdb.rdrecord(str(workdir / "record"))
        except Exception as exc:  # wfdb raises many types on malformed input
            raise InputError(
                f"WFDB record {record_name!r} could not be decoded ({type(exc).__name__}: {exc}); "
                "check that the .dat file belongs to this header and is complete."
            ) from None
        signal = record.p_signal
        if signal is None or signal.size == 0:
            raise InputError(f"WFDB record {record_name!r} holds no samples; upload a record with signal data.")
        if not np.isfinite(signal).any():
            raise InputError(f"WFDB record {record_name!r} decodes to no valid samples; the .dat file looks corrupt.")
        annotations = None
        atr = header_path.with_suffix(".atr")
        if atr.is_file() and not extras:
            shutil.copyfile(atr, workdir / "record.atr")
            ann = wfdb.rdann(str(workdir / "record"), "atr")
            annotations = {"sample": np.asarray(ann.sample), "symbol": np.asarray(ann.symbol)}
    signal, repaired = repair_signal(signal, float(record.fs), header_path.name, split_gaps=split_gaps)
    if annotations is not None and repaired:  # sample numbers count from the first row kept
        sample = annotations["sample"] - repaired["invalid_samples"]["first_row"]
        keep = (sample >= 0) & (sample < len(signal))
        annotations = {"sample": sample[keep], "symbol": annotations["symbol"][keep]}
    return Recording(
        signal=signal,
        fs=float(record.fs),
        channels=tuple(record.sig_name),
        name=record_name,
        annotations=annotations,
        meta={"units": tuple(record.units), **repaired},
    )
