"""training.download: every dataset fetched from a local HTTP server that serves tiny files in each source's real
layout (PhysioNet, UCI, NAB on GitHub), checked against checksums, resumed with HTTP Range, then prepared as training
reads it. Nothing reaches the internet."""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import subprocess
import sys
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from core.errors import DownloadError
from core.tasks import ROOT
from tests.conftest import DATA_DIR, needs_data
from training import download


class RangeHandler(SimpleHTTPRequestHandler):
    """Serves files whole or from a `Range: bytes=N-` offset (206), logging the ranges asked for."""

    def do_GET(self):
        path = Path(self.directory) / self.path.lstrip("/").split("?")[0]
        if not path.is_file():
            self.send_error(404)
            return
        data, start = path.read_bytes(), 0
        if ranged := self.headers.get("Range"):
            start = int(ranged.removeprefix("bytes=").split("-")[0])
            self.server.ranges.append((path.name, start))
            if start >= len(data):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A local server of tmp_path/www; the download module's source addresses point at it."""
    root = tmp_path / "www"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(RangeHandler, directory=str(root)))
    httpd.ranges = []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    monkeypatch.setattr(download, "PHYSIONET", f"{base}/files")
    monkeypatch.setattr(download, "NAB", f"{base}/numenta/NAB/master")
    monkeypatch.setattr(download, "UCI_HAR_ZIP", f"{base}/static/public/240/har.zip")
    yield root, httpd
    httpd.shutdown()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish(folder: Path, files: dict[str, bytes], *, sums: bool = True) -> None:
    """Write `files` under `folder` with PhysioNet's SHA256SUMS.txt beside them."""
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    if sums:
        (folder / "SHA256SUMS.txt").write_text("".join(f"{sha(d)} {n}\n" for n, d in files.items()))


def test_fetch_resumes_a_partial_file_with_a_range_request(server, tmp_path):
    root, httpd = server
    data = np.random.default_rng(0).bytes(100_000)
    (root / "big.bin").write_bytes(data)
    target = tmp_path / "got" / "big.bin"
    target.parent.mkdir()
    (target.parent / "big.bin.part").write_bytes(data[:40_000])  # what an interrupted run left
    url = f"http://127.0.0.1:{httpd.server_address[1]}/big.bin"
    assert download.fetch(url, target, sha=sha(data)).read_bytes() == data
    assert httpd.ranges == [("big.bin", 40_000)] and not (target.parent / "big.bin.part").exists()
    download.fetch(url, target, sha=sha(data))  # already there: not fetched again
    assert httpd.ranges == [("big.bin", 40_000)]


def test_a_checksum_mismatch_is_one_sentence_and_leaves_no_file(server, tmp_path):
    root, httpd = server
    (root / "f.csv").write_bytes(b"a,b\n1,2\n")
    url = f"http://127.0.0.1:{httpd.server_address[1]}/f.csv"
    with pytest.raises(DownloadError, match=r"f\.csv from .* has SHA-256 [0-9a-f]{64}, not the published 0{64}; run"):
        download.fetch(url, tmp_path / "f.csv", sha="0" * 64)
    assert list(tmp_path.glob("f.csv*")) == []
    with pytest.raises(DownloadError, match=r"answered HTTP 404"):
        download.fetch(url + ".missing", tmp_path / "g.csv")


def test_mitdb_from_physionet_reads_as_a_record(server, tmp_path):
    import wfdb

    from core.readers.wfdb_records import read_wfdb

    root, _ = server
    work = tmp_path / "make"
    work.mkdir()
    signal = np.round(np.sin(np.linspace(0, 20, 720))[:, None] * [1.0, 0.5], 3)
    wfdb.wrsamp("100", 360, ["mV", "mV"], ["MLII", "V5"], p_signal=signal, fmt=["212", "212"], write_dir=str(work))
    wfdb.wrann("100", "atr", np.array([100, 400]), symbol=["N", "V"], write_dir=str(work))
    files = {p.name: p.read_bytes() for p in work.iterdir()}
    publish(root / "files/mitdb/1.0.0", {"RECORDS": b"100\n", "ANNOTATORS": b"atr\treference\n", **files})
    folder = download.main(["mitdb", "--to", str(tmp_path / "mitdb")])
    recording = read_wfdb(folder / "100.hea")
    assert recording.fs == 360 and recording.signal.shape == (720, 2)
    np.testing.assert_allclose(recording.signal, signal, atol=0.01)
    assert list(recording.annotations["symbol"]) == ["N", "V"]


def test_apnea_ecg_downloads_annotations_and_builds_the_tables(server, tmp_path):
    import wfdb

    from core.respiration.data import apnea_ecg

    root, _ = server
    work = tmp_path / "make"
    work.mkdir()
    files = {"RECORDS": b"a01\nx01\na01er\na01r\n", "ANNOTATORS": b"apn\tapnea\nqrs\tqrs\n", "list": b"a01\n"}
    files["additional-information.txt"] = b"about\n"
    for record in ("a01", "x01"):
        files[f"{record}.hea"] = f"{record} 1 100 18000\n{record}.dat 16 200 12 0 0 0 0 ECG\n".encode()
        wfdb.wrann(record, "qrs", np.array([34, 123, 207]), symbol=["N"] * 3, fs=100, write_dir=str(work))
    wfdb.wrann("a01", "apn", np.array([0, 6000, 12000]), symbol=["N", "A", "A"], fs=100, write_dir=str(work))
    files |= {p.name: p.read_bytes() for p in work.iterdir()}
    publish(root / "files/apnea-ecg/1.0.0", files)
    target = tmp_path / "respiration" / "apnea_ecg"
    download.main(["apnea_ecg", "--to", str(target)])
    beats, labels = apnea_ecg(target)
    assert list(beats["record"]) == ["a01"] * 3 + ["x01"] * 3
    np.testing.assert_allclose(beats["beat_time_s"][:3], [0.34, 1.23, 2.07])
    np.testing.assert_allclose(beats["rr_s"][1:3], [0.89, 0.84])
    assert list(labels["label"]) == [0, 1, 1] and list(labels["start_s"]) == [0.0, 60.0, 120.0]
    assert not (target / "wfdb" / "a01r.hea").exists()


def test_bidmc_csv_release_is_gzipped_as_training_reads_it(server, tmp_path, monkeypatch):
    from core.respiration.data import bidmc_record

    root, _ = server
    monkeypatch.setattr(download, "BIDMC_RECORDS", (1,))
    time = np.arange(250) / 125
    signals = "Time [s], RESP, PLETH, II\n" + "".join(
        f"{t:.3f},{0.5 + 0.4 * np.sin(2 * np.pi * 0.25 * t):.5f},0.5,0.1\n" for t in time
    )
    files = {
        "bidmc_csv/bidmc_01_Signals.csv": signals.encode(),
        "bidmc_csv/bidmc_01_Breaths.csv": b"breaths ann1 [signal sample no], breaths ann2 [signal sample no]\n"
        b"125,124\n",
        "bidmc_csv/bidmc_01_Numerics.csv": b"Time [s], HR, PULSE, RESP, SpO2\n0,80,80,15,98\n",
        "bidmc_csv/bidmc_01_Fix.txt": b"Signals: RESP 125 Hz\n",
    }
    publish(root / "files/bidmc/1.0.0", files)
    target = tmp_path / "bidmc"
    download.main(["bidmc", "--to", str(target)])
    assert gzip.decompress((target / "bidmc_01_Signals.csv.gz").read_bytes()) == signals.encode()
    assert not (target / "bidmc_01_Signals.csv").exists()
    resp, fs, *_ = bidmc_record(1, target)
    assert fs == 125 and len(resp) == 250


def test_nab_files_are_checked_against_the_recorded_list(server, tmp_path, monkeypatch):
    from core.respiration.data import nab_corpus, nab_series

    root, _ = server
    series = b"timestamp,value\n2014-07-01 00:00:00,10844\n2014-07-01 00:30:00,8127\n"
    windows = json.dumps({"realKnownCause/nyc_taxi.csv": [["2014-07-01 00:00:00.000000", "2014-07-01 00:30:00.0"]]})
    files = {"data/realKnownCause/nyc_taxi.csv": series, "labels/combined_windows.json": windows.encode()}
    publish(root / "numenta/NAB/master", files, sums=False)
    checksums = tmp_path / "checksums"
    checksums.mkdir()
    (checksums / "nab.sha256").write_text("".join(f"{sha(d)}  {n}\n" for n, d in files.items()))
    monkeypatch.setattr(download, "CHECKSUMS", checksums)
    target = tmp_path / "nab"
    download.main(["nab", "--to", str(target)])
    assert nab_corpus(target) == ["realKnownCause/nyc_taxi.csv"]
    assert list(nab_series("realKnownCause/nyc_taxi.csv", target).values) == [10844, 8127]


def test_the_shipped_nab_list_covers_the_corpus_and_labels():
    sums = download.read_sums(download.CHECKSUMS / "nab.sha256")
    assert len([n for n in sums if n.startswith("data/")]) == 58
    assert {"labels/combined_windows.json", "labels/combined_labels.json"} <= set(sums)


def test_uci_har_archive_becomes_the_windows_training_reads(server, tmp_path, monkeypatch):
    from core.har.data import load_split

    root, _ = server
    rng = np.random.default_rng(0)
    docs = {name: f"{name} of the tiny archive\n".encode() for name in download.UCI_HAR_DOCS}
    monkeypatch.setattr(download, "UCI_HAR_DOCS", {name: sha(data) for name, data in docs.items()})
    monkeypatch.setattr(download, "UCI_HAR_WINDOWS", {"train": 3, "test": 2})
    inner, windows = io.BytesIO(), {}
    with zipfile.ZipFile(inner, "w") as archive:
        for name, data in docs.items():
            archive.writestr(f"UCI HAR Dataset/{name}", data)
        for split, n in (("train", 3), ("test", 2)):
            windows[split] = np.round(rng.normal(size=(n, 128, 9)), 6)
            for c, channel in enumerate(download.UCI_HAR_CHANNELS):
                text = "\n".join(" ".join(f"{v:.6e}" for v in row) for row in windows[split][:, :, c])
                archive.writestr(f"UCI HAR Dataset/{split}/Inertial Signals/{channel}_{split}.txt", text + "\n")
            archive.writestr(f"UCI HAR Dataset/{split}/y_{split}.txt", "\n".join(["5", "6", "1"][:n]) + "\n")
            archive.writestr(f"UCI HAR Dataset/{split}/subject_{split}.txt", "\n".join(["1", "1", "3"][:n]) + "\n")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as archive:  # UCI's download holds the dataset's own zip
        archive.writestr("UCI HAR Dataset.zip", inner.getvalue())
        archive.writestr("UCI HAR Dataset.names", "names")
    (root / "static/public/240").mkdir(parents=True)
    (root / "static/public/240/har.zip").write_bytes(outer.getvalue())
    target = tmp_path / "uci_har"
    download.main(["uci_har", "--to", str(target)])
    train = load_split("train", target)
    np.testing.assert_allclose(train["X"], windows["train"], rtol=1e-6)
    assert list(train["y"]) == [4, 5, 0] and list(train["subject"]) == [1, 1, 3]
    assert load_split("test", target)["X"].shape == (2, 128, 9)
    assert (target / "activity_labels.txt").read_bytes() == docs["activity_labels.txt"]
    assert not (target / "uci_har.zip").exists()


def test_unknown_dataset_is_one_sentence_listing_the_known_ones(capsys):
    with pytest.raises(SystemExit) as exit_info:
        download.main(["mitbh"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "Unknown dataset 'mitbh'; the datasets this command downloads are ['apnea_ecg', 'bidmc', 'mitdb', 'nab', "
        "'respiration', 'uci_har'] (not downloadable here: ['kaggle_beats', 'running_hr'])."
    )


def test_dataset_without_downloader_says_why(capsys):
    with pytest.raises(SystemExit) as exit_info:
        download.main(["running_hr"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "'running_hr' cannot be downloaded by this command: " + download.NOT_DOWNLOADABLE["running_hr"]
    )


def test_unreachable_source_is_one_sentence(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(download, "PHYSIONET", "http://127.0.0.1:9/files")  # the discard port: refused
    with pytest.raises(SystemExit) as exit_info:
        download.main(["mitdb", "--to", str(tmp_path)])
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.startswith("error: Could not download http://127.0.0.1:9/files/mitdb/1.0.0/")


def test_default_target_is_the_data_folder(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setenv("PHYSIOSPACES_DATA", str(tmp_path))
    monkeypatch.setitem(download.DOWNLOADERS, "mitdb", lambda target: calls.append(target) or target)
    monkeypatch.setitem(download.DOWNLOADERS, "bidmc", lambda target: calls.append(target) or target)
    download.main(["mitdb"])
    download.main(["bidmc"])
    assert calls == [tmp_path / "mitdb", tmp_path / "respiration" / "bidmc"]


def test_command_line_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "training.download", "nonsense"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Unknown dataset 'nonsense'; the datasets this command downloads are ['apnea_ecg'")


def test_missing_mitdb_points_to_the_download_command(tmp_path):
    import core.ecg.data

    with pytest.raises(core.ecg.data.InputError, match=r"python -m training\.download mitdb --to "):
        core.ecg.data.mitdb_dir(tmp_path)


@needs_data("respiration", "apnea_ecg", "wfdb", "a01.qrs")
def test_apnea_ecg_preparation_gives_the_shared_tables(tmp_path):
    import pandas as pd

    shared = DATA_DIR / "respiration" / "apnea_ecg"
    download.prepare_apnea_ecg(shared / "wfdb", ["a01", "x01"], tmp_path)
    for name in ("rr_intervals.csv.gz", "apnea_minute_labels.csv"):
        ours = pd.read_csv(tmp_path / name)
        theirs = pd.read_csv(shared / name)
        theirs = theirs[theirs["record"].isin(["a01", "x01"])].reset_index(drop=True)
        pd.testing.assert_frame_equal(ours, theirs)
