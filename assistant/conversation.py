"""Follow-up questions: resolve "When did it start?" against the conversation before retrieval.

Extractive mode has no LLM, so the rewrite is rule-based. The conversation's *topic* is tracked over all its
turns, not only the previous question: every earlier question is resolved in order (a follow-up inherits the
topic of the turn it refers to), and the topic of a turn is the names of its resolved question, or, when a
self-contained question names nothing ("Which project studies the gut microbiome?"), the first names of its
answer (what the answer was about). A question that refers back (pronouns, "and ...?", very short) gets the
topic carried over; "what about X?" is the last resolved question with its topic replaced by X. LLM mode uses
the condensation prompt (``prompts/condense.txt``) instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.citations import salient_terms, strip_markers
from common.lang import alternation

# the cues of every language (common.lang): pronouns and "the project", "what about X", the wh-words
_AND = alternation("and_words")
_REFERS_BACK = re.compile(rf"\b({alternation('refers_back')})\b", re.I)
_WHAT_ABOUT = re.compile(
    rf"^\s*(?:(?:{_AND})\s+)?(?:{alternation('what_about')})\s+(?P<x>.+?)\s*\??\s*$"
    rf"|^\s*(?:{_AND})\s+(?P<y>[^?]{{1,60}}?)\s*\?\s*$",
    re.I,
)
_WH = re.compile(rf"^\s*({alternation('question_words')})\b", re.I)


@dataclass(frozen=True)
class Resolved:
    """A question made self-contained: the ``query`` searched and the conversation ``topic`` it carries."""

    query: str
    topic: tuple[str, ...] = ()  # the names the query is about (empty: none known)
    rewritten: bool = False


def _ordered_names(text: str) -> list[str]:
    found = salient_terms(text)
    out = []
    for m in re.finditer(r"[^\W_][\w'’-]*", text):
        word = re.sub(r"['’]s$", "", m.group(0)).strip("'’-")
        if word.lower() in found and word not in out and not word.isdigit():
            out.append(word)
    return out


def needs_context(question: str) -> bool:
    """True when the question refers back to earlier turns."""
    if _WHAT_ABOUT.match(question):
        return True
    if _REFERS_BACK.search(question):
        return True
    words = re.findall(r"\w+", question)
    return len(words) <= 3 and not _ordered_names(question)


def _what_about(question: str) -> str | None:
    """The new subject of "what about X?" / "and X?" (None when the question is not one: "And when did it
    start?" is a follow-up question, not "what about <when did it start>")."""
    m = _WHAT_ABOUT.match(question)
    if not m:
        return None
    if m.group("y") and (_WH.match(m.group("y")) or _REFERS_BACK.search(m.group("y"))):
        return None
    return (m.group("x") or m.group("y") or "").strip() or None


def _topic(turns: list[tuple[str, str, Resolved]], answer_names: int) -> tuple[tuple[str, ...], str]:
    """The conversation's topic before the current question: (names, words when no name is known), from the
    most recent turn that has one. A follow-up turn carries the topic it resolved to; a self-contained question
    without a name is about what its answer names."""
    for question, answer, res in reversed(turns):
        if res.topic:
            return res.topic, ""
        if res.rewritten or needs_context(question):
            continue  # a follow-up that found no topic: look further back
        names = _ordered_names(strip_markers(answer or ""))[:answer_names]
        if names:
            return tuple(names), ""
        return (), _WH.sub("", question).strip(" ?")
    return (), ""


def _resolve(question: str, turns: list[tuple[str, str, Resolved]], answer_names: int) -> Resolved:
    own = tuple(_ordered_names(question))
    if not turns or not needs_context(question):
        return Resolved(question, own)
    new_subject = _what_about(question)
    if new_subject:
        template = turns[-1][2]
        if template.topic:  # "Since when is Unicancer a member of HOPE?" + "what about JANE?": HOPE -> JANE
            name = template.topic[-1]
            idx = template.query.rfind(name)
            if idx >= 0:
                query = template.query[:idx] + new_subject + template.query[idx + len(name):]
                return Resolved(query.strip(), (*template.topic[:-1], new_subject), True)
        pronoun = _REFERS_BACK.search(template.query)
        if pronoun:  # "When did it start?" + "what about JANE?" -> "When did JANE start?"
            query = template.query[: pronoun.start()] + new_subject + template.query[pronoun.end():]
            return Resolved(query.strip(), (new_subject,), True)
        return Resolved(f"{template.query.rstrip(' ?')} {new_subject}?", (new_subject,), True)
    if own and not _REFERS_BACK.search(question):
        return Resolved(question, own)  # short but names its subject ("JANE?")
    names, fallback = _topic(turns, answer_names)
    subject = " ".join(names) or fallback
    if not subject:
        return Resolved(question, own)
    return Resolved(f"{question.rstrip()} ({subject})", names or own, True)


def resolve_followup(question: str, history: list[tuple[str, str]], answer_names: int = 1) -> Resolved:
    """The question made self-contained against the whole conversation (``history``: (question, answer)
    pairs, oldest first), with the topic it carries. ``answer_names``: names of an earlier answer that become
    the topic when its question named nothing."""
    turns: list[tuple[str, str, Resolved]] = []
    for q, a in history:
        if q and q.strip():
            turns.append((q, a or "", _resolve(q, turns, answer_names)))
    return _resolve(question, turns, answer_names)


def rewrite_followup(question: str, history: list[tuple[str, str]], answer_names: int = 1) -> str:
    """The question made self-contained using the conversation (unchanged when not a follow-up)."""
    return resolve_followup(question, history, answer_names).query
