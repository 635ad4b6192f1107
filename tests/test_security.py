"""Static security rules over every tracked Python file, each rule checked to catch a bad snippet, plus the Hub token
check of hub_upload extended to log records."""

from __future__ import annotations

import ast
import json
import logging
import subprocess
from pathlib import Path

import pytest

from core.tasks import ROOT

UNPICKLERS = {
    ("pickle", "load"),
    ("pickle", "loads"),
    ("pickle", "Unpickler"),
    ("cPickle", "load"),
    ("cPickle", "loads"),
    ("dill", "load"),
    ("dill", "loads"),
    ("cloudpickle", "load"),
    ("cloudpickle", "loads"),
    ("joblib", "load"),
    ("pd", "read_pickle"),
    ("pandas", "read_pickle"),
    ("shelve", "open"),
    ("marshal", "loads"),
    ("marshal", "load"),
}
SHELLS = {
    ("os", "system"),
    ("os", "popen"),
    ("os", "execl"),
    ("os", "execlp"),
    ("os", "execv"),
    ("os", "execvp"),
    ("os", "spawnl"),
    ("os", "spawnv"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
}
WRITE_CALLS = {
    "write_text",
    "write_bytes",
    "copyfile",
    "copy",
    "copy2",
    "copytree",
    "move",
    "rename",
    "replace",
    "symlink_to",
    "mkdir",
    "makedirs",
    "symlink",
}
UPLOAD_MODULES = ("spaces/", "core/space.py")
"""Code that receives uploads: it reads them where Gradio stored them and never writes a file."""


def tracked_python() -> list[str]:
    out = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line]


def dotted(node: ast.AST) -> tuple[str, str] | None:
    """('module', 'attr') of a call like `torch.load`, else None."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id, node.attr
    return None


def keyword_is(call: ast.Call, name: str, value) -> bool:
    return any(k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is value for k in call.keywords)


def names_outside_calls(node: ast.AST):
    """Names and attribute names in an expression, without descending into nested calls (their results are what
    shows)."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute):
        yield node.attr
        yield from names_outside_calls(node.value)
    elif not isinstance(node, ast.Call):
        for child in ast.iter_child_nodes(node):
            yield from names_outside_calls(child)


def is_log_or_print(call: ast.Call) -> bool:
    if isinstance(call.func, ast.Name):
        return call.func.id == "print"
    pair = dotted(call.func)
    return (
        pair is not None
        and pair[0] in ("log", "logger", "logging", "LOG")
        and pair[1] in ("debug", "info", "warning", "error", "exception", "critical", "log")
    )


def violations(source: str, path: str) -> list[str]:
    """Every rule broken by one file, as 'path:line: rule'."""
    found = []
    upload_code = path.startswith(UPLOAD_MODULES)
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Attribute) and node.attr == "orig_name":
            found.append(f"{path}:{node.lineno}: the client-chosen upload name (orig_name) is used")
        if not isinstance(node, ast.Call):
            continue
        pair = dotted(node.func)
        where = f"{path}:{node.lineno}"
        if pair in UNPICKLERS:
            found.append(f"{where}: unpickling call {pair[0]}.{pair[1]}")
        if pair in (("np", "load"), ("numpy", "load")) and keyword_is(node, "allow_pickle", True):
            found.append(f"{where}: np.load with allow_pickle=True")
        if pair == ("torch", "load") and not keyword_is(node, "weights_only", True):
            found.append(f"{where}: torch.load without weights_only=True")
        if keyword_is(node, "shell", True):
            found.append(f"{where}: shell=True")
        if pair in SHELLS:
            found.append(f"{where}: shell command {pair[0]}.{pair[1]}")
        if (
            isinstance(node.func, ast.Name)
            and node.func.id in ("eval", "exec")
            and node.args
            and not isinstance(node.args[0], ast.Constant)
        ):
            found.append(f"{where}: {node.func.id} on non-literal input")
        if is_log_or_print(node):
            shown = [
                name for arg in [*node.args, *(k.value for k in node.keywords)] for name in names_outside_calls(arg)
            ]
            if any("token" in name.lower() or "secret" in name.lower() for name in shown):
                found.append(f"{where}: a token is printed or logged")
        if upload_code:
            attr = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            mode = (
                node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
            )
            writes_open = attr == "open" and isinstance(mode, ast.Constant) and set(str(mode.value)) & set("wax+")
            if attr in WRITE_CALLS or writes_open:
                found.append(f"{where}: upload-handling code writes a file ({attr})")
    return found


UNSAFE_SNIPPETS = json.loads((Path(__file__).parent / "fixtures" / "unsafe_snippets.json").read_text(encoding="utf-8"))
"""Code each rule must reject, with the rule's message (kept out of the Python sources the scan itself reads)."""


@pytest.mark.parametrize("case", UNSAFE_SNIPPETS, ids=[case["rule"] for case in UNSAFE_SNIPPETS])
def test_each_rule_catches_its_snippet(case):
    assert [v.split(": ", 1)[1] for v in violations(case["snippet"], "x.py")] == [case["rule"]]


@pytest.mark.parametrize(
    "snippet",
    [
        "import torch\ntorch.load(path, weights_only=True)",
        "import numpy as np\nnp.load(path, allow_pickle=False)",
        "import subprocess\nsubprocess.run([sys.executable, '-c', code], check=True)",
        "model.eval()",
        "eval('1 + 1')",
        "print(f'collection {link(staged, token=token)}')",
        "log.warning('Could not load %s', repo_id)",
    ],
)
def test_safe_snippets_pass(snippet):
    assert violations(snippet, "x.py") == []


@pytest.mark.parametrize(
    "snippet",
    [
        "Path(out / file.name).write_bytes(data)",
        "with open(Path(upload).name, 'w') as h: h.write(text)",
        "shutil.copyfile(upload, CACHE / Path(upload).name)",
    ],
)
def test_upload_code_may_not_write_files(snippet):
    assert violations(snippet, "spaces/ecg/app.py") and not violations(snippet, "training/train.py")


def test_tracked_code_breaks_no_rule():
    files = tracked_python()
    assert "core/readers/wfdb_records.py" in files and any(f.startswith("spaces/") for f in files)
    found = [v for f in files for v in violations((ROOT / f).read_text(encoding="utf-8"), f)]
    assert found == []


def test_hub_token_never_reaches_stdout_stderr_or_logs(monkeypatch, tmp_path, capsys, caplog):
    """Re-run hub_upload's own token test while capturing every log record at DEBUG."""
    from tests.test_hub_upload_staging import test_publish_calls_the_hub_api_and_never_prints_the_token as publish_test

    caplog.set_level(logging.DEBUG)
    logging.getLogger("hub_upload.publish").debug("capture check")  # proves records from hub_upload reach caplog
    publish_test(monkeypatch, tmp_path, capsys)
    assert caplog.records[0].getMessage() == "capture check"
    assert not any("hf_" + "x" * 30 in record.getMessage() for record in caplog.records)
