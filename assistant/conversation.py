"""Follow-up questions: resolve "When did it start?" against the conversation before retrieval.

Extractive mode has no LLM, so the rewrite is rule-based: a question that refers back (pronouns, "what
about X", very short) gets the subject of the previous question (its names and key words) carried over.
LLM mode uses the condensation prompt (``prompts/condense.txt``) instead.
"""

from __future__ import annotations

import re

from assistant.citations import salient_terms
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


def _subject(question: str) -> str:
    """Names of a question (acronyms, capitalised words), else the question without its wh-word."""
    names = [t for t in _ordered_names(question)]
    if names:
        return " ".join(names)
    return _WH.sub("", question).strip(" ?")


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


def rewrite_followup(question: str, history: list[tuple[str, str]]) -> str:
    """The question made self-contained using the previous user turns (unchanged when not a follow-up)."""
    if not history or not needs_context(question):
        return question
    previous = [u for u, _ in history if u and u.strip()]
    if not previous:
        return question
    # the most recent earlier question that has a subject
    last = previous[-1]
    m = _WHAT_ABOUT.match(question)
    if m and m.group("y") and (_WH.match(m.group("y")) or _REFERS_BACK.search(m.group("y"))):
        m = None  # "And when did it start?" is a follow-up question, not "what about <X>"
    if m:
        new_subject = (m.group("x") or m.group("y") or "").strip()
        old_names = _ordered_names(last)
        if old_names:  # the topic is usually the last name: "Since when is Unicancer a member of HOPE?"
            name = old_names[-1]
            idx = last.rfind(name)
            return (last[:idx] + new_subject + last[idx + len(name):]).strip()
        return f"{last.rstrip(' ?')} {new_subject}?"
    subject = ""
    for q in reversed(previous):
        subject = _subject(q)
        if subject:
            break
    if not subject:
        return question
    return f"{question.rstrip()} ({subject})"
