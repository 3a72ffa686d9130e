"""`s2h push`: publish a validated build as a Hub dataset repo (parquet + card; never a loading script)."""

from __future__ import annotations

import logging
from pathlib import Path

from huggingface_hub import HfApi

from .errors import UserError
from .validate import validate

__all__ = ["push_dataset"]

logger = logging.getLogger(__name__)

IGNORE = ["*.py", ".*", "**/.*"]  # datasets >= 4 refuses repos holding a loading script


def push_dataset(
    folder: str | Path,
    repo_id: str,
    private: bool = False,
    commit_message: str | None = None,
    api: HfApi | None = None,
) -> str:
    """Validate `folder`, create the dataset repo if needed, upload; return the commit URL."""
    folder = Path(folder)
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise UserError(f"--repo `{repo_id}` must look like ORG/NAME")
    problems = validate(folder)
    if problems:
        raise UserError(
            f"{folder} failed validation ({len(problems)} problems, first: {problems[0]}); "
            f"run `s2h validate {folder}` for the list and rebuild"
        )
    api = api or HfApi()
    url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    logger.info("uploading %s to %s", folder, url)
    commit = api.upload_folder(
        repo_id=repo_id,
        repo_type="dataset",
        folder_path=str(folder),
        ignore_patterns=IGNORE,
        commit_message=commit_message or "Upload S2H-DPO dataset built with `s2h build`",
    )
    return str(getattr(commit, "commit_url", commit))
