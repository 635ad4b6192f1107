"""The VAE-LSTM and the apnea CNN: shapes, two-phase training that lowers the loss, and scores that find a planted anomaly."""
import numpy as np
import pytest
import torch

from core.errors import ConfigError, SignalTooShortError
from core.respiration.model import ApneaNet, VAELSTM
from core.respiration.pipeline import vae_lstm_scores
from training.respiration import RespirationTrainConfig, sequences, train_vae_lstm


def test_vae_lstm_shapes():
    model = VAELSTM(window=16, seq_len=4, code_size=3, hidden=8, width=16)
    windows = torch.randn(5, 4, 16)
    assert model(windows).shape == (5, 4, 16)
    mu, logvar = model.encode(windows)
    assert mu.shape == logvar.shape == (5, 4, 3)
    assert model.predict_codes(mu).shape == (5, 4, 3)


def test_vae_lstm_rejects_bad_config():
    with pytest.raises(ConfigError, match="seq_len=1"):
        VAELSTM(seq_len=1)
    with pytest.raises(ConfigError, match="purpose"):
        VAELSTM(purpose="ecg")


def test_apnea_net_gives_one_logit_per_window():
    model = ApneaNet(length=600, width=4)
    assert model(0.9 + 0.05 * torch.randn(7, 600)).shape == (7,)


def test_two_phase_training_lowers_loss_and_scores_a_planted_anomaly():
    torch.manual_seed(0)
    t = np.arange(1600)
    x = np.sin(2 * np.pi * t / 16).astype(np.float32)
    config = RespirationTrainConfig(window=16, seq_len=4, code_size=4, hidden=16, width=32, epochs=6, batch_size=64,
                                    lr=1e-2, patience=0, threads=1)
    model, vae_history, lstm_history = train_vae_lstm(config, sequences(x[:1200], 16, 4, 4), sequences(x[1200:], 16, 4, 4),
                                                      purpose="series")
    assert vae_history[-1]["val_loss"] < vae_history[0]["val_loss"]
    assert lstm_history[-1]["val_loss"] < 0.9 * lstm_history[0]["val_loss"]
    test = x[1200:].copy()
    test[200:216] = 0.0  # one flat cycle where a sine is expected
    score = vae_lstm_scores(model, test)
    assert 184 <= int(np.argmax(score)) <= 280  # the flat cycle, or the next one predicted from it
    assert score[200:216].mean() > 3 * np.median(score)


def test_too_short_series_for_the_vae_lstm():
    with pytest.raises(SignalTooShortError, match="at least 64"):
        vae_lstm_scores(VAELSTM(window=16, seq_len=4), np.zeros(50))


def test_sequences_longer_than_the_part_name_the_fields():
    assert sequences(np.arange(40.0), 8, 3, 4).shape == (5, 3, 8)
    with pytest.raises(ConfigError, match="window=96 x seq_len=8"):
        sequences(np.zeros(403), 96, 8, 4)
