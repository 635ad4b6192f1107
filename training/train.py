"""Train a task's model: `python -m training.train TASK [--field value ...]` (see `--help` after the task name),
`python -m training.train --config run.yaml [--field value ...]` (a file from `python -m training.init`), or under
`torchrun --nproc-per-node N -m training.train ...` on N processes.

The run is tracked (`--tracker local|mlflow|wandb`) in runs/<task>/<experiment>/<run>; `--resume RUN_FOLDER`
continues an interrupted one.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

from core.errors import PhysioError
from training import distributed, tracking
from training._dispatch import dispatch


def config_task(argv: list[str]) -> str | None:
    """The `task` named in the file of a leading `--config FILE` (for a checkpoint's training_config.json, in the
    metrics.json beside it), if any."""
    if not argv or not argv[0].startswith("--config"):
        return None
    path = argv[0].split("=", 1)[1] if "=" in argv[0] else (argv[1] if len(argv) > 1 else "")
    try:
        values = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        sys.exit(f"error: cannot read the config file {path!r} ({exc.__class__.__name__}); check the path.")
    beside = Path(path).with_name("metrics.json")
    if isinstance(values, dict) and "task" not in values and beside.is_file():
        values["task"] = json.loads(beside.read_text()).get("task")
    if not isinstance(values, dict) or not values.get("task"):
        sys.exit(f"error: the config file {path!r} names no task; add `task: NAME` or give it: TASK --config FILE.")
    return str(values["task"])


def main(argv: list[str] | None = None) -> Path | None:
    argv = sys.argv[1:] if argv is None else list(argv)
    task = config_task(argv)
    if task is not None:
        argv = [task, *argv]
    with contextlib.ExitStack() as stack:
        if not distributed.is_main():  # the other processes train alike but write and print nothing that stays
            argv += ["--out", stack.enter_context(tempfile.TemporaryDirectory())]
            stack.enter_context(contextlib.redirect_stdout(open(os.devnull, "w")))
        stack.callback(distributed.cleanup)
        try:
            with tracking.tracked(argv[0] if argv else "") as session:
                out = dispatch("main", "python -m training.train", argv)
                session.close(out if isinstance(out, Path) else None, "FINISHED")
        except PhysioError as exc:
            sys.exit(f"error: {exc}")
    return out


if __name__ == "__main__":
    main()
