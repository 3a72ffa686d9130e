"""`s2h build --executor local|slurm|ray`: the driver, which prepares the staging folder and hands the
stages (`stages.py`) to one of datatrove's executors.

datatrove (huggingface/datatrove, src/datatrove/executor/, read at commit a649de79) runs a list of callables
`step(data, rank, world_size)` per rank, writes the empty file `completions/{rank:05d}` under the stage's
logging folder when a rank finishes and skips ranks that have one when the stage is run again
(`PipelineExecutor._run_for_rank`, `is_rank_completed`). Its executors:

- `LocalPipelineExecutor(pipeline, tasks, workers, logging_dir)`: a process pool here. Its `depends=` waits
  for a failed dependency forever (it polls every 2 minutes), so the driver runs the stages one after the
  other itself and stops at the first stage with a failed rank; a rank's failure does not stop the others.
- `SlurmPipelineExecutor(..., tasks, time, partition, cpus_per_task, mem_per_cpu_gb, workers, job_name,
  venv_path, depends)`: one `sbatch` job array per stage, chained with `--dependency=afterok:<id>`,
  `#SBATCH --requeue`, each array task running `launch_pickled_pipeline <logging_dir>/executor.pik`; a
  rerun submits only the ranks without a marker.
- `RayPipelineExecutor(pipeline, tasks, workers, logging_dir, cpus_per_task)`: tasks on the Ray cluster
  `ray.init` joins.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
from pathlib import Path

from ..atomic import atomic_write
from ..build import _open_staging, _run_fingerprint, summary
from ..build_shards import check_sources, plan_build, shard_layout
from ..configs import BuildConfig
from ..errors import UserError
from ..imagestore import ImageStore
from ..shardkeys import sources_digest
from ..staging import Staging, check_target, sweep_orphan
from .context import ENGINE, Step, captioner_name, engine_dir, process_scorer, process_sources

__all__ = ["run_build", "stage_plan"]

logger = logging.getLogger(__name__)


def _datatrove():
    try:
        import datatrove.executor as executors
    except ImportError:
        raise UserError("--executor needs datatrove: pip install 's2h-dpo[scale]'") from None
    return executors


def stage_plan(cfg: BuildConfig, shards: int) -> list[tuple[str, int]]:
    """(stage, ranks) in order: encode and shards one rank per planned shard, captions only for a model."""
    captions = [("captions", cfg.caption_tasks)] if cfg.captioner_config.backend != "reference" else []
    return [("encode", shards), ("plan", 1), *captions, ("shards", shards), ("publish", 1)]


def _prepare(cfg: BuildConfig) -> tuple[Path, str, int]:
    """Check the arguments and the sources as `s2h build` does, open the staging folder (its arguments file,
    as a one-machine build) and count the shards; return (staging folder, run key, shards)."""
    out = cfg.out_path
    sweep_orphan(out)
    check_target(out, cfg.overwrite, cfg.source)
    # loaded through the stages' per-process caches: ranks run in this process (`--tasks-parallel 1`) reuse them
    sources = process_sources(
        tuple(cfg.source),
        cfg.seed,
        arithmetic_pool=cfg.arithmetic_pool,
        image_column=cfg.image_column,
        label_column=cfg.label_column,
        caption_column=cfg.caption_column,
    )
    sizes, skipped_tasks = check_sources(cfg, sources)
    scorer = process_scorer(cfg)  # a bad --filter-model fails here, before anything is submitted
    fresh = not (Staging(out).work / "args.json").exists()
    staging = _open_staging(cfg, scorer)
    try:
        if fresh:  # markers of a finished or abandoned build: nothing there belongs to this one
            shutil.rmtree(staging.work / ENGINE, ignore_errors=True)
        # the arguments, what the sources say and each file's signature (size, mtime): a file changed between
        # two runs of an unfinished build starts every stage afresh (encoded images and captions are still
        # reused by content), so no marker of the old files survives
        signatures = [r.signature() for r in sources.all_records()]
        run_key = hashlib.sha256(
            json.dumps([_run_fingerprint(cfg, scorer), sources_digest(sources), signatures]).encode()
        ).hexdigest()[:16]
        store = ImageStore(
            staging.work / "images", cfg.image_size, cfg.image_format, cfg.workers, part="driver"
        )
        records = sources.all_records()
        # the shard count sizes the stages' job arrays; it may encode a sample, as a one-machine build does
        shard_rows, shards = shard_layout(cfg, records, store, sizes)
        # the images the plan will use, as far as the bad images known now tell (the encode stage's work;
        # a re-plan that needs others encodes them in the plan stage)
        _, plans = plan_build(
            cfg,
            sources,
            sizes,
            frozenset(store.bad),
            captioner_name=captioner_name(cfg),
            shard_rows=shard_rows,
        )
        images = sorted({sid for shard, _pool in plans for sid in shard.image_ids()})
        folder = engine_dir(staging.root, run_key)
        folder.mkdir(parents=True, exist_ok=True)
        setup = {
            "shards": shards,
            "shard_rows": shard_rows,
            "images": images,
            "encoded": store.encoded,
            "skipped_tasks": skipped_tasks,  # warned of here; the plan stage warns of a re-plan's new ones
        }
        atomic_write(folder / "setup.json", json.dumps(setup).encode())
    finally:
        staging.unlock()
    return staging.root, run_key, shards


def run_build(cfg: BuildConfig) -> str:
    """Run (local, ray) or submit (slurm) the build's stages; return the line the command prints."""
    executors = _datatrove()
    root, run_key, shards = _prepare(cfg)
    args = dataclasses.asdict(cfg)
    stages = [
        (name, n, Step(name, args, str(root), run_key), engine_dir(root, run_key) / name)
        for name, n in stage_plan(cfg, shards)
    ]
    if cfg.executor == "slurm":
        return _submit_slurm(executors, cfg, stages)
    run = _local if cfg.executor == "local" else _ray
    for name, n, step, folder in stages:
        executor = run(executors, cfg, step, n, folder)
        executor.run()
        failed = executor.get_incomplete_ranks()
        if failed:
            raise UserError(
                f"{len(failed)} of {n} `{name}` rank(s) failed (ranks {', '.join(map(str, failed[:10]))}; logs in "
                f"{folder / 'logs'}); rerun the same command to run only those"
            )
    _sweep_after_publish(cfg.out_path, root)
    return summary(cfg.out_path)


def _sweep_after_publish(out: Path, root: Path) -> None:
    """The publish rank removed the staging folder; datatrove wrote its marker and log again after that."""
    if out.is_dir() and root.is_dir() and not (root / "work" / "args.json").exists():
        shutil.rmtree(root, ignore_errors=True)


def _local(executors, cfg: BuildConfig, step: Step, tasks: int, folder: Path):
    from .local import KeepGoingLocalExecutor

    workers = tasks if cfg.tasks_parallel == -1 else min(cfg.tasks_parallel, tasks)
    return KeepGoingLocalExecutor(pipeline=[step], tasks=tasks, workers=workers, logging_dir=str(folder))


def _ray(executors, cfg: BuildConfig, step: Step, tasks: int, folder: Path):
    try:
        import ray
    except ImportError:
        raise UserError("--executor ray needs ray: pip install 's2h-dpo[ray]'") from None

    if not ray.is_initialized():
        ray.init(address=cfg.ray_address or None)
    return executors.RayPipelineExecutor(
        pipeline=[step], tasks=tasks, workers=cfg.tasks_parallel, logging_dir=str(folder), cpus_per_task=1
    )


def _submit_slurm(executors, cfg: BuildConfig, stages) -> str:
    previous = None
    for name, n, step, folder in stages:
        previous = executors.SlurmPipelineExecutor(
            pipeline=[step],
            tasks=n,
            workers=cfg.tasks_parallel,
            time=cfg.slurm_time,
            partition=cfg.slurm_partition,
            cpus_per_task=cfg.slurm_cpus,
            mem_per_cpu_gb=cfg.slurm_mem_gb,
            job_name=f"s2h-{name}",
            venv_path=cfg.slurm_venv or None,
            logging_dir=str(folder),
            depends=previous,
        )
    previous.run()
    return (
        f"submitted {len(stages)} SLURM job arrays ({', '.join(s[0] for s in stages)}); the last one publishes "
        f"{cfg.out_path}. Logs: {stages[0][3].parent}/<stage>/logs; rerun the same command to resubmit "
        "only the ranks that did not finish"
    )
