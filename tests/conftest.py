"""Shared test fixtures: paths, the real-data skip marker, and a locally launched Space with a gradio_client."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from core.tasks import data_dir

FIXTURES = Path(__file__).parent / "fixtures"
DATA_DIR = data_dir()


def needs_data(*parts: str):
    """Skip marker for tests that need a real dataset under ../shared/data."""
    path = DATA_DIR.joinpath(*parts)
    return pytest.mark.skipif(not path.exists(), reason=f"needs the real dataset at {path} (absent here)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def space_client():
    """`space_client(task)` launches spaces/<task>/app.py on a free loopback port and returns a gradio_client.Client."""
    from gradio_client import Client

    from core.space import load_space

    launched = {}

    def connect(task: str) -> Client:
        if task not in launched:
            demo = load_space(task).demo
            port = free_port()
            demo.queue(default_concurrency_limit=2).launch(
                server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True
            )
            launched[task] = (demo, Client(f"http://127.0.0.1:{port}/", verbose=False))
        return launched[task][1]

    yield connect
    for demo, _ in launched.values():
        demo.close()
