"""Loading untrusted files in a worker process that a watchdog can stop (``UCA_MAX_FILE_SECONDS``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest.files import LoadError, LoadLimits
from ingest.settings import Settings

log = logging.getLogger(__name__)


class IsolatedLoader:
    """Loads and chunks files in a worker process, each under the time limit ``UCA_MAX_FILE_SECONDS``.

    A process because it is the only thing that can be stopped: a runaway regular expression or a pypdf
    loop holds the GIL, so a thread would neither finish nor let a watchdog thread act. On a timeout pebble
    kills the worker (SIGTERM, then SIGKILL) and the next file gets a new one; the file is skipped with its
    reason and the ingest goes on. The worker is forked (started in milliseconds, the loaders already
    imported); it runs only loader and chunker code, never Chroma or the model, and leaves with ``os._exit``.
    The pool starts at the first file that needs loading: an unchanged corpus starts no process."""

    def __init__(self, settings: Settings, work: Callable[..., Any]) -> None:
        self.settings = settings
        self.work = work  # (path, source, limits, chunk_size, chunk_overlap) -> (document, chunks)
        self.pool = None

    def load(self, path: Path, source: str, limits: LoadLimits):
        """The file's (document, chunks) from the worker. A worker that fails for a reason of its own (it
        died, or the pool broke: forking a busy multi-threaded process can) is replaced and the file tried
        once more, and when no worker can run at all the file is loaded in-process (not lost); a load error,
        a timeout or a worker that dies twice on the file is the file's, and the file is skipped."""
        from concurrent.futures import TimeoutError as FutureTimeout

        from pebble import ProcessExpired

        try:
            return self._load_once(path, source, limits)
        except (LoadError, FutureTimeout):
            raise
        except Exception as first:  # noqa: BLE001 - the worker's failure, not the file's: a fresh worker
            log.warning("loader worker failed on %s (%s: %s); retrying in a new worker", source,
                        type(first).__name__, first)
            self.close()
        try:
            return self._load_once(path, source, limits)
        except (LoadError, FutureTimeout, ProcessExpired):
            raise  # a worker that dies twice on one file: the file's doing (skipped with the reason)
        except Exception as second:  # noqa: BLE001 - no worker can run here: load in-process, not lose the file
            log.warning("loader worker failed again on %s (%s: %s); loading it in-process, without the time "
                        "limit", source, type(second).__name__, second)
            self.close()
            s = self.settings
            return self.work(path, source, limits, s.chunk_size, s.chunk_overlap)

    def _load_once(self, path: Path, source: str, limits: LoadLimits):
        if self.pool is None:
            import multiprocessing

            from pebble import ProcessPool

            self.pool = ProcessPool(max_workers=1, context=multiprocessing.get_context("fork"))
        s = self.settings
        future = self.pool.schedule(self.work, args=(path, source, limits, s.chunk_size, s.chunk_overlap),
                                    timeout=s.max_file_seconds)
        return future.result()

    def error(self, exc: BaseException) -> LoadError:
        """What :meth:`load` raised as a load error: its reason with a code (:mod:`ingest.reasons`)."""
        from concurrent.futures import TimeoutError as FutureTimeout

        from pebble import ProcessExpired

        if isinstance(exc, LoadError):
            return exc
        if isinstance(exc, FutureTimeout):
            return LoadError.of("timeout", seconds=float(self.settings.max_file_seconds))
        if isinstance(exc, ProcessExpired):
            return LoadError.of("loader_died", exit_code=exc.exitcode)
        return LoadError.of("load_failed", error=f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        if self.pool is not None:
            self.pool.stop()
            self.pool.join()
            self.pool = None
