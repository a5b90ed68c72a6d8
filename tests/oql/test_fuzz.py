"""Fuzzing under hypothesis: documented queries mutated token by token (benchmarks/fuzz_oql.py's mutations), and
text made of OQL's own characters, run against the small store. Every input ends as a result or an ObsqlError that
is not internal; `python benchmarks/fuzz_oql.py` runs a million of them."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from obsql.errors import ObsqlError
from tests.helpers import load_benchmark
from tests.oql.conftest import NOW

fuzz = load_benchmark("fuzz_oql")
QUERIES = fuzz.documented_queries()
OQL_CHARACTERS = "abcdefghijklmnopqrstuvwxyz_ 0123456789.'\"@-+*/=<>!|;,()#\n" + "é模"


def ends_cleanly(store, text: str) -> None:
    try:
        store.engine.run(text, now=NOW)
    except ObsqlError as error:
        assert error.kind != "internal", f"{text!r}: {error}"


def test_the_documented_queries_are_found():
    assert len(QUERIES) >= 80 and any(q.startswith("trace") for q in QUERIES)


@settings(max_examples=300)
@given(query=st.sampled_from(QUERIES), rng=st.randoms(use_true_random=False), times=st.integers(1, 3))
def test_a_mutated_documented_query_ends_as_a_result_or_an_obsql_error(small, query, rng, times):
    ends_cleanly(small, fuzz.mutate(query, rng, times))


@settings(max_examples=300)
@given(text=st.text(alphabet=OQL_CHARACTERS, max_size=80))
def test_text_of_oql_characters_ends_as_a_result_or_an_obsql_error(small, text):
    ends_cleanly(small, text)
