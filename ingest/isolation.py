"""Loading untrusted files in a worker process that a watchdog can stop (``UCA_MAX_FILE_SECONDS``)."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from ingest.chunking import chunk_document
from ingest.files import LoadError, LoadLimits
from ingest.loaders import LoadedDocument, load_document
from ingest.settings import Settings

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05  # how often the parent looks at a pending load (its result, or whether the worker began it)
STARTED = "started"  # the marker file's content: the worker has begun the file


class WorkerStuck(RuntimeError):
    """The worker never began the file (a pool that lost the task, a worker that hung before it): the
    worker's failure, not the file's, so the file is tried again in a fresh worker."""


def load_and_chunk(path: Path, source: str, limits: LoadLimits, size: int, overlap: int):
    """The ingest's work: one file's document and chunks."""
    doc = load_document(path, source, limits)
    return doc, chunk_document(doc, size, overlap)


def load_only(path: Path, source: str, limits: LoadLimits, _size: int, _overlap: int) -> LoadedDocument:
    """The document viewer's work: the document as ingest loads it (no chunks)."""
    return load_document(path, source, limits)


def _begin_then(marker: str, work: Callable[..., Any], args: tuple) -> Any:
    """Runs in the worker: mark the file begun, then do the work."""
    Path(marker).write_text(STARTED, encoding="utf-8")
    return work(*args)


class IsolatedLoader:
    """Loads and chunks files in a worker process, each under the time limit ``UCA_MAX_FILE_SECONDS``.

    A process because it is the only thing that can be stopped: a runaway regular expression or a pypdf
    loop holds the GIL, so a thread would neither finish nor let a watchdog thread act. On a timeout pebble
    kills the worker (SIGTERM, then SIGKILL) and the next file gets a new one; the file is skipped with its
    reason and the ingest goes on.

    Workers start with ``UCA_LOADER_START_METHOD`` (``forkserver`` by default): they are forked from a small
    server process started once, single-threaded, with the loaders imported, so they start in milliseconds
    and inherit no lock that another thread of this process (a web server's, a database's, a model's) held
    at the time of the fork: a plain ``fork`` of a multi-threaded process can leave such a lock held forever
    in the child, which then hangs until the time limit and a good file is skipped. ``work`` must therefore
    be a module-level function (it is sent to the worker by name), and a script that ingests must guard its
    main code with ``if __name__ == "__main__":`` (each worker imports the main module, as with ``spawn``;
    the ``uca`` command does). Starting the server costs about a second, once per process.

    The worker marks each file begun. A file the worker never began within ``UCA_LOADER_START_SECONDS`` (or
    whose time ran out before it began) is the worker's failure: a fresh worker tries it once more. The
    pool starts at the first file that needs loading: an unchanged corpus starts no process."""

    def __init__(self, settings: Settings, work: Callable[..., Any] = load_and_chunk) -> None:
        self.settings = settings
        self.work = work  # (path, source, limits, chunk_size, chunk_overlap) -> result; module-level
        self.pool = None
        self._markers: Path | None = None
        self._tasks = 0

    def load(self, path: Path, source: str, limits: LoadLimits):
        """The work's result for one file, from the worker. A worker that fails for a reason of its own (it
        died, the pool broke, or it never began the file) is replaced and the file tried once more, and when
        no worker can run at all the file is loaded in-process (not lost); a load error, a timeout or a worker
        that dies twice on the file is the file's, and the file is skipped."""
        from pebble import ProcessExpired

        try:
            return self._load_once(path, source, limits)
        except (LoadError, FutureTimeout):
            raise
        except Exception as first:  # noqa: BLE001 - the worker's failure, not the file's: a fresh worker
            log.warning("loader worker failed on %s (%s: %s); retrying in a new worker", source,
                        type(first).__name__, first)
            self._stop_pool()
        try:
            return self._load_once(path, source, limits)
        except (LoadError, FutureTimeout, ProcessExpired):
            raise  # a worker that dies twice on one file: the file's doing (skipped with the reason)
        except Exception as second:  # noqa: BLE001 - no worker can run here: load in-process, not lose the file
            log.warning("loader worker failed again on %s (%s: %s); loading it in-process, without the time "
                        "limit", source, type(second).__name__, second)
            self._stop_pool()
            s = self.settings
            return self.work(path, source, limits, s.chunk_size, s.chunk_overlap)

    def _load_once(self, path: Path, source: str, limits: LoadLimits):
        s = self.settings
        marker = self._next_marker()
        future = self._pool().schedule(_begin_then, args=(str(marker), self.work,
                                                          (path, source, limits, s.chunk_size, s.chunk_overlap)),
                                       timeout=s.max_file_seconds)
        scheduled = time.monotonic()
        while True:
            try:
                return future.result(timeout=POLL_SECONDS)
            except FutureTimeout:
                begun = marker.exists()
                if future.done():  # finished since the poll gave up: with its result, or pebble's watchdog fired
                    return self._finished(future, begun, source)
                if not begun and time.monotonic() - scheduled > s.loader_start_seconds:
                    future.cancel()
                    raise WorkerStuck(f"no worker began {source} within {s.loader_start_seconds:g} s") from None

    @staticmethod
    def _finished(future, begun: bool, source: str):
        """The result of a load that finished after the last poll timed out. The poll's own timeout is not the
        file's: only pebble's watchdog (the future's exception) is, and only once the worker began the file."""
        try:
            return future.result(timeout=0)
        except FutureTimeout:
            if begun:
                raise  # the file ran out of time: the file's
            raise WorkerStuck(f"the worker's time ran out before it began {source}") from None

    def _pool(self):
        if self.pool is None:
            import multiprocessing

            from pebble import ProcessPool

            method = self.settings.loader_start_method
            context = multiprocessing.get_context(method)
            if method == "forkserver":  # the server imports the loaders once (no effect once it runs)
                context.set_forkserver_preload([__name__, self.work.__module__])
            self.pool = ProcessPool(max_workers=1, context=context)
        return self.pool

    def _next_marker(self) -> Path:
        if self._markers is None:
            self._markers = Path(tempfile.mkdtemp(prefix="uca-loader-"))
        self._tasks += 1
        return self._markers / str(self._tasks)

    def error(self, exc: BaseException) -> LoadError:
        """What :meth:`load` raised as a load error: its reason with a code (:mod:`ingest.reasons`)."""
        from pebble import ProcessExpired

        if isinstance(exc, LoadError):
            return exc
        if isinstance(exc, FutureTimeout):
            return LoadError.of("timeout", seconds=float(self.settings.max_file_seconds))
        if isinstance(exc, ProcessExpired):
            return LoadError.of("loader_died", exit_code=exc.exitcode)
        return LoadError.of("load_failed", error=f"{type(exc).__name__}: {exc}")

    def _stop_pool(self) -> None:
        if self.pool is not None:
            self.pool.stop()
            self.pool.join()
            self.pool = None

    def close(self) -> None:
        self._stop_pool()
        if self._markers is not None:
            shutil.rmtree(self._markers, ignore_errors=True)
            self._markers = None
