"""Heart-rate model: the first-order response, masked loss on padding, chunking of long runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.errors import ConfigError, InputError
from core.hr.features import hr_features
from core.hr.model import HRModel
from core.hr.pipeline import Run
from training.hr import chunk_runs, masked_mse


def test_first_order_response_to_a_step_matches_the_closed_form():
    model = HRModel(arch="physio", hidden=4, layers=1, kernel_steps=200, tau_s=30.0, grid_s=5.0)
    with torch.no_grad():
        model.rest.fill_(-1.0)
        response = model.first_order(torch.full((1, 100), 2.0))[0].numpy()
    alpha = np.exp(-5.0 / 30.0)
    steps = np.arange(100)
    np.testing.assert_allclose(response, -1.0 + 3.0 * (1 - alpha ** (steps + 1)), atol=1e-5)


def test_prediction_at_a_step_ignores_later_padding():
    model = HRModel(arch="physio", hidden=8, layers=2, kernel_steps=16).eval()
    features = torch.rand(1, 30, 14) * 10
    padded = torch.cat([features, torch.full((1, 20, 14), 99.0)], dim=1)
    with torch.no_grad():
        np.testing.assert_allclose(model(features)[0].numpy(), model(padded)[0, :30].numpy(), atol=1e-5)


def test_masked_loss_ignores_padding_values_and_their_gradient():
    target = torch.tensor([[150.0, 160.0, 0.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    output = torch.tensor([[140.0, 170.0, 500.0, -80.0]], requires_grad=True)
    loss = masked_mse(output, target, mask)
    assert loss.item() == pytest.approx((10**2 + 10**2) / 2 / 100)
    loss.backward()
    assert output.grad[0, 2:].tolist() == [0.0, 0.0] and output.grad[0, 0].item() == pytest.approx(-2 * 10 / 2 / 100)


def test_long_runs_are_chunked_so_every_step_is_scored_once():
    n = 1000
    hr = np.full(n, 150.0)
    hr[10] = np.nan
    run = Run(
        name="r",
        time_s=np.arange(n) * 5.0,
        speed_kmh=np.full(n, 10.0),
        altitude_m=np.zeros(n),
        heart_rate=hr,
        features=hr_features(np.full(n, 10.0), np.zeros(n)),
    )
    features, targets, masks = chunk_runs([run], chunk_steps=720, warmup_steps=120)
    assert features.shape == (2, 720, 14) and targets.shape == masks.shape == (2, 720)
    assert masks[0].sum() == 719 and masks[1, :120].sum() == 0 and masks[1].sum() == 400 - 120
    assert masks.sum() == n - 1
    assert masks[1, 400:].sum() == 0 and targets[1, 400:].tolist() == [0.0] * 320


def test_unknown_architecture_and_bad_features_are_refused():
    with pytest.raises(ConfigError, match="accepted are"):
        HRModel(arch="transformer")
    model = HRModel(hidden=4, layers=1, kernel_steps=8)
    with pytest.raises(InputError, match=r"shape \(time, 14\)"):
        model.predict_run(np.zeros((10, 3)))
    assert model.predict_run(np.ones((25, 14))).shape == (25,)
