"""Docs drift: every command, option, shell command, shell setting and OQL statement has its place in the docs.

What counts as documented, per kind (each missing item is a failure of its own, named after the item):

- a subcommand of `obsql` (explain, demo, ...): README.md shows it as `obsql <name>`;
- an option of `obsql` or of a subcommand (-c, --store, demo's --days, ...; not argparse's own -h): README.md
  mentions one of its spellings as a word of its own (`--days`, not inside `--days-ago`);
- a dot command of the shell: docs/repl.md has a table row whose first cell is the command's usage as `.help`
  prints it (`.mode table|csv|json|markdown`, with the `|` escaped in the table);
- a setting of the shell: docs/repl.md's example config file sets it to its default (`timer = off`);
- an OQL statement keyword: docs/oql.md has a heading naming it (`### trace`, `### flag, unflag, review`) and an
  example, a statement starting with it inside a ``` block (`flag 'pred-42'; review` has both flag and review).
"""
from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

import pytest

from obsql.cli import build_parser
from obsql.grammar.parser import STATEMENT_KEYWORDS
from obsql.repl.commands import COMMANDS
from obsql.repl.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
REPL_DOCS = ROOT / "docs" / "repl.md"
OQL_DOCS = ROOT / "docs" / "oql.md"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def mentions(text: str, word: str) -> bool:
    """Whether `word` is in `text` as a word of its own: not part of a longer word, option or path."""
    return re.search(rf"(?<![\w./-]){re.escape(word)}(?![\w-])", text) is not None


# -- the obsql command --------------------------------------------------------------------------------------------
def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (choices,) = [action.choices for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    return dict(choices)


def options() -> dict[str, tuple[str, ...]]:
    """Each option, by how it is called (`obsql -c`, `obsql demo --days`), with its spellings."""
    found: dict[str, tuple[str, ...]] = {}
    seen: set[tuple[str, ...]] = set()
    for prefix, parser in [("obsql", build_parser())] + [(f"obsql {name}", sub) for name, sub in subcommands().items()]:
        for action in parser._actions:
            spellings = tuple(action.option_strings)
            if spellings and not isinstance(action, argparse._HelpAction) and spellings not in seen:
                seen.add(spellings)  # --store, shared by the subcommands, is one option
                found[f"{prefix} {'/'.join(spellings)}"] = spellings
    return found


@pytest.mark.parametrize("name", list(subcommands()))
def test_subcommand_is_shown_in_the_readme(name):
    shown = mentions(read(README), f"obsql {name}")
    assert shown, f"README.md never shows `obsql {name}`: add a short section"


@pytest.mark.parametrize("option", list(options()))
def test_option_is_mentioned_in_the_readme(option):
    spellings = options()[option]
    mentioned = any(mentions(read(README), spelling) for spelling in spellings)
    assert mentioned, f"README.md never mentions {' or '.join(spellings)} ({option}): say what it does"


# -- the shell ----------------------------------------------------------------------------------------------------
def table_first_cells(text: str) -> set[str]:
    """The first cell of every Markdown table row, unescaped and without its backticks."""
    cells = set()
    for line in text.splitlines():
        if line.startswith("|"):
            first = re.split(r"(?<!\\)\|", line)[1]
            cells.add(first.strip().replace("\\|", "|").strip("`"))
    return cells


@pytest.mark.parametrize("name", list(COMMANDS))
def test_dot_command_has_a_row_in_the_repl_docs(name):
    usage = COMMANDS[name].usage
    listed = usage in table_first_cells(read(REPL_DOCS))
    assert listed, f"docs/repl.md's table of dot commands has no row for `{usage}` (its usage, as .help shows it)"


def config_value(value) -> str:
    """A setting's value as the config file writes it."""
    return ("on" if value else "off") if isinstance(value, bool) else str(value)


@pytest.mark.parametrize("name", [field.name for field in dataclasses.fields(Settings)])
def test_setting_is_in_the_repl_docs_config(name):
    line = f"{name} = {config_value(getattr(Settings(), name))}"
    written = re.search(rf"^\s*{re.escape(line)}\s*$", read(REPL_DOCS), re.MULTILINE) is not None
    assert written, f"docs/repl.md's example config file has no line `{line}` (the setting with its default)"


# -- OQL ----------------------------------------------------------------------------------------------------------
def lines_in_and_out_of_code(text: str) -> list[tuple[bool, str]]:
    """Each line that is not a fence, and whether it is inside a ``` block."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            inside = not inside
        else:
            lines.append((inside, line))
    return lines


def headings(text: str) -> list[str]:
    return [line.lstrip("#").strip() for in_code, line in lines_in_and_out_of_code(text)
            if not in_code and re.match(r"#{1,6} ", line)]


def example_statements(text: str) -> list[str]:
    """The statements written in ``` blocks: each line's text before any # comment, split at `;`."""
    return [part.strip() for in_code, line in lines_in_and_out_of_code(text) if in_code
            for part in line.split("#")[0].split(";") if part.strip()]


@pytest.mark.parametrize("keyword", STATEMENT_KEYWORDS)
def test_statement_has_a_heading_in_the_oql_docs(keyword):
    named = [heading for heading in headings(read(OQL_DOCS)) if keyword in re.findall(r"\w+", heading.lower())]
    assert named != [], f"docs/oql.md has no heading naming the statement '{keyword}' (like `### {keyword}`)"


@pytest.mark.parametrize("keyword", STATEMENT_KEYWORDS)
def test_statement_has_an_example_in_the_oql_docs(keyword):
    shown = any(statement.split()[0].lower() == keyword for statement in example_statements(read(OQL_DOCS)))
    assert shown, f"docs/oql.md has no example of '{keyword}' (a statement starting with it in a ``` block)"


# -- the lists above are what they claim to be ---------------------------------------------------------------------
def test_the_items_checked_are_found():
    assert {"explain", "demo", "compact", "check"} <= set(subcommands())
    assert {("-c",), ("-f",), ("--format",), ("--store",)} <= set(options().values())
    assert {".help", ".mode", ".exit"} <= set(COMMANDS)
    assert {"runs", "history", "trace", "expect"} <= set(STATEMENT_KEYWORDS)


def test_the_doc_readers_read_what_they_should():
    assert mentions("run `obsql check` now", "obsql check") and not mentions("obsql checks", "obsql check")
    assert mentions("obsql -c 'runs'", "-c") and not mentions("pip install -e .", "-c")
    assert not mentions("--days-ago", "--days") and not mentions("a/--days", "--days")
    assert table_first_cells("| `.mode table\\|csv` | how |\n| --- | --- |") == {".mode table|csv", "---"}
    assert example_statements("```\nflag 'p'; review  # then\n```\nunflag 'p'\n") == ["flag 'p'", "review"]
    assert headings("### flag, unflag, review\n#hashtag\n```\n# a comment\n```\n") == ["flag, unflag, review"]
