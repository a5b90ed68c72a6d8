"""Sortable unique ids (ULIDs): 48 bits of milliseconds, then 80 random bits, in Crockford base32.

Run ids sort by their run's start time, so "the latest runs" is an order by id; files named by ids sort by when
they were written. Ids made in the same millisecond by one process still sort in the order they were made.
"""
from __future__ import annotations

import os
import threading
import time
from datetime import datetime

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = tuple(_ALPHABET[i >> 5] + _ALPHABET[i & 31] for i in range(1024))  # every 10-bit value as 2 digits
_PAIR_SHIFTS = tuple(range(120, -1, -10))  # 13 pairs of digits: 130 bits, the first 2 always 0
_RANDOM_BITS = 80
_lock = threading.Lock()
_last = (-1, 0)  # (milliseconds, random part) of the previous id made by this process


def new_id(at: datetime | None = None) -> str:
    """A new ULID for the instant `at` (now when None)."""
    global _last
    millis = int((at.timestamp() if at is not None else time.time()) * 1000)
    with _lock:
        last_millis, last_random = _last
        if millis == last_millis:
            random_part = (last_random + 1) & ((1 << _RANDOM_BITS) - 1)
        else:
            random_part = int.from_bytes(os.urandom(10), "big")
        _last = (millis, random_part)
    return _encode((millis << _RANDOM_BITS) | random_part)


def _encode(value: int) -> str:
    """Crockford base32 of a 128-bit number: 26 digits, read two at a time (10 bits) from a table."""
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])
