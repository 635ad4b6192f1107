"""WFDB records beyond the basics (core/readers/wfdb_records.py): uploaded annotation files, multi-rate records read
at each lead's own rate, and headers declaring more samples than one request may decode."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import wfdb

from core.ecg.beats import ecg_peaks
from core.errors import FileTooLargeError, InputError
from core.readers import read_signal
from core.readers.wfdb_records import MAX_VALUES, read_wfdb
from tests.conftest import FIXTURES

HEADER = FIXTURES / "mitdb100_10s.hea"


def upload(tmp_path, *names: str):
    """The fixture record's files copied to their own folder, as an upload without an .atr beside the header."""
    folder = tmp_path / "upload"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copyfile(FIXTURES / name, folder / name)
    return folder


def test_uploaded_annotation_file_is_attached_whatever_its_extension(tmp_path):
    folder = upload(tmp_path, "mitdb100_10s.hea", "mitdb100_10s.dat")
    shutil.copyfile(FIXTURES / "mitdb100_10s.atr", tmp_path / "mitdb100_10s.qrs")
    plain = read_wfdb(folder / "mitdb100_10s.hea")
    assert plain.annotations is None
    rec = read_wfdb(
        folder / "mitdb100_10s.hea", extra_files=(folder / "mitdb100_10s.dat", tmp_path / "mitdb100_10s.qrs")
    )
    beside = read_wfdb(HEADER)
    assert rec.annotations["file"] == "mitdb100_10s.qrs" and beside.annotations["file"] == "mitdb100_10s.atr"
    np.testing.assert_array_equal(rec.annotations["sample"], beside.annotations["sample"])
    assert rec.annotations["symbol"].tolist().count("A") == 1 and len(rec.annotations["sample"]) == 14
    wfdb.wrann("mitdb100_10s", "qrs", np.array([500]), np.array(["N"]), write_dir=str(tmp_path))
    both = (folder / "mitdb100_10s.dat", tmp_path / "mitdb100_10s.qrs", FIXTURES / "mitdb100_10s.atr")
    assert read_wfdb(folder / "mitdb100_10s.hea", extra_files=both).annotations["file"] == "mitdb100_10s.atr"


def test_annotation_file_of_another_record_is_refused_naming_both(tmp_path):
    folder = upload(tmp_path, "mitdb100_10s.hea", "mitdb100_10s.dat")
    wfdb.wrann("long", "atr", np.array([100, 4000]), np.array(["N", "N"]), write_dir=str(tmp_path))
    with pytest.raises(InputError, match=r"'long.atr' marks events up to 11.1 s but record 'mitdb100_10s' is 10.0 s"):
        read_wfdb(folder / "mitdb100_10s.hea", extra_files=(tmp_path / "long.atr",))
    wfdb.wrann("rate", "atr", np.array([100, 200]), np.array(["N", "N"]), fs=250, write_dir=str(tmp_path))
    with pytest.raises(
        InputError, match=r"'rate.atr' was written at 250 Hz but record 'mitdb100_10s' is sampled at 360"
    ):
        read_wfdb(folder / "mitdb100_10s.hea", extra_files=(tmp_path / "rate.atr",))
    (tmp_path / "junk.atr").write_bytes(b"\xff" * 7)
    with pytest.raises(InputError, match=r"Annotation file 'junk.atr' could not be decoded"):
        read_wfdb(folder / "mitdb100_10s.hea", extra_files=(tmp_path / "junk.atr",))


def test_multi_rate_record_is_read_at_each_leads_own_rate(tmp_path):
    import neurokit2 as nk

    ecg = nk.ecg_simulate(duration=20, sampling_rate=500, heart_rate=60, random_state=1)
    resp = np.sin(2 * np.pi * 0.25 * np.arange(20 * 125) / 125)
    wfdb.wrsamp(
        "multi",
        fs=125,
        units=["mV", "NU"],
        sig_name=["ECG", "RESP"],
        e_p_signal=[ecg, resp],
        samps_per_frame=[4, 1],
        fmt=["16", "16"],
        adc_gain=[1000, 1000],
        baseline=[0, 0],
        write_dir=str(tmp_path),
    )
    rec = read_signal(tmp_path / "multi.hea")
    assert rec.fs == 500.0 and rec.signal.shape == (10_000, 2)
    assert rec.meta["lead_fs"] == {"ECG": 500.0, "RESP": 125.0}
    np.testing.assert_allclose(rec.signal[:, 0], ecg, atol=1e-3)  # the 500 Hz lead's own samples, not frame means
    np.testing.assert_allclose(rec.signal[::4, 1], resp, atol=1e-3)  # the slow lead on the fast clock
    assert 19 <= len(ecg_peaks(rec.signal[:, 0], rec.fs)) <= 21


def test_header_over_the_sample_limit_is_refused_before_reading(tmp_path):
    n = MAX_VALUES // 2 + 1
    (tmp_path / "huge.hea").write_text(
        f"huge 2 360 {n}\nhuge.dat 212 200 11 1024 0 0 0 MLII\nhuge.dat 212 200 11 1024 0 0 0 V5\n"
    )
    with pytest.raises(FileTooLargeError, match=rf"holds {2 * n:,} samples x signals, over the {MAX_VALUES:,} limit"):
        read_wfdb(tmp_path / "huge.hea")  # refused before the missing data file is even looked for
    (tmp_path / "frames.hea").write_text(f"frames 1 10 {MAX_VALUES // 8}\nframes.dat 16x10 200 16 0 0 0 0 ECG\n")
    with pytest.raises(FileTooLargeError, match="samples x signals"):
        read_wfdb(tmp_path / "frames.hea")


def test_header_without_length_is_bounded_by_its_data_size(tmp_path, monkeypatch):
    monkeypatch.setattr("core.readers.wfdb_records.MAX_VALUES", 1000)
    (tmp_path / "nolen.hea").write_text("nolen 1 360\nnolen.dat 16 200 16 0 0 0 0 ECG\n")
    (tmp_path / "nolen.dat").write_bytes(np.zeros(1001, dtype="<i2").tobytes())
    with pytest.raises(FileTooLargeError, match="holds 1,001 samples x signals"):
        read_wfdb(tmp_path / "nolen.hea")


def test_signal_files_in_different_folders_are_one_copy(tmp_path):
    shutil.copyfile(FIXTURES / "mitdb100_10s.dat", tmp_path / "x.dat")
    lines = [f"{i}/x.dat 212 200 11 1024 995 48184 0 L{i}" for i in range(2)]
    (tmp_path / "x.hea").write_text("x 2 360 1800\n" + "\n".join(lines) + "\n")
    rec = read_wfdb(tmp_path / "x.hea")
    assert rec.channels == ("L0", "L1") and rec.signal.shape == (1800, 2)


def test_header_without_signal_names(tmp_path):
    shutil.copyfile(FIXTURES / "mitdb100_10s.dat", tmp_path / "anon.dat")
    (tmp_path / "anon.hea").write_text("anon 1 360 3600\nanon.dat 212 200 11 1024\n")
    rec = read_wfdb(tmp_path / "anon.hea")
    assert rec.signal.shape == (3600, 1) and len(rec.channels) == 1 and rec.channels[0]


def test_an_annotation_file_alone_says_what_it_needs():
    with pytest.raises(InputError, match=r"'mitdb100_10s.atr' is a WFDB annotation file; upload it together with"):
        read_signal(FIXTURES / "mitdb100_10s.atr")
