"""The download path over real HTTP: staged model repos served in the Hub's layout, loaded with
`load_model(repo_id=...)` and by the Spaces' `space_model` with PHYSIOSPACES_FROM_HUB=1."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from core import get_task, list_tasks
from core.tasks import ROOT
from hub_upload.staging import shipped_variants, stage_model

NS = "local-hub"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _hub_handler(repos: dict[str, Path], requests: list[str]):
    """Request handler answering what huggingface_hub asks of the Hub for model repos (`repos`: repo id -> folder)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _json(self, payload) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _file(self, repo_id: str, name: str, send_body: bool) -> None:
            folder = repos[repo_id].resolve()
            path = (folder / name).resolve()
            if not path.is_file() or folder not in path.parents:
                self.send_error(404)
                return
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
            self.send_header("X-Repo-Commit", COMMIT)
            self.end_headers()
            if send_body:
                self.wfile.write(data)

        def _route(self, send_body: bool) -> None:
            path = unquote(urlparse(self.path).path)
            requests.append(f"{self.command} {path}")
            parts = path.strip("/").split("/")
            if parts[:2] == ["api", "models"] and len(parts) >= 6 and "/".join(parts[2:4]) in repos:
                repo_id, folder = "/".join(parts[2:4]), repos["/".join(parts[2:4])]
                files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
                if parts[4] == "revision":
                    return self._json(
                        {
                            "id": repo_id,
                            "modelId": repo_id,
                            "sha": COMMIT,
                            "private": False,
                            "siblings": [{"rfilename": f} for f in files],
                        }
                    )
                if parts[4] == "tree":
                    return self._json(
                        [
                            {
                                "type": "file",
                                "path": f,
                                "size": (folder / f).stat().st_size,
                                "oid": hashlib.sha1((folder / f).read_bytes()).hexdigest(),
                            }
                            for f in files
                        ]
                    )
            if len(parts) >= 5 and parts[2] == "resolve" and "/".join(parts[:2]) in repos:
                return self._file("/".join(parts[:2]), "/".join(parts[4:]), send_body)
            self.send_error(404)

        def do_GET(self):
            self._route(True)

        def do_HEAD(self):
            self._route(False)

    return Handler


@pytest.fixture(scope="module")
def local_hub(tmp_path_factory):
    """A threaded HTTP server on 127.0.0.1 serving the staged default model repo of every task."""
    out = tmp_path_factory.mktemp("hub")
    repos = {}
    for name in list_tasks():
        task = get_task(name)
        variant = shipped_variants(task)[0]
        staged = stage_model(task, variant, namespace=NS, out=out)
        repos[staged.repo_id] = staged.folder
    requests: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _hub_handler(repos, requests))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", repos, requests
    server.shutdown()


SCRIPT = """
import json, sys
import numpy as np
import torch
from core import get_task, load_model
from hub_upload.staging import shipped_variants
out = {}
for name, repo_id in json.loads(sys.argv[1]).items():
    variant = shipped_variants(get_task(name))[0]
    hub = load_model(name, repo_id=repo_id, variant=variant)
    local = load_model(name, variant=variant)
    torch.manual_seed(0)
    inputs = [t.numpy() for t in local.example_inputs(3)]
    a, b = hub.infer(*inputs), local.infer(*inputs)
    out[name] = {"folder": str(hub.checkpoint_dir), "identical": bool(np.array_equal(a, b)), "shape": list(a.shape),
                 "metrics": hub.metrics == local.metrics}
import os
from core.space import space_model
os.environ.update(PHYSIOSPACES_FROM_HUB="1", PHYSIOSPACES_NAMESPACE=json.loads(sys.argv[1])["ecg"].split("/")[0])
out["space_model_folder"] = str(space_model("ecg").checkpoint_dir)
print(json.dumps(out))
"""


def test_load_model_from_a_local_hub_over_http(local_hub, tmp_path):
    endpoint, repos, requests = local_hub
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_ENDPOINT=endpoint,
        HF_HUB_CACHE=str(tmp_path / "cache"),
        HF_HOME=str(tmp_path / "home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_XET="1",
    )
    repo_ids = {repo_id.split("/")[1]: repo_id for repo_id in repos}
    by_task = {
        name: repo_ids[get_task(name).hub.models[shipped_variants(get_task(name))[0]].split("/")[1]]
        for name in list_tasks()
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(by_task)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert str(tmp_path / "cache") in result["space_model_folder"], "the Space helper did not load from the model repo"
    for name, repo_id in by_task.items():
        assert result[name]["identical"], f"{name}: outputs from the Hub copy differ from the local checkpoint"
        assert result[name]["metrics"]
        assert str(tmp_path / "cache") in result[name]["folder"]
        assert f"GET /{repo_id}/resolve/{COMMIT}/model.safetensors" in requests
        assert f"GET /api/models/{repo_id}/revision/main" in requests
