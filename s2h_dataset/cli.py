"""`s2h` console script: one subcommand per module in `s2h_dataset.commands` (`train_check` -> `train-check`).

`COMMANDS` names each command with its one-line help, so `s2h`, `s2h --help` and a mistyped command answer
without importing any command module (as TRL's CLI keeps its command table); a test keeps the table equal to
the modules. Each command module defines optionally `DESCRIPTION` (the `--help` text, else its line here),
`POSITIONAL` (the fields leading bare arguments fill), `ARGS` (a tuple of argument dataclasses parsed by
`dataclass_args.DataclassParser`, so `--config file.yaml` and CLI flags fill the same fields) and
`run(*args) -> int`, and optionally `GROUPS` (help sections: title -> field names) and `RESUMES = True`
when a rerun after Ctrl-C reuses the interrupted run's work (only then does the interrupt line say so).
Command modules import only dataclasses at the top; the work is imported in `run`, after the arguments'
checks (`__post_init__`), so a wrong flag fails in a second. Errors a user can cause (`UserError` and its
subclasses) print one line and exit 2; no traceback. A mistyped command or option names the closest one.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

from .dataclass_args import DataclassParser, did_you_mean
from .errors import UserError
from .hubnet import offline_if_unreachable, route_hub_logs
from .redact import install_log_redaction, redact

__all__ = ["COMMANDS", "main"]

# command name -> its one line in `s2h --help`; the module is `s2h_dataset.commands.<name with _ for ->`
COMMANDS = {
    "audit": "blind audit: can each task's chosen be told from rejected without the images?",
    "build": "build the S2H-DPO dataset into a folder laid out like a Hub dataset repo",
    "eval": "evaluate a VLM on BLINK, MANTIS, NLVR2, MMStar, POPE, the Level-3 probe, s2h_test (or --rescore DIR)",
    "export": "write a built folder in LLaMA-Factory's or ms-swift's multi-image preference format (images as files)",
    "merge": "join the folders of a sharded build (`s2h build --shard I/N`) into one dataset folder",
    "push": "validate a built folder and upload it to a Hub dataset repo",
    "reproduce": "print or run the commands of every paper run (Tables 1-5, probe, Fig. 5) and tabulate their results",
    "space": "Launch the Gradio demo: global visual search on uploaded images, plus a dataset explorer.",
    "train-check": "check rows against a model's processor before training (image tokens, max_length, images per row)",
    "validate": "check every row, shard and config of a built dataset folder",
}


def command_module(command: str):
    """The module under `s2h_dataset.commands` that runs `s2h <command>`."""
    return importlib.import_module(f".commands.{command.replace('-', '_')}", __package__)


def _usage() -> str:
    lines = [
        "usage: s2h <command> [options]   (s2h <command> --help for a command's options)",
        "",
        "commands:",
    ]
    lines += [f"  {name:<12} {line}" for name, line in COMMANDS.items()]
    return "\n".join(lines)


def parse(command: str, argv: list[str]):
    """(command module, its argument dataclasses) for `s2h <command> argv`; help and errors never import
    torch, datasets or transformers (`s2h --help` and `s2h <command> --help` answer at once)."""
    module = command_module(command)
    parser = DataclassParser(
        module.ARGS,
        prog=f"s2h {command}",
        description=getattr(module, "DESCRIPTION", COMMANDS[command]),
        positional=getattr(module, "POSITIONAL", ()),
        groups=getattr(module, "GROUPS", None),
    )
    return module, parser.parse(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        hint = did_you_mean(command, COMMANDS) or f"; choose one of: {', '.join(COMMANDS)}"
        print(f"s2h: unknown command `{command}`{hint} (see `s2h --help`)", file=sys.stderr)
        return 2
    from .progress import BarSafeHandler, end_bars

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[BarSafeHandler()],  # log lines never run into a progress bar
    )
    install_log_redaction(http_logs=os.environ.get("S2H_HTTP_LOGS") == "1")  # per-request lines are noise
    route_hub_logs()  # huggingface_hub's warnings once, through the (redacting) root handlers
    try:
        module, args = parse(command, rest)
        if getattr(module, "uses_hub", lambda *a: False)(*args):
            offline_if_unreachable()  # before huggingface_hub is imported: fail in seconds, not minutes
        return int(module.run(*args) or 0)
    except UserError as err:
        end_bars()
        print(f"s2h {command}: error: {redact(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        end_bars()
        module = command_module(command)
        resumes = "; rerun the same command to resume" if getattr(module, "RESUMES", False) else ""
        print(f"s2h {command}: interrupted{resumes}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
