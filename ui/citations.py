"""Citations you can follow (issue 13, item 4): cards numbered in the order of the answer, each ``[n]`` of an
answer a link to its card, the passage rendered with its Markdown headings (escaped) and its supporting sentence
marked, and the plain text of an answer with its sources list (copy, export).

Everything here takes the plain dicts of ``Answer.to_dict()`` (as :mod:`ui.render` does). Text from documents and
users is escaped; the only markup is written here. A card's id is ``uca-src-<turn>-<n>``, the link of ``[n]`` in
answer ``turn`` points to it (``#uca-src-<turn>-<n>``; the page's script scrolls to the card and flashes it).
"""

from __future__ import annotations

import copy
import html
import re
from typing import Any

from ui.i18n import t

# a group of markers as the assistant writes them: [1], [1, 3], [2;4]
MARKERS = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
_SPLIT = re.compile(r"\s*[,;]\s*")
# the same group once escaped for Markdown by ui.render.escape_markdown: \[1\], \[1, 3\]
ESCAPED_MARKERS = re.compile(r"\\\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\\\]")
ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")  # a Markdown heading line of a passage
MARKDOWN_SUFFIXES = (".md", ".markdown")
CARD_ID = "uca-src-{turn}-{n}"
ANSWER_CLASS = "uca-answer"  # the reader's answer span inside the supporting sentence: bold
PLANTED_CLASS = "uca-planted"  # instructions planted in a document: struck through, never shown as an answer


def renumber(answer: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``answer`` whose citations are numbered 1, 2, ... in the order their markers first appear in
    the text (the answerer numbers them by passage rank: "[2] ... [5]"); markers, claims and cards follow.
    Citations the text does not mention keep their order after the others."""
    cites = answer.get("citations") or []
    if not cites:
        return answer
    order: list[int] = []
    for m in MARKERS.finditer(str(answer.get("text", ""))):
        for x in _SPLIT.split(m.group(1)):
            if int(x) not in order:
                order.append(int(x))
    known = [int(c.get("n", 0)) for c in cites]
    order = [n for n in order if n in known] + [n for n in known if n not in order]
    new = {old: i for i, old in enumerate(order, start=1)}
    if all(new.get(n) == n for n in known):
        return answer
    out = copy.deepcopy(answer)

    def fix(m: re.Match) -> str:
        nums = [new.get(int(x), int(x)) for x in _SPLIT.split(m.group(1))]
        return "[" + ", ".join(str(n) for n in nums) + "]"

    out["text"] = MARKERS.sub(fix, str(out.get("text", "")))
    for c in out["citations"]:
        c["n"] = new.get(int(c.get("n", 0)), c.get("n"))
    out["citations"].sort(key=lambda c: int(c.get("n", 0)))
    for claim in out.get("claims") or []:
        claim["text"] = MARKERS.sub(fix, str(claim.get("text", "")))
        claim["citations"] = [new.get(int(n), n) for n in claim.get("citations") or []]
    return out


def link_markers(markdown: str, turn: int, cited: set[int]) -> str:
    """``markdown`` (an answer escaped by :func:`ui.render.answer_markdown`) with each escaped ``\\[n\\]`` of a
    cited passage turned into a link to its card; other text is left as it is."""

    def link(m: re.Match) -> str:
        nums = [int(x) for x in _SPLIT.split(m.group(1))]
        if not all(n in cited for n in nums):
            return m.group(0)
        return " ".join(f"[\\[{n}\\]](#{CARD_ID.format(turn=turn, n=n)})" for n in nums)

    return ESCAPED_MARKERS.sub(link, markdown)


def where_text(c: dict[str, Any], lang: str) -> str:
    """``document › heading path · page N`` of a citation, as plain text."""
    doc = str(c.get("title") or c.get("source") or t(lang, "unknown_document"))
    source = str(c.get("source") or "")
    if source and source != doc:
        doc = f"{doc} ({source})"
    title = str(c.get("title") or "").strip()
    parts = [doc, *(p.strip() for p in re.split(r"\s+>\s+", str(c.get("section") or ""))
                    if p.strip() and p.strip() != title)]
    text = " › ".join(parts)
    if c.get("page") is not None:
        text += " · " + t(lang, "page_n", page=c["page"])
    return text


def footnotes_markdown(answer: dict[str, Any], lang: str, escape) -> str:
    """The sources list under an answer in the chat: ``[n] document › section · page``, escaped with ``escape``
    (:func:`ui.render.escape_markdown`), so that the message and its copy carry their sources."""
    cites = answer.get("citations") or []
    if not cites or answer.get("refused") or answer.get("small_talk"):
        return ""
    items = "\n".join(f"- \\[{int(c.get('n', 0))}\\] {escape(where_text(c, lang))}" for c in cites)
    return f"\n\n**{t(lang, 'sources_heading')}**\n{items}"


def plain_text(answer: dict[str, Any], lang: str) -> str:
    """The answer as clean text with its ``[n]`` markers, then its sources list (what copy and export give)."""
    text = str(answer.get("text", "")).strip()
    cites = answer.get("citations") or []
    if not cites or answer.get("refused") or answer.get("small_talk"):
        return text
    lines = [f"[{int(c.get('n', 0))}] {where_text(c, lang)}" for c in cites]
    return f"{text}\n\n{t(lang, 'sources_heading')}\n" + "\n".join(lines)


# -- passages: Markdown headings and marked spans, escaped

def _is_markdown(source: str) -> bool:
    return str(source).lower().endswith(MARKDOWN_SUFFIXES)


def heading_lines(text: str) -> list[tuple[int, int, int, str]]:
    """(start, end, level, heading text) of the ATX heading lines of a Markdown text."""
    out, pos = [], 0
    for line in text.split("\n"):
        m = ATX.match(line)
        if m:
            out.append((pos, pos + len(line), len(m.group(1)), m.group(2)))
        pos += len(line) + 1
    return out


def _open(cls: str, lang: str) -> str:
    if cls == ANSWER_CLASS:
        return f"<strong class=\"{cls}\">"
    if cls == PLANTED_CLASS:
        return f"<del class=\"{cls}\" title=\"{html.escape(t(lang, 'planted_title'))}\">"
    return f"<mark class=\"{cls}\">"


def _close(cls: str) -> str:
    return {ANSWER_CLASS: "</strong>", PLANTED_CLASS: "</del>"}.get(cls, "</mark>")


def _wrap(body: str, cls: str, lang: str) -> str:
    return _open(cls, lang) + body + _close(cls)


def planted_marks(c: dict[str, Any], lo: int = 0, hi: int | None = None,
                  shift: int = 0) -> list[tuple[int, int, str]]:
    """The planted-instruction spans of a citation (``instructions``: offsets in its passage) that do not
    overlap its supporting sentence, cut to ``[lo, hi)`` and moved by ``shift``."""
    hi = len(str(c.get("text", ""))) if hi is None else hi
    s0, s1 = c.get("sentence_start"), c.get("sentence_end")
    out = []
    for span in c.get("instructions") or []:
        try:
            a, b = (int(x) for x in span)
        except (TypeError, ValueError):
            continue
        if isinstance(s0, int) and isinstance(s1, int) and a < s1 and b > s0:
            continue
        a, b = max(a, lo), min(b, hi)
        if a < b:
            out.append((a + shift, b + shift, PLANTED_CLASS))
    return out


def answer_marks(c: dict[str, Any], start: int, end: int, shift: int = 0) -> list[tuple[int, int, str]]:
    """The citation's answer span (``answer_start``/``answer_end`` in its passage) when it lies inside the
    supporting sentence ``[start, end)``, moved by ``shift``."""
    a, b = c.get("answer_start"), c.get("answer_end")
    if isinstance(a, int) and isinstance(b, int) and start <= a < b <= end:
        return [(a + shift, b + shift, ANSWER_CLASS)]
    return []


def annotated_html(text: str, marks: list[tuple[int, int, str]],
                   headings: list[tuple[int, int, int, str]] | None = None,
                   inserts: dict[int, str] | None = None, lang: str = "en") -> str:
    """``text`` escaped, each ``(start, end, css class)`` of ``marks`` inside one element (marks nest or are
    disjoint: a mark inside another is opened inside it, so the outer one stays one element), each heading span
    ``(start, end, level, text)`` shown as its text in a heading element (marks crossing it are closed around
    it and reopened inside), and the markup of ``inserts`` (written by the caller, never from the text) at its
    offset. Newlines stay (the container is ``pre-wrap``)."""
    headings = sorted(headings or [])
    anchors = inserts or {}
    ordered = sorted(((max(0, a), min(len(text), b), cls) for a, b, cls in marks if a < b), key=lambda m: (m[0], -m[1]))
    cuts = {0, len(text), *anchors}
    for a, b, _ in ordered:
        cuts.update((a, b))
    for a, b, _, _ in headings:
        cuts.update((a, b))
    cuts = sorted(c for c in cuts if 0 <= c <= len(text))
    out: list[str] = []
    opened: list[tuple[int, int, str]] = []  # the marks whose elements are open, outermost first

    def reach(target: list[tuple[int, int, str]]) -> None:
        keep = 0
        while keep < min(len(opened), len(target)) and opened[keep] == target[keep]:
            keep += 1
        while len(opened) > keep:
            out.append(_close(opened.pop()[2]))
        for m in target[keep:]:
            out.append(_open(m[2], lang))
            opened.append(m)

    h = 0
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a in anchors:
            reach([m for m in opened if m[1] > a])  # the insert goes after the marks that end here
            out.append(anchors[a])
        while h < len(headings) and headings[h][1] <= a:
            h += 1
        heading = headings[h] if h < len(headings) and headings[h][0] <= a < headings[h][1] else None
        active = [m for m in ordered if m[0] <= a < m[1]]
        if heading is not None:
            if a == heading[0]:  # the heading's text once, whatever the marks inside its line
                reach([])
                body = html.escape(heading[3])
                for m in reversed(active):
                    body = _wrap(body, m[2], lang)
                level = min(6, heading[2] + 2)  # below the page's own headings
                out.append(f"<h{level} class=\"uca-h\">{body}</h{level}>")
            continue
        piece = text[a:b]
        if out and out[-1].endswith(("</h3>", "</h4>", "</h5>", "</h6>")) and piece.startswith("\n"):
            piece = piece[1:]  # the heading element ends its line
        if piece:
            reach(active)
            out.append(html.escape(piece))
    reach([])
    if len(text) in anchors:
        out.append(anchors[len(text)])
    return "".join(out)


def passage_window(c: dict[str, Any], context: int) -> tuple[int, int, int, int] | None:
    """(lo, hi, sentence start, sentence end) of the part of a citation's passage shown in its card: the
    supporting sentence with ``context`` characters each side cut at spaces; None when the sentence is not
    found in the passage."""
    text = str(c.get("text", ""))
    start, end = c.get("sentence_start"), c.get("sentence_end")
    valid = isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
    if not valid or (c.get("sentence") and text[start:end].strip() != str(c["sentence"]).strip()):
        sentence = str(c.get("sentence") or "")
        found = text.find(sentence) if sentence else -1
        if found < 0:
            return None
        start, end = found, found + len(sentence)
    lo, hi = max(0, start - context), min(len(text), end + context)
    if lo > 0:
        nl = text.find("\n", lo, start)  # start at a line when one begins in the window (a heading stays whole)
        space = text.find(" ", lo, start)
        lo = nl + 1 if nl >= 0 else space + 1 if space >= 0 else lo
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space > end else hi
    return lo, hi, start, end


def passage_html(c: dict[str, Any], context: int, lang: str = "en") -> str:
    """A card's passage: the window around the supporting sentence, escaped, the sentence marked, and, for a
    Markdown document, its heading lines shown as headings instead of ``## ...``."""
    text = str(c.get("text", ""))
    window = passage_window(c, context)
    if window is None:
        shown = text if len(text) <= 2 * context else text[: 2 * context]
        body = annotated_html(shown, planted_marks(c, 0, len(shown)),
                              heading_lines(shown) if _is_markdown(str(c.get("source", ""))) else [], lang=lang)
        return body + (" …" if len(shown) < len(text) else "")
    lo, hi, start, end = window
    part = text[lo:hi]
    heads = heading_lines(part) if _is_markdown(str(c.get("source", ""))) else []
    marks = [(start - lo, end - lo, "uca-support"), *answer_marks(c, start, end, -lo),
             *planted_marks(c, lo, hi, -lo)]
    body = annotated_html(part, marks, heads, lang=lang)
    return ("… " if lo > 0 else "") + body + (" …" if hi < len(text) else "")


def view_button(turn: int, n: int, lang: str) -> str:
    """The "view in document" action of a card (the page's script sends it to the server)."""
    return (f"<button type=\"button\" class=\"uca-view\" data-view=\"{int(turn)}:{int(n)}\">"
            f"{html.escape(t(lang, 'view_in_document'))}</button>")
