"""Running the app under uvicorn: what `obsql serve` does once its options are read."""
from __future__ import annotations

import socket
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from obsql.errors import ObsqlError
from obsql.serve.config import ServeConfig, read_token

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def serve(store: Path, host: str, port: int, token: str | None = None, token_file: Path | None = None,
          allow_writes: bool = False, timeout: float = 30.0, memory_limit: str = "50%", workers: int = 4,
          engine: str | None = None, spark_master: str | None = None) -> int:
    """Serve the store until Ctrl-C, its statements run by `engine` (duckdb or spark, as `obsql --engine`); an
    option that does not fit (writes without a token) stops it before it starts."""
    config = ServeConfig(store, host, port, read_token(token, token_file), allow_writes, timeout, memory_limit,
                         workers, engine=engine, spark_master=spark_master)
    uvicorn = _uvicorn()
    from obsql.serve.app import create_app

    app = create_app(config)
    if host not in LOOPBACK:
        print(f"warning: serving on {host}: reads need no token, so whoever reaches it reads the store",
              file=sys.stderr)
    print(f"obsql serving {config.store} at http://{_shown(host)}:{port}/ "
          f"({'writes allowed with the token' if allow_writes else 'read-only'}); Ctrl-C stops it", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0


@contextmanager
def serving(config: ServeConfig, start_timeout: float = 60.0) -> Iterator[str]:
    """The server running in a thread of this process for the block (a notebook's, a test's, the benchmark's),
    yielding its base URL; port 0 picks a free one. It stops, and closes its engines, when the block ends."""
    uvicorn = _uvicorn()
    from obsql.serve.app import create_app

    listening = socket.create_server((config.host, config.port))
    host, port = listening.getsockname()[:2]
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, name="obsql-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        if not server.started:
            raise ObsqlError("internal", f"the server did not start within {start_timeout:g} s")
        yield f"http://{_shown(host)}:{port}"
    finally:
        server.should_exit = True
        thread.join()
        listening.close()


def _uvicorn():
    """uvicorn, or an error saying which extra brings it (Starlette with it)."""
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise ObsqlError("input", f"obsql serve needs Starlette and uvicorn ({exc.name} is not installed)",
                         suggestion="pip install 'obsql[serve]'") from None
    return uvicorn


def _shown(host: str) -> str:
    """A host as a URL writes it (an IPv6 address in brackets)."""
    try:
        socket.inet_pton(socket.AF_INET6, host)
        return f"[{host}]"
    except OSError:
        return host
