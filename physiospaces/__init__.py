"""PhysioSpaces as an installed package: `pip install .` (or `pip install "physiospaces @ git+URL"`) gives this
module and the `physiospaces` command (the same as `python -m core`).

    from physiospaces import predict
    result = predict("ecg", "record.hea", extra_files=["record.dat"], repo_id="physiospaces/ecg-mitbih-inter")
    print(result.summary())          # what the Space shows; result.to_json() is the CLI's --json
"""

from __future__ import annotations

from pathlib import Path

from core import get_task, list_tasks, load_model
from core.tasks import in_namespace

__all__ = ["get_task", "list_tasks", "load_model", "predict"]


def predict(
    task: str,
    path: str | Path,
    *,
    fs: float | None = None,
    extra_files: tuple | list = (),
    repo_id: str | None = None,
    variant: str | None = None,
    **options,
):
    """Read `path` and predict it as the Spaces do (onnxruntime, the task's variant choice and companions).

    fs: sampling rate in Hz for files that do not state it. repo_id: Hub repo of the chosen variant, whose companions
    come from their repos in the same namespace; without it the shipped checkpoints of a project checkout serve.
    options: the task's predict options (e.g. `mode` for respiration).
    """
    spec = get_task(task)
    data = spec.read(path, fs=fs, extra_files=tuple(extra_files))
    chosen = spec.pick_variant(data, variant, **options)

    def load(name: str):  # companions from the same namespace as repo_id
        hub_repo = (
            repo_id
            if name == chosen
            else (in_namespace(spec.hub.models[name], repo_id.split("/")[0]) if repo_id else None)
        )
        return load_model(spec.name, repo_id=hub_repo, variant=name, backend="onnx")

    return spec.run(data, load, variant=chosen, **options)
