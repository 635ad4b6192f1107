"""Heartbeat classifiers: a residual 1-D CNN with RR features (shipped) and the RNN/LSTM/GRU baselines."""

from __future__ import annotations

import torch
from torch import nn

from core.checkpoint import PhysioModel
from core.ecg.beats import AAMI_CLASSES, BEAT_LENGTH, CONTEXT_LENGTH, RR_FEATURES, unknown_context, unknown_rr
from core.ecg.predictor import ECGPredictor
from core.errors import ConfigError

ARCHITECTURES = ("resnet", "rnn", "lstm", "gru")


class ResidualBlock(nn.Module):
    def __init__(self, channels_in: int, channels_out: int, stride: int, kernel: int = 5):
        super().__init__()
        pad = kernel // 2
        self.body = nn.Sequential(
            nn.Conv1d(channels_in, channels_out, kernel, stride=stride, padding=pad, bias=False),
            nn.BatchNorm1d(channels_out),
            nn.ReLU(inplace=True),
            nn.Conv1d(channels_out, channels_out, kernel, padding=pad, bias=False),
            nn.BatchNorm1d(channels_out),
        )
        self.shortcut = (
            nn.Identity()
            if stride == 1 and channels_in == channels_out
            else nn.Sequential(
                nn.Conv1d(channels_in, channels_out, 1, stride=stride, bias=False), nn.BatchNorm1d(channels_out)
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class ResNetEncoder(nn.Module):
    """Stem (stride `stem_stride`) plus residual stages that halve the length and double the width;
    mean- and max-pooled."""

    def __init__(self, width: int, stages: int, stem_stride: int = 1):
        super().__init__()
        layers = [
            nn.Conv1d(1, width, 7, stride=stem_stride, padding=3, bias=False),
            nn.BatchNorm1d(width),
            nn.ReLU(inplace=True),
        ]
        channels = width
        for stage in range(stages):
            out = width * 2 ** ((stage + 1) // 2)
            layers.append(ResidualBlock(channels, out, stride=2))
            channels = out
        self.layers = nn.Sequential(*layers)
        self.out_features = 2 * channels

    def forward(self, beats: torch.Tensor) -> torch.Tensor:
        h = self.layers(beats.unsqueeze(1))
        return torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)


class RecurrentEncoder(nn.Module):
    """The seed comparison: a recurrent layer stack over the 187 samples, last hidden state out."""

    def __init__(self, cell: str, hidden: int, layers: int, dropout: float):
        super().__init__()
        rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn(1, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.out_features = hidden

    def forward(self, beats: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(beats.unsqueeze(2))
        return output[:, -1]


class BeatNet(nn.Module):
    """One member of the classifier: an encoder of the (context +) beat sequence, an RR branch, and the head."""

    def __init__(
        self,
        *,
        arch: str,
        width: int,
        stages: int,
        stem_stride: int,
        hidden: int,
        layers: int,
        dropout: float,
        use_rr: bool,
        n_labels: int,
    ):
        super().__init__()
        self.encoder = (
            ResNetEncoder(width, stages, stem_stride)
            if arch == "resnet"
            else RecurrentEncoder(arch, hidden, layers, dropout)
        )
        rr_width = 16 if use_rr else 0
        self.rr_branch = nn.Sequential(nn.Linear(len(RR_FEATURES), rr_width), nn.ReLU()) if use_rr else None
        self.head = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(self.encoder.out_features + rr_width, 64),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(64, n_labels),
        )

    def forward(self, x: torch.Tensor, rr: torch.Tensor) -> torch.Tensor:
        """Logits for standardised sequences `x` and RR features `rr`."""
        h = self.encoder(x)
        if self.rr_branch is not None:
            h = torch.cat([h, self.rr_branch(rr)], dim=1)
        return self.head(h)


class ECGClassifier(ECGPredictor, PhysioModel, pipeline_tag="time-series-classification"):
    """Classifies 187-sample beats (125 Hz, scaled to [0, 1]) plus 5 RR features into the AAMI classes N, S, V, F, Q.

    arch: "resnet" (shipped), or the baselines "rnn", "lstm", "gru". stem_stride: 2 halves the ResNet's length
    (and cost) before the first stage. use_rr: feed RR features to the head. context_samples: how many 125 Hz samples
    before the R-peak (a third input, `ecg_context`) the encoder sees in front of the beat; 0 for beats alone.
    members: an ensemble of that many independently trained networks in one graph, their logits averaged.
    beat_mean, beat_std, rr_mean, rr_std: standardisation statistics of the training set.
    """

    input_names = ("beats", "rr")
    output_names = ("logits",)
    tiny_params = {"width": 4, "stages": 2, "stem_stride": 2, "context_samples": 16}

    def __init__(
        self,
        *,
        arch: str = "resnet",
        width: int = 32,
        stages: int = 4,
        stem_stride: int = 1,
        hidden: int = 64,
        layers: int = 2,
        dropout: float = 0.2,
        use_rr: bool = True,
        context_samples: int = 0,
        members: int = 1,
        labels: tuple[str, ...] | list[str] = AAMI_CLASSES,
        beat_mean: float = 0.0,
        beat_std: float = 1.0,
        rr_mean: list[float] | None = None,
        rr_std: list[float] | None = None,
    ):
        super().__init__()
        if arch not in ARCHITECTURES:
            raise ConfigError(f"Unknown ECG architecture {arch!r}; accepted are {list(ARCHITECTURES)}.")
        if not 0 <= context_samples <= CONTEXT_LENGTH:
            raise ConfigError(f"context_samples={context_samples!r} must be between 0 and {CONTEXT_LENGTH}.")
        if members < 1:
            raise ConfigError(f"members={members!r} must be at least 1.")
        self.labels = tuple(labels)
        self.use_rr = use_rr
        self.context_samples = int(context_samples)
        if self.context_samples:
            self.input_names = ("beats", "rr", "context")
        self.members = int(members)
        n_rr = len(RR_FEATURES)
        self.register_buffer("beat_mean", torch.tensor(float(beat_mean)))
        self.register_buffer("beat_std", torch.tensor(float(beat_std)))
        self.register_buffer("rr_mean", torch.tensor(rr_mean or [0.0] * n_rr))
        self.register_buffer("rr_std", torch.tensor(rr_std or [1.0] * n_rr))
        net = dict(
            arch=arch,
            width=width,
            stages=stages,
            stem_stride=stem_stride,
            hidden=hidden,
            layers=layers,
            dropout=dropout,
            use_rr=use_rr,
            n_labels=len(self.labels),
        )
        # the first member's parts sit on the classifier itself, so single-model checkpoints keep their weight names
        first = BeatNet(**net)
        self.encoder, self.rr_branch, self.head = first.encoder, first.rr_branch, first.head
        self.other_members = nn.ModuleList(BeatNet(**net) for _ in range(self.members - 1))

    def forward(self, beats: torch.Tensor, rr: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        if self.context_samples:
            beats = torch.cat([context, beats], dim=1)
        x, rr = (beats - self.beat_mean) / self.beat_std, (rr - self.rr_mean) / self.rr_std
        logits = BeatNet.forward(self, x, rr)
        for member in self.other_members:
            logits = logits + member(x, rr)
        return logits / self.members if self.members > 1 else logits

    def set_member(self, index: int, model: "ECGClassifier") -> None:
        """Copy the weights of a trained single-member classifier (same statistics) into member `index`."""
        target = self if index == 0 else self.other_members[index - 1]
        for name in ("encoder", "rr_branch", "head"):
            if getattr(model, name) is not None:
                getattr(target, name).load_state_dict(getattr(model, name).state_dict())

    def example_inputs(self, batch: int = 2) -> tuple[torch.Tensor, ...]:
        inputs = (torch.rand(batch, BEAT_LENGTH), torch.from_numpy(unknown_rr(batch)))
        return (
            (*inputs, torch.from_numpy(unknown_context(batch, self.context_samples)))
            if self.context_samples
            else inputs
        )
