"""`s2h audit DIR`: the blind audit of a built folder (also one downloaded from the Hub), as a table."""

import json
from dataclasses import dataclass, field

from . import require_folder


@dataclass
class AuditArgs:
    """Arguments of `s2h audit`.

    Parameters:
        folder (`str`):
            A folder made by `s2h build`, or a Hub snapshot of one.
        json (`bool`, *optional*, defaults to `False`):
            Print the figures as JSON instead of a table.
    """

    folder: str = field(
        metadata={"help": "A folder made by `s2h build`, or a Hub snapshot of one.", "metavar": "DIR"}
    )
    json: bool = field(default=False, metadata={"help": "Print the figures as JSON instead of a table."})


POSITIONAL = ("folder",)
ARGS = (AuditArgs,)


def run(args: AuditArgs) -> int:
    from ..card.audit import blind_section
    from ..card.blind_audit import blind_audit
    from ..errors import UserError

    folder = require_folder(args.folder)
    if not any(folder.glob("data/level*/*.parquet")):
        raise UserError(f"{folder}: no data/level*/*.parquet shards; pass a folder made by `s2h build`")
    blind = blind_audit(folder)
    print(json.dumps(blind, indent=1) if args.json else blind_section(blind))
    return 1 if any(t["flagged"] for t in blind) else 0
