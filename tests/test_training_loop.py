"""The shared training loop (training/loop.py): the cosine schedule and which weights fit keeps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from training.ecg import ECGTrainConfig
from training.loop import fit, tensors


def test_cosine_schedule_decays_the_rate_to_zero_by_the_last_epoch():
    from core.ecg.model import ECGClassifier

    rng = np.random.default_rng(0)
    data = tensors(rng.random((64, 187)), rng.random((64, 5)), rng.integers(0, 5, 64))
    config = ECGTrainConfig(epochs=4, batch_size=16, lr=1e-2, schedule="cosine", patience=0, threads=1)
    history = fit(
        ECGClassifier(width=4, stages=2, stem_stride=2),
        data,
        data,
        config,
        loss_fn=torch.nn.CrossEntropyLoss(),
        score_fn=lambda out: 0.0,
    )
    rates = [row["lr"] for row in history]
    assert rates[0] == pytest.approx(1e-2 * (1 + np.cos(np.pi / 4)) / 2)
    assert rates[-1] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(("keep_last", "kept_epoch"), [(False, 0), (True, 2)])
def test_fit_restores_the_best_state_or_keeps_the_last(keep_last, kept_epoch):
    from core.ecg.model import ECGClassifier

    rng = np.random.default_rng(0)
    data = tensors(rng.random((64, 187)), rng.random((64, 5)), rng.integers(0, 5, 64))
    outputs = []

    def falling_score(out: np.ndarray) -> float:  # the first epoch scores best
        outputs.append(out)
        return -len(outputs)

    torch.manual_seed(0)
    model = ECGClassifier(width=4, stages=2, stem_stride=2)
    config = ECGTrainConfig(epochs=3, batch_size=16, lr=1e-2, patience=0, threads=1)
    fit(model, data, data, config, loss_fn=torch.nn.CrossEntropyLoss(), score_fn=falling_score, keep_last=keep_last)
    with torch.inference_mode():
        final = model(*data.tensors[:2]).numpy()
    np.testing.assert_allclose(final, outputs[kept_epoch], atol=1e-6)
    assert not np.allclose(outputs[0], outputs[2])
