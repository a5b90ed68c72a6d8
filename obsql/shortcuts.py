"""mltrace's commands as `obsql` subcommands: each writes its OQL form and runs it as `obsql -c` would.

A team moving from mltrace keeps its habits (`obsql recent --limit 5`, `obsql unflag --all`) and sees the OQL
behind each (`--show-oql`), which is where it grows: pipes, conditions and time ranges. This module only writes
OQL; the command line runs it, so a shortcut answers exactly as its OQL does, in every `--format`.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Callable, Sequence

from obsql.errors import ObsqlError
from obsql.grammar.parser import quote

Arguments = Sequence[tuple[Sequence[str], dict]]


def _positive(text: str) -> int:
    """An argparse type: a count of one or more."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return number


_LIMIT = (("--limit",), {"type": _positive, "metavar": "N", "help": "show at most N rows"})
_IDS = (("ids",), {"nargs": "*", "metavar": "ID", "help": "output ids (pointers)"})
_ID_OPTION = (("--output-id", "--output_id"), {"dest": "more_ids", "action": "append", "default": [],
                                               "metavar": "ID", "help": "an output id, as mltrace spells it"})


@dataclass(frozen=True)
class Shortcut:
    """One mltrace command: its name, what it does, its arguments, and the OQL it stands for."""

    name: str
    help: str
    arguments: Arguments
    oql: Callable[[argparse.Namespace], str]


def _limited(text: str, limit: int | None) -> str:
    return text if limit is None else f"{text} | limit {limit}"


def _recent(args: argparse.Namespace) -> str:
    limit = args.limit or args.count
    return "recent" if limit is None else f"recent {limit}"


def _history(args: argparse.Namespace) -> str:
    """Newest first, as mltrace's history lists runs; each with the metrics its component logged."""
    return _limited(f"history {quote(args.component)} | order by start_time desc", args.limit)


def _pointers(args: argparse.Namespace) -> str:
    ids = [*args.ids, *args.more_ids]
    if not ids:
        raise ObsqlError("input", f"obsql {args.shortcut.name}: name at least one output id")
    return ", ".join(quote(pointer) for pointer in dict.fromkeys(ids))


def _unflag(args: argparse.Namespace) -> str:
    if args.all:
        if args.ids or args.more_ids:
            raise ObsqlError("input", "obsql unflag: --all clears every flag; name no output id with it")
        return "unflag all"
    return f"unflag {_pointers(args)}"


def _components(args: argparse.Namespace) -> str:
    conditions = [*([f"owner = {quote(args.owner)}"] if args.owner else []),
                  *([f"list_contains(tags, {quote(args.tag)})"] if args.tag else [])]
    return f"components where {' and '.join(conditions)}" if conditions else "components"


SHORTCUTS = (
    Shortcut("recent", "the latest runs of every component (OQL: recent N)",
             [(("count",), {"nargs": "?", "type": _positive, "metavar": "N", "help": "how many (default 10)"}),
              _LIMIT], _recent),
    Shortcut("inspect", "one run as a card: inputs, outputs, checks, metrics, notes (OQL: inspect run 'ID')",
             [(("run_id",), {"metavar": "ID", "help": "a run id or a unique prefix of one"})],
             lambda args: f"inspect run {quote(args.run_id)}"),
    Shortcut("history", "a component's runs, newest first, with its metrics (OQL: history NAME | order by ...)",
             [(("component",), {"metavar": "NAME", "help": "a component"}), _LIMIT], _history),
    Shortcut("trace", "the runs an output came from, as a tree (OQL: trace 'ID')",
             [(("pointer",), {"metavar": "ID", "help": "an output id (pointer)"})],
             lambda args: f"trace {quote(args.pointer)}"),
    Shortcut("flag", "mark outputs as suspicious, in one write (OQL: flag 'a', 'b')", [_IDS, _ID_OPTION],
             lambda args: f"flag {_pointers(args)}"),
    Shortcut("unflag", "clear flags of outputs, or all with --all (OQL: unflag 'a' / unflag all)",
             [_IDS, _ID_OPTION, (("--all",), {"action": "store_true", "help": "clear every flag"})], _unflag),
    Shortcut("review", "the runs most likely behind the flagged outputs (OQL: review | limit N)", [_LIMIT],
             lambda args: _limited("review", args.limit)),
    Shortcut("components", "every component with owner, tags and run counts (OQL: components where ...)",
             [(("--owner",), {"help": "only components of this owner"}),
              (("--tag",), {"help": "only components carrying this tag"})], _components),
    Shortcut("tags", "every tag with the components that carry it (OQL: tags)", [], lambda args: "tags"),
)


def add_shortcuts(commands: argparse._SubParsersAction, parents: list[argparse.ArgumentParser],
                  handler: Callable[[argparse.Namespace], int]) -> None:
    """One subcommand per shortcut; `handler` runs the OQL that `shortcut_oql(args)` writes."""
    for shortcut in SHORTCUTS:
        command = commands.add_parser(shortcut.name, parents=parents, help=shortcut.help, description=shortcut.help)
        for flags, options in shortcut.arguments:
            command.add_argument(*flags, **options)
        command.add_argument("--show-oql", action="store_true", help="print the OQL this command runs, and stop")
        command.set_defaults(handler=handler, shortcut=shortcut)


def shortcut_oql(args: argparse.Namespace) -> str:
    """The OQL the parsed subcommand stands for; an ObsqlError (kind "input") when its arguments do not fit."""
    return args.shortcut.oql(args)
