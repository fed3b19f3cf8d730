"""`uca ingest`: scan the corpus, chunk what changed, embed only new chunks, switch the index atomically.

Order of writes (see ``ingest.index``): new vectors -> new BM25 directory -> manifest commit (the switch)
-> garbage collection of stale vectors and old BM25 directories. A kill at any point leaves the previous
or the new committed index; the next run completes the work and removes orphans.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ingest import model_choice, reasons
from ingest.chunking import Chunk, sentence_spans, with_languages
from ingest.embeddings import Embedder
from ingest.files import FileVanished, LoadLimits, OutsideCorpus, open_regular, read_fd
from ingest.index import (
    MANIFEST_FILE,
    DocumentEntry,
    IndexDamaged,
    IndexMismatch,
    Manifest,
    all_vector_ids,
    get_collection,
    index_config,
)
from ingest.isolation import IsolatedLoader, load_and_chunk
from ingest.lexical import build_bm25, content_words
from ingest.loaders import SUPPORTED_SUFFIXES, LoadError
from ingest.repair import (  # noqa: F401 - check_index and CheckReport are part of this module's API
    FULL,
    LOCK_FILE,
    CheckReport,
    bm25_problem,
    check_index,
    open_chroma,
    open_manifest,
    prepare_full_rebuild,
)
from ingest.settings import Settings

UNREADABLE_FOLDER = "folder_unreadable"  # the skip code of a folder the scan could not list
CRASH_ENV = "UCA_TEST_CRASH_AT"  # test hook: SIGKILL this process at the named stage (see _crash_point)
Progress = Callable[[str, int, int], None]  # (stage, done, total)


class IngestLocked(Exception):
    """Another ingest holds the lock."""


@dataclass
class IngestReport:
    """What one ingest did (``uca ingest --json`` prints the first eight fields)."""

    documents: int = 0
    chunks: int = 0
    added: int = 0
    removed: int = 0
    unchanged_documents: int = 0
    embedded: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)  # ingest.reasons entries (English reason, code)
    seconds: float = 0.0
    neutralised: list[dict[str, str]] = field(default_factory=list)  # indexed, minus what the loader dropped
    changed_documents: list[str] = field(default_factory=list)
    deleted_documents: list[str] = field(default_factory=list)
    orphans_removed: int = 0
    generation: int = 0
    words_embedded: int = 0  # corpus words given a vector (for the assistant's soft coverage)
    repairs: list[str] = field(default_factory=list)  # damage found and what this ingest did about it
    embedding_model: str = ""  # the model the index is built with (UCA_EMBEDDING_MODEL=auto: the one chosen)

    def as_dict(self) -> dict:
        return asdict(self)


GET_BATCH = 5000


def store_word_vectors(manifest: Manifest, embedder: Embedder, texts: Iterable[str]) -> int:
    """Embed and store the content words of ``texts`` that have no stored vector yet; how many.

    The assistant compares the words of a question with the words of the passages it retrieved (soft
    coverage, see ``assistant.answering``); with the corpus's words embedded here, a question only embeds its
    own few words."""
    words: list[str] = []
    seen: set[str] = set()
    for text in texts:
        for w in content_words(text):
            if w not in seen:
                seen.add(w)
                words.append(w)
    known = manifest.known_words(words) if words else set()
    missing = [w for w in words if w not in known]
    if not missing:
        return 0
    vecs = embedder.encode_words(missing)
    manifest.put_word_vectors(dict(zip(missing, vecs, strict=True)))
    return len(missing)


def existing_ids(collection: Any, ids: list[str], batch: int | None = None) -> set[str]:
    """The ids among ``ids`` that the collection already holds.

    Asked in slices: Chroma's SQLite refuses one ``get`` with more than 32,766 ids ("too many SQL
    variables"), which a first ingest of a large corpus would otherwise hit."""
    step = batch or GET_BATCH
    found: set[str] = set()
    for i in range(0, len(ids), step):
        found.update(collection.get(ids=ids[i : i + step], include=[])["ids"])
    return found


def _crash_point(stage: str) -> None:
    """Crash tests only: ``UCA_TEST_CRASH_AT=<stage>`` kills the process here, like a kill -9 would.

    Stages: during_vectors, after_vectors, after_bm25, after_commit, during_gc."""
    if os.environ.get(CRASH_ENV) == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def _skip(report: IngestReport, keep: dict[str, DocumentEntry], source: str, old: DocumentEntry | None,
          error: LoadError) -> None:
    """Report ``source`` as skipped for ``error``; a previously indexed version stays committed (and keeps its
    vectors)."""
    report.skipped.append(reasons.from_error(source, error, "note_kept" if old else None))
    if old:
        keep[source] = old


def scan_corpus(corpus: Path) -> tuple[list[tuple[str, Path]], list[dict[str, Any]]]:
    """Supported files under ``corpus`` (recursive, sorted, hidden entries ignored) and the entries skipped.

    The walk is iterative (a folder nested 1,200 deep is fine) and never follows a link to a folder. A folder
    that cannot be listed is reported with the source ``<folder>/`` and the code :data:`UNREADABLE_FOLDER`;
    the ingest keeps the documents indexed under it."""
    files, skipped = [], []
    if not corpus.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus}")
    stack = [""]  # folders still to list, relative to the corpus ('' is the corpus itself)
    while stack:
        rel = stack.pop()
        folder = corpus / rel if rel else corpus
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if not rel:
                raise
            skipped.append(reasons.entry(rel + "/", UNREADABLE_FOLDER, error=str(exc.strerror or exc)))
            continue
        subfolders = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            source = f"{rel}/{name}" if rel else name
            try:
                if entry.is_dir(follow_symlinks=False):
                    subfolders.append(source)
                    continue
                is_link = entry.is_symlink()
                is_dir = is_link and entry.is_dir()
                is_file = entry.is_file()  # follows a symlink: its target decides (the boundary is checked later)
            except OSError as exc:
                skipped.append(reasons.entry(source, "cannot_read", error=str(exc.strerror or exc)))
                continue
            suffix = Path(name).suffix.lower()
            if is_dir:
                skipped.append(reasons.entry(source, "folder_link"))
            elif not is_file:  # FIFO, socket, device or broken link: never opened (a FIFO would block)
                if suffix in SUPPORTED_SUFFIXES:
                    skipped.append(reasons.entry(source, "not_regular"))
            elif suffix in SUPPORTED_SUFFIXES:
                files.append((source, Path(entry.path)))
            else:
                skipped.append(reasons.entry(source, "unsupported_type", suffix=Path(name).suffix or name))
        stack.extend(reversed(subfolders))  # depth first, in name order (as os.walk)
    return files, skipped


def _link_counts(files: list[tuple[str, Path]]) -> Counter:
    """How many names each (device, inode) has among the scanned files (hard links inside the corpus); a
    symbolic link is not a name of its target."""
    counts: Counter = Counter()
    for _, path in files:
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if st.st_nlink > 1 and not os.path.islink(path):
            counts[(st.st_dev, st.st_ino)] += 1
    return counts


def _read_file(report: IngestReport, keep: dict[str, DocumentEntry], seen: set[str], source: str, path: Path,
               old: DocumentEntry | None, limits: LoadLimits, names: Counter, reload: bool):
    """The bytes and ``fstat`` of a changed file, opened safely (:func:`ingest.files.open_regular`); None when
    it is unchanged (kept), skipped or gone (both reported)."""
    try:
        fd, st = open_regular(path, limits)
    except FileVanished:
        seen.discard(source)  # vanished during the scan: treat as deleted
        report.skipped.append(reasons.entry(source, "vanished_scan"))
        return None
    except OutsideCorpus as exc:  # never indexed, and a version indexed before is removed, not kept
        seen.discard(source)
        report.skipped.append(reasons.from_error(source, exc, "note_removed" if old else None))
        return None
    except LoadError as exc:
        _skip(report, keep, source, old, exc)
        return None
    try:
        if limits.links_inside and st.st_nlink > 1 and st.st_nlink > names.get((st.st_dev, st.st_ino), 0):
            seen.discard(source)
            report.skipped.append(reasons.entry(source, "hard_link_outside", links=st.st_nlink))
            return None
        if old and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns and not reload:
            keep[source] = old
            return None
        if st.st_size > limits.max_bytes:  # refused before it is read whole to be hashed
            _skip(report, keep, source, old, LoadError.of("too_large", size=st.st_size, limit=limits.max_bytes))
            return None
        return read_fd(fd, limits.max_bytes), st
    except LoadError as exc:
        _skip(report, keep, source, old, exc)
    except OSError as exc:
        _skip(report, keep, source, old, LoadError.of("cannot_read", error=str(exc.strerror or exc)))
    finally:
        os.close(fd)
    return None


def _find_missing(report: IngestReport, manifest: Manifest, meta: dict[str, str], client, index_dir: Path,
                  docs: dict[str, DocumentEntry]) -> tuple[bool, set[str], set[str]]:
    """Damage a plain ingest repairs: (rebuild BM25?, documents to load again, chunk ids without a vector)."""
    live = set(manifest.chunk_ids())
    problem = bm25_problem(index_dir, meta.get("bm25_dir"), live)
    if problem:
        report.repairs.append(f"{problem}: rebuilt")
    try:
        collection = get_collection(client, meta["collection"])
        count = collection.count()
    except Exception:  # noqa: BLE001 - the collection (or the whole store) is gone: every vector is missing
        collection, count = None, 0
    missing: set[str] = set()
    if count < len(live):
        missing = live if collection is None else live - existing_ids(collection, sorted(live))
    reload = {s for s, d in docs.items() if missing.intersection(d.chunk_ids)}
    if missing:
        report.repairs.append(f"{len(missing)} committed chunks had no vector in Chroma: embedded again "
                              f"({len(reload)} document(s) loaded again)")
    return problem is not None, reload, missing


def acquire_lock(index_dir: Path) -> FileLock:
    """The ingest lock (released by the OS if the process dies)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / LOCK_FILE))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise IngestLocked(
            f"another ingest is running on {index_dir} (lock {index_dir / LOCK_FILE}); "
            "wait for it to finish and try again"
        ) from None
    return lock


def run_ingest(
    settings: Settings,
    full: bool = False,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    client=None,
) -> IngestReport:
    """Bring the index in step with the corpus folder; see the module docstring for the guarantees."""
    t0 = time.perf_counter()
    index_dir = settings.resolved_index_dir()
    corpus = settings.resolved_corpus_dir()
    lock = acquire_lock(index_dir)
    own_client = client is None
    holder: dict = {}
    try:
        return _ingest_locked(settings, full, embedder, progress, client, index_dir, corpus, t0, holder)
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
            raise  # locked, disk full...: not damage
        raise IndexDamaged(f"the index is damaged: manifest {MANIFEST_FILE} ({exc}); {FULL}") from exc
    finally:
        lock.release()
        if own_client and holder.get("client") is not None and not settings.chroma_url:
            try:  # release the embedded store so readers in this process reopen it fresh
                holder["client"].close()
            except Exception:  # noqa: BLE001
                pass


def _ingest_locked(settings, full, embedder, progress, client, index_dir, corpus, t0, holder) -> IngestReport:
    report = IngestReport()
    if full:  # a damaged manifest or Chroma store is moved aside: the rebuild starts from fresh stores
        report.repairs.extend(prepare_full_rebuild(settings))
    manifest = open_manifest(index_dir)
    meta = manifest.meta()
    built = "generation" in meta
    # UCA_EMBEDDING_MODEL=auto: a given embedder's model, else the built index's; a new index or a full rebuild
    # chooses once the documents are read (their languages are known then)
    choose_later = model_choice.is_auto(settings) and embedder is None and (full or not built)
    if not choose_later:
        settings = model_choice.resolve(settings, embedder, meta)
    config = index_config(settings)
    if built and not full:
        diffs = [f"{k}: index has {meta.get(k)!r}, settings say {v!r}" for k, v in config.items() if meta.get(k) != v]
        if diffs:
            raise IndexMismatch(
                "the index was built with other settings (" + "; ".join(diffs) + "); run `uca ingest --full`"
            )
    generation = int(meta.get("generation", "0"))
    full_generation = int(meta.get("full_generation", "0"))
    old_collection = meta.get("collection")
    import json

    prior = manifest.documents()
    previous = {} if full else prior
    # plain ingest: a missing or wrong BM25 folder is rebuilt, and missing vectors are embedded again
    rebuild_bm25, reload, missing_vectors = False, set(), set()
    if built and not full:
        client = holder["client"] = client or open_chroma(settings)
        rebuild_bm25, reload, missing_vectors = _find_missing(report, manifest, meta, client, index_dir, prior)
    if progress:
        progress("scanning", 0, 0)
    files, skipped = scan_corpus(corpus)
    report.skipped = skipped
    seen: set[str] = set()
    keep_docs: dict[str, DocumentEntry] = {}
    changed: dict[str, tuple[DocumentEntry, list[Chunk]]] = {}
    for item in (s for s in skipped if s["code"] == UNREADABLE_FOLDER):
        under = [src for src in previous if src.startswith(item["source"])]
        for src in under:  # its documents stay indexed as they were
            seen.add(src)
            keep_docs[src] = previous[src]
        if under:
            reasons.with_note(item, "note_folder_kept", n=len(under))
        elif full:
            reasons.with_note(item, "note_folder_full")
    limits = LoadLimits.from_settings(settings)
    names = _link_counts(files) if settings.links_inside_corpus else Counter()
    loader = IsolatedLoader(settings, load_and_chunk)  # a module global: a test may patch it
    try:
        for done, (source, path) in enumerate(files):
            if progress:
                progress("reading", done, len(files))
            seen.add(source)
            old = previous.get(source)
            got = _read_file(report, keep_docs, seen, source, path, old, limits, names, source in reload)
            if got is None:
                continue
            raw, st = got
            digest = hashlib.sha256(raw).hexdigest()
            if old and old.content_hash == digest and source not in reload:
                keep_docs[source] = DocumentEntry(source, digest, st.st_size, st.st_mtime_ns, old.title, old.format,
                                                  old.chunk_ids)
                continue
            try:
                doc, chunks = loader.load(path, source, limits)
            except OutsideCorpus as exc:  # swapped for a link between our read and the loader's: never indexed
                seen.discard(source)
                report.skipped.append(reasons.from_error(source, exc))
                continue
            except Exception as exc:  # noqa: BLE001 - one bad file is skipped with its reason, never the ingest
                _skip(report, keep_docs, source, old, loader.error(exc))
                continue
            chunks = with_languages(doc.text, chunks, settings.default_language)
            if doc.notes:
                report.neutralised.append({"source": source, "reason": "; ".join(doc.notes)})
            if not chunks:
                report.skipped.append(reasons.entry(source, "no_text"))
                if old:  # as for a load error: its old chunks stay committed, so their vectors must stay too
                    keep_docs[source] = old
                continue
            entry = DocumentEntry(source, digest, st.st_size, st.st_mtime_ns, doc.title, doc.format,
                                  tuple(c.id for c in chunks))
            changed[source] = (entry, chunks)
    finally:
        loader.close()
    if progress:
        progress("reading", len(files), len(files))
    all_new_chunks = [c for _, chunks in changed.values() for c in chunks]
    if choose_later:
        settings = model_choice.with_model(settings, model_choice.model_for(
            settings, model_choice.language_chars((c.lang, len(c.text)) for c in all_new_chunks)))
        config = index_config(settings)
    embedder = embedder or Embedder(settings)
    report.embedding_model = settings.embedding_model

    if full or not built:
        pending = meta.get("pending_collection")
        if meta.get("dirty") == "1" and pending and meta.get("pending_config") == json.dumps(config, sort_keys=True):
            collection_name = pending  # resume an interrupted rebuild: its vectors are reusable
        else:  # a fresh collection: never one left in the store by an older index (other model or settings)
            client = holder["client"] = client or open_chroma(settings)
            taken = {c if isinstance(c, str) else c.name for c in client.list_collections()}
            full_generation += 1
            while f"{settings.collection}-g{full_generation}" in taken:
                full_generation += 1
            collection_name = f"{settings.collection}-g{full_generation}"
    else:
        collection_name = old_collection

    deleted = sorted(s for s in previous if s not in seen)
    old_ids = {cid for d in prior.values() for cid in d.chunk_ids}
    new_ids: set[str] = {cid for d in keep_docs.values() for cid in d.chunk_ids}
    new_ids.update(c.id for c in all_new_chunks)
    added_ids = new_ids - old_ids
    removed_ids = old_ids - new_ids
    dirty = meta.get("dirty") == "1"
    stale_files = [d for s, d in keep_docs.items() if previous.get(s) != d]

    report.documents = len(keep_docs) + len(changed)
    report.chunks = len(new_ids)
    report.unchanged_documents = len(keep_docs)
    report.changed_documents = sorted(changed)
    report.deleted_documents = deleted
    report.added = len(added_ids)
    report.removed = len(removed_ids)

    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    if not changed and not deleted and not dirty and built and not full and not rebuild_bm25:
        meta_updates = {"last_ingest": now}
        if stale_files:  # touched but identical files: remember their new mtimes
            manifest.commit(stale_files, [], {}, meta_updates)
        else:
            manifest.set_meta(meta_updates)
        report.generation = generation
        report.seconds = round(time.perf_counter() - t0, 3)
        return report

    # 1. vectors first (Chroma becomes a superset of what will be committed)
    client = holder["client"] = client or open_chroma(settings)
    collection = get_collection(client, collection_name, create=True)
    manifest.set_meta({"dirty": "1", "pending_collection": collection_name,
                       "pending_config": json.dumps(config, sort_keys=True)})
    embed_chunks = [c for c in all_new_chunks if c.id in added_ids or full or not built or c.id in missing_vectors]
    if embed_chunks:
        existing = existing_ids(collection, [c.id for c in embed_chunks])
        todo = [c for c in embed_chunks if c.id not in existing]
        # identical chunk ids within one run (never expected) are embedded once
        unique: dict[str, Chunk] = {}
        for c in todo:
            unique.setdefault(c.id, c)
        todo = list(unique.values())
        batch = max(1, min(client.get_max_batch_size(), settings.embed_batch))
        if progress:
            progress("embedding", 0, len(todo))
        for i in range(0, len(todo), batch):
            part = todo[i : i + batch]
            spans = [sentence_spans(c.text) for c in part]
            shift = [len(c.embed_text) - len(c.text) for c in part]  # the text ends the embedded text
            shifted = [[(a + d, b + d) for a, b in sp] for sp, d in zip(spans, shift, strict=True)]
            # an embedder with only `encode` (a custom one) gets no sentence or word vectors: the assistant
            # then encodes what it needs at question time
            with_spans = getattr(embedder, "encode_with_spans", None)
            if with_spans is not None:
                vecs, sentence_vecs = with_spans([c.embed_text for c in part], shifted)
            else:
                vecs, sentence_vecs = embedder.encode([c.embed_text for c in part]), None
            collection.upsert(ids=[c.id for c in part], embeddings=vecs, documents=[c.text for c in part],
                              metadatas=[c.metadata() for c in part])
            if sentence_vecs is not None:
                manifest.put_sentence_vectors(zip([c.id for c in part], spans, sentence_vecs, strict=True))
            if hasattr(embedder, "encode_words"):
                report.words_embedded += store_word_vectors(
                    manifest, embedder, (f"{c.title} {c.section} {c.text}" for c in part))
            report.embedded += len(part)
            _crash_point("during_vectors")
            if progress:
                progress("embedding", min(i + batch, len(todo)), len(todo))
        if progress and not todo:
            progress("embedding", 0, 0)
    # chunks not embedded now (id unchanged but position moved, or vector left by an interrupted run for
    # another version of the file): keep Chroma's metadata exact. After an interrupted run, also the kept
    # documents' chunks: that run may have moved their metadata to a file version it never committed.
    kept_chunks = [] if not keep_docs else [
        c for c in manifest.chunks() if c.source in keep_docs
    ]
    embedded_ids = {c.id for c in todo} if embed_chunks else set()
    moved = [c for c in all_new_chunks if c.id not in embedded_ids] + (kept_chunks if dirty else [])
    if moved:
        batch = max(1, min(client.get_max_batch_size(), 2000))
        for i in range(0, len(moved), batch):
            part = moved[i : i + batch]
            collection.update(ids=[c.id for c in part], metadatas=[c.metadata() for c in part])
    _crash_point("after_vectors")

    # 2. BM25 over the whole committed-to-be chunk set, in a fresh directory
    new_generation = generation + 1
    bm25_dir = index_dir / "bm25" / f"g{new_generation}"
    if bm25_dir.exists():
        shutil.rmtree(bm25_dir)
    ordered = sorted([*kept_chunks, *all_new_chunks], key=lambda c: (c.source, c.chunk_index))
    if progress:
        progress("lexical index", 0, 1)
    build_bm25([c.id for c in ordered], [f"{c.title}\n{c.section}\n{c.text}" for c in ordered], bm25_dir,
               [c.lang or settings.default_language for c in ordered])
    if progress:
        progress("lexical index", 1, 1)
    _crash_point("after_bm25")

    # 3. the switch
    if progress:
        progress("switching", 0, 1)
    new_meta = dict(config)
    new_meta.update({
        "generation": str(new_generation), "full_generation": str(full_generation),
        "collection": collection_name, "bm25_dir": bm25_dir.relative_to(index_dir).as_posix(),
        "last_ingest": now, "dimension": str(_dimension(collection, embedder, meta)),
        "documents": str(report.documents), "chunks": str(report.chunks),
    })
    manifest.commit(
        upsert_docs=[*stale_files, *(e for e, _ in changed.values())],
        delete_docs=deleted,
        new_chunks={s: list(chunks) for s, (_, chunks) in changed.items()},
        meta=new_meta,
        replace_all=full or not built,
    )
    report.generation = new_generation
    if progress:
        progress("switching", 1, 1)
    _crash_point("after_commit")

    # 4. garbage collection (safe to interrupt: the next run redoes it)
    if removed_ids and collection_name == old_collection:
        ids = sorted(removed_ids)
        for i in range(0, len(ids), 2000):
            collection.delete(ids=ids[i : i + 2000])
    _crash_point("during_gc")
    report.orphans_removed = collect_orphans(manifest, collection, index_dir, full_scan=dirty)
    manifest.collect_sentence_vectors()
    prefix = f"{settings.collection}-g"
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        if name.startswith(prefix) and name != collection_name:
            try:
                client.delete_collection(name)
            except Exception:  # noqa: BLE001 - a damaged old collection stays behind, never served
                report.repairs.append(f"could not delete the old Chroma collection {name!r}")
    manifest.set_meta({"dirty": "0"})
    if getattr(embedder, "backend", "") == "auto" and getattr(embedder, "_model", None) is not None:
        embedder.export_onnx()  # later processes embed queries without importing torch
    report.seconds = round(time.perf_counter() - t0, 3)
    return report


def _dimension(collection, embedder: Embedder, meta: dict[str, str]) -> int:
    if embedder.loaded:
        return embedder.dimension()
    got = collection.get(limit=1, include=["embeddings"])
    emb = got.get("embeddings")
    if emb is not None and len(emb):
        return len(emb[0])
    return int(meta.get("dimension", "0"))


def collect_orphans(manifest: Manifest, collection, index_dir: Path, full_scan: bool) -> int:
    """Remove vectors not in the manifest (when ``full_scan``) and BM25 directories not current."""
    removed = 0
    if full_scan:
        live = set(manifest.chunk_ids())
        orphans = [i for i in all_vector_ids(collection) if i not in live]
        for i in range(0, len(orphans), 2000):
            collection.delete(ids=orphans[i : i + 2000])
        removed = len(orphans)
    current = manifest.get("bm25_dir")
    root = index_dir / "bm25"
    if root.is_dir() and current:
        for d in root.iterdir():
            if d.relative_to(index_dir).as_posix() != current:
                shutil.rmtree(d, ignore_errors=True)
    return removed
