"""The hostile-input corpus (tests/fixtures/make_hostile.py and hostile_structure.py) against every Space endpoint
and the CLI.

Every case must come back as one sentence (no traceback, no server path, not the generic fallback), the Space must
answer a good request correctly afterwards, and the server's resident memory must return near its level.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from gradio_client import handle_file

from core import get_task, list_tasks, load_model
from core.__main__ import main as cli_main
from core.tasks import ROOT, Endpoint
from tests.conftest import FIXTURES

sys.path.insert(0, str(FIXTURES))
from hostile_structure import CASES as STRUCTURE_CASES  # noqa: E402
from hostile_structure import make_structure_corpus  # noqa: E402
from make_hostile import CASES as VALUE_CASES  # noqa: E402
from make_hostile import make_corpus  # noqa: E402

CASES = VALUE_CASES + STRUCTURE_CASES

GENERIC = "Something went wrong while processing this input"
# "task/api name" -> (task, its Space endpoint: inputs after the file, whether the file input takes a list,
# summary output)
ENDPOINTS = {
    f"{task.name}/{endpoint.api_name}": (task.name, endpoint)
    for task in map(get_task, list_tasks())
    for endpoint in task.endpoints
}
MATRIX = [
    (endpoint, case)
    for endpoint, (task, _) in ENDPOINTS.items()
    for case in CASES
    if "*" in case.tasks or task in case.tasks
]
TASK_MATRIX = [(task, case) for task in list_tasks() for case in CASES if "*" in case.tasks or task in case.tasks]
# the message each limit and safety case must give, wherever it is sent (CLI, or a Space that accepts the suffix)
EXPECTED = {
    "rows_10m_csv": "File 'rows_10m.csv' has over 5,000,000 rows, the limit of one request; upload a shorter excerpt.",
    "gpx_1m_points": "File 'points_1m.gpx' has about 1,000,000 track points, over the 100,000 limit of one request; "
    "upload a single workout or a shorter excerpt.",
    "wfdb_xz_bomb": "WFDB record 'bomb' holds 536,870,912 samples x signals, over the 70,000,000 limit of one request "
    "(a 24-hour two-lead Holter at 360 Hz is 62 million); upload a shorter part of the record.",
    "zip_bomb": "'Inertial Signals/body_acc_x_test.txt' in 'bomb.zip' unpacks to 256 MiB, over the 100 MiB limit "
    "per file; upload the dataset zip as downloaded from UCI.",
    "pickle_as_csv": "File 'model.csv' is a Python pickle, which PhysioSpaces never loads; export it as CSV.",
    "wfdb_traversal": "The WFDB header names the data file 'passwd', which was not provided; upload 'passwd' "
    "together with the .hea file.",
    "wfdb_absolute_path": "The WFDB header names the data file 'passwd', which was not provided; upload 'passwd' "
    "together with the .hea file.",
    "wfdb_absurd_fs": "File 'fastrate.hea' states the sampling rate '1e+09', not a plain number of Hz; "
    "write it like 360.",
    "tcx_bad_time": "File 'bad_time.tcx' has a track point time 'yesterday' that is not an ISO 8601 date; "
    "export the activity again as TCX.",
    "fit_empty_field": "File 'empty_field.fit' is not a valid FIT file (a message's field sizes or types do not match "
    "the FIT profile); copy the original .fit from the device.",
    "fit_array_timestamp": "File 'array_time.fit' is not a valid FIT file (a message's field sizes or types do not "
    "match the FIT profile); copy the original .fit from the device.",
    "uci_text_labels": "'y_test.txt' in 'text_labels.zip' is not a table of numbers (could not convert string to "
    "float: 'WALKING'); upload the dataset zip as downloaded from UCI.",
    "uci_label_count": "'y_test.txt' in 'label_count.zip' has 2 values in 2 rows for 4 windows; it needs one number "
    "per row, one row per window.",
    "corrupt_atr": "Annotation file 'mitdb100_10s.atr' could not be decoded (IndexError); upload the record's WFDB "
    "annotation file (.atr) unchanged.",
    "uci_12k_windows": "'Inertial Signals/body_acc_x_test.txt' in 'windows_12k.zip' has over 10,000 rows (windows), "
    "the limit of one request; upload one split of the UCI HAR Dataset or a shorter part of it.",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_structure_corpus(make_corpus(tmp_path_factory.mktemp("hostile"), big=True))


def rss_mb() -> float:
    """Resident memory of this process (the Spaces run in it), from /proc."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def assert_one_sentence(message: str, where: str) -> None:
    assert message and "\n" not in message.strip(), f"{where}: not one line: {message!r}"
    assert len(message) < 1000, f"{where}: a {len(message):,}-character message: {message[:200]!r}..."
    assert "Traceback" not in message and 'File "' not in message, f"{where}: traceback text: {message!r}"
    assert "/tmp/" not in message and str(ROOT) not in message and "site-packages" not in message, (
        f"{where}: server path: {message!r}"
    )
    assert GENERIC not in message, f"{where}: an unexpected exception reached the generic fallback"
    assert message.rstrip().endswith((".", ".']", "']")), f"{where}: not a sentence: {message!r}"


def test_matrix_size():
    """Every endpoint of every Space sees the generic cases plus those imitating its task's formats."""
    assert len(VALUE_CASES) == 35 and len(STRUCTURE_CASES) == 20
    generic = [case for case in CASES if "*" in case.tasks]
    for endpoint, (task, _) in ENDPOINTS.items():
        seen = [case for e, case in MATRIX if e == endpoint]
        assert set(generic) <= set(seen) and len(seen) == len(generic) + sum(task in c.tasks for c in CASES)
    assert all(any(case is c for _, c in MATRIX) for case in CASES), "a case no endpoint receives"
    print(
        f"\nhostile corpus: {len(CASES)} cases, {len(ENDPOINTS)} endpoints, {len(MATRIX)} endpoint requests, "
        f"{len(TASK_MATRIX)} CLI runs"
    )


@pytest.mark.parametrize("task,case", TASK_MATRIX, ids=[f"{t}-{c.name}" for t, c in TASK_MATRIX])
def test_cli_refuses_with_one_line(task, case, corpus, capsys):
    main, *extras = (str(corpus / name) for name in case.files)
    argv = ["predict", task, main] + (["--extra", *extras] if extras else [])
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert_one_sentence(err[len("error: ") :].strip(), f"cli {task} {case.name}")
    if case.name in EXPECTED and (
        task != "hr" or case.tasks == ("hr",)
    ):  # the HR task refuses every .csv by its suffix
        assert err == f"error: {EXPECTED[case.name]}\n"


def good_files(task: str, endpoint: Endpoint) -> list[Path]:
    """The endpoint's first example as the Space's example button uploads it: a WFDB header with its `.dat`."""
    path = get_task(task).example(endpoint.examples[0])
    return [path, path.with_suffix(".dat")] if path.suffix == ".hea" else [path]


def good_summary(task: str, path: Path, endpoint: Endpoint) -> str:
    """The summary the CLI's path (`Task.run`, onnxruntime models) gives the good file; the respiration endpoints are
    its modes, and its series endpoint's input is the threshold."""
    spec = get_task(task)
    extras = tuple(good_files(task, endpoint)[1:])
    data = spec.read(path, **({"extra_files": extras} if extras else {}))
    options = {}
    if task == "respiration":
        options = {
            "mode": endpoint.api_name,
            **({"threshold": endpoint.options[0]} if endpoint.api_name == "series" else {}),
        }
    result = spec.run(data, lambda variant: load_model(task, variant=variant, backend="onnx"), **options)
    return f"**{result.summary()}**"


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_space_endpoint_refuses_every_case_and_recovers(endpoint, corpus, space_client):
    task, spec = ENDPOINTS[endpoint]
    api, extra, as_list, summary_index = f"/{spec.api_name}", list(spec.options), spec.file_list, spec.summary_output
    client = space_client(task)
    good = good_files(task, spec)

    def call(paths: list[Path]):
        files = [handle_file(str(p)) for p in paths]
        return client.predict(files if as_list else files[0], *extra, api_name=api)

    expected_good = good_summary(task, good[0], spec)
    assert call(good)[summary_index] == expected_good  # warm: models and imports loaded before measuring
    before = rss_mb()
    cases = [case for e, case in MATRIX if e == endpoint]
    messages = {}
    for case in cases:
        with pytest.raises(Exception) as caught:
            call([corpus / name for name in case.files])
        messages[case.name] = str(caught.value)
        assert_one_sentence(messages[case.name], f"{endpoint} {case.name}")
    after = rss_mb()
    for name, message in messages.items():
        if name in EXPECTED and not message.startswith("Invalid file type"):
            assert message == EXPECTED[name], f"{endpoint} {name}"
    assert call(good)[summary_index] == expected_good
    assert after - before < 300, f"{endpoint}: resident memory grew {after - before:.0f} MB over the corpus"
    print(f"\n{endpoint}: {len(cases)} hostile cases refused, RSS {before:.0f} -> {after:.0f} MB")
