"""Captioners, chosen with `--captioner SPEC`: where captions, set descriptions and model answers come from.

| spec | backend |
|---|---|
| `reference` | no model: source captions, else sentences built from labels (default) |
"""

from __future__ import annotations

from ..errors import UserError
from .base import Captioner, TextRequest
from .reference import ReferenceCaptioner

__all__ = ["Captioner", "ReferenceCaptioner", "TextRequest", "make_captioner"]


def make_captioner(spec: str, **options) -> Captioner:
    """Build the captioner a `--captioner` spec names; `options` are the build's captioner settings."""
    if spec == "reference":
        return ReferenceCaptioner()
    raise UserError(f"unknown captioner `{spec}`; use reference")
