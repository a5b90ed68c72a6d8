"""Where the server's engine work runs: reads on a pool of threads, each with an engine of its own; writes on one
writer thread, which holds the store opened to write.

One engine cannot be shared across threads: its DuckDB connection refuses a second call while one runs ("connection
is busy", 142 of 160 statements from 4 threads failed when measured) and its statement state (deadline, last walk)
is per statement. So each reading thread opens its own engine over the store the first time it reads, and keeps it
(its caches stay warm); every statement still runs under the engine's time limit. Writes (flags, tags, notes,
OpenLineage events) go one at a time to one writer, so the store has a single writer per server and the pending
events file is never written by two threads at once; readers see each write at their next statement (a write flushes,
and an engine looks for new files before every statement).

On the Spark engine (`--engine spark`) the threads share one SparkSession, and each engine's reader has a session of
its own on it (`newSession()`: its own temp views). Concurrent `spark.sql` calls from threads are safe (measured: 4
and 8 threads, each with its own session and a same-named view of another size, 15 queries each, every answer
right); they share the executors, so they queue there rather than fail.
"""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

from obsql.api import Store
from obsql.engine.session import Engine
from obsql.errors import ObsqlError
from obsql.serve.config import ServeConfig
from obsql.spark.selection import reader_factory

T = TypeVar("T")


class Engines:
    """The reading pool and the writer of one server."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self._reader_factory = reader_factory(config.engine, config.spark_master)  # Spark's session starts here
        # the writer first: with --allow-writes a missing store is created, so lineage can arrive into a new one
        self.store = Store(config.store, engine=config.engine, spark=config.spark_master) if config.allow_writes \
            else None
        if self.store is not None:
            self.store.engine.timeout = config.timeout
        Engine.open(config.store).reader.close()  # a missing or unreadable store fails here, at start-up
        self._local = threading.local()
        self._readers = ThreadPoolExecutor(config.workers, thread_name_prefix="obsql-read")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="obsql-write")

    def _engine(self) -> Engine:
        """This thread's engine, opened on its first read."""
        engine = getattr(self._local, "engine", None)
        if engine is None:
            engine = self._local.engine = Engine.open(self.config.store, self.config.timeout,
                                                      self.config.engine_memory, self._reader_factory)
        return engine

    async def read(self, work: Callable[[Engine], T]) -> T:
        """Run `work` with a reading engine on the pool, without blocking the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._readers, lambda: work(self._engine()))

    async def write(self, work: Callable[[Store], T]) -> T:
        """Run `work` on the writer thread with the store opened to write (only with --allow-writes)."""
        store = self.store
        if store is None:
            raise ObsqlError("internal", "a write reached a server started without --allow-writes")
        return await asyncio.get_running_loop().run_in_executor(self._writer, lambda: work(store))

    def close(self) -> None:
        """Finish the work under way, then flush and close the store."""
        self._readers.shutdown(wait=True)
        self._writer.shutdown(wait=True)
        if self.store is not None:
            self.store.close()
