"""Cut the shipped Space examples and the tiny test fixtures from the real data:
`python -m training.make_examples ecg`."""

from __future__ import annotations

import sys

import numpy as np
import wfdb

from core.ecg.beats import AAMI_MAP
from core.ecg.data import load_beats, mitdb_dir
from core.readers.wfdb_records import read_wfdb
from core.tasks import ROOT

ECG_STRIPS = {
    "100": "normal sinus rhythm",
    "208": "ventricular ectopic and fusion beats",
    "232": "supraventricular ectopic beats",
    "217": "paced rhythm",
}


def busiest_window(symbols: np.ndarray, samples: np.ndarray, fs: float, seconds: float) -> int:
    """Start sample of the `seconds`-long window holding the most non-normal beats (ties: the earliest)."""
    abnormal = samples[[AAMI_MAP.get(s) not in (None, "N") for s in symbols]]
    if len(abnormal) == 0:
        return int(60 * fs)
    width = int(seconds * fs)
    counts = [np.sum((abnormal >= a) & (abnormal < a + width)) for a in abnormal]
    return int(max(0, abnormal[int(np.argmax(counts))] - fs))


def ecg_examples() -> None:
    folder = mitdb_dir()
    examples = ROOT / "spaces" / "ecg" / "examples"
    fixtures = ROOT / "tests" / "fixtures"
    examples.mkdir(parents=True, exist_ok=True)
    for record, description in ECG_STRIPS.items():
        rec = read_wfdb(folder / f"{record}.hea")
        fs = rec.fs
        start = busiest_window(rec.annotations["symbol"], rec.annotations["sample"], fs, 20)
        strip = rec.signal[start : start + int(20 * fs)]
        path = examples / f"mitdb_{record}_20s.csv"
        with path.open("w") as handle:
            handle.write(f"# MIT-BIH record {record} ({description}), samples {start}-{start + len(strip)}, fs=360\n")
            handle.write(",".join(rec.channels) + "\n")
            np.savetxt(handle, strip, fmt="%.3f", delimiter=",")
    # a 60 s two-lead WFDB excerpt with its reference annotations, for the WFDB upload path
    rec = read_wfdb(folder / "119.hea")
    excerpt = slice(0, int(60 * rec.fs))
    wfdb.wrsamp(
        "mitdb_119_60s",
        fs=rec.fs,
        units=list(rec.meta["units"]),
        sig_name=list(rec.channels),
        p_signal=rec.signal[excerpt],
        fmt=["212", "212"],
        adc_gain=[200.0, 200.0],
        baseline=[1024, 1024],
        write_dir=str(examples),
    )
    keep = rec.annotations["sample"] < excerpt.stop  # its reference annotations, so the example is also scored
    wfdb.wrann(
        "mitdb_119_60s",
        "atr",
        rec.annotations["sample"][keep],
        rec.annotations["symbol"][keep],
        write_dir=str(examples),
    )
    # tiny fixtures: 10 s of record 100 (one lead, format 212) with its beat annotations, and 20 Kaggle-style beat rows
    rec = read_wfdb(folder / "100.hea")
    n = int(10 * rec.fs)
    wfdb.wrsamp(
        "mitdb100_10s",
        fs=rec.fs,
        units=["mV"],
        sig_name=["MLII"],
        p_signal=rec.signal[:n, :1],
        fmt=["212"],
        adc_gain=[200.0],
        baseline=[1024],
        write_dir=str(fixtures),
    )
    keep = rec.annotations["sample"] < n
    wfdb.wrann(
        "mitdb100_10s", "atr", rec.annotations["sample"][keep], rec.annotations["symbol"][keep], write_dir=str(fixtures)
    )
    beats = load_beats(records=("208",))
    rng = np.random.default_rng(0)
    rows = np.concatenate([rng.choice(np.flatnonzero(beats["label"] == c), 3, replace=False) for c in (0, 2, 3)])
    table = np.column_stack([beats["beats"][rows], beats["label"][rows]])
    np.savetxt(fixtures / "kaggle_beats.csv", table, fmt="%.4f", delimiter=",")


if __name__ == "__main__":
    {"ecg": ecg_examples}[sys.argv[1]]()
