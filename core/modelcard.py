"""Model cards: Hub metadata (with a model-index of measured metrics) and a body a developer can act on."""

from __future__ import annotations

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from core.predictor import shown_metrics
from core.tasks import Task


def _quantization_note(metrics: dict) -> str:
    """A paragraph on the int8 graph, when the checkpoint is served from one."""
    if metrics.get("served_onnx") != "model.int8.onnx":
        return ""
    float32 = ", ".join(
        f"{name.replace('_', ' ')} {value:.4f}" for name, value in metrics.get("test_float32", {}).items()
    )
    return (
        "\n`model.int8.onnx` is the served graph: `model.onnx` (float32, the same weights as `model.safetensors`) with "
        "int8 weights and activations, calibrated on training items. The test figures below are its own; float32 "
        f"scores {float32}.\n"
    )


def model_card(task: Task, variant: str, *, metrics: dict, training_command: str, protocol: str, limits: str) -> str:
    """Card text for one checkpoint variant of `task`; `metrics` as in its metrics.json (a "test" block is reported)."""
    test = metrics.get("test", {})
    repo_id = task.hub.models[variant]
    results = [
        EvalResult(
            task_type=task.extra.get("hub_task_type", "time-series-classification"),
            dataset_type=task.hub.dataset,
            dataset_name=metrics.get("dataset", task.hub.dataset),
            dataset_split="test",
            metric_type=name,
            metric_name=name.replace("_", " "),
            metric_value=round(value, 4),
        )
        for name, value in shown_metrics(test).items()
    ]
    data = ModelCardData(
        model_name=repo_id,
        library_name="physiospaces",
        license=task.license,
        tags=["physiospaces", task.name, "physiological-signals", "time-series", "onnx", "safetensors"],
        datasets=[task.hub.dataset],
        pipeline_tag=task.extra.get("pipeline_tag", "time-series-classification"),
        metrics=[r.metric_type for r in results],
        eval_results=results or None,
    )
    table = "\n".join(f"| {r.metric_name} | {r.metric_value} |" for r in results)
    body = f"""
# {task.title} ({variant})

{task.summary}

## Use it

```python
from core import load_model
model = load_model("{task.name}", repo_id="{repo_id}")
```

or without the PhysioSpaces code, with onnxruntime alone:

```python
from huggingface_hub import hf_hub_download
import onnxruntime as ort
session = ort.InferenceSession(hf_hub_download("{repo_id}", "{metrics.get("served_onnx", "model.onnx")}"))
```
{_quantization_note(metrics)}
## Evaluation

Protocol: {protocol}

| metric (test split) | value |
|---|---|
{table}

All figures are in `metrics.json`, measured by the training command below on the test part, which was never used \
for model selection.

## Training

```bash
{training_command}
```

The resolved configuration is in `training_config.json`.

## Limits

{limits} This model is a research demonstration, not a medical device; do not use it for diagnosis.

## Citation

{task.citation}
"""
    return ModelCard.from_template(data, template_str="---\n{{ card_data }}\n---\n" + body).content
