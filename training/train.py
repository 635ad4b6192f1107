"""Train a task's model: `python -m training.train TASK [--field value ...]` (see `--help` after the task name)."""
from __future__ import annotations

import importlib
import sys

from core.tasks import get_task


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-"):
        from core.tasks import list_tasks

        sys.exit(f"usage: python -m training.train TASK [--field value ...]; tasks: {', '.join(list_tasks())}")
    task = get_task(argv[0])
    importlib.import_module(f"training.{task.name}").main(argv[1:])


if __name__ == "__main__":
    main()
