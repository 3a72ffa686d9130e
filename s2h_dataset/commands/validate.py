"""`s2h validate DIR`: exit 0 when a built folder is valid, else list the problems and exit 1."""

import sys
from dataclasses import dataclass, field

HELP = "check every row, shard and config of a built dataset folder"


@dataclass
class ValidateArgs:
    folder: str = field(metadata={"help": "A folder made by `s2h build`."})


POSITIONAL = ("folder",)
ARGS = (ValidateArgs,)


def run(args: ValidateArgs) -> int:
    from ..validate import validate

    problems = validate(args.folder)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{args.folder}: {'valid' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0
