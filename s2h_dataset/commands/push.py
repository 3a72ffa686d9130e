"""`s2h push DIR [--repo ORG/NAME] [--private]`: validate, then create the dataset repo and upload.

`--repo` may be left out when the build recorded one (`s2h build --repo-id ORG/NAME`); given, it is the
repo the card's load snippet names from then on (a different one than the build's is said in a line).
"""

from dataclasses import dataclass, field

from . import require_folder


@dataclass
class PushArgs:
    """Arguments of `s2h push`.

    Parameters:
        folder (`str`):
            A folder made by `s2h build`.
        repo (`str | None`, *optional*):
            Target dataset repo, ORG/NAME (default: the build's --repo-id).
        private (`bool`, *optional*, defaults to `False`):
            Create the repo private.
        commit_message (`str | None`, *optional*):
            Commit message of the upload.
    """

    folder: str = field(metadata={"help": "A folder made by `s2h build`.", "metavar": "DIR"})
    repo: str | None = field(
        default=None,
        metadata={
            "help": "Target dataset repo, ORG/NAME (default: the build's --repo-id).",
            "metavar": "ORG/NAME",
        },
    )
    private: bool = field(default=False, metadata={"help": "Create the repo private."})
    commit_message: str | None = field(default=None, metadata={"help": "Commit message of the upload."})


POSITIONAL = ("folder",)
ARGS = (PushArgs,)


def uses_hub(args: PushArgs) -> bool:
    return True


def run(args: PushArgs) -> int:
    import logging

    from ..card.render import recorded_repo_id
    from ..errors import UserError
    from ..hub import push_dataset
    from ..hubnet import explain

    require_folder(args.folder)
    recorded = recorded_repo_id(args.folder)
    repo = args.repo or recorded
    if repo is None:
        raise UserError(f"{args.folder}: pass --repo ORG/NAME (the build recorded no --repo-id)")
    if recorded and args.repo and recorded != args.repo:
        logging.getLogger(__name__).warning(
            "the card named %s (s2h build --repo-id); it now names %s", recorded, args.repo
        )
    try:
        url = push_dataset(args.folder, repo, private=args.private, commit_message=args.commit_message)
    except UserError:
        raise
    except Exception as err:  # huggingface_hub raises many types; the user needs one line and the fix
        raise UserError(explain(err, f"push to {repo}")) from None
    print(url)
    return 0
