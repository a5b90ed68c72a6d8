"""The server's options, checked before anything starts: a write needs a token, and a token must be worth one."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from obsql.errors import ObsqlError

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765
DEFAULT_TIMEOUT = 30.0  # seconds a request's statement may run: a server answers people waiting on a page
DEFAULT_WORKERS = 4  # threads reading at once, each with its own engine
MAX_ROWS = 10_000  # rows a response carries at most (it says when it cut)
MIN_TOKEN = 16  # characters: a token short enough to guess protects nothing
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(%|[KMGT]i?B)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ServeConfig:
    """What `obsql serve` was asked for."""

    store: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    allow_writes: bool = False
    timeout: float = DEFAULT_TIMEOUT
    memory_limit: str = "50%"
    workers: int = DEFAULT_WORKERS
    max_rows: int = MAX_ROWS
    engine: str | None = None  # duckdb or spark (None: $OBSQL_ENGINE, else duckdb), as `obsql --engine`
    spark_master: str | None = None  # the Spark engine's master URL (None: $OBSQL_SPARK_MASTER, else local[2])

    def __post_init__(self) -> None:
        if self.allow_writes and not self.token:
            raise ObsqlError("input", "--allow-writes needs a token: every write must carry it",
                             suggestion="obsql serve --allow-writes --token-file FILE (a file holding a long random "
                                        "text, e.g. from `openssl rand -hex 32`)")
        if self.token is not None and len(self.token) < MIN_TOKEN:
            raise ObsqlError("input", f"the token is {len(self.token)} characters long; it needs {MIN_TOKEN} or more",
                             suggestion="openssl rand -hex 32 > token.txt; obsql serve --token-file token.txt")
        if self.workers < 1:
            raise ObsqlError("input", f"--workers takes 1 or more, not {self.workers}")

    @property
    def engine_memory(self) -> str:
        """Each reading engine's share of --memory-limit: the readers together stay within it."""
        return share_of(self.memory_limit, self.workers)


def share_of(limit: str, parts: int) -> str:
    """A DuckDB memory limit (`50%`, `16GB`) divided into `parts` equal shares."""
    match = _SIZE.fullmatch(limit)
    if match is None:
        raise ObsqlError("input", f"--memory-limit takes a share like 50% or a size like 16GB, not {limit!r}")
    amount, unit = match.groups()
    return f"{float(amount) / parts:g}{unit}"


def read_token(token: str | None, token_file: Path | None) -> str | None:
    """The token given on the command line or in a file (its first line, without surrounding white space)."""
    if token_file is None:
        return token
    try:
        text = token_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ObsqlError("input", f"cannot read the token file {token_file}: "
                                  f"{getattr(exc, 'strerror', None) or exc}") from None
    lines = text.strip().splitlines()
    if not lines:
        raise ObsqlError("input", f"the token file {token_file} is empty")
    return lines[0].strip()
