"""`--judge openai:BASE_URL#MODEL`: a language model reads the replies the rules could not, and only those.

For each latest prediction whose reply the parser could not read (multiple-choice, position, yes/no and
true/false items; short answers are compared as written), the judge gets the question text, the reply and
one instruction, and its answer is read with the same parser. Judge answers go to OUT/judge.jsonl, apart
from the model's own predictions; the scorer reports rule-only numbers and, beside them, `with_judge`.
Questions already judged are not asked again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..vlm.openai_client import OpenAIChatClient, ServerError, parse_openai_spec
from ..vlm.replies import read_reply
from .report import json_line, latest_predictions, open_jsonl_append, read_jsonl

__all__ = ["JUDGE", "judge_prompt", "judge_unreadable", "read_judged"]

logger = logging.getLogger(__name__)
JUDGE = "judge.jsonl"
JUDGED_TYPES = ("letter", "position", "yesno", "truefalse")
ASK = {
    "letter": "Which option does the reply choose? Answer with the option's letter only, or none if it chooses none.",
    "position": "Which option does the reply choose? Answer with the option's letter only, or none if it chooses none.",
    "yesno": "Does the reply answer yes or no? Answer with yes or no only, or none if it gives neither.",
    "truefalse": "Does the reply say true or false? Answer with true or false only, or none if it gives neither.",
}


def judge_prompt(record: dict[str, Any]) -> str:
    question = record["prompt"].replace("<image>", "").strip()
    return f"Question:\n{question}\n\nReply:\n{record['raw']}\n\n{ASK[record['answer_type']]}"


def read_judged(out: Path) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["task"], r["id"]): r for r in read_jsonl(out / JUDGE)}


def judge_unreadable(out: Path, spec: str, concurrency: int = 8, max_tokens: int = 16) -> int:
    """Ask the judge about every unreadable reply not judged yet; returns how many were asked."""
    base_url, model = parse_openai_spec(spec.removeprefix("openai:"), "`--judge`")
    latest = latest_predictions(out)
    judged = read_judged(out)
    todo = [
        r
        for key, r in latest.items()
        if r.get("parsed") is None
        and "raw" in r
        and r["answer_type"] in JUDGED_TYPES
        and judged.get(key, {}).get("raw") != r["raw"]
    ]
    if not todo:
        return 0
    requests = [lambda r=r: [{"role": "user", "content": judge_prompt(r)}] for r in todo]
    with (
        OpenAIChatClient(base_url, model, concurrency=concurrency) as client,
        open_jsonl_append(out / JUDGE) as sink,
    ):
        try:
            for index, answer in client.complete_all(requests, max_tokens):
                record = todo[index]
                reading = read_reply(
                    record["answer_type"], answer or "", record["choices"], record["options"]
                )
                entry = {
                    "task": record["task"],
                    "id": record["id"],
                    "raw": record["raw"],
                    "judge_raw": answer,
                    "judge": reading.value,
                }
                sink.write(json_line(entry))
                sink.flush()
        except ServerError as err:
            raise UserError(f"--judge: {err}; judged answers so far are saved, rerun to resume") from None
    logger.info("judge %s read %d unreadable replies", model, len(todo))
    return len(todo)
