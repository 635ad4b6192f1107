"""Timing helpers the benchmark scripts share (imported, never run by `make bench`)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable

BATCHES = (1, 256)


def items_per_second(call: Callable[[], object], batch: int, *, seconds: float = 3.0) -> float:
    """Throughput of `call`, which processes `batch` items, after one warm-up call, timed over at least `seconds`."""
    call()
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        call()
        done += batch
    return done / (time.perf_counter() - started)


@contextmanager
def timed(timings: dict, key: str):
    """Store the seconds the `with` block takes in `timings[key]`."""
    started = time.perf_counter()
    yield
    timings[key] = time.perf_counter() - started


def backend_throughput(per_second: Callable[[object, int], float], torch_model, onnx_model) -> tuple[dict, dict]:
    """Items per second of each backend at batch 1 and 256 (`per_second(model, batch)`), and onnxruntime / torch
    ratios."""
    throughput = {
        f"{backend}_batch{batch}": per_second(model, batch)
        for backend, model in (("torch", torch_model), ("onnx", onnx_model))
        for batch in BATCHES
    }
    ratios = {
        f"onnx_over_torch_batch{batch}": throughput[f"onnx_batch{batch}"] / throughput[f"torch_batch{batch}"]
        for batch in BATCHES
    }
    return throughput, ratios


def print_throughput(title: str, throughput: dict, ratios: dict) -> None:
    print(title)
    for name, value in throughput.items():
        print(f"  {name:<16} {value:>12,.0f}")
    print(
        f"  onnxruntime / torch: {ratios['onnx_over_torch_batch1']:.1f}x at batch 1, "
        f"{ratios['onnx_over_torch_batch256']:.1f}x at batch 256"
    )
