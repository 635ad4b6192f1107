"""ECG anomaly speed: beats per second of each method (torch vs the served onnxruntime graph; batch 1 and 256) and
end-to-end seconds for a 30-minute record.

python benchmarks/ecg_anomaly.py        # prints a table and writes benchmarks/results/ecg_anomaly.json
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from _timing import BATCHES, backend_throughput, items_per_second, print_throughput, timed

from core import load_model
from core.ecg.beats import rr_features
from core.ecg_anomaly.pipeline import predict
from core.readers import read_signal
from core.tasks import data_dir, get_task

RESULTS = Path(__file__).parent / "results"


def beats_per_second(model, batch: int, *, seconds: float = 3.0) -> float:
    """Throughput of `reconstruct` (errors, reconstruction and code) on random beats, RR features and context."""
    rng = np.random.default_rng(0)
    beats = rng.random((batch, 187), dtype=np.float32)
    rr = rr_features(np.cumsum(rng.integers(250, 350, batch + 1)), 360.0)[:batch]
    context = rng.random((batch, model.context_samples), dtype=np.float32)
    return items_per_second(lambda: model.reconstruct(beats, rr, context), batch, seconds=seconds)


def end_to_end(model, header: Path) -> dict:
    """Seconds to read, detect, cut and score one record, after one warm-up pass."""
    predict(model, read_signal(header))
    timings = {}
    with timed(timings, "read_s"):
        recording = read_signal(header)
    with timed(timings, "predict_path_s"):
        result = predict(model, recording)
    return {
        **timings,
        "total_s": sum(timings.values()),
        "beats": len(result.scores),
        "duration_s": recording.duration_s,
    }


def main() -> None:
    torch.set_num_threads(1)
    task = get_task("ecg_anomaly")
    header = data_dir() / "mitdb" / "200.hea"
    if not header.exists():
        header = next(p for p in task.examples if p.suffix == ".hea")
    results, rows, batch = {"threads": 1, "methods": {}}, [], BATCHES[-1]
    for method in task.checkpoints:
        torch_model, onnx_model = (
            load_model(task.name, variant=method),
            load_model(task.name, variant=method, backend="onnx"),
        )
        onnx_model.use_onnx(onnx_model.onnx_path, threads=1)  # one thread, as torch
        throughput, ratios = backend_throughput(beats_per_second, torch_model, onnx_model)
        record = end_to_end(onnx_model, header)
        results["methods"][method] = {
            "throughput_beats_per_s": throughput,
            **ratios,
            "record": {"name": header.stem, **record},
        }
        print_throughput(f"{method} throughput (beats/s):", throughput, ratios)
        print(
            f"  record {header.stem} ({record['duration_s'] / 60:.1f} min, {record['beats']} beats) end to end: "
            f"{record['total_s']:.2f} s"
        )
        rows.append((method, throughput, record))
    results["report"] = {
        "throughput": [
            {
                "item": f"beats ({method})",
                "torch_batch1": t["torch_batch1"],
                "torch_batched": t[f"torch_batch{batch}"],
                "onnx_batch1": t["onnx_batch1"],
                "onnx_batched": t[f"onnx_batch{batch}"],
                "batch": str(batch),
            }
            for method, t, _ in rows
        ],
        "end_to_end": [
            {
                "recording": f"MIT-BIH record {header.stem}, {r['duration_s'] / 60:.0f} min, {r['beats']} beats "
                f"({method}, onnxruntime)",
                "seconds": r["total_s"],
            }
            for method, _, r in rows
        ],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ecg_anomaly.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
