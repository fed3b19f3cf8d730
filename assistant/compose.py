"""The extractive answer, composed from the reader's picks: which sentences are quoted, in what order, with
which answer span and label, what subject they need to stand alone, and what the answer says about itself.

* A question of a checkable type ("when", "how many") quotes only sentences that hold a span of its type
  (``assistant.reader``); the other types ("how long", "where", "who", "why") rank such sentences higher.
* A multi-part question gets the best sentence of each part; a part that asks only for a type ("Which
  organisations is Unicancer a member of, *and since when*?") collects every item of the other part that has
  a span of that type, across passages, in document order. A part the passages do not answer is named in a
  notice ("The documents answer only part of this question...").
* A request the offline mode cannot do (summarise, compare, translate, write) gets a notice saying so and the
  most relevant passages; a comparison gets, for each thing compared, what the documents say about it.
* A sentence whose subject is a pronoun or missing ("Its head office...", "Unicancer is a member since its
  creation...") is shown after its section's subject ("HOPE: Its head office..."), the nearest heading that
  names something; when no heading does ("Partners and funding"), a sentence opening with a pronoun is quoted
  after the sentence before it. The citation stays verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.answering import Scored, cite_each_sentence, is_list_question, sub_questions
from assistant.citations import Sentence, heading_subject, names_something, passage_sentences
from assistant.reader import NAME, STRICT_KINDS, Span, answer_kind, bare_kind, find_span
from assistant.results import Passage
from common.lang import DEFAULT_LANGUAGE, get
from common.lang import words as lang_words
from common.text import fold
from ingest.settings import Settings

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
ANSWERS, CONTEXT = "answers", "context"


@dataclass
class Pick:
    """A quoted sentence: its passage number, the sentence, its answer span (inside ``sentence.text``) and its
    label (``answers`` / ``context``)."""

    n: int
    sentence: Sentence
    span: Span | None
    label: str


@dataclass
class Composed:
    """The raw answer text with its [n] markers, the picks it quotes, and its notices (kept apart from the
    quotes so that the citation check sees only quotes)."""

    text: str = ""
    picks: list[Pick] = field(default_factory=list)
    lead: str = ""  # said before the quotes (an offline limit)
    tail: str = ""  # said after them (a partial answer)


def standalone_prefix(p: Passage, s: Sentence) -> str:
    """``"Subject: "`` when the sentence needs its section's subject to stand alone, else ``""``: it uses a
    pronoun ("It", "its", "Il") and never names the subject, nor the subject's last name ("Its head office..."
    under "HOPE, ..."; "Unicancer is a member since its creation in 2018" under "French Healthcare"; not "Kirilenko
    commence le tennis avec son père" under "Maria Kirilenko")."""
    if s.kind == "bullet":
        return ""
    subject = heading_subject(p)
    words = [fold(w) for w in _WORD.findall(s.text)]
    if not subject or not words or fold(subject) in fold(s.text):
        return ""
    head = [fold(w) for w in _WORD.findall(subject) if w[:1].isupper()][-1:]  # "Kirilenko", "Healthcare"
    if lang_words("anaphora") & set(words) and not set(head) & set(words):
        return f"{subject}: "
    return ""


def antecedent(p: Passage, s: Sentence) -> Sentence | None:
    """The sentence just before ``s`` in its paragraph when ``s`` opens with a pronoun ("It is also a major
    player...") and no heading of its passage names what it stands for (``names_something``): that sentence
    is quoted first, so the quote stands alone without guessing its subject. None otherwise."""
    if s.kind != "sentence":
        return None
    first = _WORD.search(s.text)
    if not first or fold(first.group(0)) not in lang_words("anaphora") or names_something(heading_subject(p)):
        return None
    before = [x for x in passage_sentences(p.text) if x.end <= s.start]
    prev = before[-1] if before else None
    if prev is None or prev.kind != "sentence" or "\n\n" in p.text[prev.end:s.start]:
        return None
    return prev


def _line(p: Passage, pick: Pick) -> str:
    text = pick.sentence.text.strip()
    if pick.sentence.kind == "bullet":
        text = text[:1].upper() + text[1:]
    prev = antecedent(p, pick.sentence)
    if prev is not None:
        return cite_each_sentence(prev.text.strip(), pick.n) + " " + cite_each_sentence(text, pick.n)
    return standalone_prefix(p, pick.sentence) + cite_each_sentence(text, pick.n)


def _defaults() -> Settings:
    return Settings.model_construct()


def _doc_order(passages: list[Passage]) -> Callable[[Pick], tuple]:
    return lambda x: (passages[x.n - 1].source, passages[x.n - 1].start + x.sentence.start)


def compose_answer(question: str, passages: list[Passage], scored: list[Scored], max_sentences: int,
                   scorer: Callable[[str], list[Scored]] | None = None, tuning: Settings | None = None,
                   lang: str | None = None) -> Composed:
    """The extractive answer to ``question`` (see the module doc). ``scorer`` scores a sub-question."""
    t = tuning or _defaults()
    if not scored:
        return Composed()
    listy = is_list_question(question)
    parts = sub_questions(question)
    kind = answer_kind(parts[0])

    def rank(items: list[Scored], k: str | None) -> list[Scored]:
        usable = [x for x in items if x.sentence.kind != "intro" or listy] or items
        # a question of a checkable type (date, count) quotes only sentences with an answer of that type; the
        # looser types (duration, place, name, reason) only rank them higher (``answer_type_bonus``)
        if k in STRICT_KINDS and any(x.span for x in usable):
            usable = [x for x in usable if x.span]
        return sorted(usable, key=lambda x: (x.score + t.passage_rank_bonus / x.n), reverse=True)

    typed = item_kinds(parts)
    if typed:  # "Which organisations ..., and since when?": every item with its year
        return _collect(question, passages, scored, typed, t, lang)
    ranked = rank(scored, kind)
    best = ranked[0]
    if len(parts) == 1 and best.sentence.group >= 0 and listy and kind not in STRICT_KINDS:
        return _list_block(question, passages, ranked, best, t, kind)
    chosen: list[Pick] = [Pick(best.n, best.sentence, best.span or _untyped(best, question), ANSWERS)]
    missing: list[str] = []
    if len(parts) > 1 and scorer is not None:
        for part in parts:
            k = answer_kind(part)
            found = scorer(part)
            top = rank(found, k)
            # a part is unanswered when its best sentence shares no word with it, or lacks its checkable type
            if not top or (k in STRICT_KINDS and not top[0].span) or top[0].lex <= 0:
                missing.append(part)
                continue
            if all(top[0].sentence.text != c.sentence.text for c in chosen):
                chosen.append(Pick(top[0].n, top[0].sentence, top[0].span or _untyped(top[0], part), ANSWERS))
    qtoks = _tokens(question)
    covered = set().union(*(_tokens(c.sentence.text) & qtoks for c in chosen))
    seen_text = {c.sentence.text for c in chosen}
    for x in ranked[1:]:
        if len(chosen) >= max_sentences:
            break
        if x.sentence.text in seen_text:
            continue
        new_cover = (_tokens(x.sentence.text) & qtoks) - covered
        close = x.score >= best.score - t.answer_close_margin
        complements = bool(new_cover) and x.score >= best.score - t.answer_complement_margin and x.lex > 0
        if close or complements:
            # a typed question's sentence answers when it holds the type (ranked ones all do when any does);
            # an untyped question's answer is its best sentence: the others quoted are context
            label = ANSWERS if (kind and x.span) else CONTEXT
            chosen.append(Pick(x.n, x.sentence, x.span, label))
            covered |= new_cover
            seen_text.add(x.sentence.text)
    # readable order: passages in the order of their best sentence, sentences in document order
    first_pos: dict[int, int] = {}
    for i, x in enumerate(chosen):
        first_pos.setdefault(x.n, i)
    chosen.sort(key=lambda x: (first_pos[x.n], x.sentence.start))
    lines = [_line(passages[x.n - 1], x) for x in chosen]
    tail = _partial(missing, lang) if missing and len(missing) < len(parts) else ""
    return Composed(" ".join(dict.fromkeys(lines)), chosen, tail=tail)


def item_kinds(parts: list[str]) -> list[str]:
    """The types asked for every item by the parts after the first that ask nothing else ("and since when")."""
    return [k for k in (bare_kind(p) for p in parts[1:]) if k]


def collects_items(question: str) -> bool:
    """Whether the answer collects every item of a type across passages (see ``compose_answer``)."""
    return bool(item_kinds(sub_questions(question)))


def _tokens(text: str) -> set[str]:
    from ingest.lexical import tokenize

    return set(tokenize(text))


def _untyped(x: Scored, question: str) -> Span | None:
    return find_span(x.sentence.text, None, question)


def _partial(missing: list[str], lang: str | None) -> str:
    return get(lang or DEFAULT_LANGUAGE).texts["partial"].format(parts="; ".join(m.strip(" ?,.") for m in missing))


def _collect(question: str, passages: list[Passage], scored: list[Scored], kinds: list[str], t: Settings,
             lang: str | None) -> Composed:
    """Every sentence close enough to the best that holds a span of each asked type, in document order."""
    cands: list[tuple[Scored, Span]] = []
    for x in scored:
        if x.sentence.kind == "intro":
            continue
        spans = [find_span(x.sentence.text, k, question) for k in kinds]
        if all(spans):
            cands.append((x, spans[0]))
    if not cands:
        best = max(scored, key=lambda x: x.score)
        pick = Pick(best.n, best.sentence, _untyped(best, question), ANSWERS)
        return Composed(_line(passages[best.n - 1], pick), [pick], tail=_partial(sub_questions(question)[1:], lang))
    top = max(x.score for x, _ in cands)
    keep = sorted((x for x in cands if x[0].score >= top - t.list_collect_margin and x[0].lex > 0),
                  key=lambda c: c[0].score,
                  reverse=True)[: t.max_list_items]
    seen: set[str] = set()
    picks = []
    for x, span in keep:
        if x.sentence.text not in seen:
            seen.add(x.sentence.text)
            picks.append(Pick(x.n, x.sentence, span, ANSWERS))
    picks.sort(key=_doc_order(passages))
    return Composed("\n".join(f"- {_line(passages[p.n - 1], p)}" for p in picks), picks)


def _list_block(question: str, passages: list[Passage], ranked: list[Scored], best: Scored,
                t: Settings, kind: str | None) -> Composed:
    """A bullet list kept with its intro; an enumeration inside a sentence that scores as well comes first."""
    passage = passages[best.n - 1]
    items = [s for s in passage_sentences(passage.text) if s.group == best.sentence.group]
    score = {x.sentence.start: x.score for x in ranked if x.n == best.n}
    picks: list[Pick] = []
    out = []
    prose = [x for x in ranked if x.sentence.group < 0 and x.sentence.text.count(",") >= 2
             and x.score >= best.score - t.answer_close_margin]
    head = ""
    if prose:
        picks.append(Pick(prose[0].n, prose[0].sentence, _untyped(prose[0], question), ANSWERS))
        head = cite_each_sentence(prose[0].sentence.text.strip(), prose[0].n) + "\n\n"
    for s in items:
        if s.kind == "intro":
            if not s.text.rstrip().endswith("?"):  # a question used as a list title is not a claim
                out.append(f"{s.text.strip()} [{best.n}]\n")
                picks.append(Pick(best.n, s, None, CONTEXT))
        else:
            out.append(f"- {cite_each_sentence(s.text.strip(), best.n)}")
            # an item answers when it holds the asked type, or (untyped) scores about as well as the best
            span = find_span(s.text, kind, question)
            near = score.get(s.start, 0.0) >= best.score - t.answer_close_margin
            picks.append(Pick(best.n, s, span, ANSWERS if (span if kind else near) else CONTEXT))
    return Composed(head + "\n".join(out), picks)


def compose_limit(kind: str, question: str, passages: list[Passage], scored: list[Scored], max_sentences: int,
                  lang: str | None = None) -> Composed:
    """A request the offline mode cannot do: the notice, then the most relevant passages (their best sentence
    each, in rank order); a comparison gets the best sentence about each thing it names."""
    lead = get(lang or DEFAULT_LANGUAGE).texts[f"limit_{kind}"]
    picks: list[Pick] = []
    if kind == "compare":
        names = _named_in_passages(question, passages)
        for name in names:
            others = [o for o in names if o != name]
            about = [x for x in scored if _names(name, x.sentence.text) and x.sentence.kind != "intro"]
            alone = [x for x in about if not any(_names(o, x.sentence.text) for o in others)]
            for x in sorted(alone or about, key=lambda x: x.score, reverse=True)[:1]:
                if all(x.sentence.text != p.sentence.text for p in picks):
                    picks.append(Pick(x.n, x.sentence, None, CONTEXT))
    if not picks:
        by_passage: dict[int, Scored] = {}
        for x in scored:
            if x.sentence.kind != "intro" and (x.n not in by_passage or x.score > by_passage[x.n].score):
                by_passage[x.n] = x
        for n in sorted(by_passage)[:max_sentences]:
            picks.append(Pick(n, by_passage[n].sentence, None, CONTEXT))
    lines = [(f"- {_line(passages[p.n - 1], p)}") for p in picks]
    return Composed("\n".join(lines), picks, lead=lead)


def _names(name: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _named_in_passages(question: str, passages: list[Passage]) -> list[str]:
    """The names of the question that the passages use (case kept): the things a comparison is about."""
    text = "\n".join(p.text for p in passages)
    out: list[str] = []
    for m in NAME.finditer(question):
        for w in re.split(r"\s+(?:and|et|with|avec|vs\.?|versus)\s+|\s+", m.group(0)):
            if len(w) > 1 and w not in out and _names(w, text) and fold(w) not in lang_words("stop_words"):
                out.append(w)
    return out
