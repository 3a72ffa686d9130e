"""Test helpers for the S2H-DPO toolkit.

Nothing here is needed at run time by the dataset tools; these modules exist so that tests and benchmarks
can exercise real `transformers` / TRL code paths offline:

* :mod:`s2h_dataset.testing.tiny_tokenizer` trains a small byte-level BPE tokenizer locally and equips it
  with the special tokens and chat template of a VLM family; :mod:`s2h_dataset.testing.tiny_corpus` is
  the synthetic corpus it learns its merges from.
* :mod:`s2h_dataset.testing.tiny_vlms` builds ~1M-parameter random vision-language models (Qwen2-VL,
  Qwen2.5-VL, Qwen3-VL, LLaVA, Idefics3, SmolVLM, Gemma3) with working processors, saved like a Hub
  checkpoint so ``AutoModelForImageTextToText`` / ``AutoProcessor`` reload them without network access.

These helpers need the ``train`` and ``test`` extras (torch, torchvision, num2words).
"""

from __future__ import annotations

import atexit
import functools
import pathlib
import shutil
import tempfile

__all__ = ["FAMILIES", "tiny_vlm_cache"]

#: The VLM families `tiny_vlms.build_tiny_vlm` can build (``config.model_type`` of the saved model); here,
#: not in `tiny_vlms`, so tests can name them without importing torch and transformers.
FAMILIES: tuple[str, ...] = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "llava", "idefics3", "smolvlm", "gemma3")


@functools.cache
def tiny_vlm_cache(family: str) -> pathlib.Path:
    """Build `family` once per process (seed 0) into a temporary folder removed at exit; return its path.
    torch and transformers are imported on the first call, not with this package."""
    from .tiny_vlms import build_tiny_vlm

    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f"tiny-{family}-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    return build_tiny_vlm(family, tmp)
