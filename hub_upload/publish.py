"""Upload staged repos to the Hugging Face Hub and link them in a collection. The token is never printed or logged."""

from __future__ import annotations

from huggingface_hub import HfApi, get_token

from core.errors import HubAuthError
from hub_upload.staging import StagedRepo

COLLECTION_TITLE = "PhysioSpaces"


def require_token() -> str:
    """The Hugging Face token from HF_TOKEN or `hf auth login`, or a clear error."""
    token = get_token()
    if not token:
        raise HubAuthError(
            "No Hugging Face token found; set HF_TOKEN or run `hf auth login`, then run the command again."
        )
    return token


def publish(staged: list[StagedRepo], *, token: str) -> list[str]:
    """Create (if needed) and upload every staged repo; returns their URLs."""
    api = HfApi(token=token)
    urls = []
    for repo in staged:
        variables = [{"key": k, "value": v} for k, v in repo.space_variables.items()] or None
        url = api.create_repo(
            repo.repo_id, repo_type=repo.repo_type, exist_ok=True, space_sdk=repo.space_sdk, space_variables=variables
        )
        api.upload_folder(
            repo_id=repo.repo_id,
            folder_path=repo.folder,
            repo_type=repo.repo_type,
            commit_message="Upload from PhysioSpaces (python -m hub_upload)",
        )
        urls.append(str(url))
    return urls


def link_collection(staged: list[StagedRepo], *, namespace: str, token: str) -> str:
    """A collection in `namespace` holding every staged repo; returns its slug."""
    api = HfApi(token=token)
    collection = api.create_collection(
        COLLECTION_TITLE,
        namespace=namespace,
        exists_ok=True,
        description="Physiological time-series models, their datasets and Spaces.",
    )
    for repo in staged:
        api.add_collection_item(collection.slug, item_id=repo.repo_id, item_type=repo.repo_type, exists_ok=True)
    return collection.slug
