"""`s2h push DIR --repo ORG/NAME [--private]`: validate, then create the dataset repo and upload."""

from dataclasses import dataclass, field

HELP = "validate a built folder and upload it to a Hub dataset repo"


@dataclass
class PushArgs:
    folder: str = field(metadata={"help": "A folder made by `s2h build`."})
    repo: str = field(metadata={"help": "Target dataset repo, ORG/NAME."})
    private: bool = field(default=False, metadata={"help": "Create the repo private."})
    commit_message: str | None = field(default=None, metadata={"help": "Commit message of the upload."})


POSITIONAL = ("folder",)
ARGS = (PushArgs,)


def run(args: PushArgs) -> int:
    from ..hub import push_dataset

    print(push_dataset(args.folder, args.repo, private=args.private, commit_message=args.commit_message))
    return 0
