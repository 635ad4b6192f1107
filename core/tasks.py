"""The task registry: every fact about a task lives in its `Task` entry, and everything else starts from it.

    >>> get_task("ecg").labels
    ('N', 'S', 'V', 'F', 'Q')
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Callable

from core.errors import CheckpointError, UnknownTaskError
from core.predictor import Predictor

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINTS = ROOT / "checkpoints"
TASK_MODULES = ("core.ecg.task", "core.har.task", "core.hr.task", "core.respiration.task")
"""Modules that each define a module-level `TASK`; a new task adds its module here."""


@dataclass(frozen=True)
class HubRepos:
    """Hub repo ids of a task: one model repo per checkpoint variant, plus its dataset and Space."""

    models: dict[str, str]
    dataset: str
    space: str


def in_namespace(repo_id: str, namespace: str) -> str:
    """`repo_id` ("owner/name") moved to `namespace`: "namespace/name"."""
    return f"{namespace}/{repo_id.split('/', 1)[1]}"


@dataclass(frozen=True)
class Task:
    """Everything the Spaces, CLI, training and uploader need to know about one task.

    read: path -> task input (`read(path, fs=..., extra_files=...)`).
    predict: (model, task input, progress=None) -> result with `to_json()`; the one code path of CLI, Space and evaluation.
    model_class: "module:Class" of the PhysioModel (torch, imported on first use), or a dict variant -> that.
    predictor: the torch-free class with the task's predict methods, which the model class inherits; served from
    the checkpoint's model.onnx, so the Spaces never import torch.
    checkpoints: variant name -> shipped checkpoint folder; the first variant is the default.
    examples: shipped example files, for the Space and the tests.
    """

    name: str
    title: str
    summary: str
    labels: tuple[str, ...]
    fs: float | None
    window: int | None
    model_class: str | dict[str, str]
    read: Callable[..., Any]
    predict: Callable[..., Any]
    checkpoints: dict[str, Path]
    hub: HubRepos
    examples: tuple[Path, ...] = ()
    datasets: tuple[str, ...] = ()
    license: str = "mit"
    citation: str = ""
    predictor: type = Predictor
    extra: dict = field(default_factory=dict)

    def variant(self, variant: str | None = None) -> str:
        """`variant`, checked against the known ones, or the default (first) variant."""
        variant = variant or next(iter(self.checkpoints))
        if variant not in self.checkpoints:
            raise CheckpointError(f"Task {self.name!r} has no variant {variant!r}; known variants are {list(self.checkpoints)}.")
        return variant

    def checkpoint(self, variant: str | None = None) -> Path:
        """Shipped checkpoint folder of `variant` (default: the first)."""
        return self.checkpoints[self.variant(variant)]

    def model_class_of(self, variant: str | None = None) -> type:
        """The model class that loads checkpoints of `variant`."""
        path = self.model_class[self.variant(variant)] if isinstance(self.model_class, dict) else self.model_class
        module, name = path.split(":")
        return getattr(importlib.import_module(module), name)


@cache
def _registry() -> dict[str, Task]:
    tasks = [importlib.import_module(module).TASK for module in TASK_MODULES]
    return {task.name: task for task in tasks}


def list_tasks() -> list[str]:
    """Names of the registered tasks, in registry order."""
    return list(_registry())


def get_task(name: str) -> Task:
    """The registered task called `name`."""
    try:
        return _registry()[name]
    except KeyError:
        raise UnknownTaskError(f"Unknown task {name!r}; known tasks are {list_tasks()}.") from None
