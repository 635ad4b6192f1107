"""The task registry: every fact about a task lives in its `Task` entry, and everything else starts from it.

>>> get_task("ecg").labels
('N', 'S', 'V', 'F', 'Q')
"""

from __future__ import annotations

import importlib
import inspect
import math
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Callable

from core.errors import CheckpointError, InputError, UnknownTaskError
from core.predictor import Predictor

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINTS = ROOT / "checkpoints"
TASK_MODULES = [f"core.{path.parent.name}.task" for path in sorted((ROOT / "core").glob("*/task.py"))]
"""Modules that each define a module-level `TASK`: every `core/<task>/task.py`, plus those added by `register_task`."""
SPACES = ROOT / "spaces"


def data_dir() -> Path:
    """The folder of the raw datasets: $PHYSIOSPACES_DATA, else ../shared/data beside the project."""
    return Path(os.environ.get("PHYSIOSPACES_DATA", ROOT.parent / "shared" / "data"))


def check_option_value(name: str, value: Any) -> None:
    """Refuse an option value that is a number but not a finite one (nan, inf)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"Option {name}={value} is not a finite number; give a finite number instead.")


def import_object(path: str) -> Any:
    """The object named by "module:attribute"."""
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


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
class Endpoint:
    """A Space API endpoint: its `api_name`, the values of its inputs after the upload, whether the upload input takes a
    list of files, which output is the summary, and the names of the task examples it answers (contract and load
    tests)."""

    api_name: str
    examples: tuple[str, ...]
    options: tuple = ()
    file_list: bool = True
    summary_output: int = 1


@dataclass(frozen=True)
class Published:
    """A published result to show beside ours: protocol, metric, value and source."""

    protocol: str
    metric: str
    value: float
    source: str


@dataclass(frozen=True)
class Task:
    """Everything the Spaces, CLI, training and uploader need to know about one task.

    read: path -> task input (`read(path, fs=..., extra_files=...)`).
    predict: (model, task input, progress=None, **options) -> result with `to_json()`; the one code path of CLI, Space
    and evaluation. It uses the model it is given; `run` chooses and loads it.
    model_class: "module:Class" of the PhysioModel (torch, imported on first use), or a dict variant -> that.
    predictor: the torch-free class with the task's predict methods, which the model class inherits; served from
    the checkpoint's model.onnx, so the Spaces never import torch.
    checkpoints: variant name -> shipped checkpoint folder; the first variant is the default.
    choose_variant: (task input, **options) -> the variant that fits the input when the caller names none.
    companions: variant -> {predict keyword: variant} of further models its predict takes.
    fs_range: sampling rates (Hz) the task accepts for uploaded signals; fs and window: the model's input rate and
    length.
    endpoints: the Space's API endpoints.
    examples: shipped example files, for the Space and the tests; space: the Space's folder (default spaces/<name>).
    datasets: folders under `data_dir()` the task trains on; dataset_repo and explore: "module:function" building the
    task's Hub dataset repo and the explorer's sample (both from those folders).
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
    fs_range: tuple[float, float] | None = None
    endpoints: tuple[Endpoint, ...] = ()
    choose_variant: Callable[..., str] | None = None
    companions: dict[str, dict[str, str]] = field(default_factory=dict)
    examples: tuple[Path, ...] = ()
    space: Path | None = None
    datasets: tuple[str, ...] = ()
    dataset_repo: str = ""
    explore: str = ""
    published: tuple[Published, ...] = ()
    license: str = "mit"
    citation: str = ""
    predictor: type = Predictor
    extra: dict = field(default_factory=dict)

    def variant(self, variant: str | None = None) -> str:
        """`variant`, checked against the known ones, or the default (first) variant."""
        variant = variant or next(iter(self.checkpoints))
        if variant not in self.checkpoints:
            raise CheckpointError(
                f"Task {self.name!r} has no variant {variant!r}; known variants are {list(self.checkpoints)}."
            )
        return variant

    def checkpoint(self, variant: str | None = None) -> Path:
        """Shipped checkpoint folder of `variant` (default: the first)."""
        return self.checkpoints[self.variant(variant)]

    def model_class_of(self, variant: str | None = None) -> type:
        """The model class that loads checkpoints of `variant`."""
        path = self.model_class[self.variant(variant)] if isinstance(self.model_class, dict) else self.model_class
        return import_object(path)

    @property
    def space_dir(self) -> Path:
        """The folder of the task's deployable Space (its `app.py`, examples and requirements)."""
        return self.space or SPACES / self.name

    def example(self, name: str) -> Path:
        """The shipped example file called `name`."""
        return next(path for path in self.examples if path.name == name)

    def pick_variant(self, data, variant: str | None = None, **options) -> str:
        """`variant` if given, else `choose_variant`'s pick for `data`, else the default variant."""
        if variant is None and self.choose_variant is not None:
            variant = self.choose_variant(data, **options)
        return self.variant(variant)

    @property
    def run_keywords(self) -> set[str]:
        """The `predict` keywords `run` passes itself: `progress` and the companion models."""
        return {"progress"} | {keyword for companions in self.companions.values() for keyword in companions}

    def predict_options(self) -> tuple[dict[str, str], bool]:
        """The options a user may give `predict` (name -> its annotation as text), and whether it takes any other name
        (`**options`); the model and the input (its first two parameters) and `run_keywords` are never a user's."""
        parameters = list(inspect.signature(self.predict).parameters.values())[2:]
        named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        keywords = {
            p.name: str(p.annotation) for p in parameters if p.kind in named and p.name not in self.run_keywords
        }
        return keywords, any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)

    def check_option(self, name: str, value: Any = None) -> None:
        """Refuse an option name `predict` does not take from a user (naming the ones it does), or a number that is
        not finite."""
        keywords, catch_all = self.predict_options()
        if name not in keywords and (not catch_all or name in self.run_keywords):
            accepted = ", ".join(keywords) or "none"
            raise InputError(f"Task {self.name!r} has no option {name!r}; the options it takes are: {accepted}.")
        check_option_value(name, value)

    def run(self, data, load: Callable[[str], Any], *, variant: str | None = None, progress=None, **options):
        """Predict `data` with the model of `variant` (default: `pick_variant`) and its companions, each loaded by
        `load(variant)`: the one path of the CLI and the Spaces."""
        variant = self.pick_variant(data, variant, **options)
        companions = {keyword: load(other) for keyword, other in self.companions.get(variant, {}).items()}
        return self.predict(load(variant), data, progress=progress, **companions, **options)


@cache
def _registry() -> dict[str, Task]:
    tasks = [importlib.import_module(module).TASK for module in TASK_MODULES]
    return {task.name: task for task in tasks}


def register_task(module: str) -> None:
    """Add the task defined by `module`'s `TASK` to the registry (a plug-in, or a test's toy task)."""
    if module not in TASK_MODULES:
        TASK_MODULES.append(module)
    _registry.cache_clear()


def unregister_task(module: str) -> None:
    """Remove a task added by `register_task`."""
    TASK_MODULES.remove(module)
    _registry.cache_clear()


def list_tasks() -> list[str]:
    """Names of the registered tasks, in registry order."""
    return list(_registry())


def get_task(name: str) -> Task:
    """The registered task called `name`."""
    try:
        return _registry()[name]
    except KeyError:
        raise UnknownTaskError(f"Unknown task {name!r}; known tasks are {list_tasks()}.") from None
