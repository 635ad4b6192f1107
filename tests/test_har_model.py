"""The HAR model's hand window features on known signals, the CNN that takes them, the MLP members over them and
the wearer calibration."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.checkpoint import load_checkpoint, save_checkpoint
from core.errors import ConfigError, InputError
from core.har.data import ACC_CHANNELS, CHANNELS, HAR_FS, WINDOW
from core.har.model import BANDS_HZ, HARClassifier, WindowFeatures, window_statistics
from core.har.predictor import MIN_REFERENCE_WINDOWS, HARPredictor
from core.predictor import load_predictor


def still_phone_with_sway(cycles: int = 5, amplitude: float = 0.2) -> torch.Tensor:
    """One UCI-order window: gravity (1 g) along y, a body sway of `amplitude` g on x (`cycles` whole periods per
    window: 5 is 1.95 Hz), no rotation."""
    t = torch.arange(WINDOW) / HAR_FS
    window = torch.zeros(1, WINDOW, len(CHANNELS))
    window[0, :, 0] = amplitude * torch.sin(2 * torch.pi * cycles / WINDOW * HAR_FS * t)
    window[0, :, 6] = window[0, :, 0]
    window[0, :, 7] = 1.0
    return window


def test_features_of_a_known_window():
    features = WindowFeatures(CHANNELS)
    values = features(still_phone_with_sway())[0]
    assert values.shape == (features.out_features,) == (236,)
    # first block: body acceleration x, y, z, magnitude; 7 statistics each (mean, std, mad, min, max, iqr, energy)
    body = values[:28].reshape(7, 4)
    assert body[0, 0] == pytest.approx(0.0, abs=1e-6)
    assert body[3, 0] == pytest.approx(-0.2, abs=1e-3) and body[4, 0] == pytest.approx(0.2, abs=1e-3)
    assert body[6, 0] == pytest.approx(0.2**2 / 2, rel=1e-3)
    assert torch.all(body[:, 1:3] == 0)
    # gravity (total - body) lies on y: angles 90, 0, 90 degrees to the x, y, z axes
    np.testing.assert_allclose(torch.rad2deg(values[-3:]).numpy(), [90, 0, 90], atol=0.1)
    # spectral block of body acceleration: the 1.95 Hz sway puts nearly all x energy in the 1.2-2.3 Hz band
    start = 6 * 28
    bands = values[start : start + 4 * (len(BANDS_HZ) - 1)].reshape(len(BANDS_HZ) - 1, 4)
    assert int(bands[:, 0].argmax()) == 1 and bands[1, 0] > bands[:, 0].sort().values[-2] + 5


def test_accelerometer_only_features_skip_the_gyroscope():
    acc_only = still_phone_with_sway()[:, :, [CHANNELS.index(c) for c in ACC_CHANNELS]]
    assert WindowFeatures(ACC_CHANNELS)(acc_only).shape == (1, 149)


def test_hand_feature_model_round_trips_and_matches_onnx(tmp_path):
    torch.manual_seed(0)
    model = HARClassifier(features="hand", width=4, members=2, fc=16).eval()
    folder = save_checkpoint(model, tmp_path / "ckpt", training_config={})
    windows = still_phone_with_sway().repeat(3, 1, 1).numpy() + np.random.default_rng(0).normal(
        0, 0.05, (3, WINDOW, 9)
    ).astype(np.float32)
    expected = model.predict_windows(windows)
    np.testing.assert_array_equal(load_checkpoint(HARClassifier, folder).predict_windows(windows), expected)
    np.testing.assert_allclose(load_predictor(HARPredictor, folder).predict_windows(windows), expected, atol=1e-5)


def test_feature_members_read_the_hand_features_and_join_the_average(tmp_path):
    torch.manual_seed(0)
    model = HARClassifier(width=4, members=1, feature_members=1, fc=16).eval()
    windows = still_phone_with_sway().repeat(3, 1, 1) + 0.05 * torch.randn(3, WINDOW, len(CHANNELS))
    with torch.no_grad():
        x = (windows - model.mean) / model.std
        hand = model.feature_norm(model.features(windows))
        cnn = model.members[0](x, window_statistics(x)).log_softmax(dim=1)
        mlp = model.feature_members[0].head(hand).log_softmax(dim=1)
        torch.testing.assert_close(model(windows), (cnn + mlp) / 2)
        # the MLP member has no encoder: its logits depend on the hand features only
        assert model.feature_members[0].encoder is None
        torch.testing.assert_close(
            model.feature_members[0](torch.zeros_like(x), hand), model.feature_members[0].head(hand)
        )
    model.train()
    assert model(windows).shape == (3, 2, 6)  # one prediction per member in training, so each learns alone
    folder = save_checkpoint(model.eval(), tmp_path / "ckpt", training_config={})
    np.testing.assert_allclose(
        load_predictor(HARPredictor, folder).predict_windows(windows.numpy()),
        model.predict_windows(windows.numpy()),
        atol=1e-5,
    )


def test_unknown_feature_set_lists_the_accepted_ones():
    with pytest.raises(ConfigError, match=r"Unknown HAR feature set 'fft'; accepted are \['stats', 'hand'\]"):
        HARClassifier(features="fft")


def test_calibrated_model_serves_feature_offsets_and_calibrates_per_wearer(tmp_path):
    torch.manual_seed(0)
    model = HARClassifier(width=4, members=1, feature_members=1, fc=16, calibrated=True).eval()
    model.population_reference.copy_(torch.linspace(-1, 1, model.features.out_features))
    folder = save_checkpoint(model, tmp_path / "ckpt", training_config={})
    served = load_predictor(HARPredictor, folder)
    assert [i.name for i in served._onnx_session.get_inputs()] == ["windows", "reference"]
    assert [o.name for o in served._onnx_session.get_outputs()] == ["logits", "features"]
    windows = (still_phone_with_sway().repeat(6, 1, 1) + 0.05 * torch.randn(6, WINDOW, len(CHANNELS))).numpy()
    reference = np.zeros((6, model.features.out_features), dtype=np.float32)
    logits, offsets = served.infer_all(windows, reference)
    with torch.no_grad():
        np.testing.assert_allclose(
            offsets, (model.features(torch.from_numpy(windows)) - model.population_reference).numpy(), atol=1e-4
        )
    np.testing.assert_allclose(logits, model.infer(windows, reference), atol=1e-5)
    with torch.no_grad():  # no reference: the population's
        torch.testing.assert_close(
            model(torch.from_numpy(windows)), model(torch.from_numpy(windows), torch.from_numpy(reference))
        )
    # two wearers are calibrated apart: the same as predicting each one's windows alone
    wearers = np.array([0, 0, 0, 1, 1, 1])
    together = served.predict_windows(windows, wearers=wearers)
    np.testing.assert_allclose(together[:3], served.predict_windows(windows[:3]), atol=1e-6)
    np.testing.assert_allclose(together, model.predict_windows(windows, wearers=wearers), atol=1e-5)
    with pytest.raises(InputError, match=r"wearers must hold one id per window \(6\), got shape \(2,\)"):
        served.predict_windows(windows, wearers=np.array([0, 1]))


def test_wearer_reference_is_the_mean_offset_of_enough_walking_windows():
    offsets = np.arange(40, dtype=np.float32).reshape(20, 2)
    logits = np.zeros((20, 6), dtype=np.float32)
    logits[:, 3] = 1.0  # sitting
    for row, walking_class in zip(range(MIN_REFERENCE_WINDOWS), [0, 1, 2] * MIN_REFERENCE_WINDOWS):
        logits[row, walking_class] = 5.0
    reference, walking = HARPredictor.wearer_reference(logits, offsets)
    np.testing.assert_array_equal(reference, offsets[:MIN_REFERENCE_WINDOWS].mean(axis=0))
    assert walking == MIN_REFERENCE_WINDOWS
    logits[0, :3] = 0.0  # one walking window fewer than needed: no reference, the first pass stands
    assert HARPredictor.wearer_reference(logits, offsets) == (None, MIN_REFERENCE_WINDOWS - 1)
