"""Helpers every Space shares: typed errors to `gr.Error`, upload handling, the served model, a Space's own page,
loading a Space module by path."""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
from pathlib import Path
from types import ModuleType
from typing import Callable

import gradio as gr
from gradio.data_classes import FileData

from core.errors import InputError, PhysioError
from core.tasks import in_namespace

log = logging.getLogger("physiospaces")


def guard(fn):
    """Turn project errors into a one-sentence `gr.Error`, and anything else into a generic one (logged,
    no traceback shown)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except PhysioError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        except MemoryError:
            raise gr.Error(
                "The input is too large to process in memory; upload a shorter recording.", print_exception=False
            ) from None
        except Exception:
            log.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(
                "Something went wrong while processing this input; please check the file format and try again.",
                print_exception=False,
            ) from None

    return wrapper


def split_upload(files) -> tuple[Path, tuple[Path, ...]]:
    """The main file of an upload (a WFDB `.hea` if present, else the first file) and its companions."""
    if not files:
        raise InputError("No file was uploaded; choose a file or click an example.")
    paths = [Path(getattr(f, "name", f)) for f in (files if isinstance(files, (list, tuple)) else [files])]
    headers = [p for p in paths if p.suffix.lower() == ".hea"]
    main = headers[0] if headers else paths[0]
    return main, tuple(p for p in paths if p != main)


def space_model(task: str, variant: str | None = None):
    """The ONNX model a Space serves: the shipped checkpoint, or with PHYSIOSPACES_FROM_HUB=1 the variant's Hub repo,
    falling back to the shipped checkpoint if the Hub fails. The repo is the registry's, moved to PHYSIOSPACES_NAMESPACE
    when set; PHYSIOSPACES_MODEL_REPO, when set, names the default variant's repo."""
    from core import get_task, load_model

    if os.environ.get("PHYSIOSPACES_FROM_HUB") == "1":
        spec = get_task(task)
        variant = spec.variant(variant)
        repo_id = spec.hub.models[variant]
        if os.environ.get("PHYSIOSPACES_NAMESPACE"):
            repo_id = in_namespace(repo_id, os.environ["PHYSIOSPACES_NAMESPACE"])
        if variant == spec.variant() and os.environ.get("PHYSIOSPACES_MODEL_REPO"):
            repo_id = os.environ["PHYSIOSPACES_MODEL_REPO"]
        try:
            return load_model(task, repo_id=repo_id, variant=variant, backend="onnx")
        except Exception as exc:  # offline, repo missing, bad file: the shipped checkpoint still serves
            log.warning(
                "Could not load %s from the Hub (%s: %s); serving the shipped checkpoint.",
                repo_id,
                type(exc).__name__,
                exc,
            )
    return load_model(task, variant=variant, backend="onnx")


def space_models(task: str) -> dict:
    """Every variant's served model (see `space_model`), loaded when the Space starts rather than on a first upload."""
    from core import get_task

    return {variant: space_model(task, variant) for variant in get_task(task).checkpoints}


def json_api(task, models: dict) -> None:
    """Register `/<task>_json` in the Blocks being built: the uploaded files and a dict of predict options (`fs`, and
    those `predict` takes, e.g. `mode` or `threshold`) in, the result as `python -m core predict ... --json` writes it
    out, through the same `Task.run`."""

    @guard
    def predict_json(files: list[FileData], options: dict | None = None) -> dict:
        main, extras = split_upload([file["path"] for file in files or []])
        options = dict(options or {})
        fs = options.pop("fs", None)
        for name, value in options.items():
            task.check_option(name, value)
        return task.run(task.read(main, fs=fs, extra_files=extras), models.__getitem__, **options).to_json()

    # real types, not this module's postponed annotation strings: gradio reads them to upload the files
    predict_json.__annotations__ = {"files": list[FileData], "options": dict | None, "return": dict}
    gr.api(predict_json, api_name=f"{task.name}_json", api_description=f"{task.title}: the result as JSON.")
    example = next((path for path in task.examples if path.suffix != ".dat"), None)
    files = ", ".join(f'handle_file("{file.name}")' for file in upload_of(example)) if example else 'handle_file("...")'
    with gr.Accordion("Use via API: the result as JSON", open=False):
        gr.Markdown(
            "```python\nfrom gradio_client import Client, handle_file\n\n"
            f'client = Client("{task.hub.space}")\n'
            f'result = client.predict([{files}], {{}}, api_name="/{task.name}_json")\n```\n'
            "The second argument takes the predict options as a dict (for example `fs`, and those the task takes); "
            "the result is the same JSON as `python -m core predict ... --json`."
        )


def upload_of(path: Path) -> list[Path]:
    """The files one upload of `path` takes: a WFDB header comes with its `.dat`."""
    return [path, path.with_suffix(".dat")] if path.suffix == ".hea" else [path]


def example_uploads(task, *prefixes: str) -> list[list[str]]:
    """The task's shipped examples (names starting with one of `prefixes`, or all) as multi-file upload values."""
    return [
        [str(file) for file in upload_of(path)]
        for path in task.examples
        if not prefixes or path.name.startswith(prefixes)
    ]


LAUNCH_OPTIONS = {"max_file_size": "100mb"}
QUEUE_OPTIONS = {"default_concurrency_limit": 2}


def standalone_demo(build: Callable[[], None], title: str) -> gr.Blocks:
    """A Space's own page: its `build()` (components and events) in a Blocks of its own."""
    with gr.Blocks(title=title) as demo:
        build()
    return demo


def lazy_demo(build: Callable[[], None], title: str) -> Callable[[str], gr.Blocks]:
    """A module `__getattr__` that builds the Space's `demo` on first access.

    Every Blocks builds its own web app (about 0.2 s); the hub renders each Space's `build()` in a tab of one Blocks, so
    importing a Space module builds no page of its own.
    """
    demo = functools.cache(lambda: standalone_demo(build, title))

    def module_getattr(name: str) -> gr.Blocks:
        if name == "demo":
            return demo()
        raise AttributeError(f"module has no attribute {name!r}")

    return module_getattr


def load_space(task_name: str) -> ModuleType:
    """Import the task's Space `app.py` by path (the folder is a deployable Space, not a package)."""
    from core import get_task

    path = get_task(task_name).space_dir / "app.py"
    spec = importlib.util.spec_from_file_location(f"physiospaces_space_{task_name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
