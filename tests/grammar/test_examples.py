"""The reference page's examples and the example files parse, so the documentation cannot drift from the grammar."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from obsql.grammar import parse

ROOT = Path(__file__).parents[2]
REFERENCE = (ROOT / "docs" / "oql.md").read_text(encoding="utf-8")
# Each line of a fenced block is one statement; the block that shows an error message is not OQL.
REFERENCE_EXAMPLES = [line for block in re.findall(r"```\n(.*?)```", REFERENCE, re.S) if not block.startswith("error")
                      for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("example", REFERENCE_EXAMPLES)
def test_reference_example_parses(example):
    assert parse(example).statements


EXAMPLE_FILES = sorted([*(ROOT / "examples").glob("*.oql"), *(ROOT / "obsql" / "demo").glob("*.oql")])


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.name)
def test_example_file_parses(path):
    assert len(parse(path.read_text(encoding="utf-8")).statements) >= 4


def test_reference_has_examples():
    assert len(REFERENCE_EXAMPLES) >= 20
