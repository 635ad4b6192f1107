"""Cut the ECG anomaly Space's examples from MIT-BIH records of DS2 (patients no model saw):
`python -m training.ecg_anomaly_examples`."""

from __future__ import annotations

import numpy as np
import wfdb

from core.ecg.beats import AAMI_MAP
from core.ecg.data import mitdb_dir
from core.readers.wfdb_records import read_wfdb
from core.tasks import ROOT

CSV_SECONDS, WFDB_SECONDS = 30, 60
STRIPS = {
    "100": "normal sinus rhythm",
    "213": "ventricular ectopic and fusion beats",
    "232": "supraventricular ectopic beats and pauses",
}
WFDB_STRIP = ("200", "ventricular ectopic beats")


def mixed_window(symbols: np.ndarray, samples: np.ndarray, fs: float, seconds: float, *, most: float = 0.25) -> int:
    """Start sample of the `seconds` window with the most non-normal beats while they stay under `most` of its beats
    (the score can be relative to the typical beat), on whole-window starts; the first window when none has any."""
    is_beat = np.array([AAMI_MAP.get(s) is not None for s in symbols])
    abnormal = np.array([AAMI_MAP.get(s) not in (None, "N") for s in symbols])
    width = int(seconds * fs)
    best, start = -1, 0
    for a in range(0, int(samples[-1]) - width, width):
        inside = (samples >= a) & (samples < a + width)
        count, total = int((inside & abnormal).sum()), int((inside & is_beat).sum())
        if total and count / total <= most and count > best:
            best, start = count, a
    return start


def main() -> None:
    folder = mitdb_dir()
    examples = ROOT / "spaces" / "ecg_anomaly" / "examples"
    examples.mkdir(parents=True, exist_ok=True)
    for record, description in STRIPS.items():
        rec = read_wfdb(folder / f"{record}.hea")
        start = mixed_window(rec.annotations["symbol"], rec.annotations["sample"], rec.fs, CSV_SECONDS)
        strip = rec.signal[start : start + int(CSV_SECONDS * rec.fs)]
        with (examples / f"mitdb_{record}_{CSV_SECONDS}s.csv").open("w") as handle:
            handle.write(f"# MIT-BIH record {record} ({description}), samples {start}-{start + len(strip)}, fs=360\n")
            handle.write(",".join(rec.channels) + "\n")
            np.savetxt(handle, strip, fmt="%.3f", delimiter=",")
    record, _ = WFDB_STRIP
    rec = read_wfdb(folder / f"{record}.hea")
    start = mixed_window(rec.annotations["symbol"], rec.annotations["sample"], rec.fs, WFDB_SECONDS)
    wfdb.wrsamp(
        f"mitdb_{record}_{WFDB_SECONDS}s",
        fs=rec.fs,
        units=list(rec.meta["units"]),
        sig_name=list(rec.channels),
        p_signal=rec.signal[start : start + int(WFDB_SECONDS * rec.fs)],
        fmt=["212"] * len(rec.channels),
        adc_gain=[200.0] * len(rec.channels),
        baseline=[1024] * len(rec.channels),
        write_dir=str(examples),
    )


if __name__ == "__main__":
    main()
