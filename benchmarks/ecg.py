"""ECG speed: beats per second (torch vs the served onnxruntime graph, and the float32 graph; batch 1 and 256) and
end-to-end seconds for a 30-minute record.

python benchmarks/ecg.py        # prints a table and writes benchmarks/results/ecg.json
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from _timing import BATCHES, backend_throughput, items_per_second, print_throughput, timed

from core import load_model
from core.ecg.beats import ecg_cut, ecg_peaks, rr_features
from core.ecg.features import ecg_beat_features
from core.ecg.pipeline import choose_lead, predict
from core.readers import read_signal
from core.tasks import data_dir, get_task

RESULTS = Path(__file__).parent / "results"


def beats_per_second(model, batch: int, *, seconds: float = 3.0) -> float:
    """Throughput of the model on random inputs, timed over at least `seconds`: feature rows for the new-patient
    model, else beats with RR features (and context, if the model takes it)."""
    rng = np.random.default_rng(0)
    if model.feature_names:
        features = rng.normal(size=(batch, len(model.feature_names))).astype(np.float32)
        return items_per_second(lambda: model.predict_features(features), batch, seconds=seconds)
    beats = rng.random((batch, 187), dtype=np.float32)
    rr = rr_features(np.cumsum(rng.integers(250, 350, batch + 1)), 360.0)[:batch]
    context = rng.random((batch, model.context_samples), dtype=np.float32) if model.context_samples else None
    return items_per_second(lambda: model.predict_beats(beats, rr, context), batch, seconds=seconds)


def end_to_end(model, header: Path) -> dict:
    """Seconds to read, detect, segment and classify one record, after one warm-up pass (the record's `.dat` cache and
    the libraries the pipeline imports on first use)."""
    predict(model, read_signal(header))
    timings = {}
    with timed(timings, "read_s"):
        recording = read_signal(header)
    lead, *_ = choose_lead(recording)
    with timed(timings, "detect_s"):
        peaks = ecg_peaks(lead, recording.fs)
    if model.feature_names:
        with timed(timings, "features_s"):
            features = ecg_beat_features(lead, recording.fs, peaks)
        with timed(timings, "classify_s"):
            model.predict_features(features)
    else:
        with timed(timings, "segment_s"):
            beats, context = ecg_cut(lead, recording.fs, peaks, context_samples=model.context_samples)
            rr = rr_features(peaks, recording.fs)
        with timed(timings, "classify_s"):
            model.predict_beats(beats, rr, context)
    with timed(timings, "predict_path_s"):
        result = predict(model, recording)
    timings["total_s"] = timings["read_s"] + timings["predict_path_s"]
    timings["beats"] = len(result.probabilities)
    timings["duration_s"] = recording.duration_s
    return timings


def report_rows(results: dict) -> dict:
    """The rows `benchmarks/report.py` prints for ECG: throughput (served and float32 graphs) and the record end
    to end."""
    t, float32, batch = results["throughput_beats_per_s"], results["float32_onnx_beats_per_s"], BATCHES[-1]
    served = f" (onnxruntime: served `{results['served_onnx']}`)" if results["served_onnx"] != "model.onnx" else ""
    record = results["record"]
    return {
        "throughput": [
            {
                "item": f"beats{served}",
                "torch_batch1": t["torch_batch1"],
                "torch_batched": t[f"torch_batch{batch}"],
                "onnx_batch1": t["onnx_batch1"],
                "onnx_batched": t[f"onnx_batch{batch}"],
                "batch": str(batch),
            },
            {
                "item": "beats (float32 `model.onnx`)",
                "torch_batch1": None,
                "torch_batched": None,
                "onnx_batch1": float32["onnx_batch1"],
                "onnx_batched": float32[f"onnx_batch{batch}"],
                "batch": str(batch),
            },
        ],
        "end_to_end": [
            {
                "recording": f"MIT-BIH record {record['name']}, {record['duration_s'] / 60:.0f} min, "
                f"{record['beats']} beats (onnxruntime)",
                "seconds": record["total_s"],
            }
        ],
    }


def main() -> None:
    torch.set_num_threads(2)
    torch_model, onnx_model = load_model("ecg"), load_model("ecg", backend="onnx")
    throughput, ratios = backend_throughput(beats_per_second, torch_model, onnx_model)
    float32_model = load_model("ecg", backend="onnx").use_onnx(onnx_model.checkpoint_dir / "model.onnx")
    float32 = {f"onnx_batch{batch}": beats_per_second(float32_model, batch) for batch in BATCHES}
    header = data_dir() / "mitdb" / "208.hea"
    if not header.exists():
        header = next(p for p in get_task("ecg").examples if p.suffix == ".hea")
    record = end_to_end(onnx_model, header)
    results = {
        "throughput_beats_per_s": throughput,
        **ratios,
        "served_onnx": onnx_model.onnx_path.name,
        "float32_onnx_beats_per_s": float32,
        "record": {"name": header.stem, **record},
        "threads": torch.get_num_threads(),
    }
    results["report"] = report_rows(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ecg.json").write_text(json.dumps(results, indent=2) + "\n")
    print_throughput(
        f"ECG classifier throughput (beats/s; onnxruntime serves {onnx_model.onnx_path.name}):", throughput, ratios
    )
    print(
        "  float32 model.onnx: "
        + ", ".join(f"{rate:,.0f} at batch {batch}" for batch, rate in zip(BATCHES, float32.values()))
    )
    cut = "features" if "features_s" in record else "segment"
    print(
        f"Record {header.stem} ({record['duration_s'] / 60:.1f} min, {record['beats']} beats) end to end: "
        f"{record['total_s']:.2f} s (read {record['read_s']:.2f}, detect {record['detect_s']:.2f}, "
        f"{cut} {record[cut + '_s']:.2f}, classify {record['classify_s']:.2f})"
    )


if __name__ == "__main__":
    main()
