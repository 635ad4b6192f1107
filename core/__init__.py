"""PhysioSpaces core: tasks, models, signal functions, readers and checkpoints.

from core import load_model
model = load_model("ecg")                      # shipped checkpoint
model = load_model("ecg", repo_id="ns/name")   # the same, from the Hugging Face Hub
"""

from __future__ import annotations

from core.tasks import get_task, list_tasks

__all__ = ["get_task", "list_tasks", "load_model"]


def load_model(
    task: str,
    *,
    repo_id: str | None = None,
    variant: str | None = None,
    revision: str | None = None,
    backend: str = "torch",
):
    """The model of `task`: the shipped checkpoint, or the one in Hub repo `repo_id`.

    variant: a shipped checkpoint variant (e.g. "intra" or "inter" for ECG). backend: "torch" (the PhysioModel, for
    training and fine-tuning) or "onnx" (the task's predictor on onnxruntime, with the same predict methods and no
    torch).
    """
    from core.errors import InputError
    from core.predictor import load_predictor, resolve_checkpoint

    if backend not in ("torch", "onnx"):
        raise InputError(f"Unknown backend {backend!r}; accepted backends are ['torch', 'onnx'].")
    spec = get_task(task)
    folder = resolve_checkpoint(None if repo_id else spec.checkpoint(variant), repo_id, revision)
    if backend == "onnx":
        return load_predictor(spec.predictor, folder)
    from core.checkpoint import load_checkpoint

    return load_checkpoint(spec.model_class_of(variant), folder)
