"""Where a Space request's server CPU goes: read, predict, render, serialise, per endpoint.

    python benchmarks/request_split.py          # writes benchmarks/results/request_split.json

Every example of every Space endpoint (the load benchmark's mix) is answered in this process by the function the
endpoint runs, `--repeats` times after one warm-up. CPU seconds (`time.process_time`, this process only) are split:
read = `Task.read`, predict = `Task.run`, serialise = the result's downloads (JSON, CSV, HTML) plus Gradio's
postprocessing of every output and its JSON encoding, render = the rest of the endpoint function (figures, tables,
summary). Medians per endpoint, in milliseconds.
"""

import argparse
import importlib.util
import inspect
import json
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import orjson

import core.downloads
from core import get_task
from core.space import upload_of

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
STAGES = ("read", "predict", "render", "serialise")


class StageClock:
    """CPU seconds spent inside wrapped functions, by stage (nested calls count once, in the outer stage)."""

    def __init__(self):
        self.spent: dict[str, float] = defaultdict(float)
        self.depth = 0

    @contextmanager
    def stage(self, name: str):
        self.depth += 1
        started = time.process_time()
        try:
            yield
        finally:
            self.depth -= 1
            if self.depth == 0:
                self.spent[name] += time.process_time() - started

    def timed(self, function, stage: str):
        def timed(*args, **kwargs):
            with self.stage(stage):
                return function(*args, **kwargs)

        return timed

    def wrap(self, owner, attribute: str, stage: str) -> None:
        object.__setattr__(owner, attribute, self.timed(getattr(owner, attribute), stage))

    def wrap_name(self, names: dict, name: str, stage: str) -> None:
        """Time a function a module imported by name (`names`: the module's globals)."""
        names[name] = self.timed(names[name], stage)


def load_hub():
    """The hub's `app` module (app.py at the project root, which is not a package module)."""
    spec = importlib.util.spec_from_file_location("app", ROOT / "app.py")
    hub = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hub)
    return hub


def upload(path: Path, file_list: bool):
    files = [str(file) for file in upload_of(path)]
    return files if file_list else files[0]


def serialise(block_fn, outputs) -> None:
    """Gradio's postprocessing of each output and the JSON encoding of what it sends."""
    outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    payload = []
    for component, value in zip(block_fn.outputs, outputs):
        processed = component.postprocess(value)
        payload.append(processed.model_dump() if hasattr(processed, "model_dump") else processed)
    orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY, default=str)


def measure(repeats: int) -> dict:
    hub = load_hub()
    clock = StageClock()
    tasks = [get_task(name) for name in hub.SPACES]
    for task in tasks:
        clock.wrap(task, "read", "read")
        clock.wrap(task, "run", "predict")
    space_globals = {id(g): g for fn in hub.demo.fns.values() if fn.fn for g in [inspect.unwrap(fn.fn).__globals__]}
    for names in space_globals.values():
        if names.get("downloads") is core.downloads.downloads:
            clock.wrap_name(names, "downloads", "serialise")
    functions = {f"/{fn.api_name}": fn for fn in hub.demo.fns.values() if fn.api_name}
    rows = []
    for task in tasks:
        for endpoint in task.endpoints:
            block_fn = functions[f"/{endpoint.api_name}"]
            for example in endpoint.examples:
                args = (upload(task.example(example), endpoint.file_list), *endpoint.options)
                runs = []
                for repeat in range(repeats + 1):
                    clock.spent.clear()
                    started = time.process_time()
                    outputs = block_fn.fn(*args)
                    with clock.stage("serialise"):
                        serialise(block_fn, outputs)
                    total = time.process_time() - started
                    spent = dict(clock.spent)
                    spent["render"] = total - sum(spent.get(stage, 0.0) for stage in ("read", "predict", "serialise"))
                    if repeat:
                        runs.append({stage: spent.get(stage, 0.0) for stage in STAGES} | {"total": total})
                rows.append(
                    {
                        "endpoint": f"{task.name}/{endpoint.api_name}",
                        "example": example,
                        **{key: round(1000 * float(np.median([r[key] for r in runs])), 1) for key in runs[0]},
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    return {"unit": "CPU ms per request (median)", "repeats": repeats, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results = measure(args.repeats)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "request_split.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
