"""One-class beat models trained on normal beats only: a convolutional autoencoder, a beta-VAE and BeatGAN."""

from __future__ import annotations

import torch
from torch import nn

from core.checkpoint import PhysioModel
from core.ecg.beats import BEAT_LENGTH, unknown_rr
from core.ecg_anomaly.predictor import METHODS, AnomalyPredictor
from core.errors import ConfigError

PADDED = 256
"""Context plus beat, zero-padded to a length the four stride-2 layers halve exactly."""


def _encoder(width: int) -> nn.Sequential:
    """(batch, 1, 256) -> (batch, 4 width x 16) features."""
    layers, channels = [], 1
    for out, kernel in ((width, 7), (2 * width, 5), (4 * width, 5), (4 * width, 5)):
        layers += [nn.Conv1d(channels, out, kernel, stride=2, padding=kernel // 2), nn.LeakyReLU(0.2)]
        channels = out
    return nn.Sequential(*layers, nn.Flatten())


class BeatAutoencoder(AnomalyPredictor, PhysioModel, pipeline_tag="time-series-classification"):
    """Reconstructs a beat with its pre-R context through a small code; the anomaly score combines the
    reconstruction error (shape), the absolute standardised log RR ratios (timing: normal beats' RR intervals) and
    the beat's distance to the record's dominant beat (see `AnomalyPredictor.beat_scores`).

    method: "ae" (autoencoder), "vae" (beta-VAE, scored on the code mean) or "beatgan" (an autoencoder generator
    trained against a discriminator of real and reconstructed beats, Zhou et al. 2019; the discriminator is kept
    in the weights but not in the served graph). latent: code size. width: channels of the first convolution.
    context_samples: 125 Hz samples before the R-peak in front of the 187-sample beat. signal_mean, signal_std,
    rr_mean, rr_std: standardisation of the signal and of the log RR ratios, from the training beats.
    error_scale: median (signal, RR, dominant-beat) terms of the training beats, the floor of a record's own median.
    rr_weight, dominant_weight: weights of the RR and dominant-beat terms in the score. per_record: terms relative
    to the record's median rather than the training beats' (see `beat_scores`). threshold: score above which a beat
    is flagged, chosen on validation records.
    """

    input_names = ("beats", "rr", "context")
    output_names = ("errors", "reconstruction", "code")
    tiny_params = {"latent": 4, "width": 4}

    def __init__(
        self,
        *,
        method: str = "ae",
        latent: int = 4,
        width: int = 16,
        context_samples: int = 64,
        signal_mean: float = 0.0,
        signal_std: float = 1.0,
        rr_mean: list[float] | None = None,
        rr_std: list[float] | None = None,
        error_scale: list[float] | None = None,
        rr_weight: float = 1.0,
        dominant_weight: float = 0.0,
        per_record: bool = False,
        threshold: float = 2.0,
    ):
        super().__init__()
        if method not in METHODS:
            raise ConfigError(f"Unknown anomaly method {method!r}; accepted methods are {list(METHODS)}.")
        if not 0 < context_samples <= PADDED - BEAT_LENGTH:
            raise ConfigError(f"context_samples={context_samples!r} must be between 1 and {PADDED - BEAT_LENGTH}.")
        self.method, self.latent, self.context_samples = method, latent, int(context_samples)
        self.error_scale = list(error_scale or [1.0, 1.0, 1.0])
        self.rr_weight, self.dominant_weight = float(rr_weight), float(dominant_weight)
        self.per_record, self.threshold = bool(per_record), float(threshold)
        self.register_buffer("signal_mean", torch.tensor(float(signal_mean)))
        self.register_buffer("signal_std", torch.tensor(float(signal_std)))
        self.register_buffer("rr_mean", torch.tensor(rr_mean or [0.0, 0.0]))
        self.register_buffer("rr_std", torch.tensor(rr_std or [1.0, 1.0]))
        features = 4 * width * (PADDED // 16)
        self.encoder = _encoder(width)
        self.to_code = nn.Linear(features, 2 * latent if method == "vae" else latent)
        self.from_code = nn.Sequential(nn.Linear(latent, features), nn.LeakyReLU(0.2))
        layers, channels = [], 4 * width
        for out in (4 * width, 2 * width, width, width):
            layers += [nn.ConvTranspose1d(channels, out, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            channels = out
        self.decoder = nn.Sequential(*layers, nn.Conv1d(width, 1, 7, padding=3))
        self.width = width
        if method == "beatgan":
            self.discriminator = nn.Sequential(_encoder(width), nn.Linear(features, 1))

    def inputs(self, beats: torch.Tensor, rr: torch.Tensor, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Standardised (batch, 256) signal (context then beat, zero-padded) and (batch, 2) log RR ratios."""
        x = torch.cat([context[:, context.shape[1] - self.context_samples :], beats], dim=1) - self.signal_mean
        x = nn.functional.pad(x / self.signal_std, (0, PADDED - x.shape[1]))
        r = (torch.log(rr[:, :2].clamp(min=0.05)) - self.rr_mean) / self.rr_std
        return x, r

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code (batch, latent) of standardised signals, or for the VAE its mean and log-variance side by side."""
        return self.to_code(self.encoder(x.unsqueeze(1)))

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """Standardised (batch, 256) signals of codes."""
        return self.decoder(self.from_code(code).reshape(-1, 4 * self.width, PADDED // 16)).squeeze(1)

    def forward(
        self, beats: torch.Tensor, rr: torch.Tensor, context: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per beat the (shape, RR) errors (batch, 2): mean squared reconstruction error and mean absolute
        standardised log RR ratio; the reconstructed context + beat in input units; the code (the VAE's mean)."""
        x, r = self.inputs(beats, rr, context)
        code = self.encode(x)[:, : self.latent]
        x_hat = self.decode(code)
        length = self.context_samples + BEAT_LENGTH
        errors = torch.stack([((x_hat - x)[:, :length] ** 2).mean(dim=1), r.abs().mean(dim=1)], dim=1)
        return errors, x_hat[:, :length] * self.signal_std + self.signal_mean, code

    def example_inputs(self, batch: int = 2) -> tuple[torch.Tensor, ...]:
        rr = torch.from_numpy(unknown_rr(batch)) * (1 + 0.1 * torch.rand(batch, 1))
        return torch.rand(batch, BEAT_LENGTH), rr, torch.rand(batch, self.context_samples)
