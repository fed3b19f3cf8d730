#!/usr/bin/env python
"""Crash loop (issue 7, part 1): change the corpus, start ``uca ingest``, SIGKILL it at a random moment, check.

Set-up: a work folder with a copy of the corpus (``--corpus``, default ``corpus/``) plus generated Markdown,
text and HTML reports, indexed once completely. Then, for each of ``--rounds`` rounds (seeded):

1. the corpus changes: files edited (the copy of ``unicancer-international.txt`` too), added, deleted,
   renamed, text inserted at the top (ids stay, offsets move), the real file restored to its original;
2. ``uca ingest`` runs in a subprocess and gets SIGKILL at a random moment: most rounds a random delay
   after it starts writing (the manifest's ``dirty`` flag, polled read-only), every fifth round a random
   delay after it starts;
3. right after the kill: the committed manifest is exactly the previous or the new corpus (no chunk lost
   or duplicated), ``uca ingest --check --json`` reports ``ok`` (Chroma ids contain the manifest's, BM25
   ids equal them, no duplicates), every committed chunk's vector holds its text, and a known question is
   answered: with ``--real-model`` through ``uca ask --json "Where is HOPE's head office?"`` (Brussels,
   with a supported citation), else through the reader's own retrieval (BM25 + Chroma, fake embedder);
4. ``uca ingest`` completes, ``--check`` reports ``clean`` (no orphans, nothing dirty), the manifest is
   exactly the new corpus and every vector's text and offsets match its document.

Exit 0 when every round survives, 1 at the first failure (the work folder is kept), 2 on a set-up error.

    .venv/bin/python scripts/crash_loop.py --rounds 20 --real-model --json
    .venv/bin/python scripts/crash_loop.py --rounds 5 --workdir /tmp/crash --seed 3
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testing.crash import (  # noqa: E402 - after the path set-up above
    committed_state,
    expected_state,
    paragraph,
    phase_of,
    report_text,
    sigkill_after,
    wait_until_writing,
)
from testing.env import UCA, offline_env  # noqa: E402

REAL_FILE = "unicancer-international.txt"
QUESTION = "Where is HOPE's head office?"
ANSWER = "Brussels"
FAKE_MODEL = "fake-hash-64"  # the test backend of ingest.embeddings: hashed bag of words, no model load
REAL_MODEL = "all-MiniLM-L6-v2"
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")  # files the loop edits (never a PDF)
GENERATED = 24  # generated documents added to the corpus copy (default of --generated)


class RoundFailed(Exception):
    """A check failed after a kill or after the completing ingest."""


@dataclass
class Round:
    """What one round did and saw."""

    round: int
    changes: list[str]
    kill_after: str  # "writing" (delay counted from the dirty flag) or "start"
    delay: float
    killed: bool
    phase: str  # where the kill landed, judged from what it left
    check_after_kill: dict[str, Any] = field(default_factory=dict)
    probe: str = ""
    recovery: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step
    ok: bool = False
    error: str = ""


# -- corpus -------------------------------------------------------------------------------------------


def _append(path: Path, text: str) -> None:
    if path.suffix in (".html", ".htm"):
        page = path.read_text(encoding="utf-8")
        page = page.replace("</body>", f"<p>{text}</p></body>") if "</body>" in page else page + f"<p>{text}</p>"
        path.write_text(page, encoding="utf-8")
    else:
        with path.open("a", encoding="utf-8") as f:
            f.write(f"\n\n{text}\n")


def build_corpus(source: Path, corpus: Path, rng: random.Random, generated: int = GENERATED) -> None:
    """A copy of ``source`` plus ``generated`` reports in sub-folders."""
    shutil.copytree(source, corpus)
    for n in range(generated):
        kind = ("md", "txt", "html")[n % 3]
        sub = corpus / f"group{n % 4}"
        sub.mkdir(exist_ok=True)
        (sub / f"report{n:02d}.{kind}").write_text(report_text(rng, n, kind), encoding="utf-8")


def mutate(corpus: Path, original: bytes, rng: random.Random, round_no: int) -> list[str]:
    """Edit, add, delete, rename files; returns what changed (sizes always change, so a change is seen even
    within one mtime tick)."""
    changes = []
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES)
    generated = [p for p in files if p.name.startswith("report")]
    real = corpus / REAL_FILE
    for path in rng.sample(files, min(len(files), rng.randint(3, 8))):
        _append(path, f"Round {round_no} adds text. {paragraph(rng, f'round{round_no}')}")
        changes.append(f"edit {path.relative_to(corpus)}")
    if real.exists() and round_no % 2 == 0:
        if round_no % 8 == 0:
            real.write_bytes(original)  # back to the original: its committed ids come back
            changes.append(f"restore {REAL_FILE}")
        else:
            real.write_text(f"Preface {round_no}\n\n{paragraph(rng, 'preface')}\n\n" + real.read_text("utf-8"),
                            encoding="utf-8")
            changes.append(f"insert at top of {REAL_FILE}")
    if len(generated) > 4:
        victim = rng.choice(generated)
        victim.unlink()
        generated.remove(victim)
        changes.append(f"delete {victim.relative_to(corpus)}")
    kind = ("md", "txt", "html")[round_no % 3]
    new = corpus / "added" / f"round{round_no:02d}.{kind}"
    new.parent.mkdir(exist_ok=True)
    new.write_text(report_text(rng, 100 + round_no, kind), encoding="utf-8")
    changes.append(f"add {new.relative_to(corpus)}")
    plain = [p for p in generated if p.suffix != ".html"]
    if round_no % 3 == 0 and plain:
        path = rng.choice(plain)
        path.write_text(f"Inserted heading {round_no}\n\n{paragraph(rng, 'inserted')}\n\n"
                        + path.read_text(encoding="utf-8"), encoding="utf-8")
        changes.append(f"insert at top of {path.relative_to(corpus)}")
    if round_no % 4 == 0:
        path = rng.choice(generated)
        dest = corpus / "moved" / path.name
        dest.parent.mkdir(exist_ok=True)
        path.rename(dest)
        changes.append(f"rename {path.relative_to(corpus)} -> {dest.relative_to(corpus)}")
    return changes


# -- state and checks ---------------------------------------------------------------------------------


class Harness:
    """The work folder, the settings and the subprocess calls of one crash loop."""

    def __init__(self, workdir: Path, real_model: bool) -> None:
        from ingest.settings import Settings

        self.workdir = workdir
        self.corpus = workdir / "corpus"
        self.index = workdir / "index"
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.real_model = real_model
        self.model = REAL_MODEL if real_model else FAKE_MODEL
        self.settings = Settings(corpus_dir=self.corpus, index_dir=self.index, embedding_model=self.model)
        self.env = offline_env(self.corpus, self.index, UCA_EMBEDDING_MODEL=self.model)

    def uca(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([str(UCA), *args], env=self.env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, cwd=str(ROOT))

    def ingest(self) -> dict:
        proc = self.uca("ingest", "--json", "--quiet")
        if proc.returncode != 0:
            raise RoundFailed(f"uca ingest failed ({proc.returncode}): {proc.stderr[-1500:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def check(self) -> dict:
        proc = self.uca("ingest", "--check", "--json")
        try:
            report = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise RoundFailed(f"uca ingest --check gave no JSON ({proc.returncode}): {proc.stderr[-1500:]}") from None
        if proc.returncode != (0 if report.get("clean") else 1):
            raise RoundFailed(f"uca ingest --check exit code {proc.returncode} disagrees with its report {report}")
        return report

    def probe(self) -> str:
        """The known question answered from the committed index; returns what was seen."""
        if self.real_model:
            proc = self.uca("ask", "--json", QUESTION, timeout=300)
            if proc.returncode != 0:
                raise RoundFailed(f"uca ask failed ({proc.returncode}): {proc.stdout[-500:]} {proc.stderr[-1500:]}")
            answer = json.loads(proc.stdout.strip().splitlines()[-1])
            cited = [c for c in answer["citations"] if c["supported"] and ANSWER in c["sentence"]]
            if answer["refused"] or ANSWER not in answer["text"] or not cited:
                raise RoundFailed(f"wrong answer to {QUESTION!r}: {answer['text']!r} {answer['citations']}")
            return f"uca ask: {answer['text']!r}"
        from assistant.retrieval import Retriever

        retriever = Retriever(self.settings)
        try:
            passages = retriever.retrieve(QUESTION, k=5)
            hits = [p for p in passages if ANSWER in p.text and p.source == REAL_FILE]
            if not hits:
                raise RoundFailed(f"retrieval for {QUESTION!r} found no passage with {ANSWER!r}: "
                                  f"{[(p.source, p.text[:60]) for p in passages]}")
            dense = retriever.dense(hits[0].text, 10)  # only committed ids are served
            if hits[0].id not in {i for i, _ in dense}:
                raise RoundFailed("Chroma did not serve the committed passage for its own text")
            rank = passages.index(hits[0]) + 1
        finally:
            if retriever._client is not None:
                retriever._client.close()
            retriever.manifest.close()
        return f"retrieval: {REAL_FILE} passage with {ANSWER!r} at rank {rank}"

    def vectors(self, exact_meta: bool) -> None:
        """Every committed chunk has a vector holding its text (and, when complete, exact metadata)."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        from ingest.index import Manifest
        from ingest.loaders import load_document

        manifest = Manifest(self.index / "manifest.sqlite")
        try:
            chunks, name = manifest.chunks(), manifest.get("collection")
        finally:
            manifest.close()
        client = chromadb.PersistentClient(path=str(self.index / "chroma"),
                                           settings=ChromaSettings(anonymized_telemetry=False))
        try:
            got = client.get_collection(name, embedding_function=None).get(
                ids=[c.id for c in chunks], include=["documents", "metadatas"])
        finally:
            client.close()
        records = dict(zip(got["ids"], zip(got["documents"], got["metadatas"], strict=True), strict=True))
        texts: dict[str, str] = {}
        for c in chunks:
            if c.id not in records:
                raise RoundFailed(f"committed chunk {c.id} of {c.source} has no vector")
            document, meta = records[c.id]
            if document != c.text:
                raise RoundFailed(f"vector {c.id} holds another text than the manifest")
            if exact_meta:
                if c.source not in texts:
                    texts[c.source] = load_document(self.corpus / c.source, c.source).text
                if meta["source"] != c.source or texts[c.source][meta["start"]:meta["end"]] != document:
                    raise RoundFailed(f"vector {c.id}: metadata offsets do not reproduce its text in {c.source}")


# -- the loop -----------------------------------------------------------------------------------------


def run_round(h: Harness, rng: random.Random, round_no: int, window: float, start_window: float,
              original: bytes) -> Round:
    """One round: mutate, start, kill, check, complete, check."""
    t0 = time.monotonic()
    timings: dict[str, float] = {}

    last = t0

    def step(name: str) -> None:
        nonlocal last
        now = time.monotonic()
        timings[name] = round(now - last, 2)
        last = now

    before = committed_state(h.index)
    changes = mutate(h.corpus, original, rng, round_no)
    after = expected_state(h.settings)
    if after == before:
        raise RoundFailed("the corpus change did not change the expected index")
    kill_after = "start" if round_no % 5 == 0 else "writing"
    delay = rng.uniform(0.0, start_window if kill_after == "start" else window)
    with (h.logs / f"round{round_no:02d}.log").open("wb") as log:
        proc = subprocess.Popen([str(UCA), "ingest", "--quiet"], env=h.env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=str(ROOT))
        try:
            if kill_after == "writing":
                if wait_until_writing(h.index, proc, timeout=300) is None and proc.poll() is None:
                    raise RoundFailed("the ingest did not start writing within 300 s")
            killed = sigkill_after(proc, delay)
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    r = Round(round_no, changes, kill_after, round(delay, 3), killed, phase_of(h.index, before, after, killed),
              timings=timings)
    step("mutate+killed ingest")
    if proc.returncode not in (0, -signal.SIGKILL):
        raise RoundFailed(f"uca ingest exited with {proc.returncode}: see {h.logs / f'round{round_no:02d}.log'}")
    try:
        state = committed_state(h.index)
        if state not in (before, after):
            raise RoundFailed("after the kill the manifest is neither the previous nor the new corpus")
        report = h.check()
        r.check_after_kill = {k: report[k] for k in ("ok", "clean", "manifest_chunks", "vector_chunks", "bm25_chunks")}
        ids = {cid for v in state.values() for cid in v}
        if not report["ok"] or report["manifest_chunks"] != len(ids) or report["bm25_chunks"] != len(ids):
            raise RoundFailed(f"integrity check after the kill: {report}")
        h.vectors(exact_meta=False)
        step("check after kill")
        r.probe = h.probe()
        step("probe")
        rec = h.ingest()
        step("completing ingest")
        report = h.check()
        if not report["clean"] or not (report["manifest_chunks"] == report["vector_chunks"] == report["bm25_chunks"]):
            raise RoundFailed(f"integrity check after the completing ingest: {report}")
        if committed_state(h.index) != after:
            raise RoundFailed("after the completing ingest the manifest is not the new corpus")
        h.vectors(exact_meta=True)
        step("check after completion")
        r.recovery = {"documents": rec["documents"], "chunks": rec["chunks"], "embedded": rec["embedded"],
                      "seconds": rec["seconds"]}
        r.ok = True
    except RoundFailed as exc:
        r.error = str(exc)
    r.seconds = round(time.monotonic() - t0, 1)
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20, help="kill rounds (default 20; at most 500)")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="corpus to copy (default corpus/)")
    ap.add_argument("--workdir", type=Path, help="work folder (default: a temporary one, removed on success)")
    ap.add_argument("--real-model", action="store_true", help=f"embed with {REAL_MODEL} and probe with uca ask")
    ap.add_argument("--seed", type=int, default=20240607)
    ap.add_argument("--generated", type=int, default=GENERATED,
                    help=f"generated documents, at least 6 (default {GENERATED})")
    ap.add_argument("--window", type=float, help="initial kill-delay window after the first write, in seconds "
                    "(default 5 with the real model, 0.7 with the fake one; then adapted)")
    ap.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = ap.parse_args(argv)
    if not 1 <= args.rounds <= 500:
        ap.error("--rounds must be between 1 and 500")
    if not (args.corpus / REAL_FILE).is_file():
        print(f"crash_loop: {args.corpus} has no {REAL_FILE} (the known question needs it)", file=sys.stderr)
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="uca-crash-loop-"))
    if workdir.exists() and any(workdir.iterdir()):
        print(f"crash_loop: work folder {workdir} is not empty", file=sys.stderr)
        return 2

    def log(msg: str) -> None:
        print(msg, file=sys.stderr if args.json else sys.stdout, flush=True)

    rng = random.Random(args.seed)
    h = Harness(workdir, args.real_model)
    t0 = time.monotonic()
    build_corpus(args.corpus, h.corpus, rng, max(6, min(args.generated, 1000)))
    original = (h.corpus / REAL_FILE).read_bytes()
    try:
        first = h.ingest()
        if h.check()["clean"] is not True or committed_state(h.index) != expected_state(h.settings):
            raise RoundFailed("the initial build is not clean")
    except RoundFailed as exc:
        print(f"crash_loop: set-up failed: {exc}", file=sys.stderr)
        return 2
    log(f"work folder {workdir}; model {h.model}; initial build: {first['documents']} documents, "
        f"{first['chunks']} chunks in {first['seconds']} s")
    # kill delays: after the first write (the write phase lasts ~5 s with the real model, ~0.7 s with the fake
    # one on a busy 2-CPU machine; adapted below to where kills land), or after the start
    window = initial_window = args.window or (5.0 if args.real_model else 0.7)
    start_window = 12.0 if args.real_model else 5.5
    rounds: list[Round] = []
    for n in range(1, args.rounds + 1):
        try:
            r = run_round(h, rng, n, window, start_window, original)
        except Exception as exc:  # noqa: BLE001 - any failure ends the loop with a report, not a traceback
            r = Round(n, [], "", 0.0, False, "", error=f"{type(exc).__name__}: {exc}")
        rounds.append(r)
        log(f"round {n:2d}: {'survived' if r.ok else 'FAILED'} - {r.kill_after} +{r.delay:.2f}s: {r.phase}; "
            f"{r.probe or ''} ({r.seconds} s){' - ' + r.error if r.error else ''}")
        if not r.ok:
            break
        if r.kill_after == "writing":  # aim the next kills at the write phase
            late = r.phase.startswith(("not killed", "after cleanup"))
            window = window * 0.7 if late else min(window * 1.1, 2 * initial_window)
    survived = sum(r.ok for r in rounds)
    phases: dict[str, int] = {}
    for r in rounds:
        phases[r.phase] = phases.get(r.phase, 0) + 1
    summary = {
        "rounds": args.rounds, "survived": survived, "failed": len(rounds) - survived,
        "killed": sum(r.killed for r in rounds), "phases": phases, "model": h.model, "seed": args.seed,
        "seconds": round(time.monotonic() - t0, 1), "workdir": str(workdir),
        "initial": {k: first[k] for k in ("documents", "chunks", "seconds")},
        "round_details": [asdict(r) for r in rounds],
    }
    ok = survived == args.rounds
    if ok and args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
        summary["workdir"] = None
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        log(f"{survived}/{args.rounds} rounds survived ({summary['killed']} killed; phases {phases}) "
            f"in {summary['seconds']} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
