"""The ECG anomaly task: beat scores, reference labels of detected beats, the pipeline on a real strip, the
training loop of each method, detection metrics and the plots."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from core.ecg.beats import BEAT_LENGTH
from core.ecg_anomaly.data import label_detected
from core.ecg_anomaly.model import BeatAutoencoder
from core.ecg_anomaly.pipeline import predict
from core.ecg_anomaly.predictor import METHODS, dominant_distance
from core.ecg_anomaly.render import beats_frame, most_anomalous, plot_beat, plot_scores
from core.errors import ConfigError, InputError
from core.readers import read_signal
from core.readers.beat_rows import read_beat_rows
from tests.conftest import FIXTURES, needs_data
from training.ecg_anomaly import AnomalyTrainConfig, best_f1_threshold, detection_metrics, fit_beats


def tiny(method: str = "ae", **options) -> BeatAutoencoder:
    torch.manual_seed(0)
    return BeatAutoencoder(method=method, **BeatAutoencoder.tiny_params, **options).eval()


def test_beat_scores_on_the_training_scale_and_per_record():
    model = tiny(error_scale=[0.1, 0.5, 1.0], rr_weight=1.0, dominant_weight=0.0)
    errors = np.array([[0.1, 0.5], [0.2, 0.5], [0.1, 2.0], [0.4, 1.0]])
    inputs = np.tile(np.sin(np.linspace(0, 6, 64 + BEAT_LENGTH)), (4, 1))
    np.testing.assert_allclose(model.beat_scores(errors, inputs), [1.0, 1.5, 2.5, 3.0])
    model.per_record = True  # medians 0.15 and 0.75 are over half the training scale, so they set it
    np.testing.assert_allclose(
        model.beat_scores(errors, inputs),
        [(2 / 3 + 2 / 3) / 2, (4 / 3 + 2 / 3) / 2, (2 / 3 + 8 / 3) / 2, (8 / 3 + 4 / 3) / 2],
    )
    model.rr_weight = 0.0
    np.testing.assert_allclose(model.beat_scores(errors, inputs)[:2], [1 / 1.5, 4 / 3])


def test_an_inverted_beat_is_far_from_the_records_dominant_beat():
    inputs = np.tile(np.sin(np.linspace(0, 6, 64 + BEAT_LENGTH)), (4, 1))
    inputs[3] *= -1
    np.testing.assert_allclose(dominant_distance(inputs, 64), [0.0, 0.0, 0.0, 2.0], atol=1e-9)
    model = tiny(error_scale=[0.1, 0.5, 0.5], rr_weight=1.0, dominant_weight=2.0)
    errors = np.array([[0.1, 0.5]] * 4)
    np.testing.assert_allclose(model.beat_scores(errors, inputs), [0.5, 0.5, 0.5, (1 + 1 + 2 * 4) / 4])


def test_unknown_method_and_bad_beats_are_one_sentence():
    with pytest.raises(ConfigError, match=r"Unknown anomaly method 'gan'; accepted methods are \['vae', 'ae'"):
        BeatAutoencoder(method="gan")
    with pytest.raises(InputError, match=r"Beats must be \(n, 187\)"):
        tiny().reconstruct(np.zeros((3, 100)), np.ones((3, 5)), np.zeros((3, 4)))
    bad = np.zeros((2, BEAT_LENGTH))
    bad[0, 3] = np.nan
    with pytest.raises(InputError, match="NaN"):
        tiny().reconstruct(bad, np.ones((2, 5)), np.zeros((2, 64)))


@pytest.mark.parametrize("method", METHODS)
def test_outputs_and_reconstruction_in_input_units(method):
    model = tiny(method)
    beats, rr, context = (x.numpy() for x in model.example_inputs(6))
    errors, reconstruction, code = model.reconstruct(beats, rr, context)
    assert errors.shape == (6, 2) and (errors >= 0).all()
    assert reconstruction.shape == (6, 64 + BEAT_LENGTH) and code.shape == (6, 4)
    x = (np.concatenate([context, beats], axis=1) - model.signal_mean.item()) / model.signal_std.item()
    r_hat = (reconstruction - model.signal_mean.item()) / model.signal_std.item()
    np.testing.assert_allclose(errors[:, 0], ((r_hat - x) ** 2).mean(axis=1), rtol=1e-4)


def test_detected_beats_take_the_nearest_reference_class_within_150_ms():
    reference = np.array([100, 400, 700, 1000])
    labels = np.array([0, 2, 0, 1])
    detected = np.array([90, 420, 560, 1040, 1300])
    np.testing.assert_array_equal(label_detected(detected, reference, labels, 360.0), [0, 2, -1, 1, -1])


def test_detection_metrics_and_the_best_f1_threshold():
    labels = np.array([0, 0, 0, 0, 1, 2, 3, -1])
    scores = np.array([0.1, 0.2, 0.3, 0.9, 0.8, 0.95, 0.25, 5.0])
    assert best_f1_threshold(labels[:7] > 0, scores[:7]) == pytest.approx(0.25)
    metrics = detection_metrics(labels, scores, 0.5)
    assert metrics["n"] == 7 and metrics["abnormal"] == 3  # the unmatched detection (-1) is left out
    assert metrics["recall"] == pytest.approx(2 / 3) and metrics["precision"] == pytest.approx(2 / 3)
    assert metrics["specificity"] == pytest.approx(0.75)
    assert metrics["auroc"] == pytest.approx(9 / 12)
    assert metrics["detection_rate"] == {"N": 0.25, "S": 1.0, "V": 1.0, "F": 0.0}
    assert metrics["phi"] == pytest.approx((2 * 3 - 1 * 1) / np.sqrt(3 * 3 * 4 * 4))


@pytest.mark.parametrize("method", METHODS)
def test_each_method_learns_normal_beats(method):
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 64 + BEAT_LENGTH)
    shape = np.exp(-((t - 0.3) ** 2) / 0.001)

    def beats(n):
        signal = shape * rng.uniform(0.8, 1.2, (n, 1)) + 0.02 * rng.normal(size=(n, len(t)))
        rr = np.tile([1.0, 1.0, 0.8, 0.8, 1.0], (n, 1)) * rng.uniform(0.95, 1.05, (n, 1))
        return {"beats": signal[:, 64:], "context": signal[:, :64], "rr": rr}

    train, val = ({k: v.astype(np.float32) for k, v in beats(n).items()} for n in (512, 128))
    config = AnomalyTrainConfig(variant=method, epochs=10, batch_size=32, patience=0, lr=3e-3)
    model = BeatAutoencoder(method=method, latent=4, width=4, signal_std=float(shape.std()))
    history = fit_beats(model, train, val, config)
    assert history[-1]["val_recon"] < 0.7 * history[0]["val_recon"]
    assert history[-1]["train_recon"] < history[0]["train_recon"]


def test_pipeline_scores_every_beat_of_a_real_strip():
    recording = read_signal(FIXTURES / "mitdb100_10s.hea")
    result = predict(tiny(error_scale=[1.0, 1.0, 1.0], threshold=1.5), recording)
    n = len(result.scores)
    assert 10 <= n <= 14  # record 100 runs at about 75 beats per minute
    assert result.inputs.shape == result.reconstructions.shape == (n, 64 + BEAT_LENGTH)
    payload = result.to_json()
    assert payload["task"] == "ecg_anomaly" and len(payload["beats"]) == n and payload["threshold"] == 1.5
    assert payload["anomalous"] == int((result.scores > 1.5).sum())
    json.dumps(payload, allow_nan=False)
    assert result.summary().startswith(f"{n} beats in lead MLII: {payload['anomalous']} above")
    table = beats_frame(result)
    assert list(table["beat"]) == list(range(1, n + 1)) and table["anomalous"].sum() == payload["anomalous"]
    figure = plot_scores(result)
    assert figure.layout.shapes[0].y0 == 1.5  # the threshold line
    assert sum(len(trace.x) for trace in figure.data[1:]) == 2 * n  # every beat on the strip and on the score track
    beat = most_anomalous(result)
    assert result.scores[beat - 1] == result.scores.max()
    assert f"Beat {beat} at" in plot_beat(result, beat).layout.title.text


def test_beat_rows_are_refused_in_one_sentence():
    with pytest.raises(InputError, match="pre-cut beat rows; anomaly scores need the ECG signal itself"):
        predict(tiny(), read_beat_rows(FIXTURES / "kaggle_beats.csv"))


@needs_data("mitdb")
@pytest.mark.parametrize("method", METHODS)
def test_shipped_figures_are_those_of_the_served_graph(method):
    from core import load_model
    from core.ecg_anomaly.data import anomaly_beats
    from training.ecg_anomaly import evaluate

    model = load_model("ecg_anomaly", variant=method, backend="onnx")
    figures = evaluate(model, anomaly_beats("validation"), anomaly_beats("test"))
    for part in ("validation", "test"):
        for name in ("auroc", "f1", "phi"):
            assert figures[part][name] == pytest.approx(model.metrics[part][name], abs=1e-6)
