"""The lexical (BM25) side of the index, built with bm25s at ingest time and loaded by the assistant.

Each ingest that changes anything writes a complete new BM25 directory (``bm25/g<generation>``) with the
chunk ids in the same order as bm25s' document numbers; the manifest's commit makes it current.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from common.lang import DEFAULT_LANGUAGE, get, words
from common.text import WORD, compound_forms, fold

IDS_FILE = "ids.json"
LANGS_FILE = "langs.json"  # the languages of the indexed chunks (the query is analysed in each of them)
LEXICAL_VERSION = "4"  # bump when tokenize() changes: the index must be rebuilt (3: per-language analysers,
# 4: joined forms of names written in parts, common.text.compound_forms)
_CONTENT_WORD = re.compile(r"[^\W\d_][\w-]+")
_WORD_ANY = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")  # a word of lower-cased text, accents kept
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def __getattr__(name: str):
    if name == "STOP_WORDS":  # function words of every supported language (common.lang)
        return words("stop_words")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def content_words(text: str) -> list[str]:
    """Distinct lower-case content words (stop words and question-frame words of every language dropped), in
    order of first use. The assistant compares them by embedding (soft coverage); ingest stores a vector for
    each word of the corpus."""
    stop, frame = words("stop_words"), words("frame_words")
    out: list[str] = []
    seen: set[str] = set()
    for w in _CONTENT_WORD.findall(text.lower().replace("’", "'")):
        if w not in seen and len(w) > 2:
            key = fold(w)
            if key not in stop and key not in frame:
                seen.add(w)
                out.append(w)
    return out


def without_document_words(text: str) -> str:
    """``text`` without the words of every language that point at the document itself (``common.lang``
    ``document_words``: "page", "footnote", "listed", "selon"...), not at the question's subject. The
    answerability signals weigh the rest; a question made only of such words is kept whole."""
    drop = words("document_words")
    kept = _CONTENT_WORD.sub(lambda m: " " if fold(m.group(0)) in drop else m.group(0), text)  # compounds whole
    return kept if tokenize(kept) else text


@lru_cache(maxsize=8)
def _stemmer(algorithm: str):
    import Stemmer

    return Stemmer.Stemmer(algorithm)


@lru_cache(maxsize=8)
def _enclitics(code: str) -> re.Pattern | None:
    fragments = get(code).enclitics
    return re.compile(rf"(?:{'|'.join(fragments)})$") if fragments else None


def tokenize(text: str, lang: str | None = None, compounds: bool = True) -> list[str]:
    """Lower-cased, accent-folded, stop-word-free word tokens stemmed by the analyser of ``lang`` (None: the
    default language), the same for chunks and queries of that language; names written in parts also give
    their joined form ("My PeBS" -> "mypeb" as "MyPeBS"; ``common.text.compound_forms``). Case and accents
    never matter ("CRANE" = "CraNE", "Leon Berard" = "Léon Bérard"). ``compounds=False``: without them.

    The stop words dropped are those of every supported language: a French question analysed for English
    documents must not match them on "de" or "la", and an English name in a French text keeps its words."""
    language = get(lang or DEFAULT_LANGUAGE)
    stop = words("stop_words")
    clitic = _enclitics(language.code)
    out: list[str] = []
    joined = compound_forms(text) if compounds else []  # "My PeBS" also as "mypebs", however it is spaced
    if language.stem_accented:  # the stemmer needs the accents ("organisée" -> "organis"); fold the stem
        raw = _WORD_ANY.findall(text.lower().replace("’", "'").translate(_LIGATURES))
        raw += [w.translate(_LIGATURES) for w in joined]
        for w in raw:
            w = w.split("'")[-1] if "'" in w else w  # l'organisation -> organisation
            if clitic is not None:
                w = clitic.sub("", w)  # mobilise-t-il -> mobilise
            key = fold(w)
            if key and key not in stop and (len(key) > 1 or key.isdigit()) and WORD.fullmatch(key):
                out.append(w)
        return [fold(t) for t in _stemmer(language.stemmer).stemWords(out)] if out else []
    for w in WORD.findall(fold(text)) + [fold(w) for w in joined]:
        w = w.split("'")[-1] if "'" in w else w  # l'organisation -> organisation, europe's -> s
        if clitic is not None:
            w = clitic.sub("", w)
        if w and w not in stop and (len(w) > 1 or w.isdigit()):
            out.append(w)
    return _stemmer(language.stemmer).stemWords(out) if out else []


def query_tokens(query: str, langs: Sequence[str], compounds: bool = False) -> list[str]:
    """The query analysed in each of ``langs`` (the index's languages): the first language's tokens, then the
    tokens only another language's analyser gives. A French question over English documents still matches
    their names and acronyms; over French documents it gets French stemming.

    ``compounds``: with the joined forms of names written in parts. The search uses them (only those the
    index holds count); the answerability signals do not, since a joined form is another spelling, not more
    of the question (counted apart, it would weigh as an unknown word)."""
    out = tokenize(query, langs[0] if langs else None, compounds)
    seen = set(out)
    for lang in list(langs)[1:]:
        for t in tokenize(query, lang, compounds):
            if t not in seen:
                seen.add(t)
                out.append(t)
    return out


def build_bm25(ids: Sequence[str], texts: Sequence[str], out_dir: Path,
               langs: Sequence[str] | None = None) -> None:
    """Index ``texts`` with BM25 (each analysed in its language, ``langs``; default: the default language)
    and save it with the matching ``ids`` into a fresh ``out_dir``."""
    import bm25s

    if langs is not None and len(langs) != len(texts):
        raise ValueError(f"build_bm25: {len(langs)} languages for {len(texts)} texts")
    langs = list(langs) if langs is not None else [DEFAULT_LANGUAGE] * len(texts)
    out_dir.mkdir(parents=True, exist_ok=True)
    corpus = [tokenize(t, lang or None) or ["\u2205"] for t, lang in zip(texts, langs, strict=True)]
    retriever = bm25s.BM25()
    if corpus:
        retriever.index(corpus, show_progress=False)
        retriever.save(str(out_dir), show_progress=False)
    present = sorted({lang or DEFAULT_LANGUAGE for lang in langs}, key=lambda c: (c != DEFAULT_LANGUAGE, c))
    for name, value in ((LANGS_FILE, present or [DEFAULT_LANGUAGE]), (IDS_FILE, list(ids))):
        tmp = out_dir / (name + ".tmp")
        tmp.write_text(json.dumps(value), encoding="utf-8")
        tmp.replace(out_dir / name)


class LexicalIndex:
    """A loaded BM25 index: ``search(query, k)`` gives ``(chunk_id, score)`` pairs, best first."""

    def __init__(self, directory: Path) -> None:
        import bm25s

        self.directory = directory
        self.ids: list[str] = json.loads((directory / IDS_FILE).read_text(encoding="utf-8"))
        self._pos = {cid: i for i, cid in enumerate(self.ids)}
        langs_file = directory / LANGS_FILE  # absent in an index built before languages (English then)
        self.languages: list[str] = (json.loads(langs_file.read_text(encoding="utf-8")) if langs_file.exists()
                                     else [DEFAULT_LANGUAGE])
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
            self._df = df
            self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
            self._idf_max = math.log(1 + (n + 0.5) / 0.5)
        return self._idf.get(token, self._idf_max)

    def df(self, token: str) -> int:
        """How many indexed chunks hold ``token``."""
        self.idf(token)  # computes the document frequencies once
        return self._df.get(token, 0)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def vocabulary(self) -> set[str]:
        """The tokens the indexed chunks use."""
        return self._vocab

    def search(self, query: str, k: int, allowed: set[str] | None = None,
               langs: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Top ``k`` chunks for ``query``, analysed in ``langs`` (default: the languages of the index);
        ``allowed`` restricts to those chunk ids."""
        if self._bm25 is None or k <= 0:
            return []
        tokens = [t for t in query_tokens(query, list(langs or self.languages), compounds=True)
                  if t in self._vocab]
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
