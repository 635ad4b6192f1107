"""Helpers every Space shares: typed errors to `gr.Error`, upload handling, the served model, a Space's own page,
loading a Space module by path."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib.util
import logging
import os
import re
import threading
import time
import weakref
from pathlib import Path
from types import ModuleType
from typing import Callable

import gradio as gr
from gradio.data_classes import FileData

from core.errors import InputError, PhysioError, RequestTimeoutError, ServerBusyError
from core.tasks import in_namespace

log = logging.getLogger("physiospaces")

MAX_FILE_SIZE = "100mb"
REQUEST_SECONDS = 120.0
"""Time limit of one request, queueing for a long-recording slot included; checked at each progress step."""
LONG_UPLOAD_BYTES = 1_000_000
"""Uploads heavier than this (compressed files count 10x) take one of the `LONG_JOBS` slots; lighter ones never wait
for a long one, so a short request is answered while long recordings are being processed."""
LONG_JOBS = 1
COMPRESSED_SUFFIXES = (".zip", ".xz", ".gz", ".fit")
CACHE_SECONDS = 600
"""Uploads and downloads are deleted this long after they were made (`delete_uploads`, checked every minute)."""
DELETE_EVERY = 60.0
WFDB_FILE_TYPES = [".csv", ".txt", ".hea", ".dat", ".atr", ".xz"]
"""What a signal upload control accepts: CSV, or a WFDB record's header, data (plain or `.dat.xz`) and annotations."""
WEB_CONTROLS = {"fs": "the sampling-rate box on this page"}
"""CLI options as the Spaces' pages name them, for messages written for the CLI."""

_long_jobs = threading.BoundedSemaphore(LONG_JOBS)
_deadline: contextvars.ContextVar[float] = contextvars.ContextVar("physiospaces_deadline", default=float("inf"))


def web_message(message: str) -> str:
    """A message as a Space shows it: CLI options (`--fs`, `(--fs in the CLI)`) named by the page's control."""

    def control(match: re.Match) -> str:
        words = match.group(1).split("-")
        return WEB_CONTROLS.get("_".join(words), f"the {' '.join(words)} setting on this page")

    message = re.sub(r"\(--([a-z][\w-]*) in the CLI\)", lambda m: f"({control(m)})", message)
    return re.sub(r"(?<![\w-])--([a-z][\w-]*)", control, message)


def until_deadline(progress: Callable | None) -> Callable:
    """`progress(fraction, desc=...)` that first stops the request with `RequestTimeoutError` once its time limit
    (set by `guard`) has passed, so a runaway prediction ends at its next step and frees its worker."""

    def report(fraction, desc=None, *args, **kwargs):
        if time.monotonic() > _deadline.get():
            raise RequestTimeoutError(
                f"This recording took longer than the {REQUEST_SECONDS:.0f} s limit of one request; "
                "upload a shorter part of it."
            )
        if progress is not None:
            progress(fraction, *args, desc=desc, **kwargs)

    return report


def _uploaded_paths(value) -> list[Path]:
    """Files named by an event's inputs: paths, gradio file objects and `FileData` dicts, in lists or not."""
    if isinstance(value, (list, tuple)):
        return [path for item in value for path in _uploaded_paths(item)]
    if isinstance(value, dict):
        value = value.get("path")
    value = getattr(value, "name", value)
    if isinstance(value, (str, Path)) and str(value) and Path(value).is_file():
        return [Path(value)]
    return []


def upload_weight(paths: list[Path]) -> int:
    """Bytes of an upload, compressed files counted 10x: what decides whether it is a long job."""
    return sum(path.stat().st_size * (10 if path.name.lower().endswith(COMPRESSED_SUFFIXES) else 1) for path in paths)


@contextlib.contextmanager
def _size_class(paths: list[Path]):
    """Run at once when the upload is light; a heavy one waits for one of the `LONG_JOBS` slots, up to the deadline."""
    if upload_weight(paths) <= LONG_UPLOAD_BYTES:
        yield
        return
    if not _long_jobs.acquire(timeout=max(0.0, _deadline.get() - time.monotonic())):
        raise ServerBusyError(
            "The server is busy with other long recordings; try again in a minute, or upload a shorter part."
        )
    try:
        yield
    finally:
        _long_jobs.release()


def guard(fn):
    """Run a Space function within the limits of one request (`REQUEST_SECONDS`, heavy uploads one at a time), and
    turn project errors into a one-sentence `gr.Error` naming the page's controls, anything else into a generic one
    (logged, no traceback shown)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        token = _deadline.set(time.monotonic() + REQUEST_SECONDS)
        args = [until_deadline(arg) if isinstance(arg, gr.Progress) else arg for arg in args]
        kwargs = {key: until_deadline(arg) if isinstance(arg, gr.Progress) else arg for key, arg in kwargs.items()}
        try:
            with _size_class(_uploaded_paths([*args, *kwargs.values()])):
                return fn(*args, **kwargs)
        except gr.Error:
            raise
        except PhysioError as exc:
            raise gr.Error(web_message(str(exc)), print_exception=False) from None
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
        finally:
            _deadline.reset(token)

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
        data = task.read(main, fs=fs, extra_files=extras)
        return task.run(data, models.__getitem__, progress=until_deadline(None), **options).to_json()

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


def download_box() -> gr.File:
    """The component `downloads` fills."""
    return gr.File(label="Download: result JSON, table CSV, figure HTML", file_count="multiple", interactive=False)


def _is_example(path: Path, examples: dict[str, int]) -> bool:
    return examples.get(path.name) == path.stat().st_size


def run_on(button, fn, inputs: list, outputs: list, *, api_name: str, examples=None, files=None) -> None:
    """Wire a Space's run: the button (and a click on one of `examples`, a `gr.Examples`) first clears `outputs`, so
    an error never leaves the previous result on the page, then runs `fn`. An upload into `files` after an example
    replaces the example's files instead of adding to them."""

    def clear():
        return [None] * len(outputs)

    hidden = {"api_visibility": "undocumented"}
    button.click(clear, None, outputs, queue=False, **hidden).then(fn, inputs, outputs, api_name=api_name)
    if examples is not None:
        examples.load_input_event.then(clear, None, outputs, queue=False, **hidden).then(fn, inputs, outputs, **hidden)
    if files is not None:
        shipped = {path.name: path.stat().st_size for path in getattr(examples, "shipped", ())}

        def drop_example_files(value):
            paths = _uploaded_paths(value)
            uploaded = [str(path) for path in paths if not _is_example(path, shipped)]
            return uploaded if uploaded and len(uploaded) < len(paths) else gr.skip()

        files.upload(drop_example_files, files, files, queue=False, **hidden)


def examples_of(task, inputs: list, values: list[list], **kwargs) -> gr.Examples:
    """`gr.Examples` of shipped files that `run_on` runs on click and tells apart from an upload."""
    examples = gr.Examples(values, inputs=inputs, **kwargs)
    examples.shipped = [Path(file) for row in values for file in _uploaded_paths(row[0])]
    return examples


def upload_of(path: Path) -> list[Path]:
    """The files one upload of `path` takes: a WFDB header comes with its `.dat`, and its `.atr` when it has one."""
    if path.suffix != ".hea":
        return [path]
    return [path, path.with_suffix(".dat"), *[atr for atr in [path.with_suffix(".atr")] if atr.is_file()]]


def example_uploads(task, *prefixes: str) -> list[list[str]]:
    """The task's shipped examples (names starting with one of `prefixes`, or all) as multi-file upload values."""
    return [
        [str(file) for file in upload_of(path)]
        for path in task.examples
        if not prefixes or path.name.startswith(prefixes)
    ]


LAUNCH_OPTIONS = {"max_file_size": MAX_FILE_SIZE}
QUEUE_OPTIONS = {"default_concurrency_limit": 8, "max_size": 64}
"""Eight workers per endpoint: light requests run beside heavy ones, which `guard` lets through `LONG_JOBS` at a
time; at most 64 requests wait before the queue refuses more."""

# Gradio's queue rebuilds its monitoring summary, a pandas table of up to 10,000 past requests, after every request
# unless told otherwise: 3-7 ms of the server's Python thread each time, growing as the server runs. Once per 100
# requests is enough for `/monitoring`. Gradio reads it in `Blocks.queue`, which every Space calls after importing
# this module.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")


def warm_up(served: list[tuple[object, dict]]) -> None:
    """Read and predict each task's first shipped example with its Space's models (`served`: (task, models) pairs), so
    the libraries a request imports on first use (neurokit2 and wfdb: ~1.4 s for an ECG) are loaded before a visitor
    waits for them. A failure is logged: the Space still serves."""
    for task, models in served:
        try:
            example = next(path for path in task.examples if path.suffix != ".dat")
            main, extras = split_upload([str(file) for file in upload_of(example)])
            task.run(task.read(main, extra_files=extras), models.__getitem__)
        except Exception:  # the warm-up of one task must not stop the others or the server
            log.exception("Warming up %s failed", task.name)


def serve(demo: gr.Blocks, served: list[tuple[object, dict]], queue_options: dict = QUEUE_OPTIONS, **launch) -> None:
    """`warm_up(served)`, then queue and launch a page of Spaces with the project's limits. The warm-up comes before
    the port opens, not beside it: a request importing the same libraries at the same time can find one half
    initialised (Gradio's matplotlib switch did)."""
    warm_up(served)
    demo.queue(**queue_options).launch(**LAUNCH_OPTIONS, **launch)


def _delete_old_files(blocks: gr.Blocks, age: float) -> None:
    keep = set().union(*(getattr(block, "keep_in_cache", set()) for block in blocks.blocks.values()))
    for files in blocks.temp_file_sets:
        for file in list(files):  # a copy: uploads add to the set meanwhile
            path = Path(file)
            try:
                if file not in keep and time.time() - path.lstat().st_ctime > age:
                    path.unlink()
                    files.discard(file)
            except FileNotFoundError:
                files.discard(file)


def delete_uploads(demo: gr.Blocks) -> None:
    """Delete the files `demo` was sent or served (uploads, downloads, figures) `CACHE_SECONDS` after they were made,
    checking every `DELETE_EVERY` seconds; the examples stay. Gradio's own `delete_cache` schedule is not used: it
    stops for good when an upload arrives while it runs (it iterates the set of files that the upload changes)."""
    demo_ref, every, age = weakref.ref(demo), DELETE_EVERY, CACHE_SECONDS

    def loop():
        while (blocks := demo_ref()) is not None:
            try:
                _delete_old_files(blocks, age)
            except Exception:  # a failed sweep is logged; the next one runs
                log.exception("deleting old uploads failed")
            del blocks
            time.sleep(every)

    threading.Thread(target=loop, name="physiospaces-delete-uploads", daemon=True).start()


def standalone_demo(build: Callable[[], None], title: str) -> gr.Blocks:
    """A Space's own page: its `build()` (components and events) in a Blocks of its own, deleting old uploads."""
    with gr.Blocks(title=title) as demo:
        build()
    delete_uploads(demo)
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
