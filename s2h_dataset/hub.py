"""`s2h push`: publish a validated build as a Hub dataset repo (parquet + card; never a loading script).

What is uploaded is exactly what was validated: the files of the build's manifest (only the layout's file
kinds, `layout.is_layout_file`) plus its report, each hashed by the uploader itself (`CommitOperationAdd`)
and compared with the manifest before the commit, so a file changed or added after `s2h validate` never
reaches the Hub. The one deliberate change, made
after validation, is the card's load snippet pointed at the repo (its new hash goes into the manifest).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
from huggingface_hub import CommitOperationAdd, HfApi

from .card.render import set_repo_id
from .errors import UserError
from .hubnet import explain
from .integrity import partial_shards, refresh_entry
from .layout import CARD_FILE, REPORT_FILE, is_layout_file
from .validate import validate

__all__ = ["push_dataset", "upload_operations"]

logger = logging.getLogger(__name__)


def upload_operations(folder: Path) -> list[CommitOperationAdd]:
    """One upload per manifest file and the report; `UserError` if a file's bytes left the manifest."""
    report = json.loads((folder / REPORT_FILE).read_text(encoding="utf-8"))
    if partial_shards(report) is not None:
        raise UserError(
            f"{folder} holds one slice of a `--shard I/N` build; join the slices with `s2h merge` first"
        )
    manifest = report["manifest"]
    operations = []
    for relative, entry in sorted(manifest.items()):
        if not is_layout_file(relative):  # validate refuses it first; never upload it whatever the caller
            raise UserError(
                f"{folder / REPORT_FILE} lists {relative!r}, not a file a build publishes; run `s2h validate`"
            )
        operation = CommitOperationAdd(path_in_repo=relative, path_or_fileobj=str(folder / relative))
        if operation.upload_info.sha256.hex() != entry["sha256"]:
            raise UserError(
                f"{folder / relative} changed after validation; rerun `s2h push` once it is final"
            )
        operations.append(operation)
    operations.append(CommitOperationAdd(path_in_repo=REPORT_FILE, path_or_fileobj=str(folder / REPORT_FILE)))
    return operations


def _point_card_at(folder: Path, repo_id: str) -> None:
    """Rewrite the validated card's load snippet for `repo_id` and record its new bytes in the manifest."""
    if set_repo_id(folder, repo_id):
        refresh_entry(folder, CARD_FILE)


def push_dataset(
    folder: str | Path,
    repo_id: str,
    private: bool = False,
    commit_message: str | None = None,
    api: HfApi | None = None,
) -> str:
    """Validate `folder`, create the dataset repo if needed, upload what was validated; return the commit URL."""
    folder = Path(folder)
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise UserError(f"--repo `{repo_id}` must look like ORG/NAME")
    problems = validate(folder)
    if problems:
        raise UserError(
            f"{folder} failed validation ({len(problems)} problems, first: {problems[0]}); "
            f"run `s2h validate {folder}` for the list and rebuild"
        )
    _point_card_at(folder, repo_id)
    operations = upload_operations(folder)
    api = api or HfApi()
    try:
        url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        logger.info("uploading %d files of %s to %s", len(operations), folder, url)
        commit = api.create_commit(
            repo_id=repo_id,
            repo_type="dataset",
            operations=operations,
            commit_message=commit_message or "Upload S2H-DPO dataset built with `s2h build`",
        )
    except (
        OSError,
        ValueError,
        RuntimeError,
        httpx.HTTPError,
    ) as err:  # HfHubHTTPError, OfflineModeIsEnabled
        what = f"the Hub refused or could not be reached ({type(err).__name__})"
        raise UserError(explain(err, what, "rerun `s2h push` once the Hub is reachable")) from None
    return str(getattr(commit, "commit_url", commit))
