"""The corpora of ``uca bench``: the Unicancer corpus and its questions, SciFact as Markdown files (10k) and its
synthetic variants (100k), the edit of one document, and the LangChain baseline's view of a corpus."""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCIFACT = ROOT.parent / "shared" / "benchmarks" / "scifact"
GROUP = 50  # SciFact abstracts per document
WRAP = 80  # columns of the generated Markdown paragraphs
VARIANTS_100K = 10
VARIANT_RE = re.compile(r"\[v\d\]")
BASE_MARK = "[v0]"
EDIT_SENTENCE = " This sentence was added by uca bench to change one document."
UNICANCER_COLD_QUESTION = "Where is HOPE's head office?"


def base_text(text: str) -> str:
    """The text of the base corpus (variant 0) that a synthetic variant's text was made from."""
    return VARIANT_RE.sub(BASE_MARK, text)


def load_scifact(path: Path) -> tuple[list[tuple[str, str, str]], dict[str, str], dict[str, dict[str, int]]]:
    """SciFact in BEIR layout: ``[(id, title, text)]`` in file order, test queries and test qrels."""
    from evals.beir import load_beir

    data = load_beir(path, "test")
    corpus = [(i, t, x) for i, (t, x) in data.corpus.items()]
    queries = {q: data.queries[q] for q in sorted(data.qrels, key=_natural)}
    return corpus, queries, data.qrels


def _natural(s: str) -> tuple:
    return (0, int(s), s) if s.isdigit() else (1, 0, s)


def write_scifact_corpus(corpus: Sequence[tuple[str, str, str]], dest: Path, variants: int) -> int:
    """Markdown files of ``GROUP`` abstracts (one ``##`` section each, text wrapped at ``WRAP`` columns) under
    ``dest/v<k>/``; returns the count.

    Every variant is the base corpus with its ``[v0]`` marks (in the document and section titles) replaced by
    ``[v<k>]``: the same length, so chunk boundaries match and a variant's text maps back to its base text."""
    count = 0
    for v in range(variants):
        folder = dest / f"v{v}"
        folder.mkdir(parents=True, exist_ok=True)
        for g in range(0, len(corpus), GROUP):
            parts = [f"# SciFact abstracts {g // GROUP:03d} [v{v}]\n"]
            for _doc_id, title, text in corpus[g : g + GROUP]:
                heading = " ".join((title or "Untitled abstract").split())
                body = "\n".join(textwrap.wrap(" ".join(text.split()), WRAP, break_long_words=False,
                                                break_on_hyphens=False))
                parts.append(f"## {heading} [v{v}]\n\n{body}\n")
            (folder / f"scifact-{g // GROUP:03d}.md").write_text("\n".join(parts), encoding="utf-8")
            count += 1
    return count


def unicancer_questions(n: int) -> list[str]:
    """The first ``n`` stand-alone questions of the labelled Unicancer set (cycled when fewer)."""
    from evals.dataset import DEFAULT_DATASET, load_dataset

    qs = [it.question for it in load_dataset(DEFAULT_DATASET) if not it.history]
    return [qs[i % len(qs)] for i in range(n)]


def edit_one_document(path: Path) -> None:
    """Insert one sentence after the first sentence end past the middle of the file (a body paragraph)."""
    text = path.read_text(encoding="utf-8")
    at = text.find(". ", len(text) // 2)
    at = text.rfind(".") if at < 0 else at
    path.write_text(text[: at + 1] + EDIT_SENTENCE + text[at + 1 :], encoding="utf-8")


def baseline_documents(corpus: Path) -> list:
    """The corpus files as LangChain ``Document`` objects (plain text; what a simple script would load)."""
    from langchain_core.documents import Document

    docs = []
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and path.suffix.lower() in (".txt", ".md"):
            docs.append(Document(page_content=path.read_text(encoding="utf-8"),
                                 metadata={"source": path.relative_to(corpus).as_posix()}))
    return docs


def baseline_splitter(settings: Settings):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)


def corpus_chars(corpus: Path) -> int:
    """Bytes of all the files under ``corpus``."""
    return sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())


def prepare_corpus(size: str, base: Settings, corpus: Path, scifact: Path, n_questions: int
                   ) -> tuple[list[str], str]:
    """Write the corpus of ``size`` into ``corpus``; its warm-latency questions and its cold-start question."""
    if size == "unicancer":
        source = base.resolved_corpus_dir()
        shutil.copytree(source if source.is_dir() else ROOT / "corpus", corpus)
        return unicancer_questions(n_questions), UNICANCER_COLD_QUESTION
    docs, queries, _ = load_scifact(scifact)
    write_scifact_corpus(docs, corpus, VARIANTS_100K if size == "100k" else 1)
    qs = list(queries.values())
    return [qs[i % len(qs)] for i in range(n_questions)], qs[0]
