"""Training configuration (training/config.py): validation, CLI overrides and the reproducing command."""

from __future__ import annotations

import dataclasses
import json

import pytest

from core.errors import ConfigError
from core.tasks import get_task, list_tasks
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


def test_init_writes_the_shipped_variant_resolved_and_commented(tmp_path, capsys):
    import json

    import yaml

    from core.tasks import get_task
    from training import init

    path = init.main(["ecg", "--variant", "intra", "--epochs", "3", "-o", str(tmp_path / "run.yaml")])
    text = path.read_text()
    values = yaml.safe_load(text)
    shipped = json.loads((get_task("ecg").checkpoint("intra") / "training_config.json").read_text())
    assert values["task"] == "ecg" and values["epochs"] == 3
    assert all(values[k] == v for k, v in shipped.items() if k not in ("epochs", "out"))
    assert set(values) == {"task", *(f.name for f in dataclasses.fields(ECGTrainConfig))}
    assert "# Early stopping after that many epochs without validation gain (0: never).\npatience:" in text
    assert "protocol: intra  # one of intra, inter, kaggle" in text
    assert parse_config(ECGTrainConfig, ["--config", str(path)], prog="t") == ECGTrainConfig(
        **{**shipped, "epochs": 3, "out": ""}
    )


def test_config_file_then_flags_and_training_config_json_round_trip(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("task: ecg\nepochs: 5\nlr: 1e-2\nprotocol: inter\nuse_rr: false\n")
    config = parse_config(ECGTrainConfig, ["--config", str(path), "--epochs", "2"], prog="t")
    assert (config.epochs, config.lr, config.protocol, config.use_rr) == (2, 0.01, "inter", False)
    recorded = tmp_path / "training_config.json"
    recorded.write_text(json.dumps(config.to_dict()))
    assert parse_config(ECGTrainConfig, ["--config", str(recorded)], prog="t") == config
    assert "resume" not in config.to_dict()  # a recorded configuration trains anew


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "epoch: 3\n",
            "Config field 'epoch' (value 3) in run.yaml is not a field of ECGTrainConfig; did you mean 'epochs'?",
        ),
        ("epochs: ten\n", "Config field epochs='ten' in run.yaml must be a whole number."),
        ("protocol: both\n", "Config field protocol='both' in run.yaml must be one of intra, inter, kaggle."),
        ("epochs: 0\n", "Config field epochs=0 must be positive."),
        ("task: har\n", "Config file run.yaml is for task 'har', not 'ecg'; use `python -m training.train --config "),
    ],
)
def test_config_file_errors_name_the_field_and_value(tmp_path, capsys, text, message):
    path = tmp_path / "run.yaml"
    path.write_text(text)
    with pytest.raises(SystemExit) as exit_info:
        parse_config(ECGTrainConfig, ["--config", str(path)], prog="t")
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith(f"t: error: {message}")


def test_train_reads_the_task_from_the_config_file(tmp_path, monkeypatch):
    import training.ecg
    from training import train

    path = tmp_path / "run.yaml"
    path.write_text("task: ecg\nepochs: 2\n")
    seen = []
    monkeypatch.setattr(training.ecg, "main", lambda argv: seen.append(argv))
    train.main(["--config", str(path), "--lr", "0.1"])
    assert seen == [["--config", str(path), "--lr", "0.1"]]
    path.write_text("epochs: 2\n")
    with pytest.raises(SystemExit, match="names no task; add `task: NAME`"):
        train.main(["--config", str(path)])


@pytest.mark.parametrize(
    ("task", "variant"),
    [(t, v) for t in list_tasks() for v in ("", *get_task(t).checkpoints)],
)
def test_init_output_reads_back_as_the_same_configuration(tmp_path, task, variant):
    import yaml

    from training import init

    flags = ["--variant", variant] if variant else []
    recorded = get_task(task).checkpoints.get(variant, tmp_path) / "training_config.json"
    if variant and "variant" not in json.loads(recorded.read_text()):  # trained by its own script (the card says)
        with pytest.raises(SystemExit):
            init.main([task, *flags, "-o", str(tmp_path / "run.yaml")])
        assert not (tmp_path / "run.yaml").exists()
        return
    path = init.main([task, *flags, "-o", str(tmp_path / "run.yaml")])
    cls = init.config_class(task, variant)
    config = parse_config(cls, ["--config", str(path)], prog="t")
    values = yaml.safe_load(path.read_text())
    assert values.pop("task") == task and values == dataclasses.asdict(config)
    assert config.variant == variant or not variant
