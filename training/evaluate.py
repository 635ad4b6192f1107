"""Evaluate a shipped checkpoint on its protocol's test part: `python -m training.evaluate TASK [--variant V]`.

Prints the metrics as JSON on stdout. Task-specific evaluations live in `training/<task>.py:evaluate_main(argv)`.
"""
from __future__ import annotations

import importlib
import sys

from core.tasks import get_task


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-"):
        from core.tasks import list_tasks

        sys.exit(f"usage: python -m training.evaluate TASK [--variant V]; tasks: {', '.join(list_tasks())}")
    task = get_task(argv[0])
    importlib.import_module(f"training.{task.name}").evaluate_main(argv[1:])


if __name__ == "__main__":
    main()
