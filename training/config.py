"""Training configuration: a validated dataclass whose fields the CLI overrides (`--epochs 3`)."""

from __future__ import annotations

import argparse
import dataclasses
import typing
from dataclasses import dataclass

from core.errors import ConfigError


@dataclass
class TrainConfig:
    """Fields shared by every task's training; a task subclasses it with its own fields and defaults."""

    variant: str = ""
    epochs: int = 30
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 6
    lr_patience: int = 2
    schedule: typing.Literal["plateau", "cosine"] = "plateau"
    grad_clip: float = 1.0
    val_fraction: float = 0.1
    seed: int = 0
    threads: int = 2
    limit: int = 0
    out: str = ""
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

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def command(self, task: str) -> str:
        """The training command that reproduces this configuration: the variant, then the fields that differ from their
        defaults (the `derived` ones left out; the thread count too, since it changes float summation order and so the
        weights)."""
        defaults = type(self)()
        flags = [f"--variant {self.variant}"] if self.variant and "variant" not in self.derived else []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in ("variant", "out", *self.derived) or value == getattr(defaults, field.name):
                continue
            flag = "--" + field.name.replace("_", "-")
            if isinstance(value, bool):
                flags.append(flag if value else "--no-" + field.name.replace("_", "-"))
            else:
                flags.append(f"{flag} {value}")
        return " ".join(["python -m training.train", task, *flags])


def _choices(annotation) -> tuple | None:
    return typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else None


def parse_config(config_class: type[TrainConfig], argv: list[str] | None, *, prog: str) -> TrainConfig:
    """Build `config_class` from command-line overrides, one `--field value` per dataclass field."""
    parser = argparse.ArgumentParser(prog=prog, description=config_class.__doc__)
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
    args = parser.parse_args(argv)
    try:
        return config_class(**vars(args))
    except ConfigError as exc:
        parser.error(str(exc))
