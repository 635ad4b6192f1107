"""Where the phone is and how it moves, for a phone carried anywhere on the body: two gradient-boosted tree
ensembles (`core.trees`) on the orientation-free window features of `core.har.features`, trained on UCI HAR (waist),
sp_sw_har (trouser pocket) and the Oxford walks (hand, pocket, bag, neck pouch, armband) by `training.har_placement`.

The motion trees read the orientation-free features only; the placement trees also read which phone axis is up
(absolute gravity direction in the phone's frame: a belt clip, a trouser pocket and a hand hold the phone
differently). A recording's placement is the mean placement probability over its walking windows. The model is
`core.har.model.HARPlacementModel`; this module holds what serving needs without torch.
"""

from __future__ import annotations

import numpy as np

from core.har.features import window_features
from core.results import softmax

MOTIONS = ("WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "STILL")
"""The motion trees' classes; standing up and sitting down were trained as STILL (the nearest activity)."""
PLACEMENTS = ("waist", "pocket", "hand", "bag/other")
PLACEMENT_NAMES = {"waist": "waist", "pocket": "trouser pocket", "hand": "hand", "bag/other": "bag or other"}
WALKING_MOTIONS = (0, 1, 2)
UNKNOWN_BELOW = 0.90
"""Mean placement probability over the walking windows under which a recording matches no known placement (kept 95%
of the correctly placed training recordings out of fold, flagged 14 of the 15 wrongly placed ones)."""
HELD_FEATURES = ("up_x", "up_y", "up_z")
"""The absolute gravity direction in the phone's frame, read by the placement trees only."""


def placement_rows(acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The model's input rows (windows, features + 3) of 50 Hz acceleration (n, 3) in g, and the window starts."""
    features, starts, direction = window_features(acc)
    return np.hstack([features, np.abs(direction)]).astype(np.float32), starts


def placement_probabilities(model, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Motion (windows, len(MOTIONS)) and placement (windows, len(PLACEMENTS)) probabilities of `placement_rows`."""
    motion, placement = model.infer_all(rows)
    return softmax(motion), softmax(placement)


def recording_placement(p_motion: np.ndarray, p_place: np.ndarray) -> tuple[str | None, float]:
    """A recording's placement and its confidence: the mean placement probability over its walking windows (None
    and 0 when no window walks)."""
    walking = np.isin(p_motion.argmax(axis=1), WALKING_MOTIONS)
    if not walking.any():
        return None, 0.0
    mean = p_place[walking].mean(axis=0)
    return PLACEMENTS[int(mean.argmax())], float(mean.max())
