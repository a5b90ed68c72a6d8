"""The store that decorated functions and `obsql.run` log into (the last one connected in this process), and the
run in progress in the current context (what `obsql.mltrace.save` and `load` add their files to)."""
from __future__ import annotations

from contextvars import ContextVar
from typing import Callable

from obsql.client.logger import RunLogger
from obsql.client.record import RunRecord

_active: RunLogger | None = None
_open_default: Callable[[], RunLogger] | None = None
RUNNING: ContextVar[RunRecord | None] = ContextVar("obsql_running_record", default=None)


def running_record() -> RunRecord | None:
    """The run of a decorated function or `with obsql.run` block executing now in this context, if any."""
    return RUNNING.get()


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
