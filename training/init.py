"""Write a task's fully resolved training configuration as a commented YAML file.

python -m training.init ecg --variant inter -o run.yaml    # then: python -m training.train --config run.yaml
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import json
import sys
import typing
from pathlib import Path

import yaml

from core.errors import ConfigError, UnknownTaskError
from core.tasks import get_task, list_tasks
from training.config import RUN_FIELDS, TrainConfig, _choices, field_docs, parse_config

SECTIONS = {
    "optimisation": ("epochs", "batch_size", "lr", "weight_decay", "schedule", "lr_patience", "patience", "grad_clip"),
    "data": ("val_fraction", "limit"),
    "seeds and threads": ("seed", "threads"),
    "tracking and output": ("variant", "out", "tracker", "experiment", "tracking_uri", "resume"),
}
"""How the shared fields are grouped in the file; the task's own fields (its data and model) follow."""


def config_class(task: str, variant: str = "") -> type[TrainConfig]:
    """The TrainConfig subclass that trains `variant` of `task`: training/<task>.py's `config_class_for(variant)`
    where it has one (a task whose variants train differently), else the one class it defines."""
    module = importlib.import_module(f"training.{task}")
    if hasattr(module, "config_class_for"):
        return module.config_class_for(variant)
    classes = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, TrainConfig) and cls.__module__ == module.__name__
    ]
    if not classes:
        raise ConfigError(f"Task {task!r} has no training configuration class in training/{task}.py to write out.")
    return classes[0]


def shipped_values(task: str, variant: str, cls: type[TrainConfig]) -> dict:
    """The recorded configuration of the shipped checkpoint of `variant` (fields added since keep their defaults);
    ConfigError for a variant whose recorded configuration names no variant (trained by a script of its own)."""
    checkpoint = get_task(task).checkpoints.get(variant)
    recorded = checkpoint / "training_config.json" if checkpoint else None
    if not recorded or not recorded.is_file():
        return {"variant": variant} if variant else {}
    values = json.loads(recorded.read_text())
    if "variant" not in values:
        raise ConfigError(
            f"Variant {variant!r} of task {task!r} is not trained from a configuration file; its model card names the "
            "command that trains it."
        )
    fields = {field.name for field in dataclasses.fields(cls)}
    return {k: v for k, v in values.items() if k in fields and k not in RUN_FIELDS}


def _line(name: str, value) -> str:
    return yaml.safe_dump({name: value}, default_flow_style=True, width=1000).strip()[1:-1]


def render(task: str, config: TrainConfig, *, source: str) -> str:
    """The configuration as YAML with a comment over each field (its meaning and accepted values)."""
    cls = type(config)
    docs, hints = field_docs(cls), typing.get_type_hints(cls)
    own = [f.name for f in dataclasses.fields(cls) if f.name not in {n for names in SECTIONS.values() for n in names}]
    lines = [
        f"# PhysioSpaces training configuration of task {task!r} ({cls.__name__}, training/{task}.py).",
        f"# {source}",
        "# Train: python -m training.train --config THIS_FILE [--field value ...]   (flags override the file)",
        f"task: {task}",
    ]
    for section, names in [(f"{task}: data and model", own), *SECTIONS.items()]:
        lines += ["", f"# ---- {section} ----"]
        for name in names:
            choices = _choices(hints[name])
            kind = "one of " + ", ".join(map(str, choices)) if choices else getattr(hints[name], "__name__", "text")
            if name in docs:
                lines.append(f"# {docs[name]}")
            lines.append(f"{_line(name, getattr(config, name))}  # {kind}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> Path | None:
    parser = argparse.ArgumentParser(prog="python -m training.init", description=__doc__.splitlines()[0])
    parser.add_argument("task", metavar="TASK", help=f"one of {', '.join(list_tasks())}")
    parser.add_argument("--variant", default="", help="start from this shipped variant's recorded configuration")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: print)")
    args, overrides = parser.parse_known_args(argv)
    try:
        task = get_task(args.task)
        if args.variant and args.variant not in task.checkpoints:
            raise ConfigError(
                f"Variant {args.variant!r} has no shipped checkpoint of task {task.name!r}; "
                f"choose one of {', '.join(task.checkpoints)}, or set --variant in the file itself."
            )
        cls = config_class(task.name, args.variant)
        base = shipped_values(task.name, args.variant, cls)
    except (UnknownTaskError, ConfigError) as exc:
        parser.error(str(exc))
    config = parse_config(cls, overrides, prog=f"python -m training.init {task.name}", defaults=base)
    source = (
        f"From the shipped {args.variant!r} checkpoint's training_config.json"
        if args.variant
        else "From the class defaults"
    ) + (f", with {' '.join(overrides)}." if overrides else ".")
    text = render(task.name, config, source=source)
    if args.output is None:
        sys.stdout.write(text)
        return None
    args.output.write_text(text)
    print(f"wrote {args.output}; train with: python -m training.train --config {args.output}")
    return args.output


if __name__ == "__main__":
    main()
