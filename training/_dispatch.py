"""Run a task's training-module entry point from the command line."""

from __future__ import annotations

import importlib
import sys

from core.errors import UnknownTaskError
from core.tasks import get_task, list_tasks


def dispatch(entry: str, prog: str, argv: list[str] | None = None):
    """Call `training.<task>.<entry>(rest)` for `prog TASK rest...` and return what it returns."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-"):
        sys.exit(f"usage: {prog} TASK [--field value ...]; tasks: {', '.join(list_tasks())}")
    try:
        task = get_task(argv[0])
    except UnknownTaskError as exc:
        sys.exit(f"error: {exc}")
    return getattr(importlib.import_module(f"training.{task.name}"), entry)(argv[1:])
