"""Run ids: ULIDs in Crockford base32 that sort by time, and within a millisecond by the order they were made."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from obsql.storage.ids import _encode, new_id

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def digits_of(value: int) -> str:
    """The reference: the number's 26 base-32 digits, most significant first."""
    return "".join(CROCKFORD[(value >> (5 * k)) & 31] for k in reversed(range(26)))


@settings(deadline=None, max_examples=500)
@given(st.integers(min_value=0, max_value=(1 << 128) - 1))
def test_an_id_is_the_numbers_base32_digits(value):
    assert _encode(value) == digits_of(value)


def test_ids_sort_by_time_and_by_the_order_made():
    t0 = datetime(2024, 5, 1, tzinfo=timezone.utc)
    same_millisecond = [new_id(t0) for _ in range(1000)]
    later = [new_id(t0 + timedelta(milliseconds=k)) for k in range(1, 50)]
    made = same_millisecond + later
    assert sorted(made) == made and len(set(made)) == len(made)
    assert all(len(run_id) == 26 and set(run_id) <= set(CROCKFORD) for run_id in made)
