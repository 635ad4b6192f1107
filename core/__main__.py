"""Command line: `python -m core predict TASK FILE [--json]`, `python -m core profile TASK FILE...` (a personal
profile from earlier recordings, as JSON, for tasks that have one) and `python -m core tasks`.

Errors the user can fix print one sentence on stderr and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from core import get_task, list_tasks, load_model
from core.errors import InputError, PhysioError
from core.tasks import check_option_value, import_object


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="PhysioSpaces models from the command line.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("tasks", help="list the registered tasks")
    predict = commands.add_parser("predict", help="run a task's model on a file")
    predict.add_argument("task", help=f"one of: {', '.join(list_tasks())}")
    predict.add_argument("file", help="the recording (CSV, WFDB .hea, ...)")
    predict.add_argument("--fs", type=float, help="sampling rate in Hz, for files that do not state it")
    predict.add_argument("--extra", nargs="*", default=[], help="companion files, e.g. a WFDB .dat kept elsewhere")
    predict.add_argument("--variant", help="shipped checkpoint variant (default: the task's first)")
    predict.add_argument("--repo-id", help="load the model from this Hugging Face Hub repo instead")
    predict.add_argument("--backend", choices=("torch", "onnx"), default="onnx")
    predict.add_argument("--mode", help="input mode, for tasks with several (respiration: waveform, rr or series)")
    predict.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="task-specific predict option"
    )
    predict.add_argument("--json", action="store_true", help="print the full result as JSON")
    profile = commands.add_parser("profile", help="fit a personal profile from earlier recordings (JSON on stdout)")
    profile.add_argument("task", help="a task with profiles (hr)")
    profile.add_argument("files", nargs="+", help="earlier recordings of the same person")
    profile.add_argument("--variant", help="shipped checkpoint variant (default: the task's first)")
    profile.add_argument("--backend", choices=("torch", "onnx"), default="onnx")
    return parser


def parse_options(pairs: list[str], task=None) -> dict:
    """`KEY=VALUE` pairs as a dict; a value that reads as an int or a float becomes that number, others stay strings.

    task: check the names against `task.check_option` and the values against the annotations of
    `task.predict_options()`: a non-finite number, or a word for a keyword annotated as a number, is refused; a keyword
    annotated as `str` only keeps its text (a lead called "1").
    """
    keywords = task.predict_options()[0] if task is not None else {}
    options = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"Option {pair!r} is not KEY=VALUE; write it like --option lead=MLII.")
        annotation = keywords.get(name, "")
        numeric = re.search(r"\b(float|int)\b", annotation) is not None
        value = text if re.search(r"\bstr\b", annotation) and not numeric else _number(text)
        if task is None:
            check_option_value(name, value)
        else:
            task.check_option(name, value)
        if isinstance(value, str) and value.strip() and numeric:
            raise InputError(f"Option {name}={text!r} is not a number; give a number such as {name}=0.5.")
        options[name] = value
    return options


def _number(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def describe_inputs(task) -> str:
    """The accepted sampling rates of uploads and the model's input rate and window, as far as the task has them."""
    parts = [
        f"uploads {task.fs_range[0]:g}-{task.fs_range[1]:g} Hz" if task.fs_range else "",
        f"model input {task.fs:g} Hz" if task.fs else "",
        f"{task.window}-sample windows" if task.window else "",
    ]
    return ", ".join(part for part in parts if part)


def run(args: argparse.Namespace) -> int:
    if args.command == "tasks":
        for name in list_tasks():
            print(f"{name}\t{get_task(name).title}\t{describe_inputs(get_task(name))}")
        return 0
    task = get_task(args.task)
    if args.command == "profile":
        if "profile" not in task.extra:
            with_profiles = [name for name in list_tasks() if "profile" in get_task(name).extra]
            raise InputError(f"Task {task.name!r} has no personal profile; tasks with one: {with_profiles}.")
        model = load_model(task.name, variant=args.variant or task.variant(), backend=args.backend)
        recordings = [task.read(path) for path in args.files]
        print(json.dumps(import_object(task.extra["profile"])(model, recordings), allow_nan=False))
        return 0
    options = parse_options(args.option + ([f"mode={args.mode}"] if args.mode else []), task)
    data = task.read(args.file, fs=args.fs, extra_files=tuple(args.extra))
    variant = task.pick_variant(data, args.variant, **options)

    def load(name: str):  # --repo-id replaces the chosen variant; its companions stay the shipped ones
        return load_model(
            task.name, repo_id=args.repo_id if name == variant else None, variant=name, backend=args.backend
        )

    result = task.run(data, load, variant=variant, **options)
    print(json.dumps(result.to_json(), allow_nan=False) if args.json else result.summary())  # NaN is not JSON
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except PhysioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
