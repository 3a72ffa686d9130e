"""Questions per second on the Level-3 probe with a tiny random VLM: in-process batch sizes, and the
`openai:` backend against a real `transformers serve` of the same model at several concurrencies.

    PYTHONPATH=. HF_HUB_OFFLINE=1 python bench/bench_eval.py [--family llava] [--questions 48]
        [--max-new-tokens 16] [--batch-sizes 1 8] [--concurrency 1 8] [--device auto]

Times `HFGenerator.generate` (processor + chat template + greedy generate + decode) over the same probe
questions at each batch size, after one warm-up batch; images are decoded before timing. Then (unless
`--concurrency` is empty) starts `transformers serve` on the model folder (tests/captioner_server.py) and
times `OpenAIGenerator.generate` (JPEG data URIs, HTTP, the server's own generation) at each concurrency.
Prints one JSON line per setting and the ratios.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from s2h_dataset.eval.generate import HFGenerator
from s2h_dataset.eval.probe import probe_text, probe_unit
from s2h_dataset.testing.tiny_vlms import tiny_vlm_cache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="llava")
    parser.add_argument("--questions", type=int, default=48)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 8])
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    generator = HFGenerator(
        str(tiny_vlm_cache(args.family)), device=args.device, max_new_tokens=args.max_new_tokens
    )
    unit = probe_unit("emoji", n_questions=args.questions, seed=0)
    items = [q.to_item(probe_text(q)) for q in unit]  # images decoded here, not timed
    rates = {}
    for batch_size in args.batch_sizes:
        batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
        generator.generate(batches[0])  # warm-up
        if generator.device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        for batch in batches:
            generator.generate(batch)
        if generator.device.startswith("cuda"):
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        rates[batch_size] = len(items) / seconds
        print(
            json.dumps(
                {
                    "family": args.family,
                    "device": generator.device,
                    "threads": torch.get_num_threads(),
                    "batch_size": batch_size,
                    "questions": len(items),
                    "max_new_tokens": args.max_new_tokens,
                    "seconds": round(seconds, 3),
                    "questions_per_s": round(rates[batch_size], 2),
                }
            )
        )
    low, high = min(rates), max(rates)
    print(json.dumps({"speedup": f"batch {high} vs {low}", "ratio": round(rates[high] / rates[low], 2)}))
    if args.concurrency:
        served = served_rates(str(tiny_vlm_cache(args.family)), items, args.concurrency, args.max_new_tokens)
        for c, rate in served.items():
            print(json.dumps({"openai_concurrency": c, "vs_in_process_batch_1": round(rate / rates[low], 2)}))


def served_rates(model: str, items: list, concurrencies: list[int], max_new_tokens: int) -> dict[int, float]:
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from captioner_server import ServedModel

    from s2h_dataset.eval.backends import OpenAIGenerator

    server = ServedModel(model, tempfile.mkdtemp(prefix="bench-eval-serve-")).start()
    rates = {}
    try:
        for concurrency in concurrencies:
            generator = OpenAIGenerator(server.url, server.model, concurrency, max_new_tokens)
            generator.generate(items[:concurrency])  # warm-up
            start = time.perf_counter()
            generator.generate(items)
            seconds = time.perf_counter() - start
            generator.close()
            rates[concurrency] = len(items) / seconds
            line = {
                "backend": "openai (transformers serve)",
                "concurrency": concurrency,
                "questions": len(items),
            }
            print(
                json.dumps(
                    {**line, "seconds": round(seconds, 3), "questions_per_s": round(rates[concurrency], 2)}
                )
            )
    finally:
        server.kill()
    return rates


if __name__ == "__main__":
    main()
