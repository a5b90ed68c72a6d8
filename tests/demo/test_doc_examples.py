"""Every example the docs show answers on the default demo store, as a reader would type it: docs/oql.md's
statements (relative times as of the demo's last day, as its introduction says), the README's `obsql ... -c`
lines (with the options they give) and its bare OQL blocks. An empty answer fails unless the doc marks the
example `(empty on the demo: why)` in its comment; an example that writes (flag, tag, note) runs on a copy.
"""
from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from obsql.cli import as_of_time
from obsql.demo.pipeline import DEFAULT_DAYS, START
from obsql.engine.session import Engine

ROOT = Path(__file__).parents[2]
DEMO_END = datetime.combine(START + timedelta(days=DEFAULT_DAYS), datetime.min.time(), timezone.utc)
EMPTY_MARK = "(empty on the demo"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


@dataclass(frozen=True)
class Example:
    doc: str
    text: str
    as_of: datetime | None
    empty: bool  # the doc says it answers with no rows on the demo

    def __str__(self) -> str:
        return f"{self.doc}: {self.text}"


def _blocks(path: Path) -> list[str]:
    """The fenced blocks of a Markdown file without a language (OQL and shell lines), error messages left out."""
    return [body for language, body in FENCE.findall(path.read_text(encoding="utf-8"))
            if not language and not body.startswith("error")]


def oql_reference_examples() -> list[Example]:
    found = []
    for block in _blocks(ROOT / "docs" / "oql.md"):
        for line in block.splitlines():
            statement, _, comment = line.partition("#")
            if statement.strip():
                found.append(Example("oql.md", statement.strip(), DEMO_END, EMPTY_MARK in comment))
    return found


def readme_examples() -> list[Example]:
    found = []
    for block in _blocks(ROOT / "README.md"):
        for line in block.splitlines():
            statement, _, comment = line.partition("  #")
            if line.startswith("obsql ") and " -c " in line:
                words = shlex.split(statement)
                as_of = as_of_time(words[words.index("--as-of") + 1]) if "--as-of" in words else None
                texts = [words[at + 1] for at, word in enumerate(words) if word == "-c"]
                found += [Example("README", text, as_of, EMPTY_MARK in comment) for text in texts]
            elif re.match(r"(expect|runs|trace|history|compare) ", line):  # a bare OQL block: a checks file
                found.append(Example("README", statement.strip().rstrip(";"), DEMO_END, EMPTY_MARK in comment))
    return found


EXAMPLES = oql_reference_examples() + readme_examples()


@pytest.fixture(scope="module")
def docs_engine(demo_store, tmp_path_factory) -> Engine:
    copy = tmp_path_factory.mktemp("docs") / "store"
    shutil.copytree(demo_store, copy)
    return Engine.open(copy)


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_every_documented_example_answers_on_the_demo(docs_engine, example):
    docs_engine.as_of = example.as_of
    sizes = [len(result.rows) for result in docs_engine.run(example.text)]
    if example.empty:
        assert sizes and not any(sizes), f"{example} answers now: drop its {EMPTY_MARK} mark"
    else:
        assert sizes and all(sizes), f"{example} answers with no rows on the demo (sizes {sizes})"


def test_the_examples_are_found():
    docs = {example.doc for example in EXAMPLES}
    assert docs == {"oql.md", "README"} and len(EXAMPLES) >= 50
    assert any(example.text.startswith("expect") and example.doc == "README" for example in EXAMPLES)
