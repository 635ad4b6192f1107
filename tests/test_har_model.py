"""The HAR model's hand window features on known signals, the CNN that takes them and the MLP members over them."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core.checkpoint import load_checkpoint, save_checkpoint
from core.errors import ConfigError
from core.har.data import ACC_CHANNELS, CHANNELS, HAR_FS, WINDOW
from core.har.model import BANDS_HZ, HARClassifier, WindowFeatures, window_statistics
from core.har.predictor import HARPredictor
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
    windows = still_phone_with_sway().repeat(3, 1, 1).numpy() + np.random.default_rng(0).normal(0, 0.05, (3, WINDOW, 9)).astype(np.float32)
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
        torch.testing.assert_close(model.feature_members[0](torch.zeros_like(x), hand), model.feature_members[0].head(hand))
    model.train()
    assert model(windows).shape == (3, 2, 6)  # one prediction per member in training, so each learns alone
    folder = save_checkpoint(model.eval(), tmp_path / "ckpt", training_config={})
    np.testing.assert_allclose(load_predictor(HARPredictor, folder).predict_windows(windows.numpy()),
                               model.predict_windows(windows.numpy()), atol=1e-5)


def test_unknown_feature_set_lists_the_accepted_ones():
    with pytest.raises(ConfigError, match=r"Unknown HAR feature set 'fft'; accepted are \['stats', 'hand'\]"):
        HARClassifier(features="fft")
