"""`s2h push DIR --repo ORG/NAME [--private]`: validate, then create the dataset repo and upload."""

from dataclasses import dataclass, field

from . import require_folder

HELP = "validate a built folder and upload it to a Hub dataset repo"


@dataclass
class PushArgs:
    folder: str = field(metadata={"help": "A folder made by `s2h build`.", "metavar": "DIR"})
    repo: str = field(metadata={"help": "Target dataset repo, ORG/NAME.", "metavar": "ORG/NAME"})
    private: bool = field(default=False, metadata={"help": "Create the repo private."})
    commit_message: str | None = field(default=None, metadata={"help": "Commit message of the upload."})


POSITIONAL = ("folder",)
ARGS = (PushArgs,)


def uses_hub(args: PushArgs) -> bool:
    return True


def run(args: PushArgs) -> int:
    from ..errors import UserError
    from ..hub import push_dataset
    from ..hubnet import explain

    require_folder(args.folder)
    try:
        url = push_dataset(args.folder, args.repo, private=args.private, commit_message=args.commit_message)
    except UserError:
        raise
    except Exception as err:  # huggingface_hub raises many types; the user needs one line and the fix
        raise UserError(explain(err, f"push to {args.repo}")) from None
    print(url)
    return 0
