"""`s2h merge OUT SHARD_DIRS...`: join the folders of a sharded build into one dataset folder."""

from dataclasses import dataclass, field

from . import require_folder


@dataclass
class MergeArgs:
    """Arguments of `s2h merge`.

    Parameters:
        out (`str`):
            Output folder; must not exist yet.
        folders (`list`, *optional*, defaults to `[]`):
            The shard folders, in any order.
        overwrite (`bool`, *optional*, defaults to `False`):
            Replace an existing output folder.
    """

    out: str = field(metadata={"help": "Output folder; must not exist yet.", "metavar": "OUT"})
    folders: list[str] = field(
        default_factory=list, metadata={"help": "The shard folders, in any order.", "metavar": "DIR"}
    )
    overwrite: bool = field(default=False, metadata={"help": "Replace an existing output folder."})


POSITIONAL = ("out", "folders")
ARGS = (MergeArgs,)


def run(args: MergeArgs) -> int:
    from ..merge import merge

    for folder in args.folders:
        require_folder(folder)
    print(merge(args.out, args.folders, overwrite=args.overwrite))
    return 0
