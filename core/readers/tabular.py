"""CSV signal tables: one or more numeric signal columns, an optional time column, a sampling rate."""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import FileTooLargeError, InputError, SamplingRateError
from core.readers import Recording, check_file

TIME_COLUMNS = ("time", "time_s", "t", "seconds", "timestamp", "time [s]", "time_ms")
FS_COLUMNS = ("fs", "sampling_rate", "sample_rate", "hz")
_FS_COMMENT = re.compile(r"#.*?(?:fs|sampling[_ ]rate|sample[_ ]rate)\s*[:=]\s*([0-9.]+)", re.IGNORECASE)
MAX_GAP_S = 0.05
"""NaN runs up to this long are interpolated; longer ones are refused, or kept as NaN for a reader that splits there."""
MAX_EDGE_TRIM_S = 1.0
"""Invalid rows at the very start or end up to this long (a multi-channel record's skew, a cut-off last line) are
trimmed rather than refused."""
MAX_ROWS = 5_000_000
"""Most rows one request may read (3.8 h at 360 Hz, 14 h at 100 Hz); parsing stops just past it,
so a longer file costs no more."""
MAX_COLUMNS = 64
"""Most columns a CSV may have (a 12-lead ECG with time has 13, a sleep-study export about 30)."""
MAX_CELLS = 20_000_000
"""Most values one request may parse (rows x columns: 160 MB as float64); fewer rows are read from wider tables."""
SNIFF_LINES = 50
"""Data lines `sniff_csv` looks at to decide the separator, decimal mark and header."""
UNNAMED_COLUMN = "signal"
"""Name of the column of a CSV without a header line ("signal1", "signal2"... when there are several)."""
_DECIMAL_COMMA = re.compile(r"^([-+]?(\d+(,\d*)?|,\d+)(e[-+]?\d+)?|nan)$", re.IGNORECASE)


def read_table(path: str | Path, *, max_rows: int | None = None) -> pd.DataFrame:
    """Read a CSV into a DataFrame, with a clear message when it is not a table.

    max_rows: a lower row limit than the general one (`MAX_ROWS`, `MAX_CELLS`), for readers of short series.

    The layout is sniffed first (`sniff_csv`); a note on anything unusual it found (semicolons, decimal commas, a BOM,
    no header line) is kept in `frame.attrs["csv"]`.
    """
    path = check_file(path)
    _require_text(path)
    dialect = sniff_csv(path)
    if dialect.columns > MAX_COLUMNS:
        raise FileTooLargeError(
            f"File {path.name!r} has {dialect.columns} columns, over the limit of {MAX_COLUMNS}; "
            "keep only the signal columns (and time) in the CSV."
        )
    max_rows = min(MAX_ROWS, MAX_CELLS // max(dialect.columns, 1), max_rows or MAX_ROWS)
    try:
        frame = pd.read_csv(
            path,
            comment="#",
            sep=dialect.sep,
            decimal=dialect.decimal,
            header=0 if dialect.header else None,
            encoding="utf-8-sig",
            encoding_errors="strict",
            nrows=max_rows + 1,
        )
    except UnicodeDecodeError:
        raise InputError(f"File {path.name!r} is not text; upload a CSV file.") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        reason = " ".join(str(exc).split())  # one line: the tokenizer's message ends in a newline
        raise InputError(
            f"File {path.name!r} is not a readable CSV table ({reason}); save it as comma-separated text."
        ) from None
    if frame.empty:
        raise InputError(f"File {path.name!r} has a header but no rows; upload a file with samples in it.")
    if len(frame) > max_rows:
        raise FileTooLargeError(
            f"File {path.name!r} has over {max_rows:,} rows, the limit of one request; upload a shorter excerpt."
        )
    if dialect.header:
        frame.columns = [str(column).strip() for column in frame.columns]
    else:
        count = frame.shape[1]
        frame.columns = [UNNAMED_COLUMN] if count == 1 else [f"{UNNAMED_COLUMN}{i + 1}" for i in range(count)]
    frame.attrs["csv"] = dialect.note
    return frame


def _require_text(path: Path, head_bytes: int = 1 << 20) -> None:
    """Refuse a file whose first MiB is not UTF-8 text (pandas 3 reads such bytes without complaint)."""
    with path.open("rb") as handle:
        head = handle.read(head_bytes)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # a character cut at the MiB boundary is fine
    except UnicodeDecodeError:
        raise InputError(f"File {path.name!r} is not text; upload a CSV file.") from None


@dataclass(frozen=True)
class CsvDialect:
    """How to parse a CSV: field separator, decimal mark, whether the first line names the columns, and a short note
    on what differs from plain comma-separated text with a header ("" when nothing does), and the first line's field
    count."""

    sep: str = ","
    decimal: str = "."
    header: bool = True
    note: str = ""
    columns: int = 1


def sniff_csv(path: Path, *, sample_lines: int = SNIFF_LINES) -> CsvDialect:
    """The separator, decimal mark and header of a CSV, from its first `sample_lines` non-comment lines.

    Separator: `;` or tab when the first line holds one and no comma (or, for a one-field first line, when the data
    lines hold one), else comma.
    Decimal comma: only when the separator is `;` or tab and the data lines hold commas, or when the first line has
    exactly one field and every sampled data line is one number with at most one comma (`0,125`), at least one of
    them with it. A comma-separated line with two parts is otherwise two columns: an even number of comma-separated
    tokens is no proof of decimal commas.
    Header: the first line names the columns unless every field of it is a number; then the file has no header.
    A UTF-8 byte-order mark is skipped.
    """
    with path.open("r", encoding="utf-8", errors="replace", newline="") as handle:
        head = handle.read(1)
        bom = head == "\ufeff"
        lines = []
        for line in itertools.chain([("" if bom else head) + handle.readline()], handle):
            line = line.strip()
            if line and not line.startswith("#"):
                lines.append(line)
                if len(lines) > sample_lines:
                    break
    if not lines:
        return CsvDialect(note="UTF-8 BOM" if bom else "")
    first, data = lines[0], lines[1:]
    sep = ","
    if "," not in first:
        for candidate in (";", "\t"):
            if candidate in first or (_one_field(first) and any(candidate in line for line in data)):
                sep = candidate
                break
    decimal = "."
    if sep != ",":
        if any("," in line for line in data):
            decimal = ","
    elif _one_field(first) and data and all(_DECIMAL_COMMA.match(line) for line in data):
        if any("," in line for line in data):
            sep, decimal = ";", ","  # one column: no separator occurs, so any but the comma reads it whole
    fields = first.split(sep)
    header = not all(_is_number(field, decimal) for field in fields)
    notes = [
        {";": "semicolon-separated", "\t": "tab-separated"}.get(sep, "") if sep in "".join(lines) else "",
        "decimal comma" if decimal == "," else "",
        "" if header else "no header line",
        "UTF-8 BOM" if bom else "",
    ]
    return CsvDialect(
        sep=sep, decimal=decimal, header=header, note=", ".join(note for note in notes if note), columns=len(fields)
    )


def _one_field(line: str) -> bool:
    return not any(mark in line for mark in (",", ";", "\t"))


def _is_number(text: str, decimal: str = ".") -> bool:
    text = text.strip().strip('"')
    if decimal == ",":
        text = text.replace(",", ".")
    try:
        float(text)
    except ValueError:
        return False
    return True


def stated_fs(path: Path) -> float | None:
    """A sampling rate written in a leading comment line such as `# fs=360`."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        for _ in range(5):
            line = handle.readline()
            match = _FS_COMMENT.search(line)
            if match:
                return float(match.group(1))
    return None


def numeric_columns(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Convert every column to float, naming the first cell that is not a number."""
    if all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes):
        return frame.astype(float)  # already parsed as numbers: skip the slow per-cell check (long recordings)
    converted = frame.apply(pd.to_numeric, errors="coerce")
    bad = converted.isna() & frame.notna() & (frame.astype(str).apply(lambda col: col.str.strip()) != "")
    if bad.to_numpy().any():
        column = bad.any().idxmax()
        row = int(bad[column].to_numpy().argmax())
        raise InputError(
            f"File {name!r} has a non-numeric value {frame[column].iloc[row]!r} in column {column!r}, "
            f"row {row + 2}; keep only numbers in signal columns."
        )
    return converted.astype(float)


def repair_signal(values: np.ndarray, fs: float, name: str, *, split_gaps: bool = False) -> tuple[np.ndarray, dict]:
    """The readers' one rule for invalid samples (NaN, inf, WFDB's invalid-sample code), CSV and WFDB alike.

    Rows at the start or end with any invalid value are trimmed (up to `MAX_EDGE_TRIM_S`), then runs up to
    `MAX_GAP_S` inside are interpolated; longer ones are refused, or with `split_gaps` kept as NaN for the task to
    analyse the parts between them separately. Returns the values and what was done (rows trimmed, the first row kept,
    samples filled, long gaps kept), for `Recording.meta`.
    """
    values = np.array(values, dtype=float)
    valid_rows = np.isfinite(values).all(axis=1)
    if valid_rows.all():
        return values, {}
    first, last = (
        (int(np.argmax(valid_rows)), len(values) - int(np.argmax(valid_rows[::-1]))) if valid_rows.any() else (0, 0)
    )
    limit = MAX_EDGE_TRIM_S * fs
    start, end = (first if first <= limit else 0), (last if len(values) - last <= limit else len(values))
    trimmed = start + len(values) - end
    values = values[start:end]
    invalid = int((~np.isfinite(values)).sum())
    values, gaps = _fill_gaps(values, fs, name, MAX_GAP_S, keep_long=split_gaps)
    kept = int(np.isnan(values).sum())
    report = {"trimmed_rows": trimmed, "first_row": start, "filled": invalid - kept}
    if gaps:
        report["gaps"] = gaps
    return values, {"invalid_samples": report}


def fill_short_gaps(values: np.ndarray, fs: float, name: str, *, max_gap_s: float = MAX_GAP_S) -> np.ndarray:
    """Interpolate NaN/inf runs up to `max_gap_s` seconds per column; refuse longer ones."""
    return _fill_gaps(values, fs, name, max_gap_s, keep_long=False)[0]


def _fill_gaps(
    values: np.ndarray, fs: float, name: str, max_gap_s: float, *, keep_long: bool
) -> tuple[np.ndarray, list[dict]]:
    """`fill_short_gaps`, or with `keep_long` longer runs left NaN; also returns those ({"column", "start_s",
    "end_s"} each)."""
    values = np.array(values, dtype=float)
    values[~np.isfinite(values)] = np.nan
    kept: list[dict] = []
    if not np.isnan(values).any():
        return values, kept
    longest = max_gap_s * fs
    for column in range(values.shape[1]):
        missing = np.isnan(values[:, column])
        if not missing.any():
            continue
        if missing.all():
            raise InputError(f"File {name!r} has no numeric values in column {column + 1}; fill it or remove it.")
        edges = np.diff(np.concatenate([[0], missing.astype(int), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        long_runs = (ends - starts) > longest
        if long_runs.any() and not keep_long:
            run, where = int((ends - starts).max()), starts[(ends - starts).argmax()]
            raise InputError(
                f"File {name!r} has a run of {run} missing values ({run / fs:.2f} s) from sample {where}; "
                f"gaps up to {max_gap_s:g} s are filled, so cut the recording around longer ones."
            )
        kept += [
            {"column": column, "start_s": round(a / fs, 3), "end_s": round(b / fs, 3)}
            for a, b in zip(starts[long_runs], ends[long_runs])
        ]
        short = missing.copy()
        for a, b in zip(starts[long_runs], ends[long_runs]):
            short[a:b] = False
        good = np.flatnonzero(~missing)
        values[short, column] = np.interp(np.flatnonzero(short), good, values[good, column])
    return values, kept


def read_signal_csv(path: str | Path, *, fs: float | None = None, split_gaps: bool = False) -> Recording:
    """A CSV with signal columns; the rate comes from `fs`, a `# fs=...` comment, an `fs` column or a time column.

    split_gaps: keep invalid runs over `MAX_GAP_S` as NaN (see `repair_signal`) instead of refusing the file.
    """
    path = check_file(path)
    frame = read_table(path)
    layout = frame.attrs.get("csv", "")
    lower = {column.lower(): column for column in frame.columns}
    fs = fs or stated_fs(path)
    fs_column = next((lower[c] for c in FS_COLUMNS if c in lower), None)
    if fs_column is not None:
        fs = fs or float(pd.to_numeric(frame[fs_column], errors="coerce").dropna().iloc[0])
        frame = frame.drop(columns=fs_column)
    time_column = next((lower[c] for c in TIME_COLUMNS if c in lower), None)
    if time_column is not None:
        time = numeric_columns(frame[[time_column]], path.name).to_numpy()[:, 0]
        if time_column.lower() == "time_ms":
            time = time / 1000.0
        frame = frame.drop(columns=time_column)
        steps = np.diff(time)
        if fs is None and len(steps) and np.nanmedian(steps) > 0:
            fs = 1.0 / float(np.nanmedian(steps))
    if fs is None:
        raise SamplingRateError(
            f"File {path.name!r} does not state its sampling rate; add a time column, a '# fs=360' first line, "
            "or pass the rate (--fs in the CLI)."
        )
    if frame.shape[1] == 0:
        raise InputError(f"File {path.name!r} has no signal column besides time; add at least one signal column.")
    values = numeric_columns(frame, path.name).to_numpy()
    values, repaired = repair_signal(values, float(fs), path.name, split_gaps=split_gaps)
    return Recording(
        signal=values,
        fs=float(fs),
        channels=tuple(frame.columns),
        name=path.stem,
        meta={**({"csv": layout} if layout else {}), **repaired},
    )
