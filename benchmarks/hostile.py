"""The hostile-input corpus (tests/fixtures/make_hostile.py with its big cases, and hostile_structure.py) sent to
every Space endpoint the way its JSON API runs it (`Task.run(Task.read(file))` with the served onnxruntime models):
each case's outcome, seconds and peak resident memory over the loaded server's level.

Each request runs in a child forked from a process that holds every model, so a case's peak memory is its own
(the child's high-water mark minus its resident memory at the fork) and a crash cannot hide the next case.

    OMP_NUM_THREADS=1 python benchmarks/hostile.py     # writes benchmarks/results/hostile.json
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "fixtures")]

from hostile_structure import CASES as STRUCTURE_CASES  # noqa: E402
from hostile_structure import make_structure_corpus  # noqa: E402
from make_hostile import CASES as VALUE_CASES  # noqa: E402
from make_hostile import make_corpus  # noqa: E402

from core import get_task, list_tasks, load_model  # noqa: E402
from core.errors import PhysioError  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CASE_LIMIT_S = 300
"""A child still running after this long is stopped and reported as 'timeout'."""


def memory_mb(key: str) -> float:
    """A /proc/self/status memory line (VmRSS, VmHWM) in MB."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(key + ":")) / 1024


def request(task: str, options: dict, files: list[Path], models: dict) -> dict:
    """One request as the JSON API runs it: outcome ('value' or the error's class), its message, seconds."""
    spec = get_task(task)
    started = time.perf_counter()
    try:
        data = spec.read(files[0], extra_files=tuple(files[1:]))
        spec.run(data, models.__getitem__, **options)
        outcome, message = "value", ""
    except PhysioError as exc:
        outcome, message = type(exc).__name__, str(exc)
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the corpus must give a PhysioError
        outcome, message = f"UNEXPECTED {type(exc).__name__}", str(exc)[:300]
    return {"outcome": outcome, "message": message, "seconds": time.perf_counter() - started}


def in_child(task: str, options: dict, files: list[Path], models: dict) -> dict:
    """`request` in a forked child, with its peak resident memory over its level at the fork."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        signal.alarm(CASE_LIMIT_S)
        base = memory_mb("VmRSS")
        result = request(task, options, files, models)
        result["peak_mb"] = memory_mb("VmHWM") - base
        with os.fdopen(write_end, "w") as pipe:
            json.dump(result, pipe)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not text:
        killed = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        outcome = "timeout" if killed == signal.SIGALRM else f"child died ({status})"
        return {"outcome": outcome, "message": "", "seconds": float(CASE_LIMIT_S), "peak_mb": float("nan")}
    return json.loads(text)


def main() -> None:
    warnings.simplefilter("ignore")  # fitdecode warns on every wrong CRC
    folder = Path(tempfile.mkdtemp(prefix="physiospaces-hostile-"))
    corpus = make_structure_corpus(make_corpus(folder, big=True))
    cases = VALUE_CASES + STRUCTURE_CASES
    rows = []
    for task in list_tasks():
        spec = get_task(task)
        models = {variant: load_model(task, variant=variant, backend="onnx") for variant in spec.checkpoints}
        models = {variant: model.use_onnx(model.onnx_path, threads=1) for variant, model in models.items()}
        for endpoint in spec.endpoints:
            options = {}
            if task == "respiration":  # its endpoints are its modes; the series one's input is the threshold
                options = {"mode": endpoint.api_name}
                options.update({"threshold": endpoint.options[0]} if endpoint.api_name == "series" else {})
            for case in cases:
                if "*" not in case.tasks and task not in case.tasks:
                    continue
                result = in_child(task, options, [corpus / name for name in case.files], models)
                rows.append({"endpoint": f"{task}/{endpoint.api_name}", "case": case.name, **result})
                print(
                    f"{rows[-1]['endpoint']:<24} {case.name:<22} {result['outcome']:<22} {result['seconds']:7.2f} s "
                    f"{result['peak_mb']:8.1f} MB",
                    flush=True,
                )
    shutil.rmtree(folder)  # the big cases are about 200 MB
    outcomes: dict[str, int] = {}
    for row in rows:
        outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
    slowest = max(rows, key=lambda row: row["seconds"])
    hungriest = max(rows, key=lambda row: row["peak_mb"] if row["peak_mb"] == row["peak_mb"] else float("inf"))
    summary = {
        "cases": len(cases),
        "endpoints": len({row["endpoint"] for row in rows}),
        "requests": len(rows),
        "outcomes": outcomes,
        "slowest": {key: slowest[key] for key in ("endpoint", "case", "outcome", "seconds", "peak_mb")},
        "most_memory": {key: hungriest[key] for key in ("endpoint", "case", "outcome", "seconds", "peak_mb")},
        "onnxruntime_threads": 1,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
        "cpu_count": os.cpu_count(),
        "load_average_at_end": os.getloadavg()[0],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "hostile.json").write_text(json.dumps({**summary, "requests_by_case": rows}, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
