"""Step counting on the Oxford walks: the step detector's settings chosen on the training people (Jamie, Carmelo,
Dario), then the per-placement error on the test people (user1, user2) beside the phone's hardware counter.

    python -m training.har_steps

Each walk's steps are counted between its first and last ground-truth step (the walking span), so the figure is
the detector's; `training.har_evaluate` counts them in the bouts the activity model finds instead.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
from tqdm import tqdm

from core.har.data import HAR_FS
from core.har.recordings import Labelled, oxford_recordings
from core.har.steps import STEP_SIGNALS, acc_steps

GRID = {
    "signal": STEP_SIGNALS,
    "highcut": (2.0, 2.5, 3.0, 4.0),
    "prominence": (0.02, 0.05, 0.1, 0.15),
}


def span_steps(walk: Labelled, **settings) -> int:
    """Steps detected inside the walk's labelled walking span."""
    peaks = acc_steps(walk.acc, HAR_FS, **settings)
    walking = np.flatnonzero(walk.labels == "WALKING")
    return int(np.count_nonzero((peaks >= walking[0]) & (peaks <= walking[-1])))


def percent_error(counted: int, truth: int) -> float:
    return 100.0 * abs(counted - truth) / truth


def placement_table(walks: list[Labelled], counts: list[int], by: str = "placement") -> dict[str, dict]:
    """Median absolute % error per placement (or per `by="position"`) and over all walks, with the hardware
    counter's where recorded."""
    table = {}
    groups = sorted({getattr(w, by) for w in walks})
    for position in groups + ["all"]:
        rows = [i for i, w in enumerate(walks) if position in ("all", getattr(w, by))]
        hardware = [percent_error(walks[i].hardware_steps, walks[i].steps) for i in rows if walks[i].hardware_steps]
        table[position] = {
            "walks": len(rows),
            "median_abs_pct_error": float(np.median([percent_error(counts[i], walks[i].steps) for i in rows])),
            "hardware_median_abs_pct_error": float(np.median(hardware)) if hardware else None,
            "hardware_walks": len(hardware),
        }
    return table


def print_table(title: str, table: dict[str, dict]) -> None:
    print(title)
    print(f"  {'':<12} {'walks':>5} {'ours %':>8} {'hardware %':>11}")
    for position, row in table.items():
        hardware = row["hardware_median_abs_pct_error"]
        hw = f"{hardware:.1f} (n={row['hardware_walks']})" if hardware is not None else "-"
        print(f"  {position:<12} {row['walks']:>5} {row['median_abs_pct_error']:>8.1f} {hw:>11}")


def choose_settings(train: list[Labelled]) -> tuple[dict, float]:
    """The grid point with the lowest worst-placement median error on the training walks."""
    best, best_key = None, np.inf
    for values in tqdm(list(itertools.product(*GRID.values())), desc="Step settings", mininterval=5):
        settings = dict(zip(GRID, values))
        table = placement_table(train, [span_steps(w, **settings) for w in train])
        key = max(row["median_abs_pct_error"] for placement, row in table.items() if placement != "all")
        if key < best_key:
            best, best_key = settings, key
    return best, best_key


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    walks = oxford_recordings()
    train = [w for w in walks if not w.test]
    test = [w for w in walks if w.test]
    settings, key = choose_settings(train)
    print(f"chosen on {len(train)} training walks: {settings} (worst placement median {key:.1f}%)")
    for title, walks in (("training people (chosen on these)", train), ("test people (user1, user2)", test)):
        counts = [span_steps(w, **settings) for w in walks]
        print_table(f"{title}, per placement", placement_table(walks, counts))
        print_table(f"{title}, per position", placement_table(walks, counts, by="position"))


if __name__ == "__main__":
    main()
