"""The five Hub benchmarks, one module each: where it lives, how a row becomes a `Question`, each protocol's prompt.

| task | module | hub id | configs / splits | images | answer |
|---|---|---|---|---|---|
| blink | `blink` | BLINK-Benchmark/BLINK | 14 subtask configs / `val` | `image_1`..`image_4` (None unused) | letter |
| mantis | `mantis` | TIGER-Lab/Mantis-Eval | `mantis_eval` / `test` | `images`, `<image>` in question | letter or short |
| nlvr2 | `mantis` | TIGER-Lab/NLVR2 | `nlvr2` / `test` | `images` (2) | letter of (A) True (B) False |
| mmstar | `mmstar` | Lin-Chen/MMStar | `val` / `val` | `image` | letter A-D |
| pope | `pope` | lmms-lab/POPE | `Full` / adversarial, popular, random | `image` | yes / no |

Prompt strings are copied from each reference's template (the `source=` of each `Prompt` names the file);
`tests/eval/test_eval_protocols.py` checks a fixture item of every benchmark against them. What several
benchmarks share (the letter hint, VLMEvalKit's multiple-choice layout) is in `common`. The Level-3 probe
(`l3probe`) and the preference task (`s2h_test`) register themselves from `eval/probe.py` and
`eval/preference.py`. A new benchmark is one more module with one `TaskSpec`, added to the tuple below.
"""

from __future__ import annotations

from ..spec import TaskSpec, register
from .blink import BLINK, BLINK_CONFIGS
from .mantis import MANTIS, NLVR2
from .mmstar import MMSTAR
from .pope import POPE

__all__ = ["BENCHMARKS", "BLINK_CONFIGS"]

BENCHMARKS: dict[str, TaskSpec] = {spec.name: register(spec) for spec in (BLINK, MANTIS, NLVR2, MMSTAR, POPE)}
