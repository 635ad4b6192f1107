"""Timing helpers the benchmark scripts share (imported, never run by `make bench`)."""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable


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
