"""Builds on an existing engine: datatrove's executors run the stages of `s2h build --executor ...`.

| stage | ranks | does |
|---|---|---|
| encode | one per planned shard | decodes and encodes a 1/N slice of the source images into the image store |
| plan | 1 | the planning walk of a one-machine build (re-plans where it finds a bad image), `plan.json` |
| captions | `--caption-tasks` (model captioners only) | each unique caption request once, then its edits |
| shards | one per planned shard | its shard: images from the store, texts from the cache, filter, write |
| publish | 1 | `s2h merge` without the copy: card, report, manifest, validation, the final rename |

Each image is encoded by one rank and each caption asked by one rank; the output has the bytes of a
one-machine build with the same arguments. `executors.py` is the driver, `stages.py` the stages,
`context.py` what they share (the datatrove step, the rank, the files they leave in the staging folder).
"""

from .executors import run_build, stage_plan

__all__ = ["run_build", "stage_plan"]
