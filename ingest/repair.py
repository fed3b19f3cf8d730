"""Index damage: finding it (``uca ingest --check`` and the readers' error path) and clearing the way for a
rebuild (``uca ingest --full``).

Damage is any of: a truncated or corrupt manifest, a corrupt or missing Chroma store or collection, a missing
or corrupt BM25 folder, and stores that disagree. Each problem found names the command that repairs it:
``uca ingest`` rebuilds a missing or wrong BM25 folder and re-embeds missing vectors; ``uca ingest --full``
rebuilds everything from the corpus, and first moves a damaged manifest or Chroma store aside into
``<index>/damaged/<time>/`` (moved, not deleted: nothing is lost, and the user may delete that folder).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from ingest.index import (
    MANIFEST_FILE,
    IndexDamaged,
    Manifest,
    all_vector_ids,
    chroma_client,
    get_collection,
)
from ingest.lexical import IDS_FILE
from ingest.settings import Settings

LOCK_FILE = "ingest.lock"
DAMAGED_DIR = "damaged"  # under the index folder: where `uca ingest --full` moves damaged stores
CHROMA_DIR = "chroma"
MANIFEST_SIDE_FILES = ("-wal", "-shm", "-journal")  # SQLite files that belong to the manifest
FULL = "run `uca ingest --full` to rebuild the index from the corpus"
PLAIN = "run `uca ingest` to rebuild what is missing"
SHORT_CHARS = 160  # an exception's text in a one-line problem is cut to this length
BM25_FILES = ("params.index.json", "vocab.index.json", "data.csc.index.npy", "indices.csc.index.npy",
              "indptr.csc.index.npy")  # what bm25s saves (an empty corpus saves only ids.json)


def short(exc: BaseException) -> str:
    """One line for an exception: its type and first line, without paths to stack frames."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if len(text) > SHORT_CHARS:
        text = text[: SHORT_CHARS - 1] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def manifest_problem(index_dir: Path, thorough: bool = True) -> str | None:
    """Why the manifest cannot be used (None if it can). ``thorough`` runs SQLite's ``quick_check``, which reads
    every page (a truncated file can still answer a first query)."""
    path = index_dir / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            con.execute("SELECT key, value FROM meta").fetchall()
            if thorough:
                rows = con.execute("PRAGMA quick_check").fetchall()
                if rows != [("ok",)]:
                    return f"manifest {MANIFEST_FILE} is corrupt ({rows[0][0]})"
            con.execute("SELECT COUNT(*) FROM documents").fetchone()
            con.execute("SELECT COUNT(*) FROM chunks").fetchone()
        finally:
            con.close()
    except sqlite3.Error as exc:
        return f"manifest {MANIFEST_FILE} is damaged ({exc})"
    return None


def open_manifest(index_dir: Path, thorough: bool = False) -> Manifest:
    """The manifest, or :class:`IndexDamaged` naming the repair."""
    problem = manifest_problem(index_dir, thorough)
    if problem:
        raise IndexDamaged(f"the index is damaged: {problem}; {FULL}")
    try:
        return Manifest(index_dir / MANIFEST_FILE)
    except sqlite3.DatabaseError as exc:
        raise IndexDamaged(f"the index is damaged: manifest {MANIFEST_FILE} ({exc}); {FULL}") from exc


def forget_chroma(path: Path) -> None:
    """Drop chromadb's cached system for an embedded store that failed to open: chromadb caches a system before
    starting it, so a failed start would poison every later client of that path in this process."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        systems = getattr(SharedSystemClient, "_identifier_to_system", {})
        refcounts = getattr(SharedSystemClient, "_identifier_to_refcount", {})
        system = systems.pop(str(path), None)
        refcounts.pop(str(path), None)
        if system is not None:
            try:
                system.stop()
            except Exception:  # noqa: BLE001 - a half-started system may not stop cleanly
                pass
    except ImportError:
        return


def open_chroma(settings: Settings):
    """A Chroma client, or :class:`IndexDamaged` (embedded store unreadable) naming ``uca ingest --full``."""
    for attempt in (1, 2):  # the second try starts a fresh chromadb system (the first may be a stale failure)
        try:
            client = chroma_client(settings)
            client.list_collections()
            return client
        except Exception as exc:  # noqa: BLE001 - chromadb raises many types on a damaged store
            if settings.chroma_url:
                raise
            forget_chroma(settings.resolved_index_dir() / CHROMA_DIR)
            if attempt == 2:
                raise IndexDamaged(f"the index is damaged: the Chroma store cannot be opened ({short(exc)}); "
                                   f"{FULL}") from exc
    raise AssertionError("unreachable")


def bm25_problem(index_dir: Path, rel: str | None, live: set[str] | None) -> str | None:
    """Why the committed BM25 folder cannot serve (missing, unreadable, or ids other than ``live``)."""
    if not rel:
        return "no BM25 folder recorded in the manifest"
    directory = index_dir / rel
    if not directory.is_dir():
        return f"BM25 folder {rel} is missing"
    name = IDS_FILE
    try:
        ids = json.loads((directory / IDS_FILE).read_text(encoding="utf-8"))
        if not isinstance(ids, list):
            return f"BM25 folder {rel} is corrupt ({IDS_FILE} is not a list)"
        if ids:
            import numpy as np

            for name in BM25_FILES:
                if name.endswith(".npy"):
                    np.load(directory / name, mmap_mode="r", allow_pickle=False)
                else:
                    json.loads((directory / name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"BM25 folder {rel} is incomplete ({name} is missing)"
    except (OSError, ValueError) as exc:
        return f"BM25 folder {rel} is corrupt ({name} cannot be read: {short(exc)})"
    if live is not None and (len(ids) != len(set(ids)) or set(ids) != live):
        return f"BM25 folder {rel} holds other chunk ids than the manifest"
    return None


def lock_held(index_dir: Path) -> bool:
    """True while an ingest holds the lock (probed without waiting, released at once)."""
    if not (index_dir / LOCK_FILE).exists():
        return False
    lock = FileLock(str(index_dir / LOCK_FILE))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    except OSError:
        return False
    lock.release()
    return False


def move_aside(index_dir: Path, paths: list[Path]) -> Path:
    """Move ``paths`` (inside the index folder) into a new ``damaged/<time>`` folder; that folder."""
    dest = index_dir / DAMAGED_DIR / time.strftime("%Y%m%dT%H%M%S")
    n = 1
    while dest.exists():
        n += 1
        dest = dest.with_name(f"{dest.name.split('.')[0]}.{n}")
    dest.mkdir(parents=True)
    for p in paths:
        if p.exists() or p.is_symlink():
            os.replace(p, dest / p.name)
    return dest


def prepare_full_rebuild(settings: Settings) -> list[str]:
    """Before ``uca ingest --full`` (lock held): move a damaged manifest or embedded Chroma store aside, so the
    rebuild starts from fresh stores. What was moved, as report lines."""
    index_dir = settings.resolved_index_dir()
    notes: list[str] = []
    problem = manifest_problem(index_dir, thorough=True)
    if problem is None and (index_dir / MANIFEST_FILE).exists():
        try:  # rows the schema allows but the code cannot read (garbage JSON) count as damage too
            m = Manifest(index_dir / MANIFEST_FILE)
            try:
                m.meta()
                m.documents()
            finally:
                m.close()
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            problem = f"manifest {MANIFEST_FILE} cannot be read ({short(exc)})"
    if problem:
        base = index_dir / MANIFEST_FILE
        dest = move_aside(index_dir, [base, *(base.with_name(base.name + s) for s in MANIFEST_SIDE_FILES)])
        notes.append(f"{problem}: moved aside to {dest}")
    if not settings.chroma_url and (index_dir / CHROMA_DIR).exists():
        try:
            client = open_chroma(settings)
            try:
                for col in client.list_collections():
                    name = col if isinstance(col, str) else col.name
                    get_collection(client, name).count()
            finally:
                client.close()
        except Exception as exc:  # noqa: BLE001 - any failure: the store is set aside and rebuilt
            forget_chroma(index_dir / CHROMA_DIR)
            dest = move_aside(index_dir, [index_dir / CHROMA_DIR])
            cause = exc.__cause__ if isinstance(exc, IndexDamaged) and exc.__cause__ else exc
            notes.append(f"the Chroma store cannot be used ({short(cause)}): moved aside to {dest}")
    return notes


@dataclass
class CheckReport:
    """Result of the integrity check (``uca ingest --check``)."""

    ok: bool
    clean: bool
    manifest_chunks: int
    vector_chunks: int
    bm25_chunks: int
    problems: list[str]
    hints: list[str]
    running: bool = False  # an ingest held the lock during the check
    summary: str = ""  # one line: the state, the problems and the repair

    def as_dict(self) -> dict:
        return asdict(self)


def _finish(report: CheckReport) -> CheckReport:
    if report.ok and report.clean:
        state = "clean"
    elif report.ok:
        state = "consistent (needs cleanup)"
    else:
        state = "BROKEN"
    counts = f"manifest {report.manifest_chunks} chunks, Chroma {report.vector_chunks}, BM25 {report.bm25_chunks}"
    line = f"index: {state}; {counts}"
    if report.running:  # orphans and a dirty flag are expected while it runs: say only whether it serves
        line = f"index: an ingest is running; committed index {'ok' if report.ok else 'BROKEN'}; {counts}"
    if report.problems:
        line += f"; problem: {'; '.join(report.problems)}"
    if report.hints:
        line += f"; fix: {report.hints[0]}"
    report.summary = line
    return report


def check_index(settings: Settings, client=None) -> CheckReport:
    """Compare manifest, Chroma and BM25 ids; never raises. ``ok``: the committed index is complete and
    consistent; ``clean``: also no orphan vectors or duplicates left by an interrupted ingest."""
    index_dir = settings.resolved_index_dir()
    running = lock_held(index_dir)
    problems: list[str] = []
    notice = [f"an ingest is running (lock {index_dir / LOCK_FILE} held); check again when it has finished"] \
        if running else []

    def broken(problem: str, hint: str, m=0, v=0, b=0) -> CheckReport:
        return _finish(CheckReport(False, False, m, v, b, [problem, *problems, *notice], [hint], running))

    path = index_dir / MANIFEST_FILE
    if not path.exists():
        return broken("no index: manifest missing", "run `uca ingest`")
    problem = manifest_problem(index_dir, thorough=True)
    if problem:
        return broken(problem, FULL)
    manifest = Manifest(path)
    try:
        try:
            meta = manifest.meta()
            if "generation" not in meta:
                return broken("no committed index yet", "run `uca ingest`")
            docs = manifest.documents()
            live = manifest.chunk_ids()
        except (sqlite3.Error, ValueError, KeyError, TypeError) as exc:
            return broken(f"manifest {MANIFEST_FILE} cannot be read ({short(exc)})", FULL)
    finally:
        manifest.close()
    live_set = set(live)
    doc_ids = [cid for d in docs.values() for cid in d.chunk_ids]
    hints: list[str] = []
    ok = clean = True
    if len(live) != len(live_set) or len(doc_ids) != len(set(doc_ids)):
        ok = False
        problems.append("duplicate chunk ids in the manifest")
        hints.append(FULL)
    if set(doc_ids) != live_set:
        ok = False
        problems.append("documents table and chunks table disagree")
        hints.append(FULL)
    vec_ids: list[str] = []
    own = client is None
    try:
        client = client or open_chroma(settings)
        try:
            collection = get_collection(client, meta["collection"])
        except Exception as exc:  # noqa: BLE001
            ok = False
            problems.append(f"Chroma collection {meta.get('collection')!r} is missing ({short(exc)})")
            hints.append(PLAIN)
        else:
            vec_ids = all_vector_ids(collection)
            vec_set = set(vec_ids)
            missing, orphans = live_set - vec_set, vec_set - live_set
            if missing:
                ok = False
                problems.append(f"{len(missing)} committed chunks have no vector in Chroma")
                hints.append(PLAIN)
            if orphans:
                clean = False
                problems.append(f"{len(orphans)} orphan vectors in Chroma (left by an interrupted ingest; never "
                                "served)")
    except IndexDamaged as exc:
        ok = False
        problems.append(str(exc).removeprefix("the index is damaged: ").split(f"; {FULL}")[0])
        hints.append(FULL)
    except Exception as exc:  # noqa: BLE001 - a Chroma server down, or a store failing mid-read
        ok = False
        problems.append(f"the Chroma store cannot be read ({short(exc)})")
        hints.append(f"check that the Chroma server at {settings.chroma_url} is running" if settings.chroma_url
                     else FULL)
    finally:
        if own and client is not None and not settings.chroma_url:
            try:
                client.close()
            except Exception:  # noqa: BLE001
                pass
    bm25_ids: list[str] = []
    problem = bm25_problem(index_dir, meta.get("bm25_dir"), live_set)
    if problem is None or "other chunk ids" in problem:
        bm25_ids = json.loads((index_dir / meta["bm25_dir"] / IDS_FILE).read_text(encoding="utf-8"))
    if problem:
        ok = False
        problems.append(problem)
        hints.append(PLAIN)
    if meta.get("dirty") == "1":
        clean = False
        problems.append("an ingest was interrupted before it finished cleaning up")
    if not ok:
        hints = [FULL] if FULL in hints else [hints[0] if hints else PLAIN]
    elif not clean:
        hints = ["run `uca ingest` to complete the interrupted ingest and remove orphans"]
    if running:
        clean = False
        problems.extend(notice)
    return _finish(CheckReport(ok, ok and clean, len(live), len(vec_ids), len(bm25_ids), problems, hints, running))


def diagnose(settings: Settings) -> str | None:
    """One line for a reader that failed (``uca ask``, ``uca chat``): the index damage found and the command
    that repairs it, or None when the index looks sound (the failure is something else)."""
    report = check_index(settings)
    if report.ok:
        return None
    problem = report.problems[0] if report.problems else "inconsistent stores"
    fix = report.hints[0] if report.hints else FULL
    if problem.startswith(("no index", "no committed index")):
        return f"{problem}; {fix}"
    return f"the index is damaged: {problem}; {fix}"
