"""Conversations that last (issue 13, item 3): the browser keeps them (``gr.BrowserState``, its localStorage),
so that a reload finds them; several are kept, renamed, deleted, and one is exported as Markdown with its
citations and sources.

The store is what the browser sends back, so it is checked like any input: :func:`clean` keeps only the
expected shape, bounded by ``UCA_CONVERSATIONS_KEPT`` and ``UCA_CONVERSATION_TURNS``; everything in it is
escaped when shown (:mod:`ui.render`).
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from ingest.settings import Settings
from ui import citations
from ui.i18n import t

STORAGE_KEY = "uca-conversations-v1"
# gr.BrowserState encrypts what it stores with this key; the key is part of the page's config, so it only keeps
# the stored text from being read as plain text by other scripts of this origin. Fixed: conversations must
# survive a server restart.
STORAGE_SECRET = "uca-conversations"
TITLE_CHARS = 80  # longest conversation name (a longer first question or new name is cut)
ID_BYTES = 6
_ID = re.compile(r"^c-[0-9a-f]{1,32}$")
# what the browser keeps of an answer: enough to show it, its sources and its document again (not the trace)
ANSWER_KEYS = ("question", "query", "text", "refused", "mode", "citations", "passages", "claims", "small_talk",
               "lang", "refusal_rule", "notes")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _title(text: Any) -> str:
    one_line = " ".join(str(text or "").split())
    return one_line if len(one_line) <= TITLE_CHARS else one_line[: TITLE_CHARS - 1] + "…"


def new_conversation() -> dict[str, Any]:
    return {"id": f"c-{secrets.token_hex(ID_BYTES)}", "title": "", "turns": [], "updated": _now()}


def empty() -> dict[str, Any]:
    conv = new_conversation()
    return {"v": 1, "current": conv["id"], "items": [conv]}


def _clean_turn(turn: Any) -> dict[str, Any] | None:
    if not isinstance(turn, dict) or not isinstance(turn.get("question"), str):
        return None
    out: dict[str, Any] = {"question": turn["question"]}
    if isinstance(turn.get("answer"), dict) and isinstance(turn["answer"].get("text"), str):
        out["answer"] = {k: turn["answer"][k] for k in ANSWER_KEYS if k in turn["answer"]}
    elif isinstance(turn.get("error"), str):
        out["error"] = turn["error"]
    else:
        return None
    return out


def clean(store: Any, settings: Settings) -> dict[str, Any]:
    """The store as the browser sent it, reduced to its expected shape and bounds (a fresh one if unusable)."""
    if not isinstance(store, dict) or not isinstance(store.get("items"), list):
        return empty()
    items, seen = [], set()
    for conv in store["items"]:
        if not isinstance(conv, dict) or not isinstance(conv.get("id"), str) or not _ID.match(conv["id"]):
            continue
        if conv["id"] in seen:
            continue
        seen.add(conv["id"])
        turns = [x for x in (_clean_turn(x) for x in conv.get("turns") or [] if isinstance(conv.get("turns"), list))
                 if x is not None][-settings.conversation_turns:]
        items.append({"id": conv["id"], "title": _title(conv.get("title")), "turns": turns,
                      "updated": str(conv.get("updated") or "")[:40]})
    items = items[-settings.conversations_kept:]
    if not items:
        return empty()
    current = store.get("current")
    if current not in {c["id"] for c in items}:
        current = items[-1]["id"]
    return bounded({"v": 1, "current": current, "items": items}, settings)


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def bounded(store: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The store within ``UCA_CONVERSATION_STORE_BYTES`` (it travels with the requests that need it): the
    oldest other conversations go first, then the current one's oldest questions."""
    items = list(store["items"])
    while _size({**store, "items": items}) > settings.conversation_store_bytes:
        others = [i for i, c in enumerate(items) if c["id"] != store["current"]]
        if others:
            del items[others[0]]
            continue
        conv = items[0]
        if len(conv["turns"]) <= 1:
            break
        items[0] = dict(conv, turns=conv["turns"][1:])
    return {**store, "items": items}


def current(store: dict[str, Any]) -> dict[str, Any]:
    """The conversation shown (the store is clean)."""
    return next(c for c in store["items"] if c["id"] == store["current"])


def title_of(conv: dict[str, Any], lang: str) -> str:
    if conv.get("title"):
        return conv["title"]
    first = next((x["question"] for x in conv.get("turns") or []), "")
    return _title(first) if first.strip() else t(lang, "untitled")


def choices(store: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(name, id) of each conversation, the most recent first."""
    return [(title_of(c, lang), c["id"]) for c in reversed(store["items"])]


def with_turns(store: dict[str, Any], turns: list[dict[str, Any]], settings: Settings) -> dict[str, Any]:
    """The store with the current conversation's turns replaced (and moved last: the most recent)."""
    conv = dict(current(store), turns=[x for x in (_clean_turn(x) for x in turns) if x is not None]
                [-settings.conversation_turns:], updated=_now())
    items = [c for c in store["items"] if c["id"] != conv["id"]] + [conv]
    return bounded({"v": 1, "current": conv["id"], "items": items[-settings.conversations_kept:]}, settings)


def with_new(store: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The store with a new empty conversation, shown (an empty current one is reused)."""
    if not current(store)["turns"]:
        return store
    conv = new_conversation()
    return {"v": 1, "current": conv["id"], "items": [*store["items"], conv][-settings.conversations_kept:]}


def with_current(store: dict[str, Any], conv_id: Any) -> dict[str, Any]:
    if conv_id in {c["id"] for c in store["items"]}:
        return {**store, "current": conv_id}
    return store


def renamed(store: dict[str, Any], title: Any) -> dict[str, Any]:
    name = _title(title)
    items = [dict(c, title=name) if c["id"] == store["current"] else c for c in store["items"]]
    return {**store, "items": items}


def deleted(store: dict[str, Any]) -> dict[str, Any]:
    """The store without the current conversation; the most recent other one (or a new one) is shown."""
    items = [c for c in store["items"] if c["id"] != store["current"]]
    if not items:
        return empty()
    return {"v": 1, "current": items[-1]["id"], "items": items}


# -- export

def _md_text(text: str) -> str:
    """Text for a Markdown export: HTML and link syntax neutralised (the file is read in Markdown viewers)."""
    return re.sub(r"[<>&]", lambda m: {"<": "&lt;", ">": "&gt;", "&": "&amp;"}[m.group(0)],
                  str(text)).replace("](", "]\u200b(")


def export_markdown(conv: dict[str, Any], lang: str) -> str:
    """One conversation as Markdown: each question, its answer with [n] markers, the sources of the answer
    (document, heading, page, the supporting sentence)."""
    lines = [f"# {_md_text(t(lang, 'export_title', title=title_of(conv, lang)))}", "",
             f"_{t(lang, 'exported_at', when=_now())}_", ""]
    for i, turn in enumerate(conv.get("turns") or [], start=1):
        lines += [f"## {i}. {_md_text(_title(turn['question']))}", "",
                  f"**{t(lang, 'export_question')}:** {_md_text(turn['question'])}", ""]
        answer = turn.get("answer")
        if not answer:
            lines += [f"**{t(lang, 'export_answer')}:** {_md_text(turn.get('error', ''))}", ""]
            continue
        lines += [f"**{t(lang, 'export_answer')}:** {_md_text(answer.get('text', ''))}", ""]
        cites = [] if answer.get("refused") or answer.get("small_talk") else answer.get("citations") or []
        if cites:
            lines += [f"**{t(lang, 'sources_heading')}**", ""]
            for c in cites:
                lines.append(f"- [{int(c.get('n', 0))}] {_md_text(citations.where_text(c, lang))}")
                if c.get("sentence"):
                    lines.append(f"  > {_md_text(' '.join(str(c['sentence']).split()))}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def export_name(conv: dict[str, Any], lang: str) -> str:
    """A file name for the export: the conversation's name in plain characters."""
    stem = re.sub(r"[^\w-]+", "-", title_of(conv, lang), flags=re.UNICODE).strip("-_")[:TITLE_CHARS] or "conversation"
    return f"{stem}.md"
