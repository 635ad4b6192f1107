"""Model cards: Hub metadata (with a model-index of measured metrics) and a body a developer can act on."""

from __future__ import annotations

import re
from pathlib import Path

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


def card_example(task: Task, variant: str) -> Path:
    """The first shipped example the task would give to `variant` (else its first example, or a placeholder name where
    the examples are absent): what the card runs."""
    examples = [path for path in task.examples if path.suffix != ".dat"]
    for path in examples:
        try:
            if task.pick_variant(task.read(path, extra_files=tuple(upload_extras(path)))) == variant:
                return path
        except Exception:  # an example another variant reads: not this card's
            continue
    return examples[0] if examples else Path("recording.csv")  # a copy of core without the Spaces' examples


def upload_extras(path: Path) -> list[Path]:
    """The files that come with an example: a WFDB header's `.dat`."""
    return [path.with_suffix(".dat")] if path.suffix == ".hea" else []


def use_section(task: Task, variant: str) -> str:
    """The card's "Use it" section: a snippet that runs as pasted (install line, a file, the labels the Space gives)."""
    served_with = next((main for main, companions in task.companions.items() if variant in companions.values()), None)
    variant = served_with or variant  # a companion model runs inside its main variant's prediction
    repo_id, example = task.hub.models[variant], card_example(task, variant)
    companion_note = f" (this model runs inside the `{variant}` variant's prediction)" if served_with else ""
    extras = "".join(f", extra_files=[{str(path.name)!r}]" for path in upload_extras(example))
    return f"""## Use it

With the Space's example `{example.name}` (download it from the Space's `spaces/{task.name}/examples/`) or your own \
file, on onnxruntime; this prints what the Space shows:{companion_note}

```python
# pip install "physiospaces @ git+https://huggingface.co/spaces/{task.hub.space}"
from physiospaces import predict

result = predict("{task.name}", "{example.name}"{extras}, variant="{variant}", repo_id="{repo_id}")
print(result.summary())
```

`result.to_json()` is the JSON of `physiospaces predict {task.name} FILE --json`. For training or fine-tuning, \
`physiospaces.load_model("{task.name}", repo_id="{repo_id}")` gives the torch model (`pip install \
"physiospaces[train] @ git+..."`); the ONNX graph's inputs and their normalisation are in `config.json`.
"""


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

{use_section(task, variant)}{_quantization_note(metrics)}
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


USE_IT = re.compile(r"^## Use it\n.*?(?=^`model\.int8\.onnx` is the served graph|^## )", re.S | re.M)
"""A card's "Use it" section, up to its int8 note or the next section."""


def current_card(task: Task, variant: str) -> str:
    """The checkpoint's card (written at training time) with today's "Use it" section, added when missing."""
    text = task.checkpoint(variant).joinpath("README.md").read_text()
    text, found = USE_IT.subn(lambda _: use_section(task, variant) + "\n", text, count=1)
    if not found:  # a card without the section gets it before its first one
        text = re.sub(r"^## ", lambda _: use_section(task, variant) + "\n## ", text, count=1, flags=re.M)
    return text
