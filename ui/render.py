"""Markdown and HTML for the chat UI. Text from documents and users is untrusted: it is always escaped,
and the only markup in the output is the markup written here (``<mark>``, cards, badges).

Functions take plain dicts (``Answer.to_dict()``), so rendering does not depend on the assistant's classes.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import datetime
from typing import Any

from ui import citations
from ui.i18n import skip_reason, t, trace_label

# characters with a meaning in Markdown (links, images, emphasis, code, headings, tables, math) or in HTML
_MD_SPECIAL = re.compile(r"[\\`*_\[\]#|~$<>&]")
_HTML_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_LIST_ITEM = re.compile(r"^(\s*)- ")
_MARKERS_AFTER = re.compile(r"(?:\s?\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\])*[.!?]?")
# what GFM renderers (the chat's) turn into links without any markup: scheme://, www., e-mail addresses
_AUTOLINK = re.compile(r"(?<=[A-Za-z0-9+.-])(:)(?=//)|(@)|(?<![A-Za-z0-9])(www)(\.)", re.IGNORECASE)
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Cs"}  # control, format (bidi overrides, zero-width), separators, surrogates
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
# an absolute path with at least one folder (not the path part of a URL)
_ABS_PATH = re.compile(r"(?<![\w.:/~-])/(?:[^\s/'\"<>]+/)+([^\s/'\"<>]*)")

CONTEXT_CHARS = 400  # passage text shown on each side of the supporting sentence
# the badge of a supported citation by its label (assistant.labels): the sentence answers, or is context
BADGE_KEYS = {"answers": "badge_answers", "context": "badge_context"}
FLAG_LABELS = {"unsupported": "flag_unsupported", "uncited": "flag_uncited", "invalid marker removed": "flag_invalid"}


def escape_markdown(text: str) -> str:
    """``text`` shown literally in Markdown: no HTML, links, images, emphasis or math survive.

    A leading ``- `` stays a list item (extractive answers are bulleted); everything else is escaped.
    """
    out = []
    for line in str(text).split("\n"):
        m = _LIST_ITEM.match(line)
        head, body = (f"{m.group(1)}- ", line[m.end():]) if m else ("", line)
        body = _MD_SPECIAL.sub(lambda c: _HTML_ENTITIES.get(c.group(0), "\\" + c.group(0)), body)
        out.append(head + _AUTOLINK.sub(_defuse, body))
    return "\n".join(out)


def _defuse(m: re.Match) -> str:
    """A backslash before the character that makes an autolink (``:`` of ``://``, ``@``, the dot of ``www.``)."""
    if m.group(1):
        return "\\:"
    if m.group(2):
        return "\\@"
    return f"{m.group(3)}\\."


def visible(text: str) -> str:
    """``text`` with its invisible characters shown: newline as ``\\n``, ANSI escape as ``\\x1b``, a bidi
    override as ``\\u202e`` (and a backslash as ``\\\\``), so that a file name cannot hide or fake anything."""
    out = []
    for ch in str(text):
        if ch in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[ch])
        elif unicodedata.category(ch) in _INVISIBLE:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def without_paths(message: str) -> str:
    """An error message for the page: absolute paths cut to their last part (the server log has them whole)."""
    return _ABS_PATH.sub(lambda m: "…/" + m.group(1), str(message))


def user_markdown(question: str) -> str:
    """The user's message as typed, shown literally."""
    return escape_markdown(question)


def partial_markdown(text: str, lang: str = "en") -> str:
    """A partial (streaming) answer."""
    return escape_markdown(text) + " ▍" if text else t(lang, "searching")


def error_markdown(message: str, lang: str = "en") -> str:
    """An unexpected failure while answering (not a refusal)."""
    return t(lang, "error", message=escape_markdown(without_paths(message)))


def answer_markdown(answer: dict[str, Any], lang: str = "en") -> str:
    """The final answer: escaped text with its [n] markers; unsupported claims marked ⚠; refusals as a note."""
    text = str(answer.get("text", ""))
    if answer.get("refused"):
        return f"> **{t(lang, 'refusal_title')}.** {escape_markdown(text)}"
    if answer.get("small_talk"):
        return escape_markdown(text)
    flagged = [c for c in answer.get("claims", []) if not c.get("supported", True)]
    spans: list[tuple[int, int, str]] = []
    leftover: list[dict[str, Any]] = []
    for claim in flagged:
        ctext = str(claim.get("text", "")).strip()
        pos = text.find(ctext) if ctext else -1
        while pos >= 0 and any(a <= pos < b for a, b, _ in spans):
            pos = text.find(ctext, pos + 1)
        if pos < 0:
            leftover.append(claim)
            continue
        end = pos + len(ctext)
        end += _MARKERS_AFTER.match(text, end).end() - end
        spans.append((pos, end, str(claim.get("reason") or "unsupported")))
    spans.sort()
    bold = _answer_spans(text, answer.get("claims", []))
    parts, cursor = [], 0
    for a, b, reason in spans:
        parts.append(_with_bold(text, cursor, a, bold))
        label = t(lang, FLAG_LABELS.get(reason, "flag_unsupported"))
        parts.append(f"{escape_markdown(text[a:b])} **⚠ {label}**")
        cursor = b
    parts.append(_with_bold(text, cursor, len(text), bold))
    out = "".join(parts)
    for note in answer.get("notes") or []:  # e.g. a cited passage holds planted instructions
        out += f"\n\n> ⚠ {escape_markdown(str(note))}"
    if leftover:
        items = "\n".join(f"> - {escape_markdown(str(c.get('text', '')))}" for c in leftover)
        out += f"\n\n> **{t(lang, 'not_supported')}**\n{items}"
    return out


def _answer_spans(text: str, claims: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Where the answer spans of the claims labelled ``answers`` are in the answer text (shown in bold)."""
    out: list[tuple[int, int]] = []
    cursor = 0
    for claim in claims:
        ctext, a, b = str(claim.get("text") or ""), claim.get("answer_start"), claim.get("answer_end")
        pos = text.find(ctext, cursor) if ctext else -1
        if pos < 0:
            continue
        cursor = pos + len(ctext)
        if claim.get("label") == "answers" and isinstance(a, int) and isinstance(b, int) and 0 <= a < b <= len(ctext):
            out.append((pos + a, pos + b))
    return out


def _with_bold(text: str, lo: int, hi: int, bold: list[tuple[int, int]]) -> str:
    """``text[lo:hi]`` escaped, the answer spans inside it in bold."""
    out, cursor = [], lo
    for a, b in bold:
        if a >= cursor and b <= hi:
            out.append(escape_markdown(text[cursor:a]) + f"**{escape_markdown(text[a:b])}**")
            cursor = b
    return "".join(out) + escape_markdown(text[cursor:hi])


def _where(source: str, title: str, section: str, page: Any, lang: str = "en") -> str:
    doc = html.escape(visible(source) if source else t(lang, "unknown_document"))
    if title and title != source:
        doc = f"{html.escape(visible(title))} <span class=\"uca-file\">{doc}</span>"
    path = " › ".join(html.escape(p.strip()) for p in re.split(r"\s+>\s+", section or "") if p.strip())
    if page is not None:
        where = html.escape(t(lang, "page_n", page=page))
        path = f"{path} · {where}" if path else where
    return (f"<div class=\"uca-doc\">{doc}</div>"
            + (f"<div class=\"uca-path\">{path}</div>" if path else ""))


def _heading_path(p: dict[str, Any]) -> str:
    """``Title › Section › Subsection`` of a passage (escaped), without repeating the title."""
    parts = [str(p.get("title") or p.get("source") or "")]
    for part in re.split(r"\s+>\s+", str(p.get("section") or "")):
        if part.strip() and part.strip() != parts[-1].strip():
            parts.append(part.strip())
    return " › ".join(html.escape(visible(x)) for x in parts if x)


def _searched_for(answer: dict[str, Any], lang: str = "en") -> str:
    query, question = str(answer.get("query") or ""), str(answer.get("question") or "")
    if query and query.strip() != question.strip():
        return f"<p class=\"uca-query\">{html.escape(t(lang, 'searched_for'))} <q>{html.escape(query)}</q></p>"
    return ""


def sources_html(answer: dict[str, Any] | None, lang: str = "en", turn: int = 0) -> str:
    """The sources panel for answer number ``turn`` of the conversation: one card per cited passage (id
    ``uca-src-<turn>-<n>``, the target of the answer's ``[n]`` links), the supporting sentence marked, and a
    "view in document" action."""
    if not answer:
        return f"<div class=\"uca-sources uca-empty\"><p>{html.escape(t(lang, 'sources_empty'))}</p></div>"
    head = _searched_for(answer, lang)
    trace = trace_html(answer, lang)
    if answer.get("small_talk"):
        return (f"<div class=\"uca-sources uca-empty\">{head}<p>{html.escape(t(lang, 'no_documents_needed'))}</p>"
                f"{trace}</div>")
    if answer.get("refused"):
        near = answer.get("passages") or []
        items = "".join(f"<li>{_heading_path(p)}</li>" for p in near[:3])
        closest = (f"<p>{html.escape(t(lang, 'closest'))}</p><ul class=\"uca-near\">{items}</ul>" if items
                   else "")
        return (f"<div class=\"uca-sources uca-refused\">{head}<p><strong>{html.escape(t(lang, 'no_passage'))}"
                f"</strong></p>{closest}{trace}</div>")
    cards = []
    for c in answer.get("citations") or []:
        ok = bool(c.get("supported", True))
        label = str(c.get("label") or "")
        badge = (f"<span class=\"uca-badge uca-ok uca-{label or 'support'}\">"
                 f"{html.escape(t(lang, BADGE_KEYS.get(label, 'supports')))}</span>" if ok
                 else f"<span class=\"uca-badge uca-warn\">{html.escape(t(lang, 'weak_support'))}</span>")
        if c.get("instructions"):
            badge += (f"<span class=\"uca-badge uca-warn uca-planted-badge\">⚠ {html.escape(t(lang, 'planted_badge'))}"
                      "</span>")
        n = int(c.get("n", 0))
        where = _where(str(c.get("source", "")), str(c.get("title") or ""), str(c.get("section") or ""),
                       c.get("page"), lang)
        card_id = citations.CARD_ID.format(turn=int(turn), n=n)
        cards.append(
            f"<article class=\"uca-card\" id=\"{card_id}\" data-n=\"{n}\"><header><span class=\"uca-n\">{n}</span>"
            f"<div class=\"uca-where\">{where}</div>{badge}</header>"
            f"<div class=\"uca-passage\">{citations.passage_html(c, CONTEXT_CHARS, lang)}</div>"
            f"<footer>{citations.view_button(turn, n, lang)}</footer></article>"
        )
    if not cards:
        return (f"<div class=\"uca-sources uca-empty\">{head}<p>{html.escape(t(lang, 'cites_none'))}</p>"
                f"{trace}</div>")
    count = t(lang, "cited_one") if len(cards) == 1 else t(lang, "cited_many", n=len(cards))
    # the cards fold and unfold with a tap on their count (on a phone they sit right under the answer, above the
    # examples and settings); they start open, and a followed [n] opens them again (ui.page)
    return (f"<div class=\"uca-sources\" data-turn=\"{int(turn)}\">{head}<details class=\"uca-fold\" open>"
            f"<summary class=\"uca-count\" title=\"{html.escape(t(lang, 'fold_sources'))}\">{html.escape(count)}"
            f"</summary>{''.join(cards)}{trace}</details></div>")


TRACE_VALUE_CHARS = 240  # longest value shown per decision in the trace panel


def _trace_value(value: Any, lang: str = "en") -> str:
    if isinstance(value, bool):
        return html.escape(trace_label(lang, "yes" if value else "no", str(value)))
    if isinstance(value, list) and value and isinstance(value[0], dict):
        text = "; ".join(", ".join(f"{k}={v}" for k, v in item.items() if k != "id") for item in value)
    else:
        text = str(value)
    if len(text) > TRACE_VALUE_CHARS:
        text = text[: TRACE_VALUE_CHARS - 1] + "\u2026"
    return html.escape(visible(text))


def trace_html(answer: dict[str, Any], lang: str = "en") -> str:
    """A collapsed "How this answer was found" panel: each step that ran (its label in ``lang``, then its name as
    ``uca ask --trace`` gives it), what it decided (labelled, the key as a tooltip), its milliseconds."""
    steps = answer.get("trace") or []
    if not steps:
        return ""
    rows = []
    for step in steps:
        decided = step.get("decided") or {}
        items = "".join(f"<li><span class=\"uca-trace-key\" title=\"{html.escape(str(k))}\">"
                        f"{html.escape(trace_label(lang, f'key_{k}', str(k)))}</span>: {_trace_value(v, lang)}</li>"
                        for k, v in decided.items() if v not in (None, "", [], {}))
        name = str(step.get("name", ""))
        title = trace_label(lang, f"step_{name}", name)
        code = f" <code class=\"uca-trace-id\">{html.escape(name)}</code>" if title != name else ""
        rows.append(f"<li><strong>{html.escape(title)}</strong>{code} "
                    f"<span class=\"uca-trace-ms\">{float(step.get('ms', 0.0)):.1f} ms</span><ul>{items}</ul></li>")
    rule = answer.get("refusal_rule")
    why = f"<p>{html.escape(t(lang, 'refused_by_rule'))} <code>{html.escape(str(rule))}</code>.</p>" if rule else ""
    return (f"<details class=\"uca-trace\"><summary>{html.escape(t(lang, 'how_found'))}</summary>{why}"
            f"<ol>{''.join(rows)}</ol></details>")


def _when(value: Any, lang: str = "en") -> str:
    if not value:
        return t(lang, "never")
    text = str(value)
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(text, fmt).strftime("%Y-%m-%d %H:%M %Z").strip()
        except ValueError:
            continue
    return text


def stats_html(stats: dict[str, Any] | None, error: str | None = None, lang: str = "en") -> str:
    """The corpus panel: documents, chunks, embedding model, last ingest, and the document list."""
    if error or not stats:
        shown = without_paths(error or t(lang, "no_index"))
        return f"<div class=\"uca-stats\"><p class=\"uca-warn\">⚠ {html.escape(shown)}</p></div>"
    rows = [
        (t(lang, "stats_documents"), stats.get("documents", 0)),
        (t(lang, "stats_chunks"), stats.get("chunks", 0)),
        (t(lang, "stats_model"), stats.get("embedding_model") or "?"),
        (t(lang, "stats_last_ingest"), _when(stats.get("last_ingest"), lang)),
    ]
    dl = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in rows)
    sources = stats.get("sources") or []
    items = "".join(f"<li>{html.escape(visible(s))}</li>" for s in sources[:200])
    more = f"<li>{html.escape(t(lang, 'and_more', n=len(sources) - 200))}</li>" if len(sources) > 200 else ""
    listing = (f"<details><summary>{html.escape(t(lang, 'indexed_documents'))}</summary><ul>{items}{more}</ul>"
               "</details>" if items else "")
    return f"<div class=\"uca-stats\"><dl>{dl}</dl>{listing}</div>"


SKIPPED_SHOWN = 20  # skipped files listed by name under a re-ingest status (the rest are counted)


def skipped_markdown(skipped: list[dict[str, Any]], lang: str = "en") -> str:
    """The files an ingest skipped, each with its reason in ``lang`` (names with control characters visible)."""
    if not skipped:
        return ""
    lines = [f"- {escape_markdown(visible(d.get('source', '?')))}: "
             f"{escape_markdown(without_paths(skip_reason(d, lang)))}" for d in skipped[:SKIPPED_SHOWN]]
    if len(skipped) > SKIPPED_SHOWN:
        lines.append(f"- {t(lang, 'more_skipped', n=len(skipped) - SKIPPED_SHOWN)}")
    return f"\n\n**{t(lang, 'skipped')}**\n" + "\n".join(lines)


def _size(n: Any) -> str:
    n = int(n or 0)
    if n < 1000:
        return f"{n} B"
    return f"{n / 1000:.1f} kB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"


def documents_html(docs: list[dict[str, Any]], last_ingest: Any = None, lang: str = "en") -> str:
    """The Documents panel's list: name (control characters visible), format, languages, chunks, size, dates."""
    if not docs:
        return f"<div class=\"uca-docs uca-empty\"><p>{html.escape(t(lang, 'no_documents'))}</p></div>"
    rows = "".join(
        f"<tr><td class=\"uca-docname\">{html.escape(visible(d['source']))}</td><td>{html.escape(str(d['format']))}"
        f"</td><td>{html.escape(', '.join(str(x) for x in d.get('languages') or []) or '?')}</td>"
        f"<td>{int(d['chunks'])}</td><td>{_size(d['size'])}</td>"
        f"<td>{html.escape(_when(d['modified'], lang))}</td></tr>"
        for d in docs)
    when = (f"<p class=\"uca-count\">{html.escape(t(lang, 'last_ingest', when=_when(last_ingest, lang)))}</p>"
            if last_ingest else "")
    heads = "".join(f"<th>{html.escape(t(lang, k))}</th>"
                    for k in ("col_document", "col_format", "col_language", "col_chunks", "col_size",
                              "col_modified"))
    return (f"<div class=\"uca-docs\">{when}<table><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>"
            "</div>")


RESULT_LABELS = {s: f"result_{s}" for s in ("added", "replaced", "unchanged", "removed", "refused", "stored")}


def results_html(results: list[Any], summary: str, lang: str = "en") -> str:
    """One line per file of an upload or removal (status, name, chunks or reason) and the summary."""
    items = []
    for r in results:
        detail = f" ({html.escape(t(lang, 'n_chunks', n=r.chunks))})" if r.chunks is not None else ""
        reason = f": {html.escape(without_paths(r.reason))}" if r.reason else ""
        items.append(f"<li class=\"uca-result uca-{html.escape(r.status)}\"><strong>"
                     f"{html.escape(t(lang, RESULT_LABELS[r.status]) if r.status in RESULT_LABELS else r.status)}"
                     "</strong> "
                     f"<span class=\"uca-docname\">{html.escape(visible(r.name))}</span>{detail}{reason}</li>")
    listing = f"<ul>{''.join(items)}</ul>" if items else ""
    return f"<div class=\"uca-results\"><p>{html.escape(without_paths(summary))}</p>{listing}</div>"
