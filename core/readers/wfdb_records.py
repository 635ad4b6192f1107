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
from core.readers import MAX_FILE_BYTES, MAX_VALUES, Recording, check_file
from core.readers.tabular import repair_signal

CACHE_DIR = Path(os.environ.get("PHYSIOSPACES_CACHE", Path.home() / ".cache" / "physiospaces")) / "wfdb"
MAX_HEADER_BYTES = 64 * 1024
MAX_DECOMPRESSED_BYTES = 4 * MAX_FILE_BYTES
BITS_PER_VALUE = {8: 8, 16: 16, 24: 24, 32: 32, 61: 16, 80: 8, 160: 16, 212: 12, 310: 10, 311: 10}
"""Bits one sample takes in each WFDB storage format."""


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


def _signal_format(fields: list[str]) -> tuple[int, int]:
    """(format code, samples per frame) of a header signal line: `212x4` is format 212, 4 samples per frame."""
    match = re.match(r"(\d+)(?:x(\d+))?", fields[1]) if len(fields) > 1 else None
    if match is None:
        return 16, 1
    return int(match.group(1)), int(match.group(2) or 1)


def _check_size(lines: list[str], signal_lines: list[int], name: str, data_bytes: int | None = None) -> None:
    """Refuse a record of more than MAX_VALUES samples x signals, from the header's sample count or, when the header
    states none, from the size of its data files, before any sample is decoded."""
    first = lines[0].split()
    formats = [_signal_format(lines[index].split()) for index in signal_lines]
    per_frame = sum(spf for _, spf in formats)
    if len(first) > 3 and first[3].isdigit():
        values = int(first[3]) * per_frame
    elif data_bytes is not None:
        bits = min(BITS_PER_VALUE.get(fmt, 8) for fmt, _ in formats)
        values = data_bytes * 8 // bits
    else:
        return
    if values > MAX_VALUES:
        raise FileTooLargeError(
            f"WFDB record {name!r} holds {values:,} samples x signals, over the {MAX_VALUES:,} limit of one request "
            "(a 24-hour two-lead Holter at 360 Hz is 62 million); upload a shorter part of the record."
        )


def _annotation_files(extra_files: tuple[Path, ...], data_files: set[Path]) -> list[Path]:
    """Uploaded companions that are neither data files nor headers: WFDB annotation files, the reference `.atr` first
    (before a detector's `.qrs` and the like)."""
    found = [
        path
        for path in extra_files
        if path not in data_files
        and re.fullmatch(r"\.[A-Za-z0-9_]{1,8}", path.suffix)
        and path.suffix.lower() not in (".hea", ".dat", ".xz", ".csv", ".txt")
    ]
    return sorted(found, key=lambda path: path.suffix.lower() != ".atr")


def _read_annotations(path: Path, workdir: Path, record_name: str, fs: float, n_frames: int) -> dict:
    """Beat annotations of an annotation file, refused if it does not belong to this record (rate or length)."""
    folder = workdir / "annotations"  # no header beside it: wfdb then reports the rate the file itself states
    folder.mkdir()
    extension = path.suffix[1:]
    shutil.copyfile(path, folder / f"record.{extension}")
    try:
        ann = wfdb.rdann(str(folder / "record"), extension)
    except Exception as exc:  # wfdb raises many types on malformed input
        raise InputError(
            f"Annotation file {path.name!r} could not be decoded ({type(exc).__name__}); upload the record's WFDB "
            "annotation file (.atr) unchanged."
        ) from None
    if ann.fs is not None and abs(float(ann.fs) - fs) > 1e-6:
        raise InputError(
            f"Annotation file {path.name!r} was written at {float(ann.fs):g} Hz but record {record_name!r} is sampled "
            f"at {fs:g} Hz; upload the annotation file of this record."
        )
    sample = np.asarray(ann.sample, dtype=np.int64)
    if len(sample) and (sample.min() < 0 or sample.max() >= n_frames):
        raise InputError(
            f"Annotation file {path.name!r} marks events up to {sample.max() / fs:.1f} s but record {record_name!r} is "
            f"{n_frames / fs:.1f} s long; upload the annotation file of this record."
        )
    return {"sample": sample, "symbol": np.asarray(ann.symbol), "file": path.name}


def _samples_at_one_rate(record: wfdb.Record) -> tuple[np.ndarray, int]:
    """Every lead at the record's highest rate, and that rate's samples per frame: a lead stored at a lower rate is
    linearly interpolated, the fastest leads keep their own samples (never averaged down to the frame rate)."""
    per_frame = [int(spf) for spf in record.samps_per_frame]
    top = max(per_frame)
    n = record.sig_len * top
    columns = []
    for samples, spf in zip(record.e_p_signal, per_frame):
        samples = np.asarray(samples, dtype=float)[: record.sig_len * spf]
        if spf == top:
            columns.append(samples)
        else:  # sample k of a lead with spf per frame sits at k * top / spf on the fast clock
            columns.append(np.interp(np.arange(n), np.arange(len(samples)) * top / spf, samples))
    return np.column_stack(columns), top


def read_wfdb(
    header_path: str | Path, *, extra_files: tuple[str | Path, ...] = (), split_gaps: bool = False
) -> Recording:
    """Read a WFDB record from its header path; data files are found beside it or among `extra_files`.

    split_gaps: keep invalid runs too long to fill as NaN (see `repair_signal`) instead of refusing the record.
    Reference annotations are attached when an annotation file is among `extra_files` (any WFDB annotator extension),
    or an `.atr` lies beside the header. A multi-rate record is read at its fastest lead's rate; `meta["lead_fs"]`
    gives each lead's own rate.
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
    _check_size(lines, signal_lines, record_name)
    with tempfile.TemporaryDirectory(prefix="physiospaces-wfdb-") as workdir:
        workdir = Path(workdir)
        safe_names: dict[str, str] = {}
        sources: set[Path] = set()
        for index in signal_lines:
            fields = lines[index].split()
            base = Path(fields[0]).name  # '0/x.dat' and '1/x.dat' are the same upload: one copy
            if base not in safe_names:
                source = _find_data(fields[0], header_path.parent, extras)
                sources.add(source)
                safe = f"signal{len(safe_names)}.dat"
                if source.name.endswith(".xz"):
                    cached = _cached_xz(source) if not extras else None
                    if cached is not None:
                        os.symlink(cached, workdir / safe)
                    else:
                        _decompress_xz(source, workdir / safe)
                else:
                    shutil.copyfile(source, workdir / safe)
                safe_names[base] = safe
            lines[index] = " ".join([safe_names[base], *fields[1:]])
        data_bytes = sum((workdir / safe).stat().st_size for safe in safe_names.values())
        _check_size(lines, signal_lines, record_name, data_bytes)
        first = lines[0].split()
        lines[0] = " ".join(["record", *first[1:]])
        (workdir / "record.hea").write_text("\n".join(lines) + "\n")
        try:
            record = wfdb.rdrecord(str(workdir / "record"), smooth_frames=False)
            signal, top = _samples_at_one_rate(record)
        except Exception as exc:  # wfdb raises many types on malformed input
            raise InputError(
                f"WFDB record {record_name!r} could not be decoded ({type(exc).__name__}: {exc}); "
                "check that the .dat file belongs to this header and is complete."
            ) from None
        if signal.size == 0:
            raise InputError(f"WFDB record {record_name!r} holds no samples; upload a record with signal data.")
        if not np.isfinite(signal).any():
            raise InputError(f"WFDB record {record_name!r} decodes to no valid samples; the .dat file looks corrupt.")
        annotation_files = _annotation_files(extras, sources)
        if not annotation_files and not extras and header_path.with_suffix(".atr").is_file():
            annotation_files = [header_path.with_suffix(".atr")]
        annotations = None
        if annotation_files:
            annotations = _read_annotations(annotation_files[0], workdir, record_name, float(record.fs), record.sig_len)
            annotations["sample"] = annotations["sample"] * top
    fs = float(record.fs) * top
    signal, repaired = repair_signal(signal, fs, header_path.name, split_gaps=split_gaps)
    if annotations is not None and repaired:  # sample numbers count from the first row kept
        sample = annotations["sample"] - repaired["invalid_samples"]["first_row"]
        keep = (sample >= 0) & (sample < len(signal))
        annotations = {**annotations, "sample": sample[keep], "symbol": annotations["symbol"][keep]}
    names = [name or f"signal {i + 1}" for i, name in enumerate(record.sig_name or [None] * signal.shape[1])]
    meta = {"units": tuple(record.units or ()), **repaired}
    if top > 1 or len(set(record.samps_per_frame)) > 1:
        meta["lead_fs"] = {name: float(record.fs) * spf for name, spf in zip(names, record.samps_per_frame)}
    return Recording(signal=signal, fs=fs, channels=tuple(names), name=record_name, annotations=annotations, meta=meta)
