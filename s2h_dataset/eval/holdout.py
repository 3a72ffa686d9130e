"""`--train-dataset`: prove the probe's images were held out of the build the model was trained on.

A build splits source images with `layout.split_of(source_id, test_fraction)`; its build_report.json keeps
the arguments (sources, seed, test_fraction). Every probe image drawn from a source the build used must be
on the build's test side; one training image in the probe is an error naming how to fix it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..layout import REPORT_FILE, split_of
from ..redact import strip_paths

__all__ = ["check_holdout", "read_build_arguments"]


def read_build_arguments(dataset: str) -> dict[str, Any]:
    """The `arguments` of a build's build_report.json, from a folder or a Hub dataset repo."""
    folder = Path(dataset)
    if folder.is_dir():
        path = folder / REPORT_FILE
        if not path.exists():
            raise UserError(
                f"`--train-dataset {dataset}`: no {REPORT_FILE}; is it a folder written by `s2h build`?"
            )
    else:
        from huggingface_hub import hf_hub_download

        try:
            path = Path(hf_hub_download(dataset, REPORT_FILE, repo_type="dataset"))
        except Exception as err:  # huggingface_hub raises many types; the user needs one line and the fix
            from ..hubnet import explain

            raise UserError(
                explain(
                    err,
                    f"`--train-dataset {dataset}`: cannot read {REPORT_FILE} from the Hub",
                    "pass the local build folder instead",
                )
            ) from None
    arguments = json.loads(path.read_text(encoding="utf-8")).get("arguments") or {}
    if "test_fraction" not in arguments:
        raise UserError(f"`--train-dataset {dataset}`: its {REPORT_FILE} records no test_fraction")
    return arguments


def check_holdout(dataset: str, probe_source: str, records: list) -> int:
    """Raise if one of the probe's `records` (drawn from `probe_source`) could be a training image of
    `dataset`'s build; return how many were checked (0 when the build did not use that source)."""
    arguments = read_build_arguments(dataset)
    # a report keeps a local source's last path part only (`redact.strip_paths`): compare in that form
    sources = {strip_paths(s) for s in arguments.get("source") or []}
    if strip_paths(probe_source) not in sources:
        return 0  # other images than the build's: nothing can overlap
    fraction = float(arguments["test_fraction"])
    trained = [r.source_id for r in records if split_of(r.source_id, fraction) == "train"]
    if trained:
        raise UserError(
            f"the probe would show {len(trained)} images the build in {dataset} trained on (e.g. {trained[0]}; "
            f"built with --test-fraction {fraction}); pass --probe-holdout {fraction} or less"
        )
    return len(records)
