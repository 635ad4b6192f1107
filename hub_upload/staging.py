"""Stage each repo (model, dataset, Space) in a local folder exactly as it will be uploaded.

Repo names come from the registry (`Task.hub`); only the namespace is chosen, and it is validated before any path
or repo id is built from it.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError, InputError
from core.predictor import CHECKPOINT_FILES
from core.tasks import ROOT, Task, get_task, import_object, in_namespace, list_tasks
from hub_upload import cards

log = logging.getLogger("physiospaces.hub_upload")

MODEL_FILES = (*CHECKPOINT_FILES, "training_config.json")
EXPLORER_NAME = "physiospaces-explorer"
SPACE_EXCLUDED_REQUIREMENTS = (
    "gradio",
    "gradio_client",
    "streamlit",
    "datasets",
    "pytest",
    "hypothesis",
    "playwright",
    "torch",
    "onnx",
    "onnxscript",
    "umap-learn",
)
"""Left out of a Gradio Space's requirements: the SDK brings gradio; Spaces serve ONNX without torch; the rest is for
tests, export, training (umap-learn: the latent-space plot of model cards) or the explorer."""
_NAMESPACE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")


@dataclass(frozen=True)
class StagedRepo:
    """One staged repo: its Hub type and id, the local folder, and the Space variables to set on creation."""

    repo_type: str
    repo_id: str
    folder: Path
    space_sdk: str | None = None
    space_variables: dict[str, str] = field(default_factory=dict)

    def files(self) -> list[str]:
        """Paths of the staged files, relative to the folder, sorted."""
        return sorted(p.relative_to(self.folder).as_posix() for p in self.folder.rglob("*") if p.is_file())


def check_namespace(namespace: str) -> str:
    """`namespace` if it is a valid Hub user or organisation name."""
    if not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace) or ".." in namespace or "--" in namespace:
        raise ConfigError(
            f"Invalid Hub namespace {namespace!r}; use letters, digits, '-', '_' or '.', e.g. --namespace physiospaces."
        )
    return namespace


def hub_id(registry_id: str, *, namespace: str) -> str:
    """The registry repo id `registry_id` under `namespace`."""
    return in_namespace(registry_id, check_namespace(namespace))


def _fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def _copy_checkpoint(source: Path, target: Path, names=MODEL_FILES) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        if (source / name).is_file():
            shutil.copy2(source / name, target / name)


def shipped_variants(task: Task) -> list[str]:
    """Variants of `task` whose checkpoint folder is present (the others are reported and skipped)."""
    present = [v for v, folder in task.checkpoints.items() if (folder / "config.json").is_file()]
    for variant in task.checkpoints:
        if variant not in present:
            log.warning("Skipping %s variant %r: no checkpoint at %s.", task.name, variant, task.checkpoints[variant])
    return present


def stage_model(task: Task, variant: str, *, namespace: str, out: Path) -> StagedRepo:
    """The model repo of one checkpoint variant: weights, config, ONNX, metrics, training config, report, card."""
    repo_id = hub_id(task.hub.models[variant], namespace=namespace)
    folder = _fresh(Path(out) / repo_id.split("/")[1])
    source = task.checkpoint(variant)
    _copy_checkpoint(source, folder, [name for name in MODEL_FILES if name != "README.md"])
    if (source / "report").is_dir():
        shutil.copytree(source / "report", folder / "report")
    (folder / "README.md").write_text(cards.model_card_text(task, variant, namespace=namespace))
    return StagedRepo("model", repo_id, folder)


def stage_dataset(task: Task, *, namespace: str, out: Path, limit: int | None = None) -> StagedRepo:
    """The dataset repo of `task` (built by its `dataset_repo`): one parquet file per config and split under data/,
    and a card declaring them. `limit` keeps the first `limit` rows of every split."""
    repo_id = hub_id(task.hub.dataset, namespace=namespace)
    repo = import_object(task.dataset_repo)(limit=limit)
    folder = _fresh(Path(out) / repo_id.split("/")[1])
    files: dict[str, dict[str, str]] = {}
    for config, splits in repo.configs.items():
        for split, data in splits.items():
            path = f"data/{config}/{split}-00000-of-00001.parquet"
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            data.to_parquet(str(folder / path))
            files.setdefault(config, {})[split] = path
    (folder / "README.md").write_text(cards.dataset_card(task, repo, repo_id=repo_id, files=files))
    return StagedRepo("dataset", repo_id, folder)


def _copy_core(target: Path) -> None:
    shutil.copytree(ROOT / "core", target / "core", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def _requirements(excluded: tuple[str, ...]) -> str:
    """The project's requirements minus `excluded`; torch, when kept, from the CPU wheel index (Spaces run on CPU)."""
    lines = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    kept = [line for line in lines if re.split(r"[<>=!~ ]", line, maxsplit=1)[0].lower() not in excluded]
    index = [] if "torch" in excluded else ["--extra-index-url https://download.pytorch.org/whl/cpu"]
    return "\n".join([*index, *kept]) + "\n"


def stage_space(task: Task, *, namespace: str, out: Path) -> StagedRepo:
    """A self-contained Gradio Space: the task's app at the root, `core`, the shipped checkpoints, examples,
    requirements."""
    import gradio

    repo_id = hub_id(task.hub.space, namespace=namespace)
    folder = _fresh(Path(out) / repo_id.split("/")[1])
    shutil.copy2(task.space_dir / "app.py", folder / "app.py")
    if (task.space_dir / "examples").is_dir():
        shutil.copytree(task.space_dir / "examples", folder / "spaces" / task.name / "examples")
    _copy_core(folder)
    # installable from the Space repo, as the model cards say: pip install "physiospaces @ git+<Space URL>"
    shutil.copy2(ROOT / "pyproject.toml", folder / "pyproject.toml")
    shutil.copytree(ROOT / "physiospaces", folder / "physiospaces", ignore=shutil.ignore_patterns("__pycache__"))
    variants = shipped_variants(task)
    for variant in variants:
        _copy_checkpoint(task.checkpoint(variant), folder / "checkpoints" / task.checkpoint(variant).name)
    (folder / "requirements.txt").write_text(_requirements(SPACE_EXCLUDED_REQUIREMENTS))
    models = [hub_id(task.hub.models[v], namespace=namespace) for v in variants]
    body = f"""
# {task.title}

{task.summary}

Served with onnxruntime. With the Space variables `PHYSIOSPACES_FROM_HUB=1` and `PHYSIOSPACES_NAMESPACE={namespace}`
each model comes from its model repo ({", ".join(models)}); `PHYSIOSPACES_MODEL_REPO` may name another repo for the
default one. When the Hub cannot be reached, the copy of the shipped checkpoint in `checkpoints/` serves instead. \
Run it locally: `pip install -r requirements.txt gradio && python app.py`.

A research demonstration, not a medical device. Data: {hub_id(task.hub.dataset, namespace=namespace)}.
"""
    readme = cards.space_readme(
        title=f"{task.title} - PhysioSpaces",
        sdk="gradio",
        sdk_version=gradio.__version__,
        models=models,
        datasets=[hub_id(task.hub.dataset, namespace=namespace)],
        license=task.license,
        summary=task.summary,
        body=body,
    )
    (folder / "README.md").write_text(readme)
    variables = {"PHYSIOSPACES_FROM_HUB": "1", "PHYSIOSPACES_NAMESPACE": namespace}
    return StagedRepo("space", repo_id, folder, space_sdk="gradio", space_variables=variables)


def stage_explorer(*, namespace: str, out: Path) -> StagedRepo:
    """The Streamlit explorer Space: its app, `core`, every task's metrics and model card, requirements; its dataset
    browser reads the dataset repos of PHYSIOSPACES_NAMESPACE (set as a Space variable)."""
    import streamlit

    repo_id = f"{check_namespace(namespace)}/{EXPLORER_NAME}"
    folder = _fresh(Path(out) / EXPLORER_NAME)
    for path in (ROOT / "spaces" / "explorer").glob("*.py"):
        shutil.copy2(path, folder / path.name)
    _copy_core(folder)
    models, datasets = [], []
    for name in list_tasks():
        task = get_task(name)
        for variant in shipped_variants(task):
            target = folder / "checkpoints" / task.checkpoint(variant).name
            _copy_checkpoint(task.checkpoint(variant), target, ("metrics.json", "config.json", "training_config.json"))
            (target / "README.md").write_text(cards.model_card_text(task, variant, namespace=namespace))
            models.append(hub_id(task.hub.models[variant], namespace=namespace))
        if task.dataset_repo:
            datasets.append(hub_id(task.hub.dataset, namespace=namespace))
    (folder / "requirements.txt").write_text(
        _requirements(("streamlit", "pytest", "hypothesis", "gradio_client", "onnxscript"))
    )
    body = """
# PhysioSpaces explorer

Leaderboard of the measured metrics of every PhysioSpaces model beside published reference results (with sources),
a browser of the datasets (class balance, example signals per class, filters by subject or record) and every model card.
"""
    readme = cards.space_readme(
        title="PhysioSpaces explorer",
        sdk="streamlit",
        sdk_version=streamlit.__version__,
        models=models,
        datasets=datasets,
        license="mit",
        summary="Leaderboard, datasets and model cards of PhysioSpaces",
        body=body,
    )
    (folder / "README.md").write_text(cards.renamespace(readme, namespace))
    return StagedRepo(
        "space", repo_id, folder, space_sdk="streamlit", space_variables={"PHYSIOSPACES_NAMESPACE": namespace}
    )


def stage(kind: str, task_name: str | None, *, namespace: str, out: Path, limit: int | None = None) -> list[StagedRepo]:
    """Stage the repos of `kind` ("model", "dataset", "space" or "all") for one task, or for every task when None."""
    check_namespace(namespace)
    kinds = ("model", "dataset", "space") if kind == "all" else (kind,)
    if any(k not in ("model", "dataset", "space") for k in kinds):
        raise ConfigError(f"Unknown repo kind {kind!r}; accepted kinds are ['model', 'dataset', 'space', 'all'].")
    tasks = [get_task(task_name)] if task_name else [get_task(name) for name in list_tasks()]
    staged = []
    for task in tasks:
        if "model" in kinds:
            staged += [stage_model(task, variant, namespace=namespace, out=out) for variant in shipped_variants(task)]
        if "dataset" in kinds and task.dataset_repo and kind == "all":
            try:  # `all` stages what it can: a dataset repo without its raw data is skipped, said why
                staged.append(stage_dataset(task, namespace=namespace, out=out, limit=limit))
            except InputError as exc:
                log.warning("Skipping the dataset repo of %s: %s", task.name, exc)
        elif "dataset" in kinds and task.dataset_repo:
            staged.append(stage_dataset(task, namespace=namespace, out=out, limit=limit))
        elif "dataset" in kinds:
            log.warning("Skipping the dataset repo of %s: its registry entry names no dataset_repo builder.", task.name)
        if "space" in kinds:
            staged.append(stage_space(task, namespace=namespace, out=out))
    if kind == "all" and task_name is None:
        staged.append(stage_explorer(namespace=namespace, out=out))
    return staged
