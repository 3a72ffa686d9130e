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
