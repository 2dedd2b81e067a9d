"""Background work for the console: coroutines on the shared loop, results back on the Qt side.

The console runs on qasync, so the asyncio loop is the Qt main thread and the room server's
loop at once. A slot that must wait (grouping in an executor, a rehearsal) starts a coroutine
here instead of blocking; the runner keeps a reference to every task until it ends (asyncio
keeps only weak ones) and hands errors to :data:`sys.excepthook`, which the composition root
turns into a log entry and a dialog, as ``qasync.asyncSlot`` does.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


def running_loop() -> asyncio.AbstractEventLoop | None:
    """Return the running asyncio loop (qasync's in the console), or None outside one."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class TaskRunner(QObject):
    """Starts coroutines on the running loop and keeps them alive until they end.

    Signals:
        busyChanged(bool): the first task started (True) or the last one ended (False).
    """

    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        """Make an idle runner."""
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def busy(self) -> bool:
        """True while a task started here is still running."""
        return bool(self._tasks)

    def start(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
        """Run ``coro`` on the running loop; return its task (None if no loop runs).

        Without a running loop (a script that never started qasync) the coroutine is closed
        unstarted and the problem logged: there is no server loop to keep responsive then,
        and callers that can work synchronously check :func:`running_loop` first.
        """
        loop = running_loop()
        if loop is None:
            coro.close()
            log.error("no asyncio loop is running; the console must run under qasync")
            return None
        task = loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        if len(self._tasks) == 1:
            self.busyChanged.emit(True)
        return task

    def cancel_all(self) -> None:
        """Cancel every running task (e.g. when the window closes)."""
        for task in list(self._tasks):
            task.cancel()

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            error = task.exception()
            if error is not None:
                sys.excepthook(type(error), error, error.__traceback__)
        # The window (and so the runner) may be gone by the time a task ends.
        if not self._tasks and shiboken6.isValid(self):
            self.busyChanged.emit(False)
