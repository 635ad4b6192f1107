"""Respiration models: the VAE-LSTM anomaly detector of Lin et al. (ICASSP 2020) and a supervised apnea-minute CNN."""

from __future__ import annotations

import torch
from torch import nn

from core.checkpoint import PhysioModel
from core.errors import ConfigError
from core.respiration.predictor import RespirationPredictor

PURPOSES = ("series", "waveform", "apnea")


class VAELSTM(RespirationPredictor, PhysioModel, pipeline_tag="time-series-classification"):
    """VAE on windows of `window` samples, LSTM on the sequence of `seq_len` window codes (Lin et al. 2020).

    The LSTM predicts the code of each window from the codes before it; the decoder turns predicted codes back
    into windows, and the anomaly score is the squared error of those predicted windows (the first window of a
    sequence, which has no past, is scored by its plain VAE reconstruction).

    window, seq_len: samples per window, windows per sequence. code_size: VAE latent size. hidden: LSTM units.
    width: VAE hidden layer width. purpose: "series", "waveform" or "apnea" (which pipeline it serves).
    input_mean, input_std: input standardisation (a fixed scaler, saved as buffers).
    threshold: anomaly-score threshold chosen on training data (see the checkpoint's metrics.json).
    smooth: points of the moving mean applied to per-point scores of a series (1 = none).
    """

    input_names = ("windows",)
    output_names = ("squared_error",)
    tiny_params = {"window": 8, "seq_len": 3, "code_size": 2, "hidden": 4, "width": 8}

    def __init__(
        self,
        *,
        window: int = 24,
        seq_len: int = 8,
        code_size: int = 6,
        hidden: int = 64,
        width: int = 64,
        purpose: str = "series",
        input_mean: float = 0.0,
        input_std: float = 1.0,
        threshold: float = 1.0,
        smooth: int = 1,
    ):
        super().__init__()
        if purpose not in PURPOSES:
            raise ConfigError(f"Unknown VAE-LSTM purpose {purpose!r}; accepted are {list(PURPOSES)}.")
        if seq_len < 2:
            raise ConfigError(
                f"Config field seq_len={seq_len!r} must be at least 2 (the LSTM predicts the next window)."
            )
        self.window, self.seq_len, self.code_size, self.purpose = window, seq_len, code_size, purpose
        self.threshold, self.smooth = threshold, smooth
        self.register_buffer("input_mean", torch.tensor(float(input_mean)))
        self.register_buffer("input_std", torch.tensor(float(input_std)))
        self.encoder = nn.Sequential(
            nn.Linear(window, width), nn.ELU(), nn.Linear(width, width), nn.ELU(), nn.Linear(width, 2 * code_size)
        )
        self.decoder = nn.Sequential(
            nn.Linear(code_size, width), nn.ELU(), nn.Linear(width, width), nn.ELU(), nn.Linear(width, window)
        )
        self.lstm = nn.LSTM(code_size, hidden, batch_first=True)
        self.lstm_head = nn.Linear(hidden, code_size)

    def standardise(self, windows: torch.Tensor) -> torch.Tensor:
        return (windows - self.input_mean) / self.input_std

    def encode(self, windows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of the code of standardised windows (..., window)."""
        mu, logvar = self.encoder(windows).chunk(2, dim=-1)
        return mu, logvar.clamp(-10, 10)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        return self.decoder(codes)

    def predict_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """The code of each next window from the codes so far: (batch, n, code) -> (batch, n, code)."""
        # explicit zero states keep the batch axis dynamic in the ONNX export
        state = codes.new_zeros(1, codes.shape[0], self.lstm.hidden_size)
        output, _ = self.lstm(codes, (state, state))
        return self.lstm_head(output)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """Squared error per sample (batch, seq_len, window) of the predicted windows, in standardised units."""
        x = self.standardise(windows)
        mu, _ = self.encode(x)
        first = self.decode(mu[:, :1])
        rest = self.decode(self.predict_codes(mu[:, :-1]))
        return (torch.cat([first, rest], dim=1) - x) ** 2

    def example_inputs(self, batch: int = 2) -> tuple[torch.Tensor, ...]:
        return (self.input_mean + self.input_std * torch.randn(batch, self.seq_len, self.window),)


class ApneaNet(RespirationPredictor, PhysioModel, pipeline_tag="time-series-classification"):
    """Supervised apnea-minute classifier: a 1-D CNN over a 5-minute RR window (2 Hz) centred on the scored minute.

    It sees two channels: RR standardised with training statistics (the heart-rate level) and RR minus the
    window mean (the cyclic variation that apnea causes). Output: the logit of "apnea in the central minute".
    length: samples per window. width: channels of the first convolution. threshold: probability cut-off
    chosen on validation records. rr_mean, rr_std: training RR statistics (s). smooth: minutes of the centred
    moving mean applied to a night's per-minute probabilities (1 = none; apnea comes in runs of minutes).
    members: CNNs of the same shape averaged in probability (the models of a record-wise cross-validation's
    folds); the output is the logit of their mean probability, so one graph serves the whole ensemble.
    night_members: how many of the members (the last ones) see each window divided by the night's median RR, a
    second input `night_rr` (s, one per window) that the serving pipeline computes from the whole night without
    labels (heart-rate levels differ between people); 0 = none, and the graph has the one input `rr`.
    """

    input_names = ("rr",)
    output_names = ("logit",)
    tiny_params = {"length": 40, "width": 4}

    def __init__(
        self,
        *,
        length: int = 600,
        width: int = 16,
        dropout: float = 0.2,
        threshold: float = 0.5,
        rr_mean: float = 0.9,
        rr_std: float = 0.15,
        smooth: int = 1,
        members: int = 1,
        night_members: int = 0,
    ):
        super().__init__()
        if members < 1:
            raise ConfigError(f"Config field members={members!r} must be at least 1.")
        if not 0 <= night_members <= members:
            raise ConfigError(f"Config field night_members={night_members!r} must be between 0 and members={members}.")
        self.length, self.threshold, self.smooth, self.members = length, threshold, smooth, members
        self.night_members = night_members
        if night_members:
            self.input_names = ("rr", "night_rr")
        self.register_buffer("rr_mean", torch.tensor(float(rr_mean)))
        self.register_buffer("rr_std", torch.tensor(float(rr_std)))
        # member 0 keeps the single model's parameter names, so one-model checkpoints load unchanged
        self.features, self.head = _apnea_cnn(width, dropout)
        self.others = nn.ModuleList(
            nn.ModuleDict(dict(zip(("features", "head"), _apnea_cnn(width, dropout)))) for _ in range(members - 1)
        )

    def member(self, index: int) -> "ApneaNet":
        """Member `index` of the ensemble as a one-model ApneaNet (a copy), e.g. to train it or score it alone."""
        night = int(index >= self.members - self.night_members)
        single = ApneaNet(**{**self._hub_mixin_config, "members": 1, "night_members": night})
        source = self if index == 0 else self.others[index - 1]
        single.features.load_state_dict(source.features.state_dict())
        single.head.load_state_dict(source.head.state_dict())
        single.rr_mean.copy_(self.rr_mean), single.rr_std.copy_(self.rr_std)
        return single.train(self.training)

    def set_member(self, index: int, single: "ApneaNet") -> None:
        """Copy a trained one-model ApneaNet's weights into member `index`."""
        target = self if index == 0 else self.others[index - 1]
        target.features.load_state_dict(single.features.state_dict())
        target.head.load_state_dict(single.head.state_dict())

    def forward(self, rr: torch.Tensor, night_rr: torch.Tensor | None = None) -> torch.Tensor:
        views = [self._channels(rr)]
        if self.night_members:
            views.append(self._channels(rr / night_rr.reshape(-1, 1)))
        modules = [(self.features, self.head)] + [(m["features"], m["head"]) for m in self.others]
        first_night = self.members - self.night_members
        logits = [_cnn_logit(f, h, views[int(i >= first_night)]) for i, (f, h) in enumerate(modules)]
        if len(logits) == 1:
            return logits[0]
        stacked = torch.stack(logits, dim=1)
        # logit of the members' mean probability: log mean sigmoid(l) - log mean sigmoid(-l), without overflow
        logsig = nn.functional.logsigmoid
        return torch.logsumexp(logsig(stacked), dim=1) - torch.logsumexp(logsig(-stacked), dim=1)

    def _channels(self, rr: torch.Tensor) -> torch.Tensor:
        level = (rr - self.rr_mean) / self.rr_std
        variation = (rr - rr.mean(dim=1, keepdim=True)) / self.rr_std
        return torch.stack([level, variation], dim=1)

    def example_inputs(self, batch: int = 2) -> tuple[torch.Tensor, ...]:
        rr = 0.9 + 0.1 * torch.randn(batch, self.length)
        return (rr, rr.median(dim=1).values) if self.night_members else (rr,)


def _apnea_cnn(width: int, dropout: float) -> tuple[nn.Sequential, nn.Sequential]:
    """Convolutional features and head of one apnea CNN on (batch, 2, length) inputs."""
    layers, channels = [], 2
    for out in (width, 2 * width, 2 * width, 4 * width):
        layers += [nn.Conv1d(channels, out, 7, padding=3, bias=False), nn.BatchNorm1d(out), nn.ReLU(), nn.MaxPool1d(2)]
        channels = out
    return nn.Sequential(*layers), nn.Sequential(
        nn.Dropout(dropout), nn.Linear(2 * channels, 32), nn.ReLU(), nn.Linear(32, 1)
    )


def _cnn_logit(features: nn.Module, head: nn.Module, x: torch.Tensor) -> torch.Tensor:
    h = features(x)
    return head(torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)).squeeze(1)
