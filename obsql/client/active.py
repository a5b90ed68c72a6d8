"""The store that decorated functions and `obsql.run` log into: the last one connected in this process."""
from __future__ import annotations

from typing import Callable

from obsql.client.logger import RunLogger

_active: RunLogger | None = None
_open_default: Callable[[], RunLogger] | None = None


def use(logger: RunLogger) -> None:
    """Make `logger` the one module-level functions and decorators log into."""
    global _active
    _active = logger


def when_none_connected(open_default: Callable[[], RunLogger]) -> None:
    """How to open the default store when something logs before anyone connected."""
    global _open_default
    _open_default = open_default


def active_logger() -> RunLogger:
    """The logger of the last connected store, connecting the default store on first use."""
    if _active is None:
        if _open_default is None:
            raise RuntimeError("no obsql store is connected: call obsql.connect() first")
        use(_open_default())
    return _active
