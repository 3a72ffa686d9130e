"""Command-line parsing of argument dataclasses, without importing transformers (so `--help` is instant).

One parser for every `s2h` command: each dataclass field becomes `--field-name` (the `--field_name`
spelling is accepted too), a `bool` field with default True gets `--no-field-name`, `list[...]` fields take
several values, and fields named in `positional` are filled by bare leading arguments (shown as such in the
usage line). `--config FILE.yaml` fills the same fields from YAML; flags given beside it override it.

Field metadata read here: `help`, `flag` (the option's name when it is not the field's, so one concept has
one name on every surface), `aliases` (old spellings kept for one release; they print a rename note),
`metavar`, and `action: "extend"` (a repeatable list flag). Help texts say a default only where
the field's own help does not already name it, and never for unset (`None`) or empty values.

`groups` (title -> field names, keyword data of the command module) lays `--help` out in sections, as TRL's
and `hf`'s help does; fields in no group stay under "options". A mistyped option or choice is answered with
the closest one (`difflib`: Python 3.11's argparse has no `suggest_on_error`, added in 3.14).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import sys
import types
import typing
from pathlib import Path

from .errors import UserError

__all__ = ["DataclassParser", "did_you_mean"]


def did_you_mean(word: str, choices) -> str:
    """`; did you mean `X`?` for the closest of `choices` to a mistyped `word`, or "" when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _unwrap(tp):
    """(base type, optional) of a field annotation: `int | None` -> (int, True)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return (args[0] if len(args) == 1 else str), True
    return tp, False


def _to_bool(value: str) -> bool:
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got `{value}`")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


class _Bool(argparse.Action):
    """`--x` / `--x true|false` / `--no-x`: one help entry for both forms."""

    def __init__(self, option_strings, dest, **kwargs):
        kwargs.update(nargs="?", type=_to_bool)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, value, option_string=None):
        negated = option_string.startswith("--no-")
        setattr(namespace, self.dest, (not negated) if value is None else (value != negated))


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=34, width=100)

    def _format_action_invocation(self, action):
        if isinstance(action, _Bool):
            return ", ".join(action.option_strings)
        return super()._format_action_invocation(action)


_METAVARS = {int: "N", float: "X"}


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage + error; the CLI's errors are one line
        raise UserError(f"{message} (see `{self.prog} --help`)")


def _default_text(field: dataclasses.Field, help_text: str) -> str:
    if "default" in help_text.lower():
        return ""
    if field.default is not dataclasses.MISSING:
        value = field.default
    elif field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
    else:
        return " (required)"
    if value is None or value == [] or value == "":
        return ""
    if isinstance(value, bool):
        return f" (default: {'on' if value else 'off'})"
    return f" (default: {value})"


class DataclassParser:
    """Parse argv into instances of `dataclass_types` (in order), as `s2h <command>` does."""

    def __init__(
        self,
        dataclass_types,
        prog: str,
        description: str = "",
        positional: tuple[str, ...] = (),
        groups: dict[str, tuple[str, ...]] | None = None,
    ):
        self.types = tuple(dataclass_types)
        self.prog, self.positional = prog, tuple(positional)
        self.groups = dict(groups or {})
        self.aliases: dict[str, str] = {}  # old flag -> current flag
        self.fields: dict[str, tuple[dataclasses.Field, type]] = {}
        for dtype in self.types:
            hints = typing.get_type_hints(dtype)
            for f in dataclasses.fields(dtype):
                if f.init:
                    self.fields[f.name] = (f, hints[f.name])
        self.parser = self._make_parser(description)

    def flag(self, name: str) -> str:
        """The option of field `name`: `--field-name`, or its metadata `flag` (one name across surfaces)."""
        return self.fields[name][0].metadata.get("flag") or _flag(name)

    def _field_of(self, flag: str) -> str | None:
        return next((name for name in self.fields if self.flag(name) == flag or _flag(name) == flag), None)

    def _usage(self) -> str:
        bare = []
        for i, name in enumerate(self.positional):
            tp, _ = _unwrap(self.fields[name][1])
            last_list = i == len(self.positional) - 1 and typing.get_origin(tp) is list
            metavar = self.fields[name][0].metadata.get("metavar", name.upper())
            bare.append(metavar + (" ..." if last_list else ""))
        return " ".join([self.prog, *bare, "[options]"])

    def _make_parser(self, description: str) -> argparse.ArgumentParser:
        parser = _OneLineParser(
            prog=self.prog,
            usage=self._usage(),
            description=description,
            formatter_class=_Formatter,
            allow_abbrev=False,
        )
        parser.add_argument(
            "--config", dest="_config_file", metavar="FILE.yaml", help="Read the options from a YAML file."
        )
        sections = {}
        for title, names in self.groups.items():
            group = parser.add_argument_group(title)
            sections.update(dict.fromkeys(names, group))
        unknown = set(sections) - set(self.fields)
        if unknown:
            raise ValueError(f"{self.prog}: help groups name no such field: {sorted(unknown)}")
        for name, (f, annotation) in self.fields.items():
            self._add(sections.get(name, parser), name, f, annotation)
        return parser

    def _check_options(self, argv: list[str]) -> None:
        """One line with the closest option for a mistyped `--flag` (argparse would only say it is unknown)."""
        known = [o for o in self.parser._option_string_actions if o.startswith("--")]
        for arg in argv:
            flag = arg.partition("=")[0]
            if arg.startswith("--") and arg != "--" and flag not in self.parser._option_string_actions:
                raise UserError(
                    f"unknown option `{flag}`{did_you_mean(flag, known)} (see `{self.prog} --help`)"
                )

    def _add(self, parser, name: str, f: dataclasses.Field, annotation) -> None:
        meta = dict(f.metadata)
        help_text = meta.get("help", "")
        for alias in [meta["aliases"]] if isinstance(meta.get("aliases"), str) else meta.get("aliases", ()):
            self.aliases[alias] = self.flag(name)
        tp, _optional = _unwrap(annotation)
        kwargs: dict = {"dest": name, "default": argparse.SUPPRESS}
        options = [self.flag(name)]
        if name in self.positional:
            help_text = f"{help_text} May be given bare, as in the usage line.".strip()
        else:
            help_text += _default_text(f, help_text)
        if tp is bool:
            options.append("--no-" + name.replace("_", "-"))
            kwargs.update(action=_Bool, metavar="true|false")
        elif typing.get_origin(tp) is list:
            (item,) = typing.get_args(tp) or (str,)
            kwargs.update(type=item, nargs="+", metavar=meta.get("metavar", name.upper()))
            if meta.get("action") == "extend":
                kwargs["action"] = "extend"
        elif typing.get_origin(tp) is typing.Literal:
            kwargs.update(choices=typing.get_args(tp))
        else:
            kwargs.update(type=tp, metavar=meta.get("metavar", _METAVARS.get(tp, name.upper())))
        # argparse %-formats help texts: a literal `%` (a "95% margin") must be doubled or `--help` crashes
        parser.add_argument(*options, help=help_text.replace("%", "%%"), **kwargs)

    def _normalise(self, argv: list[str]) -> list[str]:
        """Bare leading arguments -> their flags; `--a_b` -> `--a-b`; old names -> new ones (with a warning)."""
        bare = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
        head: list[str] = []
        if self.positional and bare:
            values = argv[:bare]
            for name, value in zip(self.positional[:-1], values):
                head += [self.flag(name), value]
            if len(values) >= len(self.positional):
                head += [self.flag(self.positional[-1]), *values[len(self.positional) - 1 :]]
            argv = argv[bare:]
        out = []
        for arg in argv:
            if arg.startswith("--") and arg != "--":
                flag, eq, value = arg.partition("=")
                flag = flag.replace("_", "-")
                if flag in self.aliases and flag != "--config":  # see _route_config
                    print(
                        f"{self.prog}: `{flag}` is now `{self.aliases[flag]}`; the old name goes in the next release",
                        file=sys.stderr,
                    )
                    flag = self.aliases[flag]
                arg = flag + eq + value
            out.append(arg)
        return head + out

    def _yaml(self, path: str) -> dict:
        import yaml

        file = Path(path).expanduser()
        if not file.is_file():
            raise UserError(f"--config {path}: file does not exist")
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise UserError(f"--config {path}: expected a mapping of option names to values")
        values = {}
        for key, value in data.items():
            name = str(key).replace("-", "_")
            name = self._field_of(self.aliases.get(_flag(name), _flag(name)))
            if name is None:
                raise UserError(f"--config {path}: unknown option `{key}`; see `{self.prog} --help`")
            values[name] = value
        return values

    def parse(self, argv: list[str]) -> tuple:
        """The dataclass instances for `argv`; `UserError` (one line) on a bad or missing option."""
        argv = self._normalise(list(argv))
        self._check_options(argv)
        namespace = vars(self.parser.parse_args(self._route_config(argv)))
        values = self._yaml(namespace.pop("_config_file")) if namespace.get("_config_file") else {}
        namespace.pop("_config_file", None)
        values.update(namespace)
        missing = [
            self.flag(name)
            for name, (f, _) in self.fields.items()
            if name not in values
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise UserError(f"missing {', '.join(missing)} (see `{self.prog} --help`)")
        instances = []
        for dtype in self.types:
            names = {f.name for f in dataclasses.fields(dtype) if f.init}
            instances.append(dtype(**{k: v for k, v in values.items() if k in names}))
        return tuple(instances)

    def _route_config(self, argv: list[str]) -> list[str]:
        """`--config VALUE` that is not a YAML file goes to the field it is an old name of."""
        target = self.aliases.get("--config")
        if target is None:
            return argv
        out = list(argv)
        for i, arg in enumerate(out[:-1]):
            if arg == "--config" and not out[i + 1].endswith((".yaml", ".yml")):
                out[i] = target
                print(
                    f"{self.prog}: `--config` is now `{target}`; the old name goes in the next release",
                    file=sys.stderr,
                )
        return out

    def format_help(self) -> str:
        return self.parser.format_help()
