"""The loader worker (ingest.isolation): real worker processes, real files, real threads holding real locks."""

from __future__ import annotations

import concurrent.futures
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout

import pytest

from ingest import pipeline
from ingest.files import LoadLimits
from ingest.isolation import IsolatedLoader
from ingest.pipeline import run_ingest
from testing import loaders

LIMIT = 3.0  # seconds per file in these tests


def _doc(settings, name="note.md", text="# Note\n\nThe clinic opened in 2031 in Lyon.\n"):
    path = settings.corpus_dir / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def held_lock():
    """A thread of this process holds testing.loaders.LOCK (as a web server's or a database's thread holds a
    library's lock) for the whole test."""
    held, release = threading.Event(), threading.Event()
    thread = loaders.hold_the_lock(held, release)
    yield
    release.set()
    thread.join()


def test_a_lock_held_by_another_thread_does_not_hang_the_worker(fake_settings, held_lock):
    """With the default start method the worker comes from the fork server, so it does not inherit the lock
    held at the time; with a plain fork of this (multi-threaded) process it inherits it held, and hangs until
    the time limit: the good file would be skipped."""
    path = _doc(fake_settings)
    limits = LoadLimits.from_settings(fake_settings)
    settings = fake_settings.model_copy(update={"max_file_seconds": LIMIT})
    assert settings.loader_start_method == "forkserver"
    loader = IsolatedLoader(settings, loaders.under_the_lock)
    try:
        doc, chunks = loader.load(path, "note.md", limits)
    finally:
        loader.close()
    assert "opened in 2031" in doc.text and chunks
    forked = IsolatedLoader(settings.model_copy(update={"loader_start_method": "fork"}), loaders.under_the_lock)
    try:
        with pytest.raises(FutureTimeout):
            forked.load(path, "note.md", limits)
    finally:
        forked.close()


def test_an_ingest_beside_a_busy_thread_indexes_every_file(fake_settings, fake_embedder, held_lock, monkeypatch):
    for i in range(3):
        _doc(fake_settings, f"note{i}.md", f"# Note {i}\n\nClinic number {i} opened in 203{i}.\n")
    monkeypatch.setattr(pipeline, "load_and_chunk", loaders.under_the_lock)
    settings = fake_settings.model_copy(update={"max_file_seconds": LIMIT})
    report = run_ingest(settings, embedder=fake_embedder)
    assert report.skipped == [] and report.documents == 3, report


def test_a_worker_that_never_begins_the_file_is_replaced_and_the_file_loaded(fake_settings, tmp_path):
    path = _doc(fake_settings)
    flag = tmp_path / "hang-once"
    flag.write_text("", encoding="utf-8")
    settings = fake_settings.model_copy(update={"max_file_seconds": LIMIT, "loader_start_seconds": 2.0})
    loader = IsolatedLoader(settings, loaders.HangOnce(str(flag)))
    began = time.monotonic()
    try:
        doc, _ = loader.load(path, "note.md", LoadLimits.from_settings(settings))
    finally:
        loader.close()
    assert not flag.exists(), "the first worker never received the work"
    assert "opened in 2031" in doc.text
    assert time.monotonic() - began < loaders.SLOW_SECONDS, "the stuck worker was waited for"


def test_a_file_that_runs_out_of_time_once_begun_is_the_files_and_not_tried_again(fake_settings):
    path = _doc(fake_settings)
    settings = fake_settings.model_copy(update={"max_file_seconds": LIMIT})
    loader = IsolatedLoader(settings, loaders.slow)
    began = time.monotonic()
    try:
        with pytest.raises(FutureTimeout) as caught:
            loader.load(path, "note.md", LoadLimits.from_settings(settings))
    finally:
        loader.close()
    elapsed = time.monotonic() - began
    assert LIMIT <= elapsed < 2 * LIMIT, f"{elapsed:.1f} s: a file that ran out of time was tried twice"
    assert str(loader.error(caught.value)) == "took longer than 3 s to load (UCA_MAX_FILE_SECONDS); abandoned"


def test_close_removes_the_markers_and_an_unused_loader_starts_nothing(fake_settings):
    path = _doc(fake_settings)
    idle = IsolatedLoader(fake_settings)
    idle.close()
    assert idle.pool is None
    loader = IsolatedLoader(fake_settings)
    doc, _ = loader.load(path, "note.md", LoadLimits.from_settings(fake_settings))
    markers = loader._markers
    assert markers is not None and any(markers.iterdir())
    loader.close()
    assert not markers.exists() and loader.pool is None


class _FinishesDuringThePoll(concurrent.futures.Future):
    """A pending load whose result arrives just after the parent's poll gave up on it (the window between
    `result(timeout=...)` raising and `done()` being asked): a timing that real runs hit now and then."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def result(self, timeout=None):
        if not self.done():
            self.set_result(self.value)
            raise FutureTimeout()
        return super().result(timeout)


class _OnePool:
    def __init__(self, future):
        self.future = future

    def schedule(self, *_args, **_kwargs):
        return self.future

    def stop(self):
        pass

    def join(self):
        pass


def test_a_load_that_finishes_just_after_a_poll_is_returned_not_called_a_timeout(fake_settings):
    """The race behind a full run that skipped a 5 MB file as 'took longer than 120 s' after 0.9 s: the poll's
    own timeout must not be taken for pebble's watchdog when the load has in fact finished."""
    path = _doc(fake_settings)
    loader = IsolatedLoader(fake_settings)
    marker_dir = loader._next_marker().parent
    (marker_dir / "2").write_text("")  # the worker began the file (the next marker's name)
    loader.pool = _OnePool(_FinishesDuringThePoll("the result"))
    try:
        assert loader.load(path, "note.md", LoadLimits.from_settings(fake_settings)) == "the result"
    finally:
        loader.close()


def test_a_watchdog_timeout_after_the_file_began_is_still_the_files(fake_settings):
    path = _doc(fake_settings)
    loader = IsolatedLoader(fake_settings)
    marker_dir = loader._next_marker().parent
    (marker_dir / "2").write_text("")
    watchdog = concurrent.futures.Future()
    watchdog.set_exception(FutureTimeout())
    loader.pool = _OnePool(watchdog)
    try:
        with pytest.raises(FutureTimeout):
            loader.load(path, "note.md", LoadLimits.from_settings(fake_settings))
    finally:
        loader.close()
