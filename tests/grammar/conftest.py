"""A fixture that puts a language built from a changed oql.lark in place of OQL for one test."""
from __future__ import annotations

from typing import Callable, Iterator

import pytest

from obsql.grammar import language as language_module
from obsql.grammar.language import Language, language

SOURCES_END = "-> sql\n"  # the last alternative of `?source` in oql.lark ends so


@pytest.fixture
def oql_with(tmp_path, monkeypatch) -> Iterator[Callable[[str, str], Language]]:
    """`oql_with(source, terminals)`: OQL with one more alternative of `?source` (`| _PING -> ping`) and more terminal
    definitions (`_PING.2: /ping\\b/i`), as `language()` until the test ends."""

    def swap(source: str, terminals: str) -> Language:
        grammar = language_module.GRAMMAR.read_text(encoding="utf-8")
        assert SOURCES_END in grammar
        changed = tmp_path / "oql.lark"
        changed.write_text(grammar.replace(SOURCES_END, f"{SOURCES_END}       {source}\n", 1) + terminals + "\n")
        monkeypatch.setattr(language_module, "GRAMMAR", changed)
        language.cache_clear()
        return language()

    yield swap
    monkeypatch.undo()
    language.cache_clear()
