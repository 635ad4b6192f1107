"""Heart-rate speed: seconds to read, featurise and predict a 2-hour run at 1 Hz, per file format and backend.

    python benchmarks/hr.py        # prints a table and writes benchmarks/results/hr.json

The run is the shipped 53-minute example run (real speed, altitude and GPS) repeated to 7,200 one-second points.
Wall seconds depend on what else runs on the machine; CPU seconds (this process) much less so: both are reported.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from core import load_model
from core.hr.pipeline import predict, workout_grid
from core.readers.workouts import read_workout
from core.tasks import get_task
from training.hr_examples import write_fit, write_gpx, write_tcx

RESULTS = Path(__file__).parent / "results"
SECONDS = 7200
REPEATS = 5


def two_hour_run() -> dict:
    """A 7,200-point 1 Hz run: the example run's channels resampled to 1 Hz and tiled, with a continuous track."""
    example = read_workout(next(p for p in get_task("hr").examples if p.name == "runpandas_run_53min.gpx"))
    t = np.arange(SECONDS, dtype=float)
    period = example.time[-1]
    columns = {
        name: np.interp(
            t % period, example.time, np.nan_to_num(example.channel(name), nan=np.nanmean(example.channel(name)))
        )
        for name in ("latitude", "longitude", "altitude_m", "heart_rate", "speed_kmh")
    }
    return {"time_s": 1_600_000_000 + t, **columns}


def write_files(folder: Path) -> dict[str, Path]:
    c = two_hour_run()
    return {
        "gpx": write_gpx(
            folder / "run.gpx", c["time_s"], c["latitude"], c["longitude"], c["altitude_m"], c["heart_rate"]
        ),
        "tcx": write_tcx(
            folder / "run.tcx",
            c["time_s"],
            c["latitude"],
            c["longitude"],
            c["altitude_m"],
            c["heart_rate"],
            c["speed_kmh"],
        ),
        "fit": write_fit(
            folder / "run.fit",
            c["time_s"],
            c["latitude"],
            c["longitude"],
            c["altitude_m"],
            c["heart_rate"],
            c["speed_kmh"],
        ),
    }


def timed(fn) -> tuple[float, float, object]:
    """Median wall and CPU seconds of REPEATS calls after one warm-up, and the last result."""
    result = fn()
    wall, cpu = [], []
    for _ in range(REPEATS):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return float(np.median(wall)), float(np.median(cpu)), result


def report_rows(results: dict) -> dict:
    """The rows `benchmarks/report.py` prints for HR: 5 s steps per second and each format and backend end to end.

    The model reads a whole run as one sequence: "batched" is one run's steps in one call; there is no batch-1 figure.
    """
    rows, rates = results["rows"], {}
    for row in rows:
        rates.setdefault(row["backend"], []).append(row["grid_steps"] / row["predict_s"])
    return {
        "throughput": [
            {
                "item": "5 s steps of a run",
                "torch_batch1": None,
                "torch_batched": max(rates.get("torch", [0])) or None,
                "onnx_batch1": None,
                "onnx_batched": max(rates.get("onnx", [0])) or None,
                "batch": f"one {rows[0]['grid_steps']}-step run",
            }
        ],
        "end_to_end": [
            {
                "recording": f"{results['run']} run as {r['format'].upper()} ({r['file_kib']} KiB), {r['backend']}",
                "seconds": r["total_s"],
            }
            for r in rows
        ],
    }


def main() -> dict:
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        files = write_files(Path(folder))
        for backend in ("onnx", "torch"):
            model = load_model("hr", backend=backend)
            if backend == "onnx":
                model.use_onnx(model.checkpoint_dir / "model.onnx", threads=1)
            for fmt, path in files.items():
                read_s, read_cpu, recording = timed(lambda: read_workout(path))
                grid_s, _, run = timed(lambda: workout_grid(recording))
                predict_s, _, _ = timed(lambda: model.predict_run(run.features))
                total_s, total_cpu, _ = timed(lambda: predict(model, read_workout(path)))
                rows.append(
                    {
                        "format": fmt,
                        "backend": backend,
                        "points": len(recording.time),
                        "grid_steps": len(run.time_s),
                        "read_s": round(read_s, 4),
                        "featurise_s": round(grid_s, 4),
                        "predict_s": round(predict_s, 4),
                        "total_s": round(total_s, 4),
                        "read_cpu_s": round(read_cpu, 4),
                        "total_cpu_s": round(total_cpu, 4),
                        "file_kib": round(path.stat().st_size / 1024),
                    }
                )
    print(
        f"{'format':6} {'backend':7} {'read s':>8} {'featurise s':>12} {'predict s':>10} "
        f"{'total s':>8} {'total CPU s':>12}"
    )
    for row in rows:
        print(
            f"{row['format']:6} {row['backend']:7} {row['read_s']:8.3f} {row['featurise_s']:12.4f} "
            f"{row['predict_s']:10.4f} {row['total_s']:8.3f} {row['total_cpu_s']:12.3f}"
        )
    RESULTS.mkdir(exist_ok=True)
    out = {"task": "hr", "run": f"{SECONDS} s at 1 Hz", "threads": 1, "repeats": REPEATS, "rows": rows}
    out["report"] = report_rows(out)
    (RESULTS / "hr.json").write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
