"""training.download: argument handling, without the network."""

from __future__ import annotations

import subprocess
import sys

import pytest

import core.ecg.data
from core.tasks import ROOT
from training import download


def test_unknown_dataset_is_one_sentence_listing_the_known_ones(capsys):
    with pytest.raises(SystemExit) as exit_info:
        download.main(["mitbh"])
    assert exit_info.value.code == 2
    message = capsys.readouterr().err.strip()
    assert message == (
        "Unknown dataset 'mitbh'; the datasets this command downloads are ['mitdb'] (not downloadable "
        "here: ['kaggle_beats', 'nab', 'respiration', 'running_hr', 'uci_har'])."
    )


def test_dataset_without_downloader_says_why(capsys):
    with pytest.raises(SystemExit) as exit_info:
        download.main(["uci_har"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "'uci_har' cannot be downloaded by this command: " + download.NOT_DOWNLOADABLE["uci_har"]
    )


def test_downloader_gets_the_target_folder(monkeypatch, tmp_path, capsys):
    calls = []
    monkeypatch.setattr(core.ecg.data, "download_mitdb", lambda target: calls.append(target) or target)
    assert download.main(["mitdb", "--to", str(tmp_path / "mitdb")]) == tmp_path / "mitdb"
    assert calls == [tmp_path / "mitdb"]
    assert capsys.readouterr().out.strip() == f"mitdb is in {tmp_path / 'mitdb'}"


def test_default_target_is_the_data_folder(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setenv("PHYSIOSPACES_DATA", str(tmp_path))
    monkeypatch.setattr(core.ecg.data, "download_mitdb", lambda target: calls.append(target) or target)
    download.main(["mitdb"])
    assert calls == [tmp_path / "mitdb"]


def test_command_line_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "training.download", "nonsense"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Unknown dataset 'nonsense'; the datasets this command downloads are ['mitdb']")


def test_missing_mitdb_points_to_the_download_command(tmp_path):
    with pytest.raises(core.ecg.data.InputError, match=r"python -m training\.download mitdb --to "):
        core.ecg.data.mitdb_dir(tmp_path)


def test_every_downloader_exists():
    from core.tasks import import_object

    for dataset, path in download.DOWNLOADERS.items():
        assert callable(import_object(path)), dataset
