"""Download a training dataset into the data folder: `python -m training.download DATASET [--to DIR]`.

Only datasets with a download function in their task's data module are fetched; the others are listed with why not.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.tasks import data_dir, import_object

DOWNLOADERS = {
    "mitdb": "core.ecg.data:download_mitdb",
}
"""Dataset (its folder under `data_dir()`) -> "module:function" that downloads it into a target folder."""
NOT_DOWNLOADABLE = {
    "kaggle_beats": "The Kaggle heartbeat CSVs need a Kaggle login, so download mitbih_train.csv and mitbih_test.csv "
    "from kaggle.com/datasets/shayanfazeli/heartbeat by hand.",
    "uci_har": "Training reads prepared windows (har_train.npz, har_test.npz) that no script here builds from the UCI "
    "zip, so copy the uci_har folder of the shared data.",
    "nab": "No downloader is written for the Numenta Anomaly Benchmark yet, so clone github.com/numenta/NAB into the "
    "nab folder.",
    "respiration": "The respiration folder is assembled by hand from parts of several PhysioNet databases "
    "(see the shared data README), so copy it from the shared data.",
    "running_hr": "The Endomondo/FitRec data may not be redistributed and its stand-in running_workouts.parquet is "
    "assembled by hand, so copy the running_hr folder of the shared data.",
}
"""Datasets training uses that this command cannot fetch, each with the reason and what to do instead."""


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m training.download", description=__doc__.splitlines()[0])
    parser.add_argument("dataset", metavar="DATASET", help=f"one of {', '.join(DOWNLOADERS)}")
    parser.add_argument("--to", type=Path, default=None, help="target folder (default: DATA_DIR/DATASET)")
    args = parser.parse_args(argv)
    if args.dataset in NOT_DOWNLOADABLE:
        parser.exit(2, f"{args.dataset!r} cannot be downloaded by this command: {NOT_DOWNLOADABLE[args.dataset]}\n")
    if args.dataset not in DOWNLOADERS:
        parser.exit(
            2,
            f"Unknown dataset {args.dataset!r}; the datasets this command downloads are "
            f"{sorted(DOWNLOADERS)} (not downloadable here: {sorted(NOT_DOWNLOADABLE)}).\n",
        )
    target = args.to or data_dir() / args.dataset
    folder = import_object(DOWNLOADERS[args.dataset])(target)
    print(f"{args.dataset} is in {folder}")
    return folder


if __name__ == "__main__":
    main()
