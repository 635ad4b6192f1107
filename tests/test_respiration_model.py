"""The VAE-LSTM and the apnea CNN: shapes, two-phase training that lowers the loss, and scores that find a planted
anomaly."""

import numpy as np
import pytest
import torch

from core.errors import ConfigError, SignalTooShortError
from core.respiration.model import VAELSTM, ApneaNet
from training.respiration import RespirationTrainConfig
from training.respiration_vae import sequences, train_vae_lstm


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


def test_apnea_ensemble_outputs_the_logit_of_its_members_mean_probability():
    torch.manual_seed(0)
    ensemble = ApneaNet(length=600, width=4, members=3).eval()
    rr = 0.9 + 0.05 * torch.randn(6, 600)
    with torch.inference_mode():
        members = torch.stack([torch.sigmoid(ensemble.member(i).eval()(rr)) for i in range(3)])
        assert torch.allclose(torch.sigmoid(ensemble(rr)), members.mean(0), atol=1e-6)
        assert not torch.allclose(members[0], members[1])  # members are distinct networks
        assert ensemble(1e3 * rr).isfinite().all()  # saturated members give a finite logit


def test_apnea_ensemble_member_round_trip_and_one_model_names():
    torch.manual_seed(0)
    single, ensemble = ApneaNet(width=4), ApneaNet(width=4, members=2)
    assert set(single.state_dict()) < set(ensemble.state_dict())  # one-model checkpoints keep their parameter names
    ensemble.set_member(1, single)
    rr = 0.9 + 0.05 * torch.randn(4, 600)
    with torch.inference_mode():
        assert torch.equal(ensemble.member(1).eval()(rr), single.eval()(rr))
    with pytest.raises(ConfigError, match="members=0"):
        ApneaNet(members=0)


def test_apnea_night_members_see_rr_divided_by_the_night_median():
    torch.manual_seed(0)
    ensemble = ApneaNet(length=600, width=4, members=2, night_members=1).eval()
    assert ensemble.input_names == ("rr", "night_rr") and ApneaNet(width=4).input_names == ("rr",)
    rr, night = 0.9 + 0.05 * torch.randn(5, 600), torch.full((5,), 1.2)
    plain, relative = ensemble.member(0).eval(), ensemble.member(1).eval()
    assert plain.night_members == 0 and relative.night_members == 1
    with torch.inference_mode():
        single = ApneaNet(length=600, width=4)
        single.load_state_dict(relative.state_dict())
        assert torch.allclose(relative(rr, night), single.eval()(rr / 1.2), atol=1e-6)
        mean = (torch.sigmoid(plain(rr)) + torch.sigmoid(relative(rr, night))) / 2
        assert torch.allclose(torch.sigmoid(ensemble(rr, night)), mean, atol=1e-6)
    with pytest.raises(ConfigError, match="night_members=3"):
        ApneaNet(members=2, night_members=3)


def test_apnea_context_must_be_an_odd_number_of_minutes():
    with pytest.raises(ConfigError, match="context=4"):
        RespirationTrainConfig(variant="apnea", context=4).validate()
    RespirationTrainConfig(variant="apnea", context=9).validate()
    with pytest.raises(ConfigError, match="views='both' needs --folds"):
        RespirationTrainConfig(variant="apnea", views="both").validate()


def test_apnea_folds_keep_the_validation_records_together_and_cover_each_record_once():
    from core.respiration.data import APNEA_VAL_RECORDS
    from training.respiration_apnea import apnea_folds

    names = [f"a{i:02d}" for i in range(1, 21)] + ["b01", "b02", "c01", "c05", "c06"]
    folds = apnea_folds(names, 4)
    assert folds[0] == [n for n in names if n in APNEA_VAL_RECORDS]
    assert sorted(sum(folds, [])) == sorted(names) and [len(f) for f in folds] == [5, 7, 7, 6]
    with pytest.raises(ConfigError, match="folds=1"):
        RespirationTrainConfig(variant="apnea", folds=1)


def test_rr_scaling_multiplies_each_window_by_one_factor():
    from training.respiration_apnea import rr_scaling

    assert rr_scaling(0.0) is None
    torch.manual_seed(0)
    rr, labels = 0.8 + 0.1 * torch.rand(64, 600), torch.ones(64)
    scaled, same_labels = rr_scaling(0.1)([rr, labels])
    ratio = scaled / rr
    assert torch.allclose(ratio, ratio[:, :1].expand_as(ratio), rtol=1e-5) and torch.equal(same_labels, labels)
    assert 0.05 < float(ratio[:, 0].log().std()) < 0.15


def test_grid_axes_are_parsed_apart_from_the_config_fields():
    from training.respiration import parse_grid

    axes, rest = parse_grid(["--variant", "series", "--grid", "code_size=6,8", "hidden=64", "--epochs", "8"])
    assert axes == {"code_size": [6, 8], "hidden": [64]} and rest == ["--variant", "series", "--epochs", "8"]
    assert parse_grid(["--epochs", "8"]) == ({}, ["--epochs", "8"])
    with pytest.raises(SystemExit):
        parse_grid(["--grid", "dropout=0.1"])


def test_two_phase_training_lowers_loss_and_scores_a_planted_anomaly():
    torch.manual_seed(0)
    t = np.arange(1600)
    x = np.sin(2 * np.pi * t / 16).astype(np.float32)
    config = RespirationTrainConfig(
        window=16, seq_len=4, code_size=4, hidden=16, width=32, epochs=6, batch_size=64, lr=1e-2, patience=0, threads=1
    )
    model, vae_history, lstm_history = train_vae_lstm(
        config, sequences(x[:1200], 16, 4, 4), sequences(x[1200:], 16, 4, 4), purpose="series"
    )
    assert vae_history[-1]["val_loss"] < vae_history[0]["val_loss"]
    assert lstm_history[-1]["val_loss"] < 0.9 * lstm_history[0]["val_loss"]
    test = x[1200:].copy()
    test[200:216] = 0.0  # one flat cycle where a sine is expected
    score = model.anomaly_scores(test)
    assert 184 <= int(np.argmax(score)) <= 280  # the flat cycle, or the next one predicted from it
    assert score[200:216].mean() > 3 * np.median(score)


def test_too_short_series_for_the_vae_lstm():
    with pytest.raises(SignalTooShortError, match="at least 64"):
        VAELSTM(window=16, seq_len=4).anomaly_scores(np.zeros(50))


def test_sequences_longer_than_the_part_name_the_fields():
    assert sequences(np.arange(40.0), 8, 3, 4).shape == (5, 3, 8)
    with pytest.raises(ConfigError, match="window=96 x seq_len=8"):
        sequences(np.zeros(403), 96, 8, 4)


def test_nab_validation_scores_never_see_the_test_part():
    """The threshold's scores come from the anomaly-free beginning alone: the test part may change at will."""
    from core.respiration.data import NABSeries
    from training.respiration_nab import validation_scores

    torch.manual_seed(0)
    model = VAELSTM(window=8, seq_len=3, code_size=2, hidden=4, width=8, smooth=12).eval()
    labels = np.zeros(200, dtype=bool)
    labels[150:170] = True  # the beginning ends at 150: 120 points train, 30 validate
    values = np.sin(np.arange(200) / 5.0)
    series = lambda v: NABSeries("s", None, v, labels, [])  # noqa: E731
    spiked = values.copy()
    spiked[150:] += 50.0
    clean = validation_scores(model, series(values))
    assert clean.shape == (30,)
    np.testing.assert_array_equal(validation_scores(model, series(spiked)), clean)
