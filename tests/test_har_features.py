"""Orientation-free window features: unchanged when the phone is turned (a pocket-like recording made by rotating
the stitched UCI fixture), and the gravity-aligned frame on a known signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial.transform import Rotation

from core.har.data import HAR_FS, STEP, WINDOW
from core.har.features import FEATURE_NAMES, acc_gravity_frame, tilt_from_reference, window_features
from core.signals import signal_resample
from tests.conftest import FIXTURES

STITCHED = FIXTURES / "har_stitched_20hz.csv"


def stitched_acc() -> np.ndarray:
    """The fixture's accelerometer (g) at 50 Hz: 10 s each of walking, sitting and laying of a UCI test subject."""
    frame = pd.read_csv(STITCHED, comment="#")
    return signal_resample(frame[["acc_x", "acc_y", "acc_z"]].to_numpy(), 20.0, HAR_FS, padtype="line")


def test_features_do_not_change_when_the_phone_is_turned():
    acc = stitched_acc()
    # a pocket-like recording: the same movement with gravity on the phone's y axis instead of x
    turned = Rotation.from_euler("zyx", [90, 35, -120], degrees=True).apply(acc)
    original, starts, _ = window_features(acc)
    rotated, rotated_starts, _ = window_features(turned)
    assert original.shape == (len(starts), len(FEATURE_NAMES)) and len(starts) == (len(acc) - WINDOW) // STEP + 1
    np.testing.assert_array_equal(starts, rotated_starts)
    np.testing.assert_allclose(rotated, original, rtol=1e-3, atol=1e-4)
    # the raw axes do change: the phone's x axis carries gravity in one and not the other
    assert abs(acc[:, 0].mean() - turned[:, 0].mean()) > 0.3


def test_gravity_frame_splits_a_vertical_bounce_from_gravity():
    t = np.arange(int(30 * HAR_FS)) / HAR_FS
    up = np.array([0.0, 0.6, 0.8])  # gravity direction in the phone's frame
    bounce = 0.2 * np.sin(2 * np.pi * 1.8 * t)
    side = 0.1 * np.sin(2 * np.pi * 0.9 * t)
    across = np.array([1.0, 0.0, 0.0])
    acc = (1.0 + bounce)[:, None] * up + side[:, None] * across
    gravity, frame = acc_gravity_frame(acc)
    middle = slice(250, -250)
    np.testing.assert_allclose(gravity[middle], np.broadcast_to(up, gravity[middle].shape), atol=0.01)
    np.testing.assert_allclose(frame[middle, 0], bounce[middle], atol=0.01)  # vertical
    np.testing.assert_allclose(frame[middle, 1], np.abs(side[middle]), atol=0.01)  # horizontal


def test_tilt_against_the_walking_reference():
    directions = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
    np.testing.assert_allclose(tilt_from_reference(directions, np.array([0.0, 2.0, 0.0])), [0.0, 90.0, 180.0])
