"""Respiration speed: seconds to score an 8-hour night of RR intervals and a 10-minute 125 Hz waveform, end to end.

    python benchmarks/respiration.py        # prints a table and writes benchmarks/results/respiration.json

Inputs are real: Apnea-ECG record a01 (its first 8 hours of beats) and BIDMC record 01 RESP tiled to 10 minutes.
Each figure is the median of 5 runs after one warm-up, onnxruntime backend, models already loaded.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from core import load_model
from core.readers.series import BeatSeries, ValueSeries
from core.respiration.apnea import predict_apnea
from core.respiration.data import apnea_ecg, bidmc_01, nab_series
from core.respiration.series import predict_series
from core.respiration.waveform import predict_waveform

RESULTS = Path(__file__).parent / "results"


def seconds(fn, runs: int = 5) -> float:
    fn()  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> dict:
    beats, _ = apnea_ecg()
    times = beats.loc[beats["record"] == "a01", "beat_time_s"].to_numpy()
    night = times[times < 8 * 3600]
    night_beats = BeatSeries(night[1:], np.diff(night), "a01")
    resp, fs, _, _ = bidmc_01()
    ten_minutes = np.tile(resp, 2)[: int(600 * fs)]
    machine = nab_series("realKnownCause/machine_temperature_system_failure.csv")
    models = {
        variant: load_model("respiration", variant=variant, backend="onnx")
        for variant in ("apnea", "apnea-vae", "waveform", "series")
    }
    rows = {
        "rr_night_8h_s": seconds(lambda: predict_apnea(models["apnea"], night_beats, vae=models["apnea-vae"])),
        "waveform_10min_125hz_s": seconds(lambda: predict_waveform(models["waveform"], ten_minutes, fs)),
        "nab_machine_temperature_22695_points_s": seconds(
            lambda: predict_series(models["series"], ValueSeries(machine.values, np.arange(len(machine.values))))
        ),
    }
    result = {
        "cpu_count": os.cpu_count(),
        "backend": "onnxruntime",
        "night_beats": int(len(night)),
        **{k: round(v, 4) for k, v in rows.items()},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "respiration.json").write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key:45s} {value}")
    return result


if __name__ == "__main__":
    main()
