"""Experiment tracking for `python -m training.train`: every run gets a folder runs/<task>/<experiment>/<run> with its
parameters, per-epoch metrics (JSON lines), epoch states (for `--resume`) and artifacts; `--tracker mlflow|wandb`
also logs the same to MLflow or Weights & Biases.

The training loop finds the active run with `current_run(config)`; outside `tracked(...)` (a task's `main` called
directly) nothing is tracked.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from pathlib import Path
from typing import Iterator

import torch

from core.dependencies import require
from core.tasks import ROOT
from training import distributed

RUNS = ROOT / "runs"
"""Default root of the run folders (ignored by git)."""


class LocalTracker:
    """The run folder alone: params.json, metrics.jsonl (one line per epoch) and artifacts/ (the checkpoint folder)."""

    def __init__(self, folder: Path, *, task: str, experiment: str, resuming: bool, tracking_uri: str = "") -> None:
        self.folder, self.task, self.experiment, self.resuming = folder, task, experiment, resuming

    def log_params(self, params: dict) -> None:
        (self.folder / "params.json").write_text(json.dumps(params, indent=2, default=str) + "\n")

    def log_metrics(self, row: dict, step: int) -> None:
        with open(self.folder / "metrics.jsonl", "a") as lines:
            lines.write(json.dumps({"step": step, **row}) + "\n")

    def log_artifacts(self, folder: Path) -> None:
        shutil.copytree(folder, self.folder / "artifacts", dirs_exist_ok=True)

    def finish(self, status: str) -> None:
        (self.folder / "status.json").write_text(json.dumps({"status": status, "time": time.time()}) + "\n")


class MLflowTracker(LocalTracker):
    """Also an MLflow run (experiment `<task>/<experiment>`): params, per-epoch metrics, the checkpoint folder with its
    report (confusion matrix, curves, metrics.json) as artifacts; `mlflow ui --backend-store-uri URI` shows them.

    The default store is the SQLite file runs/mlflow.db with artifacts in runs/mlartifacts (MLflow 3 refuses the
    plain-folder store unless MLFLOW_ALLOW_FILE_STORE=true).
    """

    def __init__(self, folder: Path, *, task: str, experiment: str, resuming: bool, tracking_uri: str = "") -> None:
        super().__init__(folder, task=task, experiment=experiment, resuming=resuming)
        self.mlflow = require("mlflow", purpose="Tracking with --tracker mlflow")
        uri = tracking_uri or f"sqlite:///{RUNS.resolve() / 'mlflow.db'}"
        self.mlflow.set_tracking_uri(uri)
        name = f"{task}/{experiment}"
        if uri.startswith("sqlite:///") and self.mlflow.get_experiment_by_name(name) is None:
            artifacts = Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts"
            self.mlflow.create_experiment(name, artifact_location=artifacts.resolve().as_uri())
        self.mlflow.set_experiment(name)
        stored = folder / "mlflow_run_id"
        run_id = stored.read_text().strip() if resuming and stored.is_file() else None
        self.run = self.mlflow.start_run(run_id=run_id, run_name=None if run_id else folder.name)
        stored.write_text(self.run.info.run_id + "\n")

    def log_params(self, params: dict) -> None:
        super().log_params(params)
        if not self.resuming:  # MLflow refuses to change a logged parameter
            self.mlflow.log_params({k: str(v) for k, v in params.items()})

    def log_metrics(self, row: dict, step: int) -> None:
        super().log_metrics(row, step)
        numbers = {k: float(v) for k, v in row.items() if isinstance(v, (int, float)) and k not in ("epoch", "fit")}
        self.mlflow.log_metrics(numbers, step=step)

    def log_artifacts(self, folder: Path) -> None:
        super().log_artifacts(folder)
        self.mlflow.log_artifacts(str(folder), artifact_path="checkpoint")
        metrics = folder / "metrics.json"
        if metrics.is_file():
            test = json.loads(metrics.read_text()).get("test", {})
            self.mlflow.log_metrics({f"test_{k}": float(v) for k, v in test.items() if isinstance(v, (int, float))})

    def finish(self, status: str) -> None:
        super().finish(status)
        self.mlflow.end_run(status=status)


class WandbTracker(LocalTracker):
    """Also a Weights & Biases run (project `physiospaces-<task>`, group = experiment); `WANDB_MODE=offline` keeps it
    on disk under the run folder for `wandb sync`."""

    def __init__(self, folder: Path, *, task: str, experiment: str, resuming: bool, tracking_uri: str = "") -> None:
        super().__init__(folder, task=task, experiment=experiment, resuming=resuming)
        self.wandb = require("wandb", purpose="Tracking with --tracker wandb")
        stored = folder / "wandb_run_id"
        run_id = stored.read_text().strip() if resuming and stored.is_file() else None
        self.run = self.wandb.init(
            project=f"physiospaces-{task}",
            group=experiment,
            name=folder.name,
            dir=str(folder),
            id=run_id,
            resume="must" if run_id else None,
        )
        stored.write_text(self.run.id + "\n")

    def log_params(self, params: dict) -> None:
        super().log_params(params)
        self.run.config.update(params, allow_val_change=True)

    def log_metrics(self, row: dict, step: int) -> None:
        super().log_metrics(row, step)
        self.run.log({k: v for k, v in row.items() if isinstance(v, (int, float))}, step=step)

    def log_artifacts(self, folder: Path) -> None:
        super().log_artifacts(folder)
        artifact = self.wandb.Artifact(f"{self.task}-{self.experiment}".replace("/", "-"), type="model")
        artifact.add_dir(str(folder))
        self.run.log_artifact(artifact)

    def finish(self, status: str) -> None:
        super().finish(status)
        self.run.finish(exit_code=0 if status == "FINISHED" else 1)


TRACKERS = {"local": LocalTracker, "mlflow": MLflowTracker, "wandb": WandbTracker}


class Run:
    """One training run: its folder, its tracker (rank 0 only) and the epoch states of each `fit` call in it."""

    def __init__(self, task: str, values: dict, *, resume: str = "") -> None:
        self.resuming = bool(resume)
        experiment = values.get("experiment") or values.get("variant") or "default"
        local_root = values.get("tracking_uri") if values.get("tracker") != "mlflow" else ""
        self.folder: Path | None = None
        if self.resuming:
            self.folder = Path(resume)
        elif distributed.is_main():  # the other processes of a distributed run only read states, when resuming
            self.folder = _unused(Path(local_root or RUNS) / task / experiment / time.strftime("%Y%m%d-%H%M%S"))
        self.tracker = None
        self.fits = 0
        self.step = 0
        if distributed.is_main():
            (self.folder / "state").mkdir(parents=True, exist_ok=True)
            kind = TRACKERS[values.get("tracker", "local")]
            self.tracker = kind(
                self.folder,
                task=task,
                experiment=experiment,
                resuming=self.resuming,
                tracking_uri=values.get("tracking_uri", "") if kind is MLflowTracker else "",
            )
            self.tracker.log_params(values)
            print(f"run folder: {self.folder}")

    def next_fit(self) -> int:
        """Number the next `fit` call of this run (several per run: ensemble members, folds)."""
        self.fits += 1
        return self.fits - 1

    def state_path(self, fit: int) -> Path:
        return self.folder / "state" / f"fit{fit}.pt"

    def load_state(self, fit: int) -> dict | None:
        """The last saved state of fit number `fit` when resuming, else None."""
        if not self.resuming:
            return None
        path = self.state_path(fit)
        return torch.load(path, weights_only=True) if self.resuming and path.is_file() else None

    def save_state(self, fit: int, state: dict) -> None:
        if self.tracker is None:
            return
        partial = self.state_path(fit).with_suffix(".part")
        torch.save(state, partial)
        partial.replace(self.state_path(fit))  # a run killed while saving keeps the previous epoch's state

    def log_epoch(self, fit: int, row: dict) -> None:
        self.step += 1
        if self.tracker is not None:
            self.tracker.log_metrics({"fit": fit, **row}, step=self.step)


def _unused(folder: Path) -> Path:
    """`folder`, or `folder-2`, `folder-3`... when a run of the same second exists."""
    candidate, n = folder, 1
    while candidate.exists():
        n += 1
        candidate = folder.with_name(f"{folder.name}-{n}")
    return candidate


class Session:
    """The run of one training command, started by the loop's first `fit` (or at the end, from the checkpoint)."""

    def __init__(self, task: str) -> None:
        self.task = task
        self.run: Run | None = None

    def start(self, values: dict, *, resume: str = "") -> Run:
        if self.run is None:
            self.run = Run(self.task, values, resume=resume)
        return self.run

    def close(self, out: Path | None, status: str) -> None:
        """Log the checkpoint folder `out` (its recorded configuration starts the run if no `fit` did) and finish."""
        if self.run is None and out is not None and (out / "training_config.json").is_file():
            self.start(json.loads((out / "training_config.json").read_text()))
        if self.run is None or self.run.tracker is None:
            return
        if out is not None and out.is_dir():
            self.run.tracker.log_artifacts(out)
        self.run.tracker.finish(status)


_active: Session | None = None


@contextlib.contextmanager
def tracked(task: str) -> Iterator[Session]:
    """Track the training runs inside: `with tracked("ecg") as session: session.close(main(argv), "FINISHED")`."""
    global _active
    _active = Session(task)
    try:
        yield _active
    except BaseException:
        _active.close(None, "KILLED")
        raise
    finally:
        _active = None


def current_run(config) -> Run | None:
    """The run of the active session (started with `config` on the first call), or None outside one."""
    return None if _active is None else _active.start(config.to_dict(), resume=config.resume)
