"""Readers: CSV signal tables, Kaggle beat rows and WFDB records, including the bad inputs users send."""

from __future__ import annotations

import lzma
import pickle
import shutil
import time

import numpy as np
import pytest

from core.errors import FileTooLargeError, InputError, SamplingRateError, UnsupportedFormatError
from core.readers import read_signal
from core.readers.beat_rows import BEAT_ROW_LENGTH, looks_like_beat_rows, read_beat_rows
from core.readers.tabular import read_signal_csv
from core.readers.wfdb_records import read_wfdb
from tests.conftest import FIXTURES

HEADER = FIXTURES / "mitdb100_10s.hea"


def test_csv_rate_from_comment_and_columns(tmp_path):
    path = tmp_path / "strip.csv"
    path.write_text("# recorded at fs=250\nMLII,V5\n0.1,0.2\n0.3,0.4\n0.5,0.6\n")
    rec = read_signal_csv(path)
    assert rec.fs == 250.0
    assert rec.channels == ("MLII", "V5")
    np.testing.assert_allclose(rec.signal, [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])


def test_csv_rate_from_time_column_and_argument(tmp_path):
    path = tmp_path / "strip.csv"
    path.write_text("time,ecg\n0.000,1\n0.004,2\n0.008,3\n0.012,4\n")
    assert read_signal_csv(path).fs == pytest.approx(250.0)
    assert read_signal_csv(path).channels == ("ecg",)
    assert read_signal_csv(path, fs=500).fs == 500.0


def test_csv_without_rate_names_the_fix(tmp_path):
    path = tmp_path / "strip.csv"
    path.write_text("ecg\n1\n2\n")
    with pytest.raises(SamplingRateError, match="does not state its sampling rate.*--fs"):
        read_signal_csv(path)


def test_csv_short_nan_gap_is_filled_and_long_one_refused(tmp_path):
    short = tmp_path / "short.csv"
    short.write_text("ecg,v5\n" + "\n".join(["1,0", "nan,0", "3,0"] + ["4,0"] * 20) + "\n")
    assert read_signal_csv(short, fs=100).signal[1, 0] == pytest.approx(2.0)
    long = tmp_path / "long.csv"
    long.write_text("ecg\n1\n" + "nan\n" * 30 + "2\n")
    with pytest.raises(InputError, match=r"run of 30 missing values \(0.30 s\)"):
        read_signal_csv(long, fs=100)


def test_csv_non_numeric_cell_is_located(tmp_path):
    path = tmp_path / "strip.csv"
    path.write_text("ecg\n1\n2\nabc\n")
    with pytest.raises(InputError, match="non-numeric value 'abc' in column 'ecg', row 4"):
        read_signal_csv(path, fs=100)


def test_csv_one_column_with_decimal_commas_reads_the_whole_numbers(tmp_path):
    path = tmp_path / "resp.csv"
    path.write_text("# fs=25\nRESP\n0,125\n-1,5\n2\n0,0625\n")
    rec = read_signal_csv(path)
    assert rec.channels == ("RESP",) and rec.fs == 25.0
    np.testing.assert_array_equal(rec.signal[:, 0], [0.125, -1.5, 2.0, 0.0625])
    assert rec.meta == {"csv": "decimal comma"}


def test_csv_semicolons_and_decimal_commas_read_as_the_comma_file(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text("time,resp\n0.00,0.125\n0.50,0.25\n1.00,-1.5\n1.50,3\n")
    european = tmp_path / "european.csv"
    european.write_text("time;resp\n0,00;0,125\n0,50;0,25\n1,00;-1,5\n1,50;3\n")
    expected, rec = read_signal_csv(plain), read_signal_csv(european)
    assert rec.channels == expected.channels == ("resp",)
    assert rec.fs == expected.fs == pytest.approx(2.0)
    np.testing.assert_array_equal(rec.signal, expected.signal)
    np.testing.assert_array_equal(rec.signal[:, 0], [0.125, 0.25, -1.5, 3.0])
    assert rec.meta == {"csv": "semicolon-separated, decimal comma"} and expected.meta == {}


def test_csv_tab_separated_with_decimal_commas(tmp_path):
    path = tmp_path / "strip.tsv"
    path.write_text("MLII\tV5\n0,1\t0,2\n0,3\t-0,4\n")
    rec = read_signal(path, fs=360)
    assert rec.channels == ("MLII", "V5")
    np.testing.assert_array_equal(rec.signal, [[0.1, 0.2], [0.3, -0.4]])
    assert rec.meta == {"csv": "tab-separated, decimal comma"}


def test_csv_with_bom_and_rate_comment_keeps_its_columns(tmp_path):
    path = tmp_path / "strip.csv"
    path.write_bytes("\ufeff# fs=250\nMLII,V5\n0.1,0.2\n0.3,0.4\n0.5,0.6\n".encode())
    rec = read_signal_csv(path)
    assert rec.fs == 250.0
    assert rec.channels == ("MLII", "V5")
    np.testing.assert_array_equal(rec.signal, [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    assert rec.meta == {"csv": "UTF-8 BOM"}


def test_csv_without_header_keeps_its_first_sample(tmp_path):
    path = tmp_path / "lead.csv"
    path.write_text("1.5600\n1.25\n-0.5\n")
    rec = read_signal_csv(path, fs=360)
    assert rec.channels == ("signal",)
    np.testing.assert_array_equal(rec.signal[:, 0], [1.56, 1.25, -0.5])
    assert rec.meta == {"csv": "no header line"}
    two = tmp_path / "two.csv"
    two.write_text("1,2\n3,4\n")  # no header, so two integer columns, not decimal commas
    rec = read_signal_csv(two, fs=360)
    assert rec.channels == ("signal1", "signal2")
    np.testing.assert_array_equal(rec.signal, [[1.0, 2.0], [3.0, 4.0]])


def test_csv_two_columns_with_comma_are_not_taken_for_decimal_commas(tmp_path):
    path = tmp_path / "strip.csv"
    path.write_text("MLII,V5\n1,05\n2,10\n")
    np.testing.assert_array_equal(read_signal_csv(path, fs=360).signal, [[1.0, 5.0], [2.0, 10.0]])


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"", InputError, "is empty"),
        (pickle.dumps({"a": 1}), UnsupportedFormatError, "Python pickle"),
        (b"\xff\xfe\x00\x01binary", InputError, "not text|not a readable CSV"),
        (b"ecg\n", InputError, "no rows"),
    ],
)
def test_bad_files_get_one_clear_sentence(tmp_path, content, error, message):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        read_signal(path, fs=360)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG....")
    with pytest.raises(UnsupportedFormatError, match="upload a CSV or a WFDB record"):
        read_signal(path)


def test_size_limit(tmp_path, monkeypatch):
    import core.readers as readers

    path = tmp_path / "big.csv"
    path.write_text("ecg\n" + "1\n" * 1000)
    monkeypatch.setattr(readers.check_file, "__kwdefaults__", {"max_bytes": 100})
    with pytest.raises(FileTooLargeError, match="over the 0 MiB limit|over the .* limit"):
        read_signal(path, fs=360)


def test_wfdb_fixture_reads_exact_values():
    rec = read_wfdb(HEADER)
    assert rec.fs == 360.0
    assert rec.channels == ("MLII",)
    assert rec.signal.shape == (3600, 1)
    # first samples of MIT-BIH record 100, MLII, in mV: (adu - 1024) / 200
    np.testing.assert_allclose(rec.signal[:3, 0], [-0.145, -0.145, -0.145], atol=1e-9)
    assert list(rec.annotations["symbol"][:3]) == ["+", "N", "N"]


def test_wfdb_xz_and_uploaded_companion(tmp_path):
    plain = read_wfdb(HEADER).signal
    folder = tmp_path / "xz"
    folder.mkdir()
    shutil.copy(HEADER, folder)
    (folder / "mitdb100_10s.dat.xz").write_bytes(lzma.compress((FIXTURES / "mitdb100_10s.dat").read_bytes()))
    np.testing.assert_array_equal(read_wfdb(folder / HEADER.name).signal, plain)
    # an upload: header and data in different temporary folders
    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copy(FIXTURES / "mitdb100_10s.dat", upload / "mitdb100_10s.dat")
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(HEADER, lone)
    np.testing.assert_array_equal(
        read_wfdb(lone / HEADER.name, extra_files=(upload / "mitdb100_10s.dat",)).signal, plain
    )


def test_xz_cache_is_safe_under_concurrent_first_reads(tmp_path, monkeypatch):
    """Many requests for one uncached record at once: each sees the whole record, no half-written cache file."""
    from concurrent.futures import ThreadPoolExecutor

    from core.readers import wfdb_records

    monkeypatch.setattr(wfdb_records, "CACHE_DIR", tmp_path / "cache")
    decompress = wfdb_records._decompress_xz

    def slow_decompress(source, target):  # widen the window between writing the cache file and moving it in place
        decompress(source, target)
        time.sleep(0.1)

    monkeypatch.setattr(wfdb_records, "_decompress_xz", slow_decompress)
    plain = read_wfdb(HEADER).signal
    shutil.copy(HEADER, tmp_path)
    (tmp_path / "mitdb100_10s.dat.xz").write_bytes(lzma.compress((FIXTURES / "mitdb100_10s.dat").read_bytes()))
    with ThreadPoolExecutor(8) as pool:
        signals = list(pool.map(lambda _: read_wfdb(tmp_path / HEADER.name).signal, range(16)))
    assert all(np.array_equal(signal, plain) for signal in signals)
    cached = list((tmp_path / "cache").iterdir())
    assert (
        len(cached) == 1
        and not cached[0].name.endswith(".part")
        and cached[0].stat().st_size == (FIXTURES / "mitdb100_10s.dat").stat().st_size
    )


def test_wfdb_header_without_data(tmp_path):
    shutil.copy(HEADER, tmp_path)
    with pytest.raises(InputError, match="names the data file 'mitdb100_10s.dat', which was not provided"):
        read_wfdb(tmp_path / HEADER.name)


def test_wfdb_header_paths_are_never_followed(tmp_path):
    secret = tmp_path / "secret.dat"
    secret.write_bytes((FIXTURES / "mitdb100_10s.dat").read_bytes())
    inner = tmp_path / "inner"
    inner.mkdir()
    text = HEADER.read_text().replace("mitdb100_10s.dat", "../secret.dat")
    (inner / "evil.hea").write_text(text)
    with pytest.raises(InputError, match="names the data file 'secret.dat', which was not provided"):
        read_wfdb(inner / "evil.hea")


def test_wfdb_corrupt_data(tmp_path):
    shutil.copy(HEADER, tmp_path)
    (tmp_path / "mitdb100_10s.dat").write_bytes((FIXTURES / "mitdb100_10s.dat").read_bytes()[:100])
    with pytest.raises(InputError, match="could not be decoded|corrupt"):
        read_wfdb(tmp_path / HEADER.name)


def test_wfdb_corrupt_xz(tmp_path):
    shutil.copy(HEADER, tmp_path)
    (tmp_path / "mitdb100_10s.dat.xz").write_bytes(b"not xz at all")
    with pytest.raises(InputError, match="not valid xz data"):
        read_wfdb(tmp_path / HEADER.name)


def test_kaggle_beat_rows_read_exact_values():
    rows = read_beat_rows(FIXTURES / "kaggle_beats.csv")
    assert rows.beats.shape == (9, 187) and rows.beats.dtype == np.float32 and rows.name == "kaggle_beats"
    assert list(rows.labels) == [0, 0, 0, 2, 2, 2, 3, 3, 3]
    np.testing.assert_allclose(rows.beats[0, :3], [0.7228, 0.5324, 0.3101], atol=1e-6)
    np.testing.assert_allclose(rows.beats[3, :3], [0.9746, 0.9299, 0.8626], atol=1e-6)


def test_beat_rows_without_label_column(tmp_path):
    path = tmp_path / "beats.csv"
    path.write_text("\n".join(",".join(f"{(i + j) / 400:.4f}" for j in range(187)) for i in range(2)) + "\n")
    assert looks_like_beat_rows(path)
    rows = read_beat_rows(path)
    assert rows.labels is None and rows.beats.shape == (2, 187)
    np.testing.assert_allclose(rows.beats[1, [0, 186]], [0.0025, 0.4675], atol=1e-6)


def test_beat_rows_are_told_apart_from_signal_tables(tmp_path):
    assert looks_like_beat_rows(FIXTURES / "kaggle_beats.csv")
    table = tmp_path / "strip.csv"
    table.write_text("MLII,V5\n0.1,0.2\n")
    assert not looks_like_beat_rows(table)
    short = tmp_path / "short.csv"
    short.write_text(",".join(["0.5"] * 186) + "\n")
    assert not looks_like_beat_rows(short)


def test_beat_rows_with_empty_cell_name_the_fix(tmp_path):
    path = tmp_path / "beats.csv"
    path.write_text(",".join(["0.5"] * 187) + "\n" + ",".join(["0.5"] * 186) + ",\n")
    with pytest.raises(InputError, match="every row needs 187 numbers"):
        read_beat_rows(path)


def test_beat_row_length_is_the_ecg_models_beat_length():
    from core.ecg.beats import BEAT_LENGTH

    assert BEAT_ROW_LENGTH == BEAT_LENGTH == 187


@pytest.mark.parametrize(
    ("module", "reader", "fixture"), [("fitdecode", "read_fit", "hr_run.fit"), ("defusedxml", "read_gpx", "hr_run.gpx")]
)
def test_missing_format_package_names_the_install_command(monkeypatch, module, reader, fixture):
    import sys

    from core.errors import MissingDependencyError
    from core.readers import workouts

    monkeypatch.setitem(sys.modules, module, None)  # import of `module` now fails as if it were not installed
    with pytest.raises(MissingDependencyError, match=f"install it with `pip install {module}`"):
        getattr(workouts, reader)(FIXTURES / fixture)


def test_monitor_wfdb_record_with_an_invalid_sample_and_a_skew_tail_is_read_like_its_csv(tmp_path):
    """What ICU monitors write: one invalid sample in RESP and the last samples of the other lead missing (skew)."""
    import wfdb

    from core import get_task, load_model

    fs, t = 125, np.arange(0, 120, 1 / 125)
    signal = np.column_stack([np.sin(2 * np.pi * 1.2 * t), np.sin(2 * np.pi * 0.25 * t)])
    signal[3000, 1], signal[-4:, 0] = np.nan, np.nan
    wfdb.wrsamp(
        "monitor",
        fs=fs,
        units=["mV", "Ohm"],
        sig_name=["II", "RESP"],
        p_signal=signal,
        fmt=["16", "16"],
        adc_gain=[200, 1000],
        baseline=[0, 0],
        write_dir=str(tmp_path),
    )
    csv = tmp_path / "monitor.csv"
    csv.write_text("# fs=125\nII,RESP\n" + "\n".join(f"{a:.4f},{b:.4f}" for a, b in signal) + "\n")
    from_wfdb, from_csv = read_signal(tmp_path / "monitor.hea"), read_signal(csv)
    for recording in (from_wfdb, from_csv):
        assert recording.signal.shape == (len(t) - 4, 2) and np.isfinite(recording.signal).all()
        assert recording.meta["invalid_samples"] == {"trimmed_rows": 4, "first_row": 0, "filled": 1}
        assert recording.signal[3000, 1] == pytest.approx(np.mean(recording.signal[[2999, 3001], 1]))
    task = get_task("respiration")
    summaries = [
        task.run(r, lambda v: load_model("respiration", variant=v, backend="onnx")).summary()
        for r in (from_wfdb, from_csv)
    ]
    assert summaries[0] == summaries[1] and summaries[0].startswith("30 breaths in 120 s, median rate 15.0/min")


def test_long_gap_is_kept_as_nan_when_the_reader_splits_there(tmp_path):
    """A 2 s invalid stretch inside a record: refused by default, kept as NaN and reported with `split_gaps`."""
    import wfdb

    fs, t = 125, np.arange(0, 60, 1 / 125)
    signal = np.column_stack([np.sin(2 * np.pi * 1.2 * t), np.sin(2 * np.pi * 0.25 * t)])
    signal[2500:2750, 1] = np.nan  # 2 s of RESP from 20 s
    signal[4000, 1] = np.nan  # one short dropout, filled
    csv = tmp_path / "gap.csv"
    csv.write_text("# fs=125\nII,RESP\n" + "\n".join(f"{a:.4f},{b:.4f}" for a, b in signal) + "\n")
    wfdb.wrsamp("gap", fs=fs, units=["mV", "Ohm"], sig_name=["II", "RESP"], p_signal=signal, fmt=["16", "16"],
                adc_gain=[200, 1000], baseline=[0, 0], write_dir=str(tmp_path))  # fmt: skip
    with pytest.raises(InputError, match=r"run of 250 missing values \(2.00 s\) from sample 2500"):
        read_signal_csv(csv)
    for recording in (read_signal_csv(csv, split_gaps=True), read_wfdb(tmp_path / "gap.hea", split_gaps=True)):
        assert recording.meta["invalid_samples"] == {
            "trimmed_rows": 0,
            "first_row": 0,
            "filled": 1,
            "gaps": [{"column": 1, "start_s": 20.0, "end_s": 22.0}],
        }
        resp = recording.signal[:, 1]
        assert np.isnan(resp).sum() == 250 and np.isnan(resp[2500:2750]).all()
        assert np.isfinite(recording.signal[:, 0]).all() and np.isfinite(resp[4000])


def test_csv_with_too_many_columns_is_refused_before_parsing(tmp_path):
    from core.readers.tabular import MAX_COLUMNS

    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n" + ",".join(["1"] * (MAX_COLUMNS + 1)))
    with pytest.raises(FileTooLargeError, match=f"has {MAX_COLUMNS + 1} columns, over the limit of {MAX_COLUMNS}"):
        read_signal_csv(path, fs=100)


def test_wide_csv_reads_fewer_rows(tmp_path, monkeypatch):
    """The row limit shrinks with the column count, so rows x columns stays under MAX_CELLS."""
    import core.readers.tabular as tabular

    monkeypatch.setattr(tabular, "MAX_CELLS", 40)
    path = tmp_path / "four.csv"
    path.write_text("a,b,c,d\n" + "1,2,3,4\n" * 11)
    with pytest.raises(FileTooLargeError, match="over 10 rows, the limit"):
        read_signal_csv(path, fs=100)
    path.write_text("a,b,c,d\n" + "1,2,3,4\n" * 10)
    assert read_signal_csv(path, fs=100).signal.shape == (10, 4)
