"""Issue 14, ingest side: hostile files cannot hang or leak through ingest, and a damaged index always has a
repair path. Real loaders, real Chroma, real BM25, ``uca`` subprocesses; the fake-hash-16 embedder where the
model does not matter, the real default model where an answer is checked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from ingest import pipeline
from ingest.files import LoadError, LoadLimits, OutsideCorpus, open_regular
from ingest.loaders import load_document
from ingest.pipeline import run_ingest

VISIBLE = "Unicancer's partner network spans hospitals in twelve European countries."
PASSWD_MARK = "root:x:0:0"  # the first line of /etc/passwd on this machine
HOPE = "Where is HOPE's head office?"
MINUTE = 60  # "finishing within a minute where it used to hang"


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def reasons(report: dict) -> dict[str, str]:
    return {s["source"]: s["reason"] for s in report["skipped"]}


def committed(settings) -> dict[str, str]:
    """{source: its committed chunk texts joined} from the manifest."""
    from ingest.index import Manifest

    m = Manifest(settings.resolved_index_dir() / "manifest.sqlite")
    try:
        out: dict[str, str] = {}
        for c in m.chunks():
            out[c.source] = out.get(c.source, "") + "\n" + c.text
        return out
    finally:
        m.close()


def timed_ingest(settings, helpers, *args: str, **env: str) -> tuple[dict, float]:
    t0 = time.monotonic()
    report = helpers.ingest_json(settings, *args, timeout=5 * MINUTE, **env)
    return report, time.monotonic() - t0


@pytest.fixture
def fs(fake_settings):
    """fake-hash-16 settings on an empty corpus with one ordinary document."""
    write(fake_settings.corpus_dir / "ok.md", f"# Ok\n\n{VISIBLE}\n")
    return fake_settings


def bomb_pdf(pages: int = 400, line_chars: int = 1_000_000) -> bytes:
    """A small PDF (~64 kB) whose pages all share one compressed content stream holding one long text line."""
    content = b"BT /F1 1 Tf 0 0 Td (" + b"A" * line_chars + b") Tj ET"
    stream = zlib.compress(content, 9)
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
             b"/Contents 4 0 R >>"] * pages
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for k, obj in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


# -- 1. bounded ingest --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_one_megabyte_single_line_markdown_is_ingested_within_a_minute(fs, helpers):
    words = "oncology research network hospital patients screening clinical trial europe".split()
    line = " ".join(words[i % len(words)] for i in range(150_000))[:1_000_000]
    write(fs.corpus_dir / "one-line.md", line)  # the setext-heading regex used to backtrack on it forever
    write(fs.corpus_dir / "under-rule.md", line + "\n" + "=" * 1_000_000)  # and a 1 MB rule under it
    report, elapsed = timed_ingest(fs, helpers)
    assert elapsed < MINUTE, elapsed
    assert report["skipped"] == [] and report["documents"] == 3
    texts = committed(fs)
    assert VISIBLE in texts["ok.md"] and "oncology" in texts["one-line.md"]


@pytest.mark.slow
def test_compressed_pdf_bomb_is_skipped_by_the_character_limit(fs, helpers):
    bomb = bomb_pdf()
    assert len(bomb) < 100_000  # 400 pages x 1 M characters from a 64 kB file
    write(fs.corpus_dir / "bomb.pdf", bomb)
    write(fs.corpus_dir / "fine.pdf", helpers.make_pdf([["A registry of cancer trials in Europe."]]))
    report, elapsed = timed_ingest(fs, helpers)
    assert elapsed < MINUTE, elapsed
    assert "more than 10,000,000 characters" in reasons(report)["bomb.pdf"]
    assert report["documents"] == 2 and set(committed(fs)) == {"ok.md", "fine.pdf"}


@pytest.mark.slow
def test_a_loader_that_runs_too_long_is_abandoned_not_the_ingest(fs, helpers):
    """The watchdog: with the character limit out of the way the bomb takes ~0.5 s a page; the worker is
    killed at UCA_MAX_FILE_SECONDS and the other files are indexed."""
    write(fs.corpus_dir / "bomb.pdf", bomb_pdf())
    write(fs.corpus_dir / "later.md", "# Later\n\nA document loaded after the abandoned one.\n")
    report, elapsed = timed_ingest(fs, helpers, UCA_MAX_FILE_CHARS="1000000000", UCA_MAX_FILE_SECONDS="3")
    assert elapsed < MINUTE, elapsed
    assert reasons(report) == {"bomb.pdf": "took longer than 3 s to load (UCA_MAX_FILE_SECONDS); abandoned"}
    assert report["documents"] == 2 and "abandoned one" in committed(fs)["later.md"]


def test_pdf_page_limit_is_checked_before_pages_are_read(tmp_path, helpers):
    path = write(tmp_path / "many.pdf", helpers.make_pdf([[f"Page {i} text."] for i in range(5)]))
    limits = LoadLimits.coerce(None)
    assert len(load_document(path, "many.pdf", limits).pages) == 5
    with pytest.raises(LoadError, match=r"PDF has 5 pages > limit 3 \(UCA_MAX_PDF_PAGES\)"):
        load_document(path, "many.pdf", LoadLimits(limits.max_bytes, limits.max_chars, 3, 400, 1000))


def test_html_character_limit_is_checked_while_extracting(tmp_path):
    path = write(tmp_path / "long.html", "<html><body>" + "<p>Some visible words here.</p>" * 2000 + "</body></html>")
    base = LoadLimits.coerce(None)
    assert len(load_document(path, "long.html", base).text) > 50_000
    small = LoadLimits(base.max_bytes, 10_000, base.max_pdf_pages, base.max_html_depth, base.max_html_elements)
    with pytest.raises(LoadError, match="more than 10,000 characters"):
        load_document(path, "long.html", small)


def test_deep_html_is_refused_before_a_tree_is_built(tmp_path):
    """5 MB of nested <div>: the pre-scan stops at depth 401; BeautifulSoup never builds its tree."""
    path = write(tmp_path / "deep.html", "<div>" * 1_000_000 + "deep" + "</div>" * 10)
    tracemalloc.start()
    try:
        t0 = time.monotonic()
        with pytest.raises(LoadError, match="nested more than 400 elements deep"):
            load_document(path, "deep.html")
        elapsed = time.monotonic() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100_000_000, peak  # the file and its text; a soup of a million tags takes gigabytes
    assert elapsed < 10, elapsed
    many = write(tmp_path / "wide.html", "<b>x</b>" * 300_000)
    with pytest.raises(LoadError, match="more than 200,000 elements"):
        load_document(many, "wide.html")


# Single-line inputs that made a regular expression backtrack (or a loop rescan) before; each must load in
# about the time of an ordinary file of the same size. Benchmark-style: fails at 10x the reference (+ 2 s).
SINGLE_LINE_CASES = {
    "md-words": ("x.md", lambda n: ("word " * n)[:n]),
    "md-atx-blanks": ("x.md", lambda n: "# x" + " " * (n - 4) + "y"),
    "md-hashes": ("x.md", lambda n: "# " + "#" * (n - 3) + "x"),
    "md-rule": ("x.md", lambda n: "Title\n" + "-" * (n - 6)),
    "txt-dots": ("x.txt", lambda n: ". " * (n // 2)),
    "txt-closers": ("x.txt", lambda n: "Done." + ")" * (n - 10) + " Next"),
    "html-text": ("x.html", lambda n: "<p>" + ("word " * n)[: n - 7] + "</p>"),
    "html-scale": ("x.html", lambda n: '<p style="transform:scale(' + "0" * (n - 60) + 'x)">Shown text</p>'),
    "html-css-no-brace": ("x.html", lambda n: "<style>" + "a" * (n - 40) + "</style><p>Shown</p>"),
    "html-css-comments": ("x.html", lambda n: "<style>" + "/* a " * ((n - 40) // 5) + "</style><p>Shown</p>"),
    "html-rgb": ("x.html", lambda n: '<p style="background:' + "rgb(" * ((n - 40) // 4) + '">Shown</p>'),
}


def _load_and_chunk_seconds(path: Path) -> float:
    from ingest.chunking import chunk_document

    t0 = time.perf_counter()
    try:
        doc = load_document(path, path.name)
        chunk_document(doc, 700, 100)
    except LoadError:
        pass
    return time.perf_counter() - t0


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(SINGLE_LINE_CASES))
def test_single_line_megabytes_load_in_linear_time(tmp_path, case):
    name, make = SINGLE_LINE_CASES[case]
    size = 1_000_000 if case.startswith("html") else 2_000_000
    reference = write(tmp_path / f"ref{Path(name).suffix}",
                      ("<p>" if name.endswith("html") else "") + "An ordinary sentence of the corpus.\n" * (size // 36))
    base = _load_and_chunk_seconds(reference)
    path = write(tmp_path / name, make(size))
    assert "\n" not in path.read_text()[10:] or case == "md-rule"
    took = _load_and_chunk_seconds(path)
    print(f"{case}: {took:.2f} s (ordinary file of the same size: {base:.2f} s)")
    assert took < 10 * base + 2, (case, took, base)


def test_pdf_single_line_page_loads_in_linear_time(tmp_path):
    path = write(tmp_path / "line.pdf", bomb_pdf(pages=1, line_chars=2_000_000))
    t0 = time.perf_counter()
    assert len(load_document(path, "line.pdf").text) == 2_000_000
    assert time.perf_counter() - t0 < 20


@pytest.mark.slow
def test_twelve_hundred_nested_folders_are_walked(fs, helpers):
    folders = [fs.corpus_dir]
    for _ in range(1200):  # made one by one: pathlib's and os's makedirs/rmtree recurse
        folders.append(folders[-1] / "d")
        os.mkdir(folders[-1])
    (folders[-1] / "bottom.md").write_text("# Bottom\n\nThe document at the bottom of 1,200 folders.\n")
    try:
        report, elapsed = timed_ingest(fs, helpers)
        assert elapsed < MINUTE, elapsed
        assert report["skipped"] == [] and report["documents"] == 2
        assert "1,200 folders" in committed(fs)["d/" * 1200 + "bottom.md"]
    finally:
        (folders[-1] / "bottom.md").unlink()
        for folder in reversed(folders[1:]):
            os.rmdir(folder)


def test_a_fifo_swapped_in_after_the_scan_does_not_block(fs, fake_embedder, monkeypatch):
    write(fs.corpus_dir / "swap.txt", "A plain text document that becomes a FIFO.\n")
    real_scan = pipeline.scan_corpus

    def scan_then_swap(corpus: Path):
        files, skipped = real_scan(corpus)
        (corpus / "swap.txt").unlink()
        os.mkfifo(corpus / "swap.txt")  # nobody writes to it: a blocking open() would wait forever
        return files, skipped

    monkeypatch.setattr(pipeline, "scan_corpus", scan_then_swap)
    t0 = time.monotonic()
    report = run_ingest(fs, embedder=fake_embedder)
    assert time.monotonic() - t0 < MINUTE
    assert {s["source"]: s["reason"] for s in report.skipped} == {
        "swap.txt": "not a regular file (FIFO, socket, device or broken link)"}
    assert report.documents == 1 and VISIBLE in committed(fs)["ok.md"]


def test_loaders_open_non_blocking_and_check_fstat(tmp_path):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    for name in ("pipe.md", "pipe.txt", "pipe.html", "pipe.pdf"):
        path = tmp_path / name
        if not path.exists():
            os.mkfifo(path)
        t0 = time.monotonic()
        with pytest.raises(LoadError, match="not a regular file"):
            load_document(path, name)
        assert time.monotonic() - t0 < 5
    with pytest.raises(LoadError, match="Is a directory"):
        open_regular(tmp_path, LoadLimits.coerce(None))


# -- 2. the corpus boundary -------------------------------------------------------------------------------------


def test_links_out_of_the_corpus_are_skipped_and_an_indexed_version_removed(fs, fake_embedder, tmp_path):
    corpus = fs.corpus_dir
    outside = write(tmp_path / "outside" / "secret.txt", "SECRET-OUTSIDE the corpus: do not index.\n")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "secret.md").symlink_to(outside)
    os.link(outside, corpus / "hard.txt")
    (corpus / "folder-link").symlink_to(outside.parent)
    write(corpus / "victim.txt", "A regular document, later swapped for a link.\n")
    first = run_ingest(fs, embedder=fake_embedder)
    got = {s["source"]: s["reason"] for s in first.skipped}
    assert got["passwd.txt"].startswith("symbolic link to a file outside the corpus folder")
    assert got["secret.md"].startswith("symbolic link to a file outside the corpus folder")
    assert got["hard.txt"].startswith("hard link (2 names")
    assert got["folder-link"] == "symbolic link to a folder; not followed"
    assert set(committed(fs)) == {"ok.md", "victim.txt"}
    (corpus / "victim.txt").unlink()
    (corpus / "victim.txt").symlink_to("/etc/passwd")
    second = run_ingest(fs, embedder=fake_embedder)
    assert "its indexed version is removed" in {s["source"]: s["reason"] for s in second.skipped}["victim.txt"]
    texts = "\n".join(committed(fs).values())
    assert PASSWD_MARK not in texts and "SECRET-OUTSIDE" not in texts
    assert second.deleted_documents == ["victim.txt"]


def test_links_inside_the_corpus_need_the_setting(fs, fake_embedder):
    corpus = fs.corpus_dir
    write(corpus / "real.md", "# Real\n\nThe real document about registries.\n")
    (corpus / "alias.md").symlink_to(corpus / "real.md")
    os.link(corpus / "real.md", corpus / "twin.md")
    report = run_ingest(fs, embedder=fake_embedder)
    got = {s["source"]: s["reason"] for s in report.skipped}
    assert "UCA_LINKS_INSIDE_CORPUS" in got["alias.md"] and got["real.md"].startswith("hard link")
    allowed = fs.model_copy(update={"links_inside_corpus": True})
    report = run_ingest(allowed, embedder=fake_embedder)
    assert report.skipped == [] and set(committed(fs)) == {"ok.md", "real.md", "alias.md", "twin.md"}


def test_a_folder_swapped_for_a_link_after_the_scan_is_caught_after_opening(fs, fake_embedder, tmp_path, monkeypatch):
    write(fs.corpus_dir / "sub" / "doc.txt", "The document inside the corpus.\n")
    write(tmp_path / "elsewhere" / "doc.txt", "SECRET-ELSEWHERE must not be indexed.\n")
    real_scan = pipeline.scan_corpus

    def scan_then_swap(corpus: Path):
        files, skipped = real_scan(corpus)
        shutil.rmtree(corpus / "sub")
        (corpus / "sub").symlink_to(tmp_path / "elsewhere")  # the last path component is still a plain file
        return files, skipped

    monkeypatch.setattr(pipeline, "scan_corpus", scan_then_swap)
    report = run_ingest(fs, embedder=fake_embedder)
    assert "outside the corpus folder" in {s["source"]: s["reason"] for s in report.skipped}["sub/doc.txt"]
    assert "SECRET-ELSEWHERE" not in "\n".join(committed(fs).values())
    with pytest.raises(OutsideCorpus):
        open_regular(fs.corpus_dir / "sub" / "doc.txt", LoadLimits.from_settings(fs))


def test_an_unreadable_folder_is_reported_and_its_documents_kept(fs, fake_embedder, monkeypatch, helpers):
    private = fs.corpus_dir / "private"
    write(private / "kept.md", "# Kept\n\nThe document in the folder that becomes unreadable.\n")
    run_ingest(fs, embedder=fake_embedder)
    if os.geteuid() != 0:
        private.chmod(0)
    else:  # root reads any folder: the listing fails as it would for another user
        real_scandir = os.scandir

        def scandir(path="."):
            if isinstance(path, (str, os.PathLike)) and Path(path) == private:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(pipeline.os, "scandir", scandir)
    try:
        write(fs.corpus_dir / "new.md", "# New\n\nA new document next to the unreadable folder.\n")
        report = run_ingest(fs, embedder=fake_embedder)
    finally:
        private.chmod(0o755)
    assert {s["source"]: s["reason"] for s in report.skipped} == {
        "private/": "folder cannot be read (Permission denied); its 1 indexed document(s) are kept as they were"}
    assert report.deleted_documents == [] and report.documents == 3
    assert "becomes unreadable" in committed(fs)["private/kept.md"]
    assert helpers.check(fs).clean


# -- 6. names shown escaped -------------------------------------------------------------------------------------


def test_file_names_are_shown_escaped_in_the_text_report(fs, helpers):
    forged = "evil\n  skipped ok.md: forged line\x1b[31m.odt"
    write(fs.corpus_dir / forged, b"PK")
    proc = helpers.run_uca(["ingest", "--quiet"], helpers.uca_env(fs), timeout=2 * MINUTE)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert not any(ln.startswith("  skipped ok.md") for ln in lines), lines
    assert "\x1b" not in proc.stdout
    assert "  skipped evil\\n  skipped ok.md: forged line\\x1b[31m.odt: unsupported file type '.odt'" in lines


# -- 3. repair paths: every kind of damage, on real stores --------------------------------------------------------


def _truncate(path: Path, fraction: float = 0.3) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(int(size * fraction))


def _garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[:4096] = os.urandom(4096)
    path.write_bytes(bytes(data))


def _bm25_dir(index: Path) -> Path:
    return next((index / "bm25").iterdir())


def _drop_bm25_id(index: Path) -> None:
    ids_file = _bm25_dir(index) / "ids.json"
    ids_file.write_text(json.dumps(json.loads(ids_file.read_text())[1:]))


def _drop_vectors(index: Path) -> None:
    from tests.conftest import committed_collection_name, open_chroma

    with open_chroma(index) as client:
        col = client.get_collection(committed_collection_name(index), embedding_function=None)
        col.delete(ids=col.get(limit=3, include=[])["ids"])


FULL, PLAIN = "uca ingest --full", "`uca ingest` to rebuild what is missing"
# kind: (damage, the repair the messages name); PLAIN kinds are repaired by a plain `uca ingest`
DAMAGE = {
    "manifest-truncated": (lambda i: _truncate(i / "manifest.sqlite"), FULL),
    "manifest-garbage": (lambda i: _garble(i / "manifest.sqlite"), FULL),
    "chroma-truncated": (lambda i: _truncate(i / "chroma" / "chroma.sqlite3"), FULL),
    "chroma-missing": (lambda i: shutil.rmtree(i / "chroma"), PLAIN),
    "bm25-missing": (lambda i: shutil.rmtree(i / "bm25"), PLAIN),
    "bm25-corrupt": (lambda i: (_bm25_dir(i) / "data.csc.index.npy").write_bytes(b"garbage"), PLAIN),
    "bm25-ids-mismatch": (_drop_bm25_id, PLAIN),
    "vectors-missing": (_drop_vectors, PLAIN),
}


@pytest.fixture(scope="module")
def fake_base(tmp_path_factory, helpers):
    """A fake-hash-16 index of a copy of the real corpus, built once by `uca ingest`; tests damage copies."""
    from ingest.settings import Settings

    root = tmp_path_factory.mktemp("base")
    shutil.copytree(helpers.CORPUS_DIR, root / "corpus")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index", embedding_model=helpers.FAKE_MODEL)
    helpers.ingest_json(settings)
    return settings


def _copy_index(base, tmp_path: Path):
    shutil.copytree(base.corpus_dir, tmp_path / "corpus")
    shutil.copytree(base.index_dir, tmp_path / "index")
    return base.model_copy(update={"corpus_dir": tmp_path / "corpus", "index_dir": tmp_path / "index"})


def one_line(proc: subprocess.CompletedProcess, stream: str = "stderr") -> str:
    text = getattr(proc, stream)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on {stream}, got: {text!r}"
    return lines[0]


def chat_line(settings, helpers) -> str:
    """`uca chat` on a damaged index must refuse at once with one line (never serve a broken UI)."""
    try:
        proc = helpers.run_uca(["chat", "--port", "0"], helpers.uca_env(settings), timeout=MINUTE)
    except subprocess.TimeoutExpired:
        pytest.fail("uca chat started serving a damaged index")
    assert proc.returncode == 2
    return one_line(proc)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_each_kind_of_damage_gets_one_clear_line_and_a_repair(kind, fake_base, tmp_path, helpers):
    settings = _copy_index(fake_base, tmp_path)
    damage, fix = DAMAGE[kind]
    damage(settings.index_dir)
    env = helpers.uca_env(settings)
    ask = helpers.run_uca(["ask", HOPE], env, timeout=2 * MINUTE)
    assert ask.returncode != 0
    line = one_line(ask)
    assert line.startswith("uca ask: error: the index is damaged: ") and fix in line, line
    check = helpers.run_uca(["ingest", "--check"], env, timeout=2 * MINUTE)
    assert check.returncode == 1 and fix in one_line(check, "stdout")
    assert "BROKEN" in check.stdout
    line = chat_line(settings, helpers)
    assert line.startswith("uca chat: error: the index is damaged: ") and fix in line, line
    if fix == FULL:  # plain ingest refuses with the same one line; --full rebuilds
        plain = helpers.run_uca(["ingest", "--json", "--quiet"], env, timeout=2 * MINUTE)
        assert plain.returncode == 2 and FULL in one_line(plain)
        report = helpers.ingest_json(settings, "--full")
        assert any("moved aside to" in r for r in report["repairs"]), report["repairs"]
        assert list((settings.index_dir / "damaged").iterdir())  # the damaged store is kept there, not deleted
    else:
        report = helpers.ingest_json(settings)
        assert report["repairs"], report
    assert helpers.check(settings).clean
    again = helpers.run_uca(["ask", "--json", HOPE], env, timeout=2 * MINUTE)
    assert again.returncode == 0 and "error" not in json.loads(again.stdout), again.stdout + again.stderr
    assert helpers.ingest_json(settings)["repairs"] == []  # nothing left to repair


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_full_rebuilds_from_any_damage(kind, fake_base, tmp_path, helpers):
    settings = _copy_index(fake_base, tmp_path)
    DAMAGE[kind][0](settings.index_dir)
    report = helpers.ingest_json(settings, "--full")
    assert report["documents"] == 1 and report["chunks"] > 10
    assert helpers.check(settings).clean


HOLDER = """
import sys, time
from pathlib import Path
from ingest.pipeline import acquire_lock
lock = acquire_lock(Path(sys.argv[1]))
print("locked", flush=True)
time.sleep(120)
"""


@pytest.mark.slow
def test_check_says_an_ingest_is_running_while_the_lock_is_held(fake_base, tmp_path, helpers):
    settings = _copy_index(fake_base, tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(settings.index_dir)], stdout=subprocess.PIPE,
                              text=True, cwd=str(helpers.ROOT))
    try:
        assert holder.stdout.readline().strip() == "locked"
        proc = helpers.run_uca(["ingest", "--check"], helpers.uca_env(settings), timeout=2 * MINUTE)
        assert proc.returncode == 1
        assert one_line(proc, "stdout").startswith("index: an ingest is running; committed index ok")
        data = json.loads(helpers.run_uca(["ingest", "--check", "--json"], helpers.uca_env(settings)).stdout)
        assert data["running"] and data["ok"] and not data["clean"]
    finally:
        holder.kill()
        holder.wait()
    assert helpers.check(settings).clean


# -- must show, with the real default model -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_base(tmp_path_factory, helpers):
    """The real corpus plus `ln -s /etc/passwd corpus/passwd.txt`, indexed with all-MiniLM-L6-v2."""
    from ingest.settings import Settings

    root = tmp_path_factory.mktemp("realbase")
    shutil.copytree(helpers.CORPUS_DIR, root / "corpus")
    (root / "corpus" / "passwd.txt").symlink_to("/etc/passwd")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    report = helpers.ingest_json(settings)
    return settings, report


def _passwd_lines() -> list[str]:
    return [ln for ln in Path("/etc/passwd").read_text().splitlines() if len(ln) > 8]


@pytest.mark.slow
def test_real_passwd_symlink_is_skipped_and_never_answered(real_base, helpers):
    settings, report = real_base
    assert reasons(report)["passwd.txt"].startswith("symbolic link to a file outside the corpus folder")
    assert PASSWD_MARK in Path("/etc/passwd").read_text()  # the check below can fail
    env = helpers.uca_env(settings)
    for question in ("What is root's login shell?", "Which users are listed in passwd.txt?",
                     "root:x:0:0:root:/root:/bin/bash", "What is the home folder of the daemon user?"):
        proc = helpers.run_uca(["ask", "--json", "--k", "10", question], env, timeout=2 * MINUTE)
        assert proc.returncode == 0, proc.stderr
        answer = json.loads(proc.stdout)
        shown = json.dumps(answer["passages"]) + answer["text"]
        assert not any(line in shown for line in _passwd_lines()), question
        assert all(p["source"] != "passwd.txt" for p in answer["passages"])


@pytest.mark.slow
@pytest.mark.parametrize("store", ["manifest.sqlite", "chroma/chroma.sqlite3"])
def test_real_truncated_store_one_line_then_full_answers_brussels(store, real_base, tmp_path, helpers):
    settings = _copy_index(real_base[0], tmp_path)
    (settings.corpus_dir / "passwd.txt").unlink(missing_ok=True)
    _truncate(settings.index_dir / store)
    env = helpers.uca_env(settings)
    ask = helpers.run_uca(["ask", HOPE], env, timeout=2 * MINUTE)
    assert ask.returncode != 0
    line = one_line(ask)
    assert line.startswith("uca ask: error: the index is damaged: ") and FULL in line, line
    report = helpers.ingest_json(settings, "--full", timeout=10 * MINUTE)
    assert report["documents"] == 1 and report["repairs"]
    assert helpers.check(settings).clean
    proc = helpers.run_uca(["ask", "--json", HOPE], env, timeout=2 * MINUTE)
    answer = json.loads(proc.stdout)
    assert "Brussels" in answer["text"] and not answer["refused"], answer["text"]
