"""Step counting on a synthetic gait with a known number of steps, turned as in a pocket, and walking bouts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from core.errors import InputError
from core.har.data import HAR_FS
from core.har.steps import acc_steps, bout_steps, walking_bouts


def gait(seconds: float, cadence: float, *, seed: int = 0) -> np.ndarray:
    """Acceleration (n, 3) in g of a walker with `cadence` steps/min: a bounce along gravity per step, a sway
    across at half the rate, a heel-strike harmonic and sensor noise; the phone turned away from upright."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * HAR_FS)) / HAR_FS
    rate = cadence / 60.0
    vertical = 0.25 * np.sin(2 * np.pi * rate * t) + 0.06 * np.sin(2 * np.pi * 3 * rate * t + 0.4)
    sway = 0.08 * np.sin(np.pi * rate * t)
    acc = np.column_stack([sway, 0.02 * rng.standard_normal(len(t)), 1.0 + vertical])
    acc += 0.01 * rng.standard_normal(acc.shape)
    return Rotation.from_euler("xyz", [80, 10, 30], degrees=True).apply(acc)


@pytest.mark.parametrize("cadence", [90.0, 110.0, 130.0])
def test_steps_of_a_synthetic_gait(cadence):
    acc = gait(60.0, cadence)
    steps = acc_steps(acc)
    assert abs(len(steps) - cadence) <= 2  # 60 s at `cadence` steps/min
    (bout,) = bout_steps(steps / HAR_FS, [(0.0, 60.0)])
    assert bout.cadence == pytest.approx(cadence, rel=0.02)


def test_no_steps_while_still():
    still = np.tile([0.0, 0.0, 1.0], (int(30 * HAR_FS), 1)) + 0.005 * np.random.default_rng(1).standard_normal(
        (int(30 * HAR_FS), 3)
    )
    assert len(acc_steps(still)) == 0


def test_walking_bouts_and_their_steps():
    starts = np.arange(10) * 1.28
    walking = np.array([0, 1, 1, 1, 0, 0, 1, 1, 1, 1], dtype=bool)
    bouts = walking_bouts(starts, walking, 2.56)
    assert bouts == [(1.28, 3.84 + 2.56), (7.68, 11.52 + 2.56)]
    counted = bout_steps(np.arange(0, 15, 0.5), bouts)
    assert [b.steps for b in counted] == [10, 13]  # steps at 1.5-6.0 s and 8.0-14.0 s
    assert counted[0].cadence == pytest.approx(120.0) and counted[1].cadence == pytest.approx(120.0)


def test_an_unknown_step_signal_is_one_sentence():
    with pytest.raises(InputError, match=r"Unknown step signal 'x'; accepted are \['vertical', 'magnitude'\]"):
        acc_steps(gait(10.0, 100.0), signal="x")
