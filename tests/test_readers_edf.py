"""EDF/EDF+ files (core/readers/edf.py), on files written here with edfio: signals at their own rates, voltages in mV,
EDF+ annotations as events, bounds checked from the header."""

from __future__ import annotations

import numpy as np
import pytest

from core.ecg.beats import ecg_peaks
from core.errors import FileTooLargeError, InputError
from core.readers import read_signal


def write_edf(path, *, seconds: int = 20, with_events: bool = True):
    import edfio
    import neurokit2 as nk

    ecg_uv = 1000 * nk.ecg_simulate(duration=seconds, sampling_rate=256, heart_rate=60, random_state=3)
    resp = np.sin(2 * np.pi * 0.25 * np.arange(seconds * 32) / 32)
    signals = [
        edfio.EdfSignal(ecg_uv, 256, label="ECG", physical_dimension="uV", physical_range=(-5000, 5000)),
        edfio.EdfSignal(resp, 32, label="Resp chest", physical_dimension="", physical_range=(-2, 2)),
    ]
    events = [edfio.EdfAnnotation(4.0, 10.0, "Obstructive apnea")] if with_events else []
    edfio.Edf(signals, patient=edfio.Patient(name="Test_Person"), annotations=events).write(path)
    return ecg_uv, resp


def test_edf_plus_reads_every_signal_at_its_own_rate(tmp_path):
    ecg_uv, resp = write_edf(tmp_path / "night.edf")
    rec = read_signal(tmp_path / "night.edf")
    assert (rec.fs, rec.channels, rec.signal.shape) == (256.0, ("ECG", "Resp chest"), (5120, 2))
    assert rec.meta["lead_fs"] == {"ECG": 256.0, "Resp chest": 32.0} and rec.meta["units"] == ("mV", "")
    np.testing.assert_allclose(rec.signal[:, 0], ecg_uv / 1000, atol=2e-4)  # 16-bit: 0.15 µV steps
    np.testing.assert_allclose(rec.signal[::8, 1], resp, atol=1e-3)
    assert rec.meta["events"] == [{"onset_s": 4.0, "duration_s": 10.0, "text": "Obstructive apnea"}]
    assert "Test_Person" not in repr(rec)
    assert 19 <= len(ecg_peaks(rec.signal[:, 0], rec.fs)) <= 21


def test_plain_edf_without_annotations(tmp_path):
    write_edf(tmp_path / "plain.edf", with_events=False)
    assert "events" not in read_signal(tmp_path / "plain.edf").meta


def test_bad_edf_is_one_sentence_too_long_is_refused_from_the_header_and_cut_is_read_to_its_end(tmp_path, monkeypatch):
    (tmp_path / "junk.edf").write_bytes(b"0       " + b"x" * 300)
    with pytest.raises(InputError, match=r"'junk.edf' is not a readable EDF/EDF\+ file"):
        read_signal(tmp_path / "junk.edf")
    write_edf(tmp_path / "night.edf")
    monkeypatch.setattr("core.readers.edf.MAX_VALUES", 10_000)
    with pytest.raises(FileTooLargeError, match=r"holds 10,240 samples x signals at 256 Hz, over the 10,000 limit"):
        read_signal(tmp_path / "night.edf")
    data = (tmp_path / "night.edf").read_bytes()
    (tmp_path / "cut.edf").write_bytes(data[: len(data) // 2])
    monkeypatch.undo()
    cut = read_signal(tmp_path / "cut.edf")  # a recording cut off mid-file is read up to its last whole second
    assert cut.signal.shape == (9 * 256, 2) and "file contains 9 records" in " ".join(cut.meta["warnings"])
