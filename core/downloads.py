"""Result files a Space offers to download: written by the server from a result, never from an upload's bytes.

Kept apart from `core.space`, which handles uploads and never writes a file.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

CACHE_SECONDS = 600
"""A download folder is deleted this long after it was made (on the next request's way)."""

_download_folders: dict[Path, float] = {}  # folder -> time.monotonic() when made; this process's own
_download_lock = threading.Lock()


def _request_folder() -> Path:
    """A new temporary folder for one request's files; this process's folders older than `CACHE_SECONDS` are deleted
    on the way (Gradio serves its own copies)."""
    with _download_lock:
        for old, made in list(_download_folders.items()):
            if time.monotonic() - made > CACHE_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
                del _download_folders[old]
        folder = Path(tempfile.mkdtemp(prefix="physiospaces-download-"))
        _download_folders[folder] = time.monotonic()
    return folder


@functools.cache
def plotly_script() -> str:
    """The script tag loading plotly.js from its CDN, pinned by the integrity hash of the bundled copy (what
    `include_plotlyjs="cdn"` writes, which hashes the 4 MB bundle again for every figure)."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    digest = base64.b64encode(hashlib.sha256(get_plotlyjs().encode()).digest()).decode()
    return (
        f'<script charset="utf-8" src="https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js" '
        f'integrity="sha256-{digest}" crossorigin="anonymous"></script>'
    )


def downloads(result, table, name, figure=None) -> list[str]:
    """A result's files to download, named after `name` (the upload's path or stem): its JSON (as `python -m core
    predict ... --json` writes it), its per-item `table` (a DataFrame) as CSV, and the `figure` as HTML when it is a
    Plotly one."""
    folder = _request_folder()
    stem = re.sub(r"[^\w-]+", "_", Path(str(name)).name.split(".")[0]) or "result"
    files = [folder / f"{stem}.json", folder / f"{stem}.csv"]
    files[0].write_text(json.dumps(result.to_json(), indent=1, allow_nan=False))
    table.to_csv(files[1], index=False)
    if hasattr(figure, "write_html"):
        files.append(folder / f"{stem}.html")
        write_figure_html(figure, files[-1])
    return [str(file) for file in files]


def write_figure_html(figure, path: Path) -> None:
    """A Plotly `figure` as a page of its own at `path`, loading plotly.js from its CDN (`plotly_script`)."""
    body = figure.to_html(include_plotlyjs=False, full_html=False, validate=False)  # plotly built it: valid
    path.write_text(
        f'<html>\n<head><meta charset="utf-8" />{plotly_script()}</head>\n<body>\n{body}\n</body>\n</html>\n'
    )


def text_download(filename: str, text: str) -> str:
    """One text file to download (e.g. a fitted profile as JSON), in a folder of its own like `downloads`."""
    path = _request_folder() / (re.sub(r"[^\w.-]+", "_", filename) or "result.txt")
    path.write_text(text)
    return str(path)
