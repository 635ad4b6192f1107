"""Apple Watch ECG exports (core/readers/apple_watch.py), on files written here in the Health app's exact layout."""

from __future__ import annotations

import numpy as np
import pytest

from core.ecg.beats import ecg_peaks
from core.errors import FileTooLargeError, InputError, SamplingRateError
from core.readers import read_signal

HEADER = [
    "Name,Test Person",
    'Date of Birth,"Jan 15, 1990"',
    "Recorded Date,2026-05-30 16:32:18 -0700",
    "Classification,Sinus Rhythm",
    "Symptoms,",
    "Software Version,1.90",
    'Device,"Watch6,7"',
    "Sample Rate,512 hertz",
    "",
    "",
    "Lead,Lead I",
    "Unit,µV",
    "",
    "",
]


def watch_ecg(heart_rate: int = 72) -> np.ndarray:
    """30 s of a one-lead ECG at 512 Hz in µV, as the watch records."""
    import neurokit2 as nk

    return 1000 * nk.ecg_simulate(duration=30, sampling_rate=512, heart_rate=heart_rate, random_state=2)


def write_export(path, values_uv: np.ndarray, *, decimal: str = ".", header=HEADER):
    lines = [f"{v:.3f}".replace(".", decimal) for v in values_uv]
    path.write_text("\n".join([*header, *lines]) + "\n", encoding="utf-8")
    return path


def test_export_reads_as_one_lead_in_millivolts_without_personal_data(tmp_path):
    values = watch_ecg()
    rec = read_signal(write_export(tmp_path / "ecg_2026-05-30.csv", values))
    assert (rec.fs, rec.channels, rec.signal.shape) == (512.0, ("Lead I",), (15_360, 1))
    np.testing.assert_allclose(rec.signal[:, 0], np.round(values, 3) / 1000, atol=1e-9)
    assert rec.meta == {
        "source": "Apple Watch ECG export",
        "recorded": "2026-05-30 16:32:18 -0700",
        "classification": "Sinus Rhythm",
        "device": "Watch6,7",
        "units": ("mV",),
    }
    assert 35 <= len(ecg_peaks(rec.signal[:, 0], rec.fs)) <= 37  # 72 bpm for 30 s


def test_decimal_comma_export_of_a_portuguese_phone_reads_the_same(tmp_path):
    values = watch_ecg()
    point = read_signal(write_export(tmp_path / "en.csv", values))
    comma = read_signal(write_export(tmp_path / "pt.csv", values, decimal=","))
    np.testing.assert_array_equal(point.signal, comma.signal)


def test_broken_exports_are_one_sentence(tmp_path, monkeypatch):
    values = watch_ecg()[:1000]
    with pytest.raises(SamplingRateError, match="states no usable 'Sample Rate'"):
        read_signal(
            write_export(tmp_path / "rate.csv", values, header=[*HEADER[:7], "Sample Rate,0 hertz", *HEADER[8:]])
        )
    path = write_export(tmp_path / "cut.csv", values)
    path.write_text(path.read_text() + "Lead,Lead I\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"has 'Lead,Lead I' on line 1015 among its voltage samples"):
        read_signal(path)
    with pytest.raises(InputError, match="states the unit 'mmHg'"):
        read_signal(write_export(tmp_path / "unit.csv", values, header=[*HEADER[:11], "Unit,mmHg"]))
    monkeypatch.setattr("core.readers.apple_watch.MAX_SAMPLES", 999)
    with pytest.raises(FileTooLargeError, match="holds over 999 samples, more than an Apple Watch ECG export"):
        read_signal(write_export(tmp_path / "long.csv", values))
