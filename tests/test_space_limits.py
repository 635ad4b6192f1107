"""What every Space shares (core/space.py): the time limit of one request, long uploads one at a time beside light
ones, messages naming the page's controls, downloads of each result, and uploads deleted after a while."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
import pytest

from core import downloads as result_files
from core import get_task, load_model
from core import space as shared

TASK = get_task("ecg")
EXAMPLE = next(path for path in TASK.examples if path.name == "mitdb_100_20s.csv")


@pytest.fixture(scope="module")
def ecg_space():
    return shared.load_space("ecg")


def test_web_messages_name_the_page_control_not_the_cli_flag(ecg_space, tmp_path):
    assert shared.web_message("or pass the rate (--fs in the CLI).") == (
        "or pass the rate (the sampling-rate box on this page)."
    )
    assert shared.web_message("use --calibration-minutes 5") == "use the calibration minutes setting on this page 5"
    no_rate = tmp_path / "no_rate.csv"
    no_rate.write_text("MLII\n" + "\n".join(str(v) for v in np.sin(np.arange(4000) / 20)))
    with pytest.raises(gr.Error) as refusal:
        ecg_space.classify([str(no_rate)], None)
    assert "sampling-rate box on this page" in refusal.value.message
    assert "--" not in refusal.value.message and "CLI" not in refusal.value.message


def test_a_runaway_prediction_stops_at_the_time_limit_and_the_next_request_runs(ecg_space, monkeypatch):
    monkeypatch.setattr(shared, "REQUEST_SECONDS", -1.0)
    with pytest.raises(gr.Error, match=r"longer than the -1 s limit of one request; upload a shorter part"):
        ecg_space.classify([str(EXAMPLE)], None, progress=gr.Progress())
    with pytest.raises(gr.Error, match="limit of one request"):  # the JSON API runs under the same limit
        shared.guard(
            lambda: TASK.run(TASK.read(EXAMPLE), ecg_space.MODELS.__getitem__, progress=shared.until_deadline(None))
        )()
    monkeypatch.undo()
    assert ecg_space.classify([str(EXAMPLE)], None, progress=gr.Progress())[1].startswith("**25 beats in lead MLII: N ")


def test_light_requests_pass_while_long_jobs_hold_every_slot(ecg_space, tmp_path, monkeypatch):
    heavy = tmp_path / "heavy.csv"
    recording = TASK.read(EXAMPLE)  # 20 s of MIT-BIH 100, repeated to 10 minutes
    signal = np.tile(recording.signal[:, 0], 30)
    heavy.write_text(f"# fs={recording.fs:g}\nMLII\n" + "\n".join(f"{v:.5f}" for v in signal))
    assert shared.upload_weight([heavy]) > shared.LONG_UPLOAD_BYTES >= shared.upload_weight([EXAMPLE])
    taken = [shared._long_jobs.acquire(timeout=1) for _ in range(shared.LONG_JOBS)]
    try:
        assert all(taken)
        start = time.monotonic()
        assert "25 beats" in ecg_space.classify([str(EXAMPLE)], None)[1]
        assert time.monotonic() - start < 5
        monkeypatch.setattr(shared, "REQUEST_SECONDS", 0.5)
        with pytest.raises(gr.Error, match="busy with other long recordings; try again in a minute"):
            ecg_space.classify([str(heavy)], None)
    finally:
        for _ in taken:
            shared._long_jobs.release()
    # with a free slot, the heavy upload waits for it and runs: a long job queued behind another one
    monkeypatch.setattr(shared, "REQUEST_SECONDS", 60.0)
    shared._long_jobs.acquire()
    threading.Timer(0.5, shared._long_jobs.release).start()
    start = time.monotonic()
    assert "beats in lead MLII" in ecg_space.classify([str(heavy)], None)[1]
    assert time.monotonic() - start >= 0.5


def test_downloads_hold_the_cli_json_and_the_shown_table(ecg_space, monkeypatch):
    _, _, _, table, files, *_ = ecg_space.classify([str(EXAMPLE)], None)
    assert [Path(f).name for f in files[:2]] == ["mitdb_100_20s.json", "mitdb_100_20s.csv"]
    cli = TASK.run(TASK.read(EXAMPLE), lambda v: load_model("ecg", variant=v, backend="onnx")).to_json()
    assert json.loads(Path(files[0]).read_text()) == json.loads(json.dumps(cli))
    downloaded = pd.read_csv(files[1])
    assert list(downloaded.columns) == [str(c) for c in table.columns] and len(downloaded) == len(table) == 25

    monkeypatch.setattr(result_files, "CACHE_SECONDS", 0)  # the next request deletes this one's folder
    later = ecg_space.classify([str(EXAMPLE)], None)[4]
    assert not Path(files[0]).parent.exists() and Path(later[0]).is_file()


def test_upload_folder_does_not_grow_over_50_requests(tmp_path, monkeypatch):
    from gradio_client import Client, handle_file

    from tests.conftest import free_port

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    monkeypatch.setattr(shared, "DELETE_EVERY", 0.5)
    monkeypatch.setattr(shared, "CACHE_SECONDS", 1)
    space = shared.load_space("ecg")
    demo = shared.standalone_demo(space.build, space.TITLE)
    port = free_port()
    demo.queue(**shared.QUEUE_OPTIONS).launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True
    )
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        shipped = sum(f.stat().st_size for f in (tmp_path / "gradio").rglob("*") if f.is_file())  # the examples
        text = EXAMPLE.read_text()
        sizes = []
        for k in range(50):
            upload = tmp_path / f"upload_{k}.csv"
            upload.write_text(text + "\n" * k)  # a distinct file each time: its own folder in Gradio's cache
            assert "25 beats" in client.predict([handle_file(str(upload))], None, api_name="/classify")[1]
            sizes.append(sum(f.stat().st_size for f in (tmp_path / "gradio").rglob("*") if f.is_file()))
        time.sleep(2.5)
        left = sum(f.stat().st_size for f in (tmp_path / "gradio").rglob("*") if f.is_file())
    finally:
        demo.close()
    one_request = EXAMPLE.stat().st_size * 4  # the upload, its JSON, CSV and any figure copy
    assert max(sizes) - shipped < 10 * one_request, sizes
    assert left - shipped < one_request


def test_the_queue_summarises_past_requests_for_monitoring_once_per_100_requests_not_after_each():
    with gr.Blocks() as demo:
        gr.Markdown("queue")
    demo.queue(**shared.QUEUE_OPTIONS)
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY == 100  # Gradio's default is after every request


class _WarmUpTask:
    """A task whose example is a WFDB record; reading it fails when `broken`."""

    def __init__(self, name: str, broken: bool, runs: list):
        self.name, self.broken, self.runs = name, broken, runs
        self.examples = [Path(f"/examples/{name}.hea"), Path(f"/examples/{name}.dat")]

    def read(self, main, extra_files=()):
        if self.broken:
            raise ValueError("unreadable")
        return main, extra_files

    def run(self, data, model):
        self.runs.append((self.name, data[0].name, [path.name for path in data[1]], model("default")))


def test_warm_up_predicts_each_task_example_with_its_models_and_logs_a_failure_without_stopping(caplog):
    runs = []
    served = [(_WarmUpTask("first", True, runs), {}), (_WarmUpTask("second", False, runs), {"default": "its model"})]
    shared.warm_up(served)
    assert runs == [("second", "second.hea", ["second.dat"], "its model")]
    assert [record.getMessage() for record in caplog.records] == ["Warming up first failed"]


def test_the_hub_warms_up_on_every_shipped_task_without_a_failure(caplog):
    import app

    shared.warm_up(app.SERVED)
    assert [task.name for task, _ in app.SERVED] == ["ecg", "ecg_anomaly", "har", "hr", "respiration"]
    assert caplog.records == []
