"""Respiration speed: seconds to score an 8-hour night of RR intervals, a 10-minute and an 8-hour 125 Hz breathing
waveform (array, and the 10-minute one from its CSV file), and a NAB series, end to end; VAE-LSTM throughput.

    python benchmarks/respiration.py        # prints a table and writes benchmarks/results/respiration.json

Inputs are real: Apnea-ECG record a01 (its first 8 hours of beats), BIDMC record 01 RESP tiled to 10 minutes and to
8 hours, NAB machine_temperature. Each end-to-end figure is the median of 5 runs after one warm-up, onnxruntime
backend, models already loaded, wall and CPU seconds. Targets: night < 1 s, 10-minute waveform < 0.1 s.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from _timing import backend_throughput, items_per_second, print_throughput

from core import get_task, load_model
from core.readers.series import BeatSeries, ValueSeries
from core.respiration.apnea import predict_apnea
from core.respiration.data import apnea_ecg, bidmc_01, nab_series
from core.respiration.series import predict_series
from core.respiration.waveform import predict_waveform

RESULTS = Path(__file__).parent / "results"


def seconds(fn, runs: int = 5) -> tuple[float, float]:
    """Median wall and CPU seconds (this process) of `fn` over `runs` after one warm-up: on a shared machine the wall
    time measures the neighbours too, the CPU time much less so."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def sequences_per_second(model, batch: int, *, seconds: float = 2.0) -> float:
    """VAE-LSTM sequences (seq_len windows) scored per second at `batch`."""
    x = np.random.default_rng(0).standard_normal((batch, model.seq_len, model.window)).astype(np.float32)
    return items_per_second(lambda: model.infer(x), batch, seconds=seconds)


def report_rows(results: dict) -> dict:
    """The rows `benchmarks/report.py` prints for respiration (wall seconds; the CPU seconds are in the labels)."""
    throughput, cpu = results["vae_lstm_sequences_per_s"], results["cpu_s"]
    return {
        "throughput": [
            {
                "item": "VAE-LSTM sequences (waveform variant)",
                "torch_batch1": throughput["torch_batch1"],
                "torch_batched": throughput["torch_batch256"],
                "onnx_batch1": throughput["onnx_batch1"],
                "onnx_batched": throughput["onnx_batch256"],
                "batch": "256",
            }
        ],
        "end_to_end": [
            {"recording": f"{label}, onnx ({cpu[key]:.2f} s CPU)", "seconds": results[key]}
            for key, label in (
                ("rr_night_8h_s", "8-hour night of RR intervals (a01, array)"),
                ("waveform_10min_125hz_s", "10-minute 125 Hz waveform (array)"),
                ("waveform_10min_125hz_csv_s", "10-minute 125 Hz waveform from its CSV file"),
                ("waveform_8h_125hz_s", "8-hour 125 Hz waveform (array)"),
                ("nab_machine_temperature_22695_points_s", "NAB machine_temperature, 22,695 points"),
            )
        ],
    }


def main() -> dict:
    beats, _ = apnea_ecg()
    times = beats.loc[beats["record"] == "a01", "beat_time_s"].to_numpy()
    night = times[times < 8 * 3600]
    night_beats = BeatSeries(night[1:], np.diff(night), "a01")
    resp, fs, _, _ = bidmc_01()
    ten_minutes = np.tile(resp, 2)[: int(600 * fs)]
    eight_hours = np.tile(resp, 60)
    machine = nab_series("realKnownCause/machine_temperature_system_failure.csv")
    models = {
        variant: load_model("respiration", variant=variant, backend="onnx")
        for variant in ("apnea", "apnea-vae", "waveform", "series")
    }
    task = get_task("respiration")
    throughput, ratios = backend_throughput(
        sequences_per_second, load_model("respiration", variant="waveform", backend="torch"), models["waveform"]
    )
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "resp_10min.csv"
        csv.write_text(f"# fs={fs:g}\nRESP\n" + "\n".join(f"{v:.5f}" for v in ten_minutes) + "\n")
        from_file = seconds(lambda: task.run(task.read(csv), models.__getitem__))
    rows = {
        "rr_night_8h_s": seconds(lambda: predict_apnea(models["apnea"], night_beats, vae=models["apnea-vae"])),
        "waveform_10min_125hz_s": seconds(lambda: predict_waveform(models["waveform"], ten_minutes, fs)),
        "waveform_10min_125hz_csv_s": from_file,
        "waveform_8h_125hz_s": seconds(lambda: predict_waveform(models["waveform"], eight_hours, fs), runs=3),
        "nab_machine_temperature_22695_points_s": seconds(
            lambda: predict_series(
                models["series"],
                ValueSeries(machine.values, np.arange(len(machine.values))),
                smooth_points=models["series"].smooth,
            )
        ),
    }
    result = {
        "cpu_count": os.cpu_count(),
        "backend": "onnxruntime",
        "night_beats": int(len(night)),
        **{key: round(wall, 4) for key, (wall, _) in rows.items()},
        "cpu_s": {key: round(cpu, 4) for key, (_, cpu) in rows.items()},
        "vae_lstm_sequences_per_s": throughput,
        **ratios,
    }
    result["report"] = report_rows(result)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "respiration.json").write_text(json.dumps(result, indent=2) + "\n")
    for key, (wall, cpu) in rows.items():
        print(f"{key:45s} {wall:.4f} wall, {cpu:.4f} CPU")
    print_throughput("VAE-LSTM sequences per second", throughput, ratios)
    return result


if __name__ == "__main__":
    main()
