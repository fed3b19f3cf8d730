"""Loader work functions for tests of :mod:`ingest.isolation`: module-level, so the loader worker (forked
from the fork server, which imports them by name) runs them. Each behaves like the real work except on the
file names it is written for."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from ingest.isolation import load_and_chunk

GONE = "gone.md"  # the file these helpers act on
SLOW_SECONDS = 30  # longer than any time limit a test sets
HELD_SECONDS = 20  # how long hold_the_lock keeps LOCK (longer than the tests' time limits)

LOCK = threading.Lock()  # a lock of this module's, as a library's would be


def delete_then_load(path: Path, source: str, limits, size: int, overlap: int):
    """Deletes ``gone.md`` before reading it (a file deleted while it is being loaded)."""
    if source == GONE:
        path.unlink()
    return load_and_chunk(path, source, limits, size, overlap)


def fail_on_gone(path: Path, source: str, limits, size: int, overlap: int):
    """A loader bug on ``gone.md``."""
    if source == GONE:
        raise RuntimeError("unexpected loader failure")
    return load_and_chunk(path, source, limits, size, overlap)


def slow(path: Path, source: str, limits, size: int, overlap: int):
    """Never finishes in time (a file swapped for a hostile one after its ingest)."""
    time.sleep(SLOW_SECONDS)


def under_the_lock(path: Path, source: str, limits, size: int, overlap: int):
    """Loads while holding :data:`LOCK`, as a library call that takes its module's lock."""
    with LOCK:
        return load_and_chunk(path, source, limits, size, overlap)


def hold_the_lock(held: threading.Event, release: threading.Event) -> threading.Thread:
    """A thread of this process that holds :data:`LOCK` until ``release`` is set (or HELD_SECONDS pass)."""

    def run() -> None:
        with LOCK:
            held.set()
            release.wait(HELD_SECONDS)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    held.wait()
    return thread


class HangOnce:
    """A work function that hangs the worker before it begins the file, once: unpickling it in the worker
    (which happens before the worker marks the file begun) blocks while the file ``flag`` exists, deleting it
    first, so the next worker goes on and loads normally."""

    def __init__(self, flag: str) -> None:
        self.flag = flag

    def __reduce__(self):
        return (_arrive, (self.flag,))

    def __call__(self, path: Path, source: str, limits, size: int, overlap: int):
        return load_and_chunk(path, source, limits, size, overlap)


def _arrive(flag: str) -> HangOnce:
    if os.path.exists(flag):
        os.unlink(flag)
        time.sleep(SLOW_SECONDS)
    return HangOnce(flag)
