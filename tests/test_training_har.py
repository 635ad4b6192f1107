"""HAR training: rotation augmentation, rotated wearers, the refit option, cross-validation by subject and wearer
references."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from core.errors import ConfigError
from core.har.data import CHANNELS, WINDOW
from tests.conftest import needs_data
from training.har import (
    HARTrainConfig,
    candidates,
    make_augment,
    random_rotations,
    rotated_wearers,
    subject_folds,
    wearer_references,
)


def test_rotations_are_orthonormal_within_the_angle():
    torch.manual_seed(0)
    rotations = random_rotations(100, 10.0)
    np.testing.assert_allclose(
        (rotations @ rotations.transpose(1, 2)).numpy(), np.broadcast_to(np.eye(3), (100, 3, 3)), atol=1e-5
    )
    angles = torch.rad2deg(torch.acos(((rotations.diagonal(dim1=1, dim2=2).sum(1) - 1) / 2).clamp(-1, 1)))
    assert angles.max() <= 10.0 + 1e-3 and angles.max() > 8


def test_augmentation_turns_every_sensor_by_one_rotation():
    torch.manual_seed(0)
    windows = torch.randn(8, WINDOW, len(CHANNELS))
    turned, _ = make_augment(0.0, 20.0)([windows, torch.zeros(8)])
    norms = lambda x: x.unflatten(2, (3, 3)).norm(dim=3)  # noqa: E731
    torch.testing.assert_close(norms(turned), norms(windows))
    assert not torch.allclose(turned, windows)
    # without rotation, a gain within [0.9, 1.1] scales the whole window
    scaled, _ = make_augment(0.1, 0.0)([windows, torch.zeros(8)])
    ratio = scaled / windows
    assert torch.allclose(ratio, ratio[:, :1, :1], atol=1e-5) and ratio.min() >= 0.9 and ratio.max() <= 1.1


def test_rotated_wearers_turn_all_of_a_subjects_windows_by_one_rotation():
    rng = np.random.default_rng(0)
    split = {
        "X": rng.normal(size=(6, WINDOW, len(CHANNELS))).astype(np.float32),
        "y": np.arange(6),
        "subject": np.array([1, 1, 1, 2, 2, 2]),
    }
    out = rotated_wearers(split, 2, 20.0, seed=0)
    np.testing.assert_array_equal(
        out["subject"], [1, 1, 1, 2, 2, 2, 1001, 1001, 1001, 1002, 1002, 1002, 2001, 2001, 2001, 2002, 2002, 2002]
    )
    np.testing.assert_array_equal(out["y"], np.tile(split["y"], 3))
    np.testing.assert_array_equal(out["X"][:6], split["X"])
    turned = out["X"][6:12].reshape(6, WINDOW, 3, 3)
    original = split["X"].reshape(6, WINDOW, 3, 3)
    np.testing.assert_allclose(np.linalg.norm(turned, axis=3), np.linalg.norm(original, axis=3), rtol=1e-5)
    # one rotation per subject: the rotation solved from one window's samples turns the subject's other windows too
    rotation = np.linalg.lstsq(original[0].reshape(-1, 3), turned[0].reshape(-1, 3), rcond=None)[0]
    np.testing.assert_allclose(original[1:3].reshape(-1, 3) @ rotation, turned[1:3].reshape(-1, 3), atol=1e-4)
    assert not np.allclose(original[3].reshape(-1, 3) @ rotation, turned[3].reshape(-1, 3), atol=1e-2)
    assert 0 < np.degrees(np.arccos((np.trace(rotation) - 1) / 2)) <= 20.0 + 1e-3


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"wearer_copies": -1}, r"wearer_copies=-1 must not be negative"),
        ({"wearer_rotation": 0.0}, r"wearer_rotation=0.0 must be an angle in degrees"),
    ],
)
def test_wearer_copies_need_a_count_and_an_angle(fields, message):
    with pytest.raises(ConfigError, match=message):
        HARTrainConfig(**fields)


def test_refit_needs_the_cosine_schedule():
    with pytest.raises(ConfigError, match=r"refit=True needs schedule='cosine' \(got 'plateau'\)"):
        HARTrainConfig(refit=True)
    assert HARTrainConfig(refit=True, schedule="cosine").refit


@needs_data("uci_har", "har_train.npz")
def test_refit_retrains_on_all_training_subjects_and_says_so(tmp_path):
    from training.har import main

    out = main(
        [
            "--limit",
            "300",
            "--epochs",
            "2",
            "--width",
            "4",
            "--members",
            "1",
            "--fc",
            "16",
            "--refit",
            "--schedule",
            "cosine",
            "--threads",
            "1",
            "--out",
            str(tmp_path / "har"),
        ]
    )
    metrics = json.loads((out / "metrics.json").read_text())
    history = [float(row.split(",")[3]) for row in (out / "report" / "history.csv").read_text().splitlines()[1:]]
    assert metrics["refit_epochs"] == 1 + int(np.argmax(history))
    assert "then retrained on all 21 for that many epochs" in metrics["protocol_text"]
    assert metrics["test"]["n"] == 2947 and "--refit" in (out / "README.md").read_text()


def test_subject_folds_hold_every_subject_out_exactly_once():
    subjects = np.repeat([1, 3, 5, 6, 7, 8, 11], 4)
    folds = subject_folds(subjects, 3)
    assert [np.unique(subjects[held]).tolist() for held in folds] == [[1, 6, 11], [3, 7], [5, 8]]
    np.testing.assert_array_equal(np.sum(folds, axis=0), np.ones(len(subjects)))


@pytest.mark.parametrize(
    "fields", [{"folds": 1, "schedule": "cosine"}, {"folds": 5}, {"folds": 5, "schedule": "cosine", "refit": True}]
)
def test_folds_need_two_folds_a_cosine_schedule_and_no_refit(fields):
    with pytest.raises(
        ConfigError, match=rf"Config field folds={fields['folds']} needs at least 2 folds, schedule='cosine'"
    ):
        HARTrainConfig(**fields)


@needs_data("uci_har", "har_train.npz")
def test_folds_select_out_of_fold_and_train_on_all_subjects(tmp_path):
    from training.har import main

    out = main(
        [
            "--limit",
            "400",
            "--epochs",
            "1",
            "--width",
            "4",
            "--members",
            "1",
            "--feature-members",
            "1",
            "--fc",
            "16",
            "--folds",
            "3",
            "--schedule",
            "cosine",
            "--threads",
            "1",
            "--out",
            str(tmp_path / "har"),
        ]
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["validation"]["part"] == "out of fold, 3 folds by subject"
    assert 0 < metrics["validation"]["accuracy"] <= 1 and metrics["experiments"][0]["feature_members"] == 1
    assert metrics["protocol_text"].startswith(
        "UCI HAR official subject-wise split: the model chosen by 3-fold cross-validation"
    )
    assert metrics["test"]["n"] == 2947 and "--folds 3" in (out / "README.md").read_text()


def test_reference_dropout_zeroes_a_share_of_the_wearer_references():
    torch.manual_seed(0)
    windows, references = torch.randn(400, WINDOW, len(CHANNELS)), torch.ones(400, 5)
    _, kept, _ = make_augment(0.0, 0.0, reference_dropout=0.25)([windows, references, torch.zeros(400)])
    dropped = (kept == 0).all(dim=1)
    assert torch.all((kept == 1).all(dim=1) | dropped) and 0.18 < dropped.float().mean() < 0.32


def test_wearer_references_are_walking_means_offset_from_the_population():
    class FirstSample(torch.nn.Module):
        def forward(self, windows):
            return windows[:, 0, :2]

    subject = np.repeat([1, 2], [12, 6])
    y = np.array([0] * 5 + [2] * 5 + [3, 4] + [1] * 3 + [5] * 3)  # subject 2 walks in 3 windows only
    windows = np.zeros((18, WINDOW, 2), dtype=np.float32)
    windows[:, 0] = np.arange(36).reshape(18, 2)
    references, population = wearer_references(FirstSample(), {"subject": subject, "y": y}, windows)
    walking = np.isin(y, [0, 1, 2])
    np.testing.assert_allclose(population, windows[walking, 0].mean(axis=0))
    np.testing.assert_allclose(references[:12], np.broadcast_to(windows[:10, 0].mean(axis=0) - population, (12, 2)))
    np.testing.assert_array_equal(references[12:], 0.0)  # fewer walking windows than MIN_REFERENCE_WINDOWS


def test_compare_adds_the_uncalibrated_ensemble_and_the_seed_baselines():
    config = HARTrainConfig(members=2, feature_members=2, calibrated=True, compare=True, epochs=20, baseline_epochs=8)
    grid = candidates(config)
    assert grid[0] is config and len(grid) == 7
    assert (grid[1].calibrated, grid[1].members, grid[1].feature_members, grid[1].epochs) == (False, 2, 2, 20)
    seed_lstm = grid[3]
    assert (seed_lstm.arch, seed_lstm.hidden, seed_lstm.layers, seed_lstm.calibrated, seed_lstm.epochs) == (
        "lstm",
        64,
        2,
        False,
        8,
    )
    assert candidates(HARTrainConfig(compare=True, wearer_copies=2))[3].wearer_copies == 0  # the seed's data
    assert candidates(HARTrainConfig()) == [HARTrainConfig()]
