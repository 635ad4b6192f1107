"""Training configuration (training/config.py): validation, CLI overrides and the reproducing command."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from training.config import parse_config
from training.ecg import ECGTrainConfig


def test_config_validation_names_the_field():
    with pytest.raises(ConfigError, match=r"epochs=0 must be positive"):
        ECGTrainConfig(epochs=0)
    with pytest.raises(ConfigError, match=r"val_fraction=0.7 must be between 0 and 0.5"):
        ECGTrainConfig(val_fraction=0.7)


def test_cli_overrides_and_reproducing_command():
    config = parse_config(
        ECGTrainConfig, ["--epochs", "3", "--protocol", "inter", "--no-use-rr", "--width", "8"], prog="t"
    )
    assert (config.epochs, config.protocol, config.use_rr, config.width) == (3, "inter", False, 8)
    assert config.command("ecg") == "python -m training.train ecg --epochs 3 --protocol inter --width 8 --no-use-rr"
    one_thread = parse_config(ECGTrainConfig, ["--threads", "1", "--out", "runs/x"], prog="t")
    assert (
        one_thread.command("ecg") == "python -m training.train ecg --threads 1"
    )  # the thread count changes the weights
    with pytest.raises(SystemExit):
        parse_config(ECGTrainConfig, ["--protocol", "nonsense"], prog="t")
