"""Activity classifiers over 2.56 s inertial windows: 1-D CNNs with window statistics averaged with MLPs over hand
window features (shipped), and the seed's LSTM/GRU baselines. One class serves both variants: nine channels ("full")
or accelerometer only ("acc")."""

from __future__ import annotations

import torch
from torch import nn

from core.checkpoint import PhysioModel
from core.errors import ConfigError
from core.har.data import ACTIVITIES, CHANNELS, HAR_FS, WINDOW
from core.har.features import FEATURE_NAMES
from core.har.placement import HELD_FEATURES, MOTIONS, PLACEMENTS, UNKNOWN_BELOW
from core.har.predictor import HARPredictor
from core.trees import trees_copy, trees_logits, trees_onnx_node, trees_register

ARCHITECTURES = ("cnn", "lstm", "gru")
FEATURE_SETS = ("stats", "hand")


def conv_block(channels_in: int, channels_out: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(channels_in, channels_out, kernel, padding=kernel // 2, bias=False),
        nn.BatchNorm1d(channels_out),
        nn.ReLU(inplace=True),
    )


class ConvEncoder(nn.Module):
    """Three conv stages (the last two halve the length), mean- and max-pooled over time."""

    def __init__(self, channels: int, width: int):
        super().__init__()
        self.layers = nn.Sequential(
            conv_block(channels, width, 7),
            conv_block(width, width, 5),
            nn.MaxPool1d(2),
            conv_block(width, 2 * width, 5),
            conv_block(2 * width, 2 * width, 5),
            nn.MaxPool1d(2),
            conv_block(2 * width, 2 * width, 3),
        )
        self.out_features = 4 * width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.layers(x.transpose(1, 2))
        return torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)


class RecurrentEncoder(nn.Module):
    """The seed comparison: a recurrent stack over the 128 samples, last time step out."""

    def __init__(self, cell: str, channels: int, hidden: int, layers: int, dropout: float, bidirectional: bool):
        super().__init__()
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn(
            channels,
            hidden,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
            bidirectional=bidirectional,
        )
        self.out_features = hidden * (2 if bidirectional else 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(x)
        return output[:, -1]


def window_statistics(x: torch.Tensor) -> torch.Tensor:
    """Per-channel mean, standard deviation, minimum and maximum of (batch, time, channels) windows."""
    return torch.cat([x.mean(dim=1), x.std(dim=1), x.amin(dim=1), x.amax(dim=1)], dim=1)


BANDS_HZ = (0.4, 1.2, 2.3, 3.9, 6.3, 9.4, 15.6, 25.0)
"""Edges of the spectral bands whose log energies are features (the 65 rfft bins of a 128-sample window at 50 Hz)."""


def _dft_band_matrices() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Cosine and sine bases (128, 65) of the real DFT, and the (65, bands) matrix that sums bins into bands."""
    n = torch.arange(WINDOW, dtype=torch.float64)
    k = torch.arange(WINDOW // 2 + 1, dtype=torch.float64)
    angle = 2 * torch.pi * n[:, None] * k[None, :] / WINDOW
    hz = k * HAR_FS / WINDOW
    bands = torch.stack([(hz >= lo) & (hz < hi) for lo, hi in zip(BANDS_HZ[:-1], BANDS_HZ[1:])], dim=1)
    return torch.cos(angle).float(), torch.sin(angle).float(), bands.float()


class WindowFeatures(nn.Module):
    """Hand features of raw (batch, 128, channels) windows (g, rad/s), as in the UCI 561-feature set: per axis and
    magnitude of body and total acceleration, gravity, gyroscope and their jerks: mean, standard deviation, mean
    absolute deviation, minimum, maximum, interquartile range, energy; log spectral band energies of body
    acceleration and gyroscope; correlations between axes; angles of gravity to the phone's axes. Computed in the
    graph, so the ONNX model takes raw windows and any uploaded recording gets the same features."""

    def __init__(self, channels: tuple[str, ...]):
        super().__init__()
        self.index = {
            prefix: [channels.index(f"{prefix}_{axis}") for axis in "xyz"]
            for prefix in ("body_acc", "body_gyro", "total_acc")
            if f"{prefix}_x" in channels
        }
        cos, sin, bands = _dft_band_matrices()
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        self.register_buffer("bands", bands, persistent=False)
        self.out_features = self(torch.zeros(1, WINDOW, len(channels))).shape[1]

    @staticmethod
    def _with_magnitude(x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, x.norm(dim=2, keepdim=True)], dim=2)

    @staticmethod
    def _statistics(x: torch.Tensor) -> list[torch.Tensor]:
        mean = x.mean(dim=1)
        ordered = x.sort(dim=1).values
        n = x.shape[1]
        return [
            mean,
            x.std(dim=1),
            (x - mean[:, None]).abs().mean(dim=1),
            ordered[:, 0],
            ordered[:, -1],
            ordered[:, (3 * n) // 4] - ordered[:, n // 4],
            x.square().mean(dim=1),
        ]

    def _band_energies(self, x: torch.Tensor) -> torch.Tensor:
        centred = x - x.mean(dim=1, keepdim=True)
        power = (
            torch.einsum("btc,tk->bkc", centred, self.cos).square()
            + torch.einsum("btc,tk->bkc", centred, self.sin).square()
        )
        return torch.log(torch.einsum("bkc,kj->bjc", power, self.bands) + 1e-6).flatten(1)

    @staticmethod
    def _axis_correlations(x: torch.Tensor) -> torch.Tensor:
        centred = x - x.mean(dim=1, keepdim=True)
        scaled = centred / (centred.norm(dim=1, keepdim=True) + 1e-8)
        return torch.stack([(scaled[:, :, i] * scaled[:, :, j]).sum(dim=1) for i, j in ((0, 1), (0, 2), (1, 2))], dim=1)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        groups = {prefix: windows[:, :, index] for prefix, index in self.index.items()}
        jerk = {
            prefix: (x[:, 1:] - x[:, :-1]) * HAR_FS for prefix, x in groups.items()
        }  # torch.diff has no ONNX export
        signals = [groups["body_acc"], groups["total_acc"], groups["total_acc"] - groups["body_acc"], jerk["body_acc"]]
        spectral = [groups["body_acc"]]
        if "body_gyro" in groups:
            signals += [groups["body_gyro"], jerk["body_gyro"]]
            spectral.append(groups["body_gyro"])
        features = [torch.cat(self._statistics(self._with_magnitude(s)), dim=1) for s in signals]
        features += [self._band_energies(self._with_magnitude(s)) for s in spectral]
        features += [self._axis_correlations(groups[prefix]) for prefix in self.index]
        gravity = (groups["total_acc"] - groups["body_acc"]).mean(dim=1)
        features.append(torch.acos((gravity / (gravity.norm(dim=1, keepdim=True) + 1e-8)).clamp(-1, 1)))
        return torch.cat(features, dim=1)


class Member(nn.Module):
    """One encoder with its classification head; without an encoder, an MLP over the extra features alone."""

    def __init__(self, encoder: nn.Module | None, extra_features: int, fc: int, dropout: float, classes: int):
        super().__init__()
        self.encoder = encoder
        encoded = encoder.out_features if encoder is not None else 0
        self.head = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(encoded + extra_features, fc),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(fc, classes),
        )

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None) -> torch.Tensor:
        if self.encoder is None:
            return self.head(extra)
        h = self.encoder(x)
        return self.head(h if extra is None else torch.cat([h, extra], dim=1))


class HARClassifier(HARPredictor, PhysioModel, pipeline_tag="time-series-classification"):
    """Classifies (n, 128, channels) windows at 50 Hz (UCI order; accelerations in g, rates in rad/s) into six
    activities.

    arch: "cnn" (shipped) or the seed baselines "lstm", "gru". channels: the UCI channel names the model reads.
    use_stats: feed window features to the CNN head. features: "stats" (per-channel mean, std, min, max of the
    normalised window; the shipped models) or "hand" (`WindowFeatures` of the raw window, batch-normalised).
    members: independently initialised models whose log-probabilities are averaged (an ensemble in one graph).
    feature_members: MLPs over the hand window features, averaged with the members (they err on different windows:
    the CNN on sitting/standing, the MLP on walking).
    calibrated: wearer calibration. A second input `reference` holds the mean hand features of the wearer's walking
    windows (any of the three walking classes), as offsets from the training population's (the buffer
    `population_reference`; zeros = no calibration). Every member also reads the window's hand features minus the
    wearer's, which cancels how the phone sits on this wearer's waist. The served graph has a second output, each
    window's features as offsets from the population's, from which `HARPredictor.predict_windows` builds the
    reference in a first pass.
    mean, std: per-channel training statistics.
    In training mode the output is (batch, members, classes), one prediction per member, so each learns alone.
    """

    input_names = ("windows",)
    output_names = ("logits",)
    tiny_params = {"width": 4, "members": 2, "feature_members": 1, "calibrated": True}

    def __init__(
        self,
        *,
        arch: str = "cnn",
        channels: tuple[str, ...] | list[str] = CHANNELS,
        width: int = 32,
        use_stats: bool = True,
        features: str = "stats",
        members: int = 1,
        feature_members: int = 0,
        calibrated: bool = False,
        hidden: int = 64,
        layers: int = 2,
        bidirectional: bool = False,
        fc: int = 128,
        dropout: float = 0.3,
        labels: tuple[str, ...] | list[str] = ACTIVITIES,
        mean: list[float] | None = None,
        std: list[float] | None = None,
    ):
        super().__init__()
        if arch not in ARCHITECTURES:
            raise ConfigError(f"Unknown HAR architecture {arch!r}; accepted are {list(ARCHITECTURES)}.")
        if features not in FEATURE_SETS:
            raise ConfigError(f"Unknown HAR feature set {features!r}; accepted are {list(FEATURE_SETS)}.")
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            raise ConfigError(f"Unknown HAR channels {unknown}; accepted are {list(CHANNELS)}.")
        self.labels = tuple(labels)
        self.channels = tuple(channels)
        n = len(self.channels)
        self.register_buffer("mean", torch.tensor(mean or [0.0] * n))
        self.register_buffer("std", torch.tensor(std or [1.0] * n))
        self.use_stats = use_stats and arch == "cnn"
        self.hand_features = self.use_stats and features == "hand"

        def encoder() -> nn.Module:
            if arch == "cnn":
                return ConvEncoder(n, width)
            return RecurrentEncoder(arch, n, hidden, layers, dropout, bidirectional)

        self.calibrated = calibrated
        self.uses_hand_features = self.hand_features or feature_members > 0 or calibrated
        extra = 4 * n if self.use_stats else 0
        hand_size = 0
        if self.uses_hand_features:
            self.features = WindowFeatures(self.channels)
            hand_size = self.features.out_features * (2 if calibrated else 1)
            self.feature_norm = nn.BatchNorm1d(hand_size)
        if self.hand_features:
            extra = hand_size
        elif calibrated:
            extra += hand_size
        self.members = nn.ModuleList(Member(encoder(), extra, fc, dropout, len(self.labels)) for _ in range(members))
        self.feature_members = nn.ModuleList(
            Member(None, hand_size, fc, dropout, len(self.labels)) for _ in range(feature_members)
        )
        if calibrated:
            self.input_names, self.output_names = ("windows", "reference"), ("logits", "features")
            self.register_buffer("population_reference", torch.zeros(self.features.out_features))

    def forward(self, windows: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        return self.classify(windows, reference)[0]

    def classify(
        self, windows: torch.Tensor, reference: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The forward output and the window's raw hand features (None for a model without them)."""
        x = (windows - self.mean) / self.std
        hand = raw = None
        if self.uses_hand_features:
            raw = self.features(windows)
            if self.calibrated:  # without a reference, the population's (zero offsets)
                relative = self.offsets(raw) - (0.0 if reference is None else reference)
                hand = self.feature_norm(torch.cat([raw, relative], dim=1))
            else:
                hand = self.feature_norm(raw)
        stats = window_statistics(x) if self.use_stats else None
        if self.hand_features:
            extra = hand
        elif self.calibrated:
            extra = hand if stats is None else torch.cat([stats, hand], dim=1)
        else:
            extra = stats
        logits = torch.stack(
            [member(x, extra) for member in self.members] + [member(x, hand) for member in self.feature_members], dim=1
        )
        if self.training:
            return logits, raw
        return logits.log_softmax(dim=2).mean(dim=1), raw

    def offsets(self, features: torch.Tensor) -> torch.Tensor:
        """Hand features as offsets from the training population's walking reference."""
        return features - self.population_reference

    def serving_module(self) -> nn.Module:
        return _WithFeatures(self) if self.calibrated else self

    def example_inputs(self, batch: int = 2) -> tuple[torch.Tensor, ...]:
        windows = torch.randn(batch, WINDOW, len(self.channels))
        if self.calibrated:
            return windows, 0.1 * torch.randn(batch, self.features.out_features)
        return (windows,)


class _WithFeatures(nn.Module):
    """A calibrated classifier's served graph: the activity log-probabilities and the window's feature offsets."""

    def __init__(self, model: HARClassifier):
        super().__init__()
        self.model = model

    def forward(self, windows: torch.Tensor, reference: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits, features = self.model.classify(windows, reference)
        return logits, self.model.offsets(features)


class HARPlacementModel(HARPredictor, PhysioModel, pipeline_tag="tabular-classification"):
    """Motion (len(labels)) and placement (len(placements)) logits of (n, features + 3) window rows: the
    `core.har.features` row, then the absolute gravity direction.

    n_trees/n_nodes/depth: table shapes of the motion (`motion_*`) and placement (`placement_*`) trees.
    motion_bias, placement_bias: logit offsets added to the trees' scores (zero as trained), trainable: they adjust
    the class priors to a new population without regrowing the trees. unknown_below: see `UNKNOWN_BELOW`.
    """

    input_names = ("features",)
    output_names = ("motion_logits", "placement_logits")
    tiny_params = {
        "motion_trees": 8,
        "placement_trees": 8,
        "motion_nodes": 3,
        "placement_nodes": 3,
        "motion_depth": 1,
        "placement_depth": 1,
        "motion_bias": [0.5, 0.0, 0.0, -0.5],
    }

    def __init__(
        self,
        *,
        feature_names: tuple[str, ...] | list[str] = FEATURE_NAMES + HELD_FEATURES,
        labels: tuple[str, ...] | list[str] = MOTIONS,
        placements: tuple[str, ...] | list[str] = PLACEMENTS,
        motion_trees: int = 800,
        placement_trees: int = 800,
        motion_nodes: int = 61,
        placement_nodes: int = 61,
        motion_depth: int = 15,
        placement_depth: int = 15,
        unknown_below: float = UNKNOWN_BELOW,
        motion_bias: list[float] | None = None,
        placement_bias: list[float] | None = None,
    ):
        super().__init__()
        self.feature_names, self.labels, self.placements = tuple(feature_names), tuple(labels), tuple(placements)
        self.motion_depth, self.placement_depth = int(motion_depth), int(placement_depth)
        self.unknown_below = float(unknown_below)
        trees_register(self, "motion_", n_trees=motion_trees, n_nodes=motion_nodes, n_classes=len(self.labels))
        trees_register(
            self, "placement_", n_trees=placement_trees, n_nodes=placement_nodes, n_classes=len(self.placements)
        )
        self.motion_bias = nn.Parameter(torch.tensor(motion_bias or [0.0] * len(self.labels)))
        self.placement_bias = nn.Parameter(torch.tensor(placement_bias or [0.0] * len(self.placements)))

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        motion = trees_logits(self, "motion_", features, depth=self.motion_depth) + self.motion_bias
        placement = trees_logits(self, "placement_", features, depth=self.placement_depth) + self.placement_bias
        return motion, placement

    def example_inputs(self, batch: int = 2) -> tuple[torch.Tensor, ...]:
        return (torch.randn(batch, len(self.feature_names)),)

    def set_trees(self, motion, placement) -> None:
        """Copy the fitted motion and placement `HistGradientBoostingClassifier`s (all classes seen) into the tables."""
        trees_copy(self, "motion_", motion)
        trees_copy(self, "placement_", placement)

    def export_onnx(self, path):
        """Two `TreeEnsembleRegressor` nodes on the features, their base values the baselines plus the biases."""
        import onnx
        from onnx import TensorProto, helper

        nodes = [
            trees_onnx_node(
                self,
                f"{head}_",
                "features",
                f"{head}_logits",
                base_values=(getattr(self, f"{head}_baseline") + getattr(self, f"{head}_bias")).tolist(),
            )
            for head in ("motion", "placement")
        ]
        graph = helper.make_graph(
            nodes,
            "har_placement",
            [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", len(self.feature_names)])],
            [
                helper.make_tensor_value_info("motion_logits", TensorProto.FLOAT, ["batch", len(self.labels)]),
                helper.make_tensor_value_info("placement_logits", TensorProto.FLOAT, ["batch", len(self.placements)]),
            ],
        )
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)]
        )
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, str(path))
        return path
