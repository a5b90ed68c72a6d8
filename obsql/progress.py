"""A one-line progress bar for long work (demo generation, compaction), drawn on stderr when it is a terminal.

The work itself only reports steps (`obsql.storage.compact` takes a callback); the command line draws."""
from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """`with Progress(total, "compacting") as bar: bar.advance()` — redraws at most ten times a second."""

    WIDTH = 30

    def __init__(self, total: int, label: str, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.total = max(total, 0)
        self.label = label
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._drawn_at = 0.0
        self._started = time.monotonic()

    def advance(self, steps: int = 1, note: str = "") -> None:
        self.show(min(self.done + steps, self.total) if self.total else self.done + steps, self.total, note)

    def show(self, done: int, total: int, note: str = "") -> None:
        """`done` steps of `total` (work that learns its total as it goes reports both each time)."""
        self.done, self.total = done, max(total, 0)
        if self.enabled and (time.monotonic() - self._drawn_at > 0.1 or self.done == self.total):
            self._draw(note)

    def _draw(self, note: str) -> None:
        self._drawn_at = time.monotonic()
        share = self.done / self.total if self.total else 1.0
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        elapsed = time.monotonic() - self._started
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {elapsed:5.1f}s {note[:30]:<30}")
        self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc_info) -> None:
        if self.enabled:
            self._draw("")
            self.stream.write("\n")
            self.stream.flush()
