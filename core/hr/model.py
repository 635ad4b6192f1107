"""Heart-rate sequence models: the SUB3 v2 LSTM, and a first-order physiological response plus a learned LSTM
residual."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from core.checkpoint import PhysioModel
from core.errors import ConfigError
from core.hr.features import FEATURE_NAMES
from core.hr.predictor import HRPredictor

ARCHITECTURES = ("physio", "lstm")


class HRModel(HRPredictor, PhysioModel, pipeline_tag="time-series-forecasting"):
    """Heart rate (bpm) at every grid step of a run from its (batch, time, 14) feature matrix.

    arch: "lstm" is the SUB3 v2 reference (2-layer LSTM on the standardised features). "physio" adds a physiological
    term: a linear steady-state heart rate of the features, passed through a first-order lag with a learned time
    constant (the heart answers a pace change within about a minute), starting from rest; the LSTM learns the residual.
    feature_mean, feature_std, hr_mean, hr_std: standardisation statistics of the training runs.
    grid_s: seconds per step; kernel_steps: length of the truncated first-order response.
    population_rest_hr, population_max_hr: the reserve that typed resting/max heart rates rescale from; training sets
    the max to the training runs' mean peak heart rate (resting heart rate is not recorded, so 60 bpm is assumed).
    """

    input_names = ("features",)
    output_names = ("heart_rate",)
    dynamic_axes = {"features": {1: "time"}, "heart_rate": {1: "time"}}
    tiny_params = {"hidden": 4, "layers": 1, "kernel_steps": 8, "hr_mean": 0.0, "hr_std": 1.0}
    """hr_mean 0 and std 1 keep outputs near 0 like logits, so the contract test's squared-output step stays small."""

    def __init__(
        self,
        *,
        arch: str = "physio",
        hidden: int = 128,
        layers: int = 2,
        dropout: float = 0.3,
        feature_mean: list[float] | None = None,
        feature_std: list[float] | None = None,
        hr_mean: float = 150.0,
        hr_std: float = 15.0,
        grid_s: float = 5.0,
        kernel_steps: int = 120,
        tau_s: float = 40.0,
        population_rest_hr: float = 60.0,
        population_max_hr: float = 190.0,
    ):
        super().__init__()
        if arch not in ARCHITECTURES:
            raise ConfigError(f"Unknown heart-rate architecture {arch!r}; accepted are {list(ARCHITECTURES)}.")
        n = len(FEATURE_NAMES)
        self.arch = arch
        self.grid_s = grid_s
        self.kernel_steps = kernel_steps
        self.population_rest_hr = population_rest_hr
        self.population_max_hr = population_max_hr
        self.register_buffer("feature_mean", torch.tensor(feature_mean or [0.0] * n))
        self.register_buffer("feature_std", torch.tensor(feature_std or [1.0] * n))
        self.register_buffer("hr_mean", torch.tensor(float(hr_mean)))
        self.register_buffer("hr_std", torch.tensor(float(hr_std)))
        physio = arch == "physio"
        self.lstm = nn.LSTM(
            n + physio, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0
        )
        self.head = nn.Linear(hidden, 1)
        if physio:
            self.steady = nn.Linear(n, 1)
            self.rest = nn.Parameter(torch.tensor(-2.0))
            # softplus(raw) + 5 s = tau_s at initialisation
            self.tau_raw = nn.Parameter(torch.tensor(float(np.log(np.expm1(max(tau_s - 5.0, 1e-3))))))

    def first_order(self, drive: torch.Tensor) -> torch.Tensor:
        """Response y of dy/dt = (drive - y) / tau to a (batch, time) drive, starting at rest (y = rest)."""
        tau = F.softplus(self.tau_raw) + 5.0
        alpha = torch.exp(-self.grid_s / tau)
        powers = torch.arange(self.kernel_steps - 1, -1, -1, dtype=drive.dtype)
        kernel = ((1 - alpha) * alpha**powers).reshape(1, 1, -1)
        delta = F.pad((drive - self.rest).unsqueeze(1), (self.kernel_steps - 1, 0))
        return F.conv1d(delta, kernel).squeeze(1) + self.rest

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = (features - self.feature_mean) / self.feature_std
        if self.arch == "physio":
            physiological = self.first_order(self.steady(x).squeeze(-1))
            out, _ = self.lstm(torch.cat([x, physiological.unsqueeze(-1)], dim=-1))
            normalised = physiological + self.head(out).squeeze(-1)
        else:
            out, _ = self.lstm(x)
            normalised = self.head(out).squeeze(-1)
        return self.hr_mean + self.hr_std * normalised

    def example_inputs(self, batch: int = 2) -> tuple[torch.Tensor, ...]:
        generator = torch.Generator().manual_seed(0)
        return (torch.rand(batch, 40, len(FEATURE_NAMES), generator=generator) * 12,)
