"""Loaders of the pocket and Oxford datasets on tiny generated folders of the real layouts, and the fixed test
people."""

from __future__ import annotations

import gzip

import numpy as np

from core.har.recordings import POCKET_TEST_SUBJECTS, oxford_recordings, pocket_recordings
from tests.conftest import needs_data


def write_gz(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as handle:
        handle.write(text)


def test_pocket_recording_in_g_at_50_hz_with_mapped_labels(tmp_path):
    # 6 s at 100 Hz: 2 s seated, 1 s standing up, 3 s walking (turning folded in); gravity on -y in m/s^2
    n = 600
    labels = ["SEATED"] * 200 + ["STANDING_UP"] * 100 + ["WALKING"] * 200 + ["TURNING"] * 100
    rows = [f"0.1,-9.81,0.2,0.01,0.02,0.03,{1657533977000 + 10 * i},{labels[i]}" for i in range(n)]
    header = "x_acc,y_acc,z_acc,x_gyro,y_gyro,z_gyro,timestamp,label\n"
    write_gz(tmp_path / "s04" / "s04_01_sp.csv.gz", header + "\n".join(rows))
    (tmp_path / "executions_info.csv").write_text("execution_id,orientation,first_turn,second_turn\ns04_01,back,l,r\n")
    (recording,) = pocket_recordings(tmp_path)
    assert recording.test and recording.person == "s04" and recording.position == "pocket (back)"
    assert len(recording.acc) == 300  # 5.99 s at 50 Hz
    np.testing.assert_allclose(np.median(recording.acc, axis=0), [0.1 / 9.80665, -9.81 / 9.80665, 0.2 / 9.80665], 1e-3)
    names, counts = np.unique(recording.labels, return_counts=True)
    assert dict(zip(names, counts)) == {"SEATED": 100, "TRANSITION": 50, "WALKING": 150}
    assert (
        recording.labels[0] == "SEATED"
        and recording.labels[130] == "TRANSITION"
        and recording.labels[160] == "WALKING"
        and recording.labels[-1] == "WALKING"
    )


def test_oxford_walk_steps_from_the_flag_and_the_cumulative_columns(tmp_path):
    t0 = 584065454762638
    acc = "\n".join(f"{t0 + 5_000_000 * i},3,0.5,9.7,0.3" for i in range(2000))  # 10 s at 200 Hz
    flags = "\n".join(f"{t0 + 500_000_000 + 500_000_000 * i},{i % 2},1" for i in range(17))  # 16 changes
    folder = tmp_path / "optimisation" / "data" / "Samsung_Dario_Hard_FrontPocket_1"
    write_gz(folder / "accelerometer.csv.gz", acc)
    write_gz(folder / "stepcounter.csv.gz", flags)
    table = "\n".join(f"{t0 + 10_000_000 * i},0.5,9.7,0.3,0,{i // 50},{i // 48}" for i in range(1000))
    write_gz(tmp_path / "validation" / "user2_bag_1506422838474.csv.gz", table)
    walk, validation = oxford_recordings(tmp_path)
    assert (walk.person, walk.placement, walk.test, walk.steps) == ("dario", "pocket", False, 16)
    assert len(walk.acc) == 500 and walk.gyro is None
    walking = np.flatnonzero(walk.labels == "WALKING") / 50
    assert walking[0] == 1.0 and walking[-1] == 8.5  # first to last change of the flag
    assert (validation.person, validation.placement, validation.test) == ("user2", "bag/other", True)
    assert (validation.steps, validation.hardware_steps) == (19, 20)


@needs_data("sp_sw_har")
def test_the_pocket_test_people_are_every_fourth_subject():
    recordings = pocket_recordings()
    test = sorted({r.person for r in recordings if r.test})
    assert tuple(test) == POCKET_TEST_SUBJECTS and len({r.person for r in recordings}) == 23
