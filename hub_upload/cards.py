"""Cards of the staged repos: the model card under the chosen namespace, dataset cards, Space READMEs."""

from __future__ import annotations

from huggingface_hub import DatasetCard, DatasetCardData, EvalResult, ModelCard, SpaceCard, SpaceCardData

from core.datasets import DatasetRepo
from core.modelcard import current_card
from core.predictor import read_metrics
from core.tasks import Task, get_task, in_namespace, list_tasks

REGISTRY_NAMESPACE = "physiospaces"


def renamespace(text: str, namespace: str) -> str:
    """`text` with every registry repo id (models, datasets, Spaces of all tasks) moved to `namespace`."""
    if namespace == REGISTRY_NAMESPACE:
        return text
    for name in list_tasks():
        hub = get_task(name).hub
        for repo_id in (*hub.models.values(), hub.dataset, hub.space):
            text = text.replace(repo_id, in_namespace(repo_id, namespace))
    return text


def model_card_text(task: Task, variant: str, *, namespace: str) -> str:
    """The checkpoint's own card with today's "Use it" section (`current_card`) and its
    repo ids under `namespace`; a card without a model-index gets one from every scalar test metric of
    metrics.json."""
    text = current_card(task, variant)
    card = ModelCard(renamespace(text, namespace))
    if not card.data.eval_results:
        metrics = read_metrics(task.checkpoint(variant))
        scalars = {
            k: v
            for k, v in metrics.get("test", {}).items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in ("n", "threshold")
        }
        card.data.model_name = card.data.model_name or renamespace(task.hub.models[variant], namespace)
        card.data.metrics = list(scalars)
        card.data.eval_results = [
            EvalResult(
                task_type=task.extra.get("hub_task_type", "time-series-classification"),
                dataset_type=card.data.datasets[0],
                dataset_name=metrics.get("dataset", card.data.datasets[0]),
                dataset_split="test",
                metric_type=name,
                metric_name=name.replace("_", " "),
                metric_value=round(float(value), 4),
            )
            for name, value in scalars.items()
        ] or None
    return card.content


def _size_category(rows: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < limit:
            return name
    return "1M<n<10M"


def dataset_card(task: Task, repo: DatasetRepo, *, repo_id: str, files: dict[str, dict[str, str]]) -> str:
    """Dataset card: `configs` with `data_files` per split, `dataset_info` features and split sizes, licence, citation.

    files: config -> split -> parquet path inside the repo.
    """
    configs = [
        {
            "config_name": config,
            **({"default": True} if i == 0 else {}),
            "data_files": [{"split": split, "path": path} for split, path in files[config].items()],
        }
        for i, config in enumerate(repo.configs)
    ]
    info = [
        {
            "config_name": config,
            "features": next(iter(splits.values())).features._to_yaml_list(),
            "splits": [
                {"name": split, "num_bytes": data.data.nbytes, "num_examples": len(data)}
                for split, data in splits.items()
            ],
        }
        for config, splits in repo.configs.items()
    ]
    rows = sum(len(data) for splits in repo.configs.values() for data in splits.values())
    data = DatasetCardData(
        license=repo.license,
        pretty_name=f"{task.title} (PhysioSpaces)",
        size_categories=_size_category(rows),
        task_categories=[task.extra.get("pipeline_tag", "time-series-classification")],
        tags=["physiospaces", task.name, "physiological-signals", "time-series"],
        configs=configs,
        dataset_info=info,
        **repo.extra_license,
    )
    models = ", ".join(f"[{m}](https://huggingface.co/{m})" for m in task.hub.models.values())
    loads = "\n".join(f'{config} = load_dataset("{repo_id}", "{config}")' for config in repo.configs)
    split_table = "\n".join(
        f"| {config} | {split} | {len(d)} |" for config, splits in repo.configs.items() for split, d in splits.items()
    )
    body = f"""
# {task.title}: the data

{repo.description}

```python
from datasets import load_dataset
{loads}
```

| config | split | rows |
|---|---|---|
{split_table}

Source: {repo.source}. Built from the raw data by `python -m hub_upload dataset {task.name}` (PhysioSpaces); \
models trained on it:
{renamespace(models, repo_id.split("/")[0])}.

## Licence

{repo.extra_license.get("license_details", repo.license)}

## Citation

{repo.citation}
"""
    return DatasetCard.from_template(data, template_str="---\n{{ card_data }}\n---\n" + body).content


def space_readme(
    *,
    title: str,
    sdk: str,
    sdk_version: str,
    models: list[str],
    datasets: list[str],
    license: str,
    summary: str,
    body: str,
) -> str:
    """Space README with the Spaces front matter (`sdk`, `sdk_version`, `app_file`, `models`, `datasets`)."""
    data = SpaceCardData(
        title=title,
        sdk=sdk,
        sdk_version=sdk_version,
        app_file="app.py",
        license=license,
        models=models,
        datasets=datasets,
        tags=["physiospaces", "physiological-signals", "time-series"],
        emoji="🫀",
        colorFrom="red",
        colorTo="blue",
        pinned=False,
        short_description=summary[:60],
    )
    return SpaceCard.from_template(data, template_str="---\n{{ card_data }}\n---\n" + body).content
