"""Run :func:`app.export.export_all` in a spawned child process, awaited from an asyncio loop.

Why a process and not a thread: reportlab renders PDFs in pure Python, so an export in a
worker thread holds the GIL nearly all the time and the loop's thread only gets it back in
slices. In the console that thread is the Qt main thread *and* the room server's loop: a load
test with 500 participants submitting measured stalls of 467 ms with the export in a thread,
2–13 ms with it in a child process. The child is *spawned*, not forked: forking a process that
runs Qt, an asyncio loop and threads copies their locks in whatever state they are, and spawn
is what Windows and macOS do anyway, so every platform runs the same way.

The child shares no state with the console: it gets plain arguments (paths, session numbers,
the language of the PDFs), opens the workshop database itself and only reads it (the room
server keeps writing to it; SQLite's WAL lets both go on), so it exports what is committed when
it starts. Two one-way pipes connect the processes:

* child → parent: ``("progress", done, total, name)`` messages (first ``done`` = 0 once the
  files are counted), then one final message: ``("done", paths)``, ``("cancelled",)`` or
  ``("error", pickled exception, text, traceback)``. A thread of the parent blocks on that
  pipe (no GIL held while it waits) and hands each message to the loop's thread, so
  ``progress`` callbacks run there and may touch the GUI.
* parent → child: a stop request, which the export checks between files. The pipe reaching
  its end counts as one too, so a child whose console died stops after its current file.

A child that does not stop within ``grace`` seconds is terminated. Every file is written
atomically (:mod:`app.atomic`), so a killed child leaves the files it finished, whole, and no
half of the one it was writing: on POSIX ``terminate()`` sends SIGTERM, which the child turns
into an exception that removes its temporary file; after a hard kill (SIGKILL, Windows'
``TerminateProcess``, the OOM killer) the parent removes the temporaries itself.

A frozen (PyInstaller) app must call :func:`multiprocessing.freeze_support` first thing in its
entry script, or the spawned child starts a second console (``scripts/launcher.py`` does).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any

from app import i18n
from app.export import ExportCancelled, Progress, export_all, remove_leftovers
from app.i18n import tr
from app.store import StoreError

log = logging.getLogger(__name__)

#: Seconds a child gets to stop by itself after a cancel (it checks between files).
STOP_GRACE = 2.0
#: Seconds a terminated child gets to unwind (remove its temporary file) before it is killed.
KILL_GRACE = 2.0
#: How much lower the export process's CPU priority is than the console's (POSIX nice).
EXPORT_NICENESS = 10
#: The child's name (``multiprocessing.active_children()``), and the reader thread's.
PROCESS_NAME = "tankesmedja-export"

_FINAL = frozenset({"done", "cancelled", "error"})


class ExportProcessError(RuntimeError):
    """The export process could not start, or ended without an answer (killed, crashed).

    ``str()`` is a user-readable reason, translated where the text is ours.
    """

    def __init__(self, message: str, exitcode: int | None = None) -> None:
        """Keep the reason and, if the child ran at all, its exit code."""
        super().__init__(message)
        self.exitcode = exitcode


class RemoteTraceback(Exception):
    """The child's traceback, chained as ``__cause__`` of an error re-raised in the parent."""

    def __init__(self, text: str) -> None:
        """Keep the formatted traceback."""
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        """Return the traceback as the child printed it."""
        return f"\n\nin the export process:\n{self.text}"


async def export_in_process(
    db_path: Path,
    out_dir: Path,
    *,
    sessions: list[int] | None = None,
    names: bool = False,
    progress: Progress | None = None,
    cancel: asyncio.Event | None = None,
    language: str | None = None,
    grace: float | None = None,
) -> list[Path]:
    """Run :func:`app.export.export_all` in a spawned child process; return the files written.

    Awaiting this never blocks the running loop for longer than it takes to start a process.

    Args:
        db_path: The workshop database (the child opens it itself, read only).
        out_dir: Folder to write into (created if missing).
        sessions: Session numbers to include; None for the whole series.
        names: Include participants' names.
        progress: Called on the loop's thread with (0, total, "") once the files are counted,
            then with (done, total, file name) after each file.
        cancel: Set it to stop the export after the file being written; a child still busy
            ``grace`` seconds later is terminated (its unfinished file is discarded).
        language: Language of the PDFs' texts; None for the current one (:mod:`app.i18n`).
        grace: Seconds the child gets to stop by itself after ``cancel`` is set; None for
            :data:`STOP_GRACE`.

    Returns:
        The files written, as :func:`~app.export.export_all` returns them.

    Raises:
        ExportCancelled: ``cancel`` was set (files already written are complete).
        OSError: the folder cannot be written (the child's error, with its errno and text).
        ExportProcessError: the child could not start or died without an answer.
        Exception: any other error of the export, re-raised as the child raised it, with the
            child's traceback as ``__cause__``.
    """
    loop = asyncio.get_running_loop()
    child = _Child(Path(db_path), Path(out_dir), sessions, names, language or i18n.language(), loop)
    messages = child.start()
    if grace is None:
        grace = STOP_GRACE
    watcher = loop.create_task(_stop_on(cancel, child, grace)) if cancel is not None else None
    final: tuple[Any, ...] | None = None
    exitcode: int | None = None
    try:
        while True:
            message = await messages.get()
            kind = message[0]
            if kind == "progress":
                if progress is not None:
                    progress(message[1], message[2], message[3])
            elif kind == "exit":
                exitcode = message[1]
                break
            else:
                final = message
    except BaseException:
        # Our own task was cancelled (the console closes) or a progress callback raised:
        # the child must not outlive the export it was running for.
        child.force_stop()
        raise
    finally:
        if watcher is not None:
            watcher.cancel()
        child.close()
    return _outcome(final, exitcode, child.stop_requested)


def _outcome(final: tuple[Any, ...] | None, exitcode: int | None, stopped: bool) -> list[Path]:
    """Turn the child's final message (None: it sent none) into a result or an exception."""
    if final is None:
        if stopped:  # terminated because it did not stop by itself in time
            raise ExportCancelled
        raise ExportProcessError(tr("export_process_ended", code=exitcode), exitcode)
    kind = final[0]
    if kind == "done":
        return [Path(p) for p in final[1]]
    if kind == "cancelled":
        raise ExportCancelled
    _, blob, text, remote_tb = final
    error: BaseException | None = None
    if blob is not None:
        with contextlib.suppress(Exception):
            error = pickle.loads(blob)
    if not isinstance(error, Exception):
        error = ExportProcessError(text, exitcode)
    raise error from RemoteTraceback(remote_tb)


async def _stop_on(cancel: asyncio.Event, child: _Child, grace: float) -> None:
    """Ask the child to stop once ``cancel`` is set; terminate it if it takes too long."""
    await cancel.wait()
    child.request_stop()
    await asyncio.sleep(grace)
    log.info("the export process did not stop within %.1f s: terminating it", grace)
    child.force_stop()


class _Child:
    """One export process, its two pipe ends, and the thread that reads its reports."""

    def __init__(
        self,
        db_path: Path,
        out_dir: Path,
        sessions: list[int] | None,
        names: bool,
        language: str,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.out_dir = out_dir
        self.sessions = sessions
        self.stop_requested = False
        self._loop = loop
        self._exited = threading.Event()
        context = multiprocessing.get_context("spawn")
        self._reports, child_reports = context.Pipe(duplex=False)
        child_control, self._control = context.Pipe(duplex=False)
        self._child_ends = (child_reports, child_control)
        # Arguments are plain values (pickled for the child): nothing of the console's state.
        self.process: BaseProcess = context.Process(
            target=run_child,
            args=(str(db_path), str(out_dir), sessions, names, language),
            kwargs={"reports": child_reports, "control": child_control},
            name=PROCESS_NAME,
            daemon=True,  # never outlives a parent that exits normally
        )

    def start(self) -> asyncio.Queue[tuple[Any, ...]]:
        """Start the child and the reader thread; return the queue of its messages."""
        try:
            self.process.start()
        except BaseException as exc:  # no child: our ends of both pipes go too
            self._reports.close()
            self._control.close()
            if isinstance(exc, OSError):
                raise ExportProcessError(str(exc)) from exc
            raise
        finally:
            # Our copies of the child's ends must go, or the pipe never reports the child's
            # end (EOF) here, nor ours (a stop) there.
            for end in self._child_ends:
                end.close()
        messages: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        reader = threading.Thread(
            target=self._read, args=(messages,), name=f"{PROCESS_NAME}-reports", daemon=True
        )
        reader.start()
        return messages

    def request_stop(self) -> None:
        """Ask the child to stop after the file it is writing."""
        self.stop_requested = True
        with contextlib.suppress(OSError):  # it has ended already: nothing to stop
            self._control.send(("stop",))

    def force_stop(self) -> None:
        """Terminate the child now; kill it if it has not ended ``KILL_GRACE`` seconds later."""
        self.stop_requested = True
        if self._exited.is_set():
            return
        self.process.terminate()
        # A thread, not the loop: this also runs while the loop is cancelling our task or
        # shutting down, and the kill must still happen.
        threading.Thread(target=self._kill_later, name=f"{PROCESS_NAME}-kill", daemon=True).start()

    def close(self) -> None:
        """Close our end of the stop pipe (the reader thread closes ours of the report pipe)."""
        self._control.close()

    def _kill_later(self) -> None:
        if not self._exited.wait(KILL_GRACE):
            log.warning("the export process ignored SIGTERM: killing it")
            self.process.kill()

    def _read(self, messages: asyncio.Queue[tuple[Any, ...]]) -> None:
        # Runs on the reader thread: blocks on the pipe and hands every message to the loop.
        finished = False
        try:
            while True:
                try:
                    message = self._reports.recv()
                except (EOFError, OSError):  # the child has ended (or closed its end)
                    break
                except Exception:  # a garbled message: stop listening, still wait for the end
                    log.exception("unreadable message from the export process")
                    break
                finished = finished or message[0] in _FINAL
                self._deliver(messages, message)
        finally:
            self._reports.close()
            self.process.join()
            self._exited.set()
            if not finished:
                # Died mid-file (killed, crashed): its temporaries are ours to remove, and
                # it is dead, so none of them is being written any more.
                removed = remove_leftovers(self.out_dir, self.sessions)
                if removed:
                    log.info("removed what a stopped export left: %s", removed)
            self._deliver(messages, ("exit", self.process.exitcode))

    def _deliver(self, messages: asyncio.Queue[tuple[Any, ...]], message: tuple[Any, ...]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            self._loop.call_soon_threadsafe(messages.put_nowait, message)


# -- the child's side ---------------------------------------------------------------------------


def run_child(
    db_path: str,
    out_dir: str,
    sessions: list[int] | None,
    names: bool,
    language: str,
    *,
    reports: Connection,
    control: Connection,
) -> None:
    """Entry point of the export process: export, reporting to the parent over ``reports``.

    Public only so that :mod:`multiprocessing` can find it by name in the child.
    """
    # Ctrl+C in the console's terminal reaches the whole process group: the console decides
    # (it cancels the export), the child should not die with a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent's terminate() is SIGTERM on POSIX: unwind as an exception, so the file being
    # written has its temporary removed (app.atomic) instead of left behind.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    lower_priority()
    i18n.set_language(language)
    reporter = _Reporter(reports, control)
    try:
        if not Path(db_path).is_file():
            # Opening a Store creates a missing database; an export only ever reads one.
            raise StoreError(f"{db_path}: no workshop database there")
        files = export_all(
            Path(db_path),
            Path(out_dir),
            sessions=sessions,
            names=names,
            progress=lambda done, total, name: reporter.send(("progress", done, total, name)),
            cancelled=reporter.stop_requested,
            started=lambda total: reporter.send(("progress", 0, total, "")),
        )
    except ExportCancelled:
        reporter.send(("cancelled",))
    except Exception as exc:  # every error goes back to the parent, which shows it
        reporter.send(("error", _pickled(exc), str(exc), traceback.format_exc()))
    else:
        reporter.send(("done", [str(p) for p in files]))
    finally:
        reports.close()
        control.close()


def lower_priority() -> None:
    """Lower this process's CPU priority: nice +10 on POSIX, "below normal" on Windows.

    Background work: when the CPU is short (a laptop with two cores, a room of phones sending
    at once), the console and its room server go first. Windows has no ``os.nice``; psutil
    sets its priority class instead.
    """
    if sys.platform == "win32":
        import psutil

        with contextlib.suppress(psutil.Error, OSError):
            psutil.Process().nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)  # type: ignore[attr-defined]
    elif hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(EXPORT_NICENESS)


class _Reporter:
    """The child's two pipe ends; a parent that is gone reads as a stop request."""

    def __init__(self, reports: Connection, control: Connection) -> None:
        self._reports = reports
        self._control = control
        self._parent_gone = False

    def send(self, message: tuple[Any, ...]) -> None:
        if self._parent_gone:
            return
        try:
            self._reports.send(message)
        except OSError:  # nobody reads any more: stop at the next check, quietly
            self._parent_gone = True

    def stop_requested(self) -> bool:
        if self._parent_gone:
            return True
        try:
            # A stop message is waiting, or the pipe ended (the parent is gone): both stop.
            return self._control.poll()
        except (EOFError, OSError):
            return True


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _pickled(error: BaseException) -> bytes | None:
    """Return ``error`` pickled if the parent can unpickle it as it is, else None."""
    try:
        blob = pickle.dumps(error)
        pickle.loads(blob)  # some exceptions pickle but cannot be rebuilt: find out here
    except Exception:
        return None
    return blob
