"""`s2h validate DIR`: exit 0 when a built folder is valid, else list the problems and exit 1."""

import sys
from dataclasses import dataclass, field

from . import require_folder


@dataclass
class ValidateArgs:
    """Arguments of `s2h validate`.

    Parameters:
        folder (`str`):
            A folder made by `s2h build`.
    """

    folder: str = field(metadata={"help": "A folder made by `s2h build`.", "metavar": "DIR"})


POSITIONAL = ("folder",)
ARGS = (ValidateArgs,)


def run(args: ValidateArgs) -> int:
    from ..validate import validate

    require_folder(args.folder)
    problems = validate(args.folder)
    for problem in problems:
        print(problem, file=sys.stderr)
    n = len(problems)
    print(f"{args.folder}: {'valid' if not n else f'{n} problem' + ('s' if n > 1 else '')}")
    return 1 if problems else 0
