"""Training configuration: a validated dataclass whose fields a YAML file (`--config run.yaml`, written by
`python -m training.init`) and the CLI (`--epochs 3`, which wins) set."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import inspect
import textwrap
import typing
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.errors import ConfigError

RUN_FIELDS = ("out", "tracker", "experiment", "tracking_uri", "resume")
"""Fields that say where a run is written and logged, not what it trains: left out of `command()`."""


@dataclass
class TrainConfig:
    """Fields shared by every task's training; a task subclasses it with its own fields and defaults."""

    variant: str = ""
    """Name of the model variant (a shipped checkpoint's variant writes over that checkpoint when `out` is empty)."""
    epochs: int = 30
    """Maximum number of passes over the training data."""
    batch_size: int = 256
    """Global batch: with N processes (torchrun) each takes batch_size / N samples of every step."""
    lr: float = 1e-3
    """Peak learning rate of AdamW."""
    weight_decay: float = 1e-4
    """AdamW weight decay."""
    patience: int = 6
    """Early stopping after that many epochs without validation gain (0: never)."""
    lr_patience: int = 2
    """With the plateau schedule, halve the learning rate after that many epochs without validation gain."""
    schedule: typing.Literal["plateau", "cosine"] = "plateau"
    """Learning-rate schedule: halved on validation plateaus, or cosine decay to zero by the last epoch."""
    grad_clip: float = 1.0
    """Gradient norm clipping (0: none)."""
    val_fraction: float = 0.1
    """Share of the training data held out for validation (model selection, early stopping)."""
    seed: int = 0
    """Seed of every random draw (split, initialisation, sampling, augmentation)."""
    threads: int = 2
    """Torch threads per process; the count changes float summation order and so the weights."""
    limit: int = 0
    """Train on at most that many samples (0: all), for quick runs."""
    out: str = ""
    """Checkpoint folder (empty: the task's shipped checkpoint folder of the variant)."""
    tracker: typing.Literal["local", "mlflow", "wandb"] = "local"
    """Where `python -m training.train` logs the run: its folder runs/<task>/<experiment>/<run> only (local), or also
    MLflow or Weights & Biases."""
    experiment: str = ""
    """Experiment name of the run (empty: the variant, else 'default')."""
    tracking_uri: str = ""
    """Root of the run folders (empty: runs/); with the mlflow tracker, the MLflow tracking URI instead (empty: the
    SQLite store runs/mlflow.db, run folders in runs/)."""
    resume: str = ""
    """Run folder of an interrupted run to continue from its last epoch with its recorded configuration
    (runs/<task>/<experiment>/<run>)."""
    derived: typing.ClassVar[tuple[str, ...]] = ()
    """Fields a task fills from others when left at their default (e.g. a variant's window), left out of `command()`."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError naming the first field with an invalid value."""
        positive = {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr, "threads": self.threads}
        for name, value in positive.items():
            if value <= 0:
                raise ConfigError(f"Config field {name}={value!r} must be positive.")
        if not 0 < self.val_fraction < 0.5:
            raise ConfigError(f"Config field val_fraction={self.val_fraction!r} must be between 0 and 0.5.")
        for name in ("weight_decay", "patience", "lr_patience", "grad_clip", "limit"):
            if getattr(self, name) < 0:
                raise ConfigError(f"Config field {name}={getattr(self, name)!r} must not be negative.")
        if self.resume and not (Path(self.resume) / "state").is_dir():
            raise ConfigError(
                f"Config field resume={self.resume!r} is not a run folder with a saved state/ folder; give the "
                "runs/<task>/<experiment>/<run> folder of the interrupted run."
            )

    def to_dict(self) -> dict:
        """The fields as recorded with a checkpoint and a run, `resume` left out: it is an instruction to one command,
        so a recorded configuration trains anew rather than reloading a finished run."""
        values = dataclasses.asdict(self)
        values.pop("resume")
        return values

    def command(self, task: str) -> str:
        """The training command that reproduces this configuration: the variant, then the fields that differ from their
        defaults (the `derived` ones and where the run is written left out; the thread count kept, since it changes
        float summation order and so the weights)."""
        defaults = type(self)()
        flags = [f"--variant {self.variant}"] if self.variant and "variant" not in self.derived else []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in ("variant", *RUN_FIELDS, *self.derived) or value == getattr(defaults, field.name):
                continue
            flag = "--" + field.name.replace("_", "-")
            if isinstance(value, bool):
                flags.append(flag if value else "--no-" + field.name.replace("_", "-"))
            else:
                flags.append(f"{flag} {value}")
        return " ".join(["python -m training.train", task, *flags])


def _choices(annotation) -> tuple | None:
    return typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else None


def task_of(config_class: type[TrainConfig]) -> str:
    """The task a configuration class trains: its `task` attribute, else the name of its module training/<task>.py."""
    return getattr(config_class, "task", None) or config_class.__module__.rsplit(".", 1)[-1]


def field_docs(config_class: type[TrainConfig]) -> dict[str, str]:
    """Each field's docstring (the string literal under it in the class body), base classes first."""
    docs = {}
    for cls in reversed(config_class.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, TrainConfig)):
            continue
        body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body
        for node, following in zip(body, body[1:]):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def _check_value(name: str, value, annotation, source: str):
    """`value` read from a file as the field's type, or ConfigError naming the field, the value and the type."""
    choices = _choices(annotation)
    if choices:
        if value in choices:
            return value
        expected = "one of " + ", ".join(map(str, choices))
    elif annotation is bool:
        if isinstance(value, bool):
            return value
        expected = "true or false"
    elif annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        expected = "a whole number"
    elif annotation is float:
        try:  # YAML reads 1e-3 (no dot) as text
            if not isinstance(value, bool):
                return float(value)
        except (TypeError, ValueError):
            pass
        expected = "a number"
    else:
        if isinstance(value, str):
            return value
        expected = "text (in quotes)"
    raise ConfigError(f"Config field {name}={value!r} in {source} must be {expected}.")


def read_config_file(config_class: type[TrainConfig], path: str | Path) -> dict:
    """Field values of a YAML (or JSON) configuration file, checked against `config_class`'s fields and types.

    A `task` key, if present, must name the class's task; `training_config.json` of a checkpoint reads as is.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Config file {str(path)!r} does not exist; write one with `python -m training.init TASK`.")
    try:
        values = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"Config file {path.name} is not valid YAML ({exc.problem}); fix it or write a new one "
            "with `python -m training.init TASK`."
        ) from None
    if not isinstance(values, dict):
        raise ConfigError(f"Config file {path.name} holds {type(values).__name__}, not `field: value` lines.")
    task = values.pop("task", task_of(config_class))
    if task != task_of(config_class):
        raise ConfigError(
            f"Config file {path.name} is for task {task!r}, not {task_of(config_class)!r}; "
            f"use `python -m training.train --config {path}` without a task name."
        )
    hints = typing.get_type_hints(config_class)
    fields = [field.name for field in dataclasses.fields(config_class)]
    checked = {}
    for name, value in values.items():
        if name not in fields:
            close = difflib.get_close_matches(str(name), fields, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "`python -m training.init` lists the fields."
            raise ConfigError(
                f"Config field {name!r} (value {value!r}) in {path.name} is not a field of {config_class.__name__}; "
                + hint
            )
        checked[name] = _check_value(name, value, hints[name], path.name)
    return checked


def parse_config(
    config_class: type[TrainConfig], argv: list[str] | None, *, prog: str, defaults: dict | None = None
) -> TrainConfig:
    """Build `config_class` from an optional `--config FILE` and command-line overrides, one `--field value` per
    dataclass field (the flags win over the file, the file over `defaults`, those over the class's defaults). With
    `--resume RUN_FOLDER` the run's recorded params.json stands in for the file."""
    parser = argparse.ArgumentParser(prog=prog, description=config_class.__doc__)
    parser.add_argument("--config", help="YAML file of field values (python -m training.init writes one)")
    hints = typing.get_type_hints(config_class)
    for field in dataclasses.fields(config_class):
        annotation = hints[field.name]
        flag = "--" + field.name.replace("_", "-")
        choices = _choices(annotation)
        if annotation is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=field.default)
        elif choices:
            parser.add_argument(flag, choices=choices, default=field.default)
        else:
            kind = annotation if annotation in (int, float, str) else str
            parser.add_argument(flag, type=kind, default=field.default)
    parser.set_defaults(**(defaults or {}))
    try:
        known, _ = parser.parse_known_args(argv)
        if known.config:
            parser.set_defaults(**read_config_file(config_class, known.config))
            known, _ = parser.parse_known_args(argv)
        if known.resume and (Path(known.resume) / "params.json").is_file():  # the interrupted run's configuration
            parser.set_defaults(**read_config_file(config_class, Path(known.resume) / "params.json"))
            parser.set_defaults(resume=known.resume)
        values = vars(parser.parse_args(argv))
        values.pop("config")
        return config_class(**values)
    except ConfigError as exc:
        parser.error(str(exc))
