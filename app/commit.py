"""Group commit: participants' writes that arrive together are committed together.

Every acknowledgement the room server sends is a promise that the write is on disk
(``synchronous=FULL``), and that fsync costs a few milliseconds. Done one write at a time on
the event loop, 500 people pressing "send" in the same second queue up behind 500 fsyncs
while the loop (which is also the console's Qt loop) can do nothing else; the load bench
measured a p99 submit-to-ack of 345 ms that way.

:class:`GroupCommitter` instead runs the writes on one worker thread with its own SQLite
connection. Whatever arrives while a commit is on its way waits for the next one, which
then carries all of it in a single transaction: one fsync per batch however many
participants it serves. Each write runs in its own savepoint, so one write that fails (a
participant erased a moment before their card arrived) fails alone; a commit that fails
(disk full) fails every write in it, and nothing of it is acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from app.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

Write = Callable[[Store], Any]


def _for_caller(exc: BaseException) -> Exception:
    """Return the error to hand a waiting caller.

    Never SystemExit or the like: set on a future, it would end the caller's event loop
    for one bad write.
    """
    if isinstance(exc, Exception):
        return exc
    return RuntimeError(f"a write was interrupted: {exc!r}")


class CommitterClosed(RuntimeError):
    """A write was offered after :meth:`GroupCommitter.close`."""


class GroupCommitter:
    """Commits writes in batches on a worker thread; each caller awaits its own result.

    Use from one event loop. Writes are committed in the order they were offered.
    """

    def __init__(self, db_path: Path) -> None:
        """Prepare a committer for the database at ``db_path`` (opened on first use)."""
        self.db_path = Path(db_path)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="group-commit")
        self._store: Store | None = None  # lives on the worker thread only
        self._pending: list[tuple[Write, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0  # commits made (for tests and the bench)
        self.largest_batch = 0

    @property
    def busy(self) -> bool:
        """Whether writes are waiting or being committed now."""
        return bool(self._pending) or (self._flusher is not None and not self._flusher.done())

    async def write(self, fn: Callable[[Store], T]) -> T:
        """Run ``fn(store)`` in the next batch; return its result once it is committed.

        Raises:
            CommitterClosed: after :meth:`close`.
            Exception: whatever ``fn`` raised, or the error that failed the commit.
        """
        if self._closed:
            raise CommitterClosed("the room's writer is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((fn, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        return await future

    async def close(self) -> None:
        """Commit what is pending, then close the worker's connection and thread."""
        self._closed = True
        if self._flusher is not None:
            await self._flusher
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_store)
        self._executor.shutdown(wait=True)

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending, []
            writes = [fn for fn, _ in batch]
            try:
                results = await loop.run_in_executor(self._executor, self._commit, writes)
            except Exception as exc:  # the worker itself failed (e.g. cannot open the DB)
                results = [exc] * len(batch)
            self.batches += 1
            self.largest_batch = max(self.largest_batch, len(batch))
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # the caller went away (its connection closed)
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    # -- on the worker thread ----------------------------------------------------------------

    def _commit(self, writes: list[Write]) -> list[Any]:
        if self._store is None:
            self._store = Store(self.db_path)
        store = self._store
        results: list[Any] = []
        try:
            with store.transaction():
                for fn in writes:
                    try:
                        # Store methods nest their own transaction as a savepoint, so a
                        # failing write is rolled back alone.
                        results.append(fn(store))
                    except BaseException as exc:
                        if not store.in_transaction:
                            # SQLite rolled back the whole batch (disk full, I/O error):
                            # the writes before this one are gone too.
                            raise
                        results.append(_for_caller(exc))
        except BaseException as exc:
            log.error("a batch of %d writes could not be committed: %s", len(writes), exc)
            return [_for_caller(exc)] * len(writes)
        return results

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
