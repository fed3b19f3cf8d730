"""The lexical (BM25) side of the index, built with bm25s at ingest time and loaded by the assistant.

Each ingest that changes anything writes a complete new BM25 directory (``bm25/g<generation>``) with the
chunk ids in the same order as bm25s' document numbers; the manifest's commit makes it current.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

IDS_FILE = "ids.json"
LEXICAL_VERSION = "2"  # bump when tokenize() changes: the index must be rebuilt
_WORD = re.compile(r"[0-9a-z]+(?:[-'][0-9a-z]+)*")
# English stopwords plus the most common French ones (users ask in French; names still match).
_STOP = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves tell please give list name describe explain
    le la les un une des du de d l et ou en au aux ce ces cet cette qui que quoi quel quelle quels quelles
    est sont a ont pour par sur dans avec il elle ils elles on nous vous je tu son sa ses leur leurs y
    ne pas plus comment pourquoi quand combien dont se s qu c n est-ce""".split()
)
STOP_WORDS = _STOP  # English and French function words, shared with the assistant
# words that frame a question rather than carry its subject ("which kinds of...", "how many", "listed on the page")
_FRAME = frozenset("kind kinds type types sort sorts listed mentioned mention page document documents text say says "
                   "according exactly called named particular specific main many much long whose ways way year "
                   "years number take make does did".split())
_CONTENT_WORD = re.compile(r"[^\W\d_][\w-]+")


def content_words(text: str) -> list[str]:
    """Distinct lower-case content words (stop words and question-frame words dropped), in order of first use.
    The assistant compares them by embedding (soft coverage); ingest stores a vector for each word of the
    corpus."""
    out: list[str] = []
    seen: set[str] = set()
    for w in _CONTENT_WORD.findall(text.lower().replace("’", "'")):
        if w not in seen and w not in _STOP and w not in _FRAME and len(w) > 2:
            seen.add(w)
            out.append(w)
    return out


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(c for c in text if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-cased, accent-folded, stop-word-free, stemmed word tokens (same for chunks and queries)."""
    words = []
    for w in _WORD.findall(_fold(text)):
        w = w.split("'")[-1] if "'" in w else w  # l'organisation -> organisation, europe's -> s
        if w and w not in _STOP and (len(w) > 1 or w.isdigit()):
            words.append(w)
    return _stemmer().stemWords(words) if words else []


def build_bm25(ids: Sequence[str], texts: Sequence[str], out_dir: Path) -> None:
    """Index ``texts`` with BM25 and save it with the matching ``ids`` into a fresh ``out_dir``."""
    import bm25s

    out_dir.mkdir(parents=True, exist_ok=True)
    corpus = [tokenize(t) or ["\u2205"] for t in texts]
    retriever = bm25s.BM25()
    if corpus:
        retriever.index(corpus, show_progress=False)
        retriever.save(str(out_dir), show_progress=False)
    tmp = out_dir / (IDS_FILE + ".tmp")
    tmp.write_text(json.dumps(list(ids)), encoding="utf-8")
    tmp.replace(out_dir / IDS_FILE)


class LexicalIndex:
    """A loaded BM25 index: ``search(query, k)`` gives ``(chunk_id, score)`` pairs, best first."""

    def __init__(self, directory: Path) -> None:
        import bm25s

        self.directory = directory
        self.ids: list[str] = json.loads((directory / IDS_FILE).read_text(encoding="utf-8"))
        self._pos = {cid: i for i, cid in enumerate(self.ids)}
        self._bm25 = bm25s.BM25.load(str(directory), mmap=False, show_progress=False) if self.ids else None
        docs = int(self._bm25.scores.get("num_docs", len(self.ids))) if self._bm25 is not None else 0
        if docs != len(self.ids):  # document numbers would map to the wrong chunk ids
            from ingest.index import IndexDamaged

            raise IndexDamaged(f"the index is damaged: BM25 folder {directory.name} holds {docs} documents but "
                               f"{len(self.ids)} ids; run `uca ingest` to rebuild what is missing")
        self._vocab = set(self._bm25.vocab_dict) if self._bm25 is not None else set()
        self._idf: dict[str, float] | None = None

    def idf(self, token: str) -> float:
        """Inverse document frequency of a token (BM25 formula; unseen tokens get the highest value)."""
        if self._idf is None:
            import math

            n = len(self.ids)
            df: dict[str, int] = {}
            if self._bm25 is not None:
                indptr = np.asarray(self._bm25.scores["indptr"])
                counts = np.diff(indptr)
                for tok, col in self._bm25.vocab_dict.items():
                    if col < len(counts):
                        df[tok] = int(counts[col])
            self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
            self._idf_max = math.log(1 + (n + 0.5) / 0.5)
        return self._idf.get(token, self._idf_max)

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` chunks for ``query``; ``allowed`` restricts to those chunk ids."""
        if self._bm25 is None or k <= 0:
            return []
        tokens = [t for t in tokenize(query) if t in self._vocab]
        if not tokens:
            return []
        mask = None
        if allowed is not None:
            mask = np.zeros(len(self.ids), dtype=np.float32)
            for cid in allowed:
                pos = self._pos.get(cid)
                if pos is not None:
                    mask[pos] = 1.0
            if not mask.any():
                return []
        k = min(k, len(self.ids))
        docs, scores = self._bm25.retrieve([tokens], k=k, show_progress=False, weight_mask=mask, n_threads=1)
        out = []
        for d, s in zip(docs[0], scores[0], strict=True):
            if s > 0:
                out.append((self.ids[int(d)], float(s)))
        return out
