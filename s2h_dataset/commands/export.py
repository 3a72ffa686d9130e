"""`s2h export DIR OUT --format llamafactory|swift`: a built folder in another trainer's preference format.

    s2h export build/s2h-dpo build/s2h-dpo-llamafactory --format llamafactory
    s2h export build/s2h-dpo build/s2h-dpo-swift --format swift

The formats, with the documents they follow, are described in `s2h_dataset.export`.
"""

from dataclasses import dataclass, field
from typing import Literal

from . import require_folder

DESCRIPTION = __doc__.split("\n\n", 1)[1]


@dataclass
class ExportArgs:
    """Arguments of `s2h export`.

    Parameters:
        folder (`str`):
            A folder made by `s2h build`.
        out (`str`):
            Folder to write; must be new or empty.
        format (`Literal`, *optional*, defaults to `"llamafactory"`):
            llamafactory (sharegpt: conversations + chosen/rejected + images, dataset_info.json) or swift
            (messages + rejected_response + images, JSON lines).
        overwrite (`bool`, *optional*, defaults to `False`):
            Replace a non-empty OUT.
    """

    folder: str = field(metadata={"help": "A folder made by `s2h build`.", "metavar": "DIR"})
    out: str = field(metadata={"help": "Folder to write; must be new or empty.", "metavar": "OUT"})
    format: Literal["llamafactory", "swift"] = field(
        default="llamafactory",
        metadata={
            "help": "llamafactory (sharegpt: conversations + chosen/rejected + images, dataset_info.json) or "
            "swift (messages + rejected_response + images, JSON lines)."
        },
    )
    overwrite: bool = field(default=False, metadata={"help": "Replace a non-empty OUT."})


POSITIONAL = ("folder", "out")
ARGS = (ExportArgs,)


def run(args: ExportArgs) -> int:
    from ..export import export

    folder = require_folder(args.folder)
    counts = export(folder, args.format, args.out, overwrite=args.overwrite)
    print(f"{sum(counts.values())} rows in {len(counts)} files ({args.format}): {args.out}")
    return 0
