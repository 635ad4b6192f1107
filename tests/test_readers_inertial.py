"""The inertial readers: phone CSV columns, time and unit handling, and the original UCI HAR zip layout."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InputError, SamplingRateError, TimestampOrderError, UnitError
from core.readers.inertial import inertial_units, read_inertial_csv, read_uci_inertial
from tests.conftest import FIXTURES, needs_data

UCI_ZIP = FIXTURES / "har_uci_tiny.zip"


def write_csv(path, header: str, rows: np.ndarray) -> str:
    np.savetxt(path, rows, delimiter=",", header=header, comments="", fmt="%.6f")
    return str(path)


def walking_like(n: int = 500, fs: float = 50.0) -> np.ndarray:
    """Time (s) and acc (g) with gravity on x plus a 2 Hz sway, and a small gyroscope signal (rad/s)."""
    t = np.arange(n) / fs
    sway = 0.2 * np.sin(2 * np.pi * 2 * t)
    return np.column_stack([t, 1 + sway, sway, 0 * t, 0.5 * np.sin(2 * np.pi * t), 0 * t, 0 * t])


def test_uci_zip_layout_reads_the_nine_signals_labels_and_subjects():
    windows = read_uci_inertial(UCI_ZIP)
    assert windows.windows.shape == (6, 128, 9)
    assert windows.labels.tolist() == [1, 2, 3, 4, 5, 6]
    assert windows.subjects.tolist() == [4] * 6
    # total_acc_x of a waist phone reads about +1 g (gravity) upright, and about 0 lying down
    gravity_x = windows.windows[:, :, 6].mean(axis=1)
    assert np.all(np.abs(gravity_x[:5] - 1) < 0.1) and abs(gravity_x[5]) < 0.1


@needs_data("uci_har", "har_test.npz")
def test_uci_zip_values_equal_the_dataset_rows():
    from core.har.data import load_split

    test = load_split("test")
    windows = read_uci_inertial(UCI_ZIP).windows
    rows = [np.flatnonzero((test["subject"] == 4) & (test["y"] == c))[5] for c in range(6)]
    np.testing.assert_allclose(windows, test["X"][rows], rtol=1e-6, atol=1e-7)


def test_uci_zip_without_the_split_names_what_it_found(tmp_path):
    with pytest.raises(
        InputError, match=r"no 'UCI HAR Dataset/train/Inertial Signals/' folder \(splits found: \['test'\]\)"
    ):
        read_uci_inertial(UCI_ZIP, split="train")


def test_columns_with_units_and_millisecond_time_are_recognised(tmp_path):
    rows = walking_like()
    rows[:, 0] *= 1000
    path = write_csv(tmp_path / "phone.csv", "Time (ms),Accel X (g),Accel Y (g),Accel Z (g),GyroX,GyroY,GyroZ", rows)
    recording = read_inertial_csv(path)
    assert recording.channels == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
    assert recording.meta["time_unit"] == "ms"
    assert recording.fs == pytest.approx(50.0)
    assert recording.time[-1] == pytest.approx(499 / 50)


def test_g_and_metres_per_second_squared_give_the_same_signal(tmp_path):
    rows = walking_like()
    in_g = read_inertial_csv(write_csv(tmp_path / "g.csv", "time,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z", rows))
    rows[:, 1:4] *= 9.80665
    rows[:, 4:7] = np.rad2deg(rows[:, 4:7]) * 40  # a fast turn, in deg/s
    in_si = read_inertial_csv(write_csv(tmp_path / "si.csv", "time,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z", rows))
    g, si = inertial_units(in_g), inertial_units(in_si)
    assert (g.meta["acc_unit"], si.meta["acc_unit"], si.meta["gyro_unit"]) == ("g", "m/s^2", "deg/s")
    np.testing.assert_allclose(si.signal[:, :3], g.signal[:, :3], atol=1e-6)
    np.testing.assert_allclose(si.signal[:, 3:], 40 * g.signal[:, 3:], atol=1e-4)
    assert inertial_units(in_si, acc_unit="m/s^2").meta["acc_unit"] == "m/s^2"


def test_milli_g_and_a_wrong_chosen_unit_are_refused(tmp_path):
    rows = walking_like()
    in_g = read_inertial_csv(write_csv(tmp_path / "g.csv", "time,ax,ay,az", rows[:, :4]))
    with pytest.raises(UnitError, match=r"median accelerometer magnitude of 1, expected about 9.81 in m/s\^2"):
        inertial_units(in_g, acc_unit="m/s^2")
    rows[:, 1:4] *= 1000
    milli = read_inertial_csv(write_csv(tmp_path / "mg.csv", "time,ax,ay,az", rows[:, :4]))
    with pytest.raises(UnitError, match=r"magnitude of 1e\+03, expected about 1 in g or 9.8 in m/s\^2"):
        inertial_units(milli)


def test_missing_accelerometer_columns_names_found_and_expected(tmp_path):
    path = write_csv(tmp_path / "gyro_only.csv", "time,gyro_x,gyro_y,gyro_z", walking_like()[:, [0, 4, 5, 6]])
    with pytest.raises(
        InputError,
        match=r"no accelerometer x/y/z columns \(found \['time', 'gyro_x', 'gyro_y', 'gyro_z'\]\); "
        r"name them acc_x, acc_y, acc_z",
    ):
        read_inertial_csv(path)


@pytest.mark.parametrize(
    ("swap", "message"),
    [("duplicate", "timestamps duplicated at row 12"), ("backwards", "timestamps going backwards at row 12")],
)
def test_non_monotonic_or_duplicated_timestamps_are_refused(tmp_path, swap, message):
    rows = walking_like()
    rows[10, 0] = rows[9, 0] if swap == "duplicate" else rows[8, 0]
    with pytest.raises(TimestampOrderError, match=message):
        read_inertial_csv(write_csv(tmp_path / "t.csv", "time,acc_x,acc_y,acc_z", rows[:, :4]))


def test_gaps_up_to_one_second_are_filled_and_longer_ones_refused(tmp_path):
    rows = walking_like()
    rows[100:140, 2] = np.nan  # 0.8 s
    filled = read_inertial_csv(write_csv(tmp_path / "short_gap.csv", "time,acc_x,acc_y,acc_z", rows[:, :4]))
    assert np.isfinite(filled.signal).all()
    rows[100:160, 2] = np.nan  # 1.2 s
    with pytest.raises(
        InputError, match=r"run of 60 missing values \(1.20 s\) from sample 100; gaps up to 1 s are filled"
    ):
        read_inertial_csv(write_csv(tmp_path / "long_gap.csv", "time,acc_x,acc_y,acc_z", rows[:, :4]))
    rows = walking_like()
    rows[200:, 0] += 5.0
    with pytest.raises(InputError, match=r"5.0 s gap in its timestamps after t=3.98 s"):
        read_inertial_csv(write_csv(tmp_path / "time_gap.csv", "time,acc_x,acc_y,acc_z", rows[:, :4]))


def test_no_time_column_needs_a_rate(tmp_path):
    path = write_csv(tmp_path / "no_time.csv", "acc_x,acc_y,acc_z", walking_like()[:, 1:4])
    with pytest.raises(SamplingRateError, match="has no time column"):
        read_inertial_csv(path)
    assert read_inertial_csv(path, fs=25).time[1] == pytest.approx(0.04)
