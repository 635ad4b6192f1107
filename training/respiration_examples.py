"""Cut the respiration Space examples and the tiny test fixtures from the real data:
`python -m training.respiration_examples`."""

from __future__ import annotations

import shutil

import numpy as np
import wfdb

from core.ecg.data import mitdb_dir
from core.readers.wfdb_records import read_wfdb
from core.respiration.data import apnea_ecg, bidmc_01
from core.signals import signal_resample
from core.tasks import ROOT, data_dir

EXAMPLES = ROOT / "spaces" / "respiration" / "examples"
FIXTURES = ROOT / "tests" / "fixtures"


def write_resp_csv(path, resp: np.ndarray, fs: float, note: str) -> None:
    with path.open("w") as handle:
        handle.write(f"# {note}, fs={fs:g}\n")
        handle.write("RESP\n")
        np.savetxt(handle, resp, fmt="%.4f")


def write_beats_csv(path, times: np.ndarray, note: str) -> None:
    with path.open("w") as handle:
        handle.write(f"# {note}\n")
        handle.write("beat_time_s\n")
        np.savetxt(handle, times, fmt="%.2f")


def main() -> None:
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    resp, fs, _, _ = bidmc_01()
    # waveform: 2 minutes as CSV, and 2 minutes with a RESP channel as WFDB
    write_resp_csv(EXAMPLES / "bidmc01_resp_2min.csv", resp[: int(120 * fs)], fs, "BIDMC record 01 RESP, 0-120 s")
    wfdb.wrsamp(
        "bidmc01_resp_2min_wfdb",
        fs=fs,
        units=["NU"],
        sig_name=["RESP"],
        p_signal=resp[int(240 * fs) : int(360 * fs), None],
        fmt=["16"],
        adc_gain=[10000.0],
        baseline=[0],
        write_dir=str(EXAMPLES),
    )
    # heartbeats: 3 hours of a held-out Apnea-ECG record with apnea, and a 6-minute MIT-BIH ECG (single lead, WFDB)
    beats, labels = apnea_ecg()
    a03 = beats.loc[beats["record"] == "a03", "beat_time_s"].to_numpy()
    write_beats_csv(
        EXAMPLES / "apnea_ecg_a03_3h.csv",
        a03[(a03 >= 3 * 3600) & (a03 < 6 * 3600)],
        "Apnea-ECG record a03 (held-out test record), hours 3-6, machine QRS times in s",
    )
    c07 = beats.loc[beats["record"] == "c07", "beat_time_s"].to_numpy()
    write_beats_csv(
        EXAMPLES / "apnea_ecg_c07_1h.csv", c07[c07 < 3600], "Apnea-ECG record c07 (held-out control record), hour 1"
    )
    rec = read_wfdb(mitdb_dir() / "100.hea")
    wfdb.wrsamp(
        "mitdb_100_6min_ecg",
        fs=rec.fs,
        units=["mV"],
        sig_name=["MLII"],
        p_signal=rec.signal[: int(360 * rec.fs), :1],
        fmt=["212"],
        adc_gain=[200.0],
        baseline=[1024],
        write_dir=str(EXAMPLES),
    )
    # series: two NAB known-cause series, unchanged
    for name in ("ec2_request_latency_system_failure", "ambient_temperature_system_failure"):
        shutil.copyfile(data_dir() / "nab" / "data" / "realKnownCause" / f"{name}.csv", EXAMPLES / f"nab_{name}.csv")

    # tiny fixtures: 40 s of BIDMC RESP at 25 Hz, 10 minutes of a03 beats, 300 points of a NAB series
    small = signal_resample(resp[: int(40 * fs)], fs, 25.0)
    write_resp_csv(FIXTURES / "respiration_bidmc01_40s.csv", small, 25.0, "BIDMC record 01 RESP, 0-40 s, resampled")
    write_beats_csv(
        FIXTURES / "respiration_a03_10min.csv",
        a03[(a03 >= 3 * 3600) & (a03 < 3 * 3600 + 600)],
        "Apnea-ECG a03, 10 minutes",
    )
    lines = (
        (data_dir() / "nab" / "data" / "realKnownCause" / "ec2_request_latency_system_failure.csv")
        .read_text()
        .splitlines()
    )
    (FIXTURES / "respiration_nab_ec2_300.csv").write_text("\n".join(lines[:301]) + "\n")


if __name__ == "__main__":
    main()
