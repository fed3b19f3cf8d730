"""Interface languages (issue 13, item 5): every label and message of the chat comes from the ``ui`` texts of the
language modules (``common/lang/en.py``, ``fr.py``; a new language module adds a language here too).

Component labels go through Gradio's I18n (:func:`gradio_i18n`, translated in the page from the browser's
language or the switch); HTML and Markdown written by the server (answers, sources, panels, notices) take the
page's language as an argument, :func:`t` looks its texts up; :func:`skip_reason` says why ingest skipped a file
and :func:`trace_label` names what the trace panel shows.
"""

from __future__ import annotations

import functools
from typing import Any

import gradio as gr

from common.lang import DEFAULT_LANGUAGE, available, get
from ingest.reasons import REPORT_LANGUAGE


def ui_language(code: Any) -> str:
    """A supported interface language from a browser language tag (``fr-FR`` -> ``fr``), else the default."""
    base = str(code or "").strip().lower().replace("_", "-").split("-")[0]
    return base if base in available() else DEFAULT_LANGUAGE


def skip_reason(item: dict[str, Any], lang: str) -> str:
    """Why ingest skipped a file (an ``IngestReport.skipped`` entry, see :mod:`ingest.reasons`) in ``lang``: from
    its code, note and parameters (numbers with the language's thousands separator), or its English reason when
    ``lang`` is English or has no text for them."""
    reason = str(item.get("reason", ""))
    code, note = str(item.get("code") or ""), str(item.get("note") or "")
    lang = ui_language(lang)
    texts = get(lang).skip_reasons
    if lang == REPORT_LANGUAGE or code not in texts or (note and note not in texts):
        return reason
    sep = t(lang, "thousands_separator")
    values = {k: f"{v:,}".replace(",", sep) if isinstance(v, int) and not isinstance(v, bool) else v
              for k, v in (item.get("params") or {}).items()}
    try:
        return texts[code].format(**values) + (texts[note].format(**values) if note else "")
    except (KeyError, IndexError, ValueError):  # parameters that do not fit the translation: the English
        return reason


def trace_label(lang: str, key: str, default: str) -> str:
    """The trace panel's label ``key`` (``step_<name>``, ``key_<name>``, ``yes``, ``no``) in ``lang``, else in the
    default language, else ``default`` (a step or decision no language names, e.g. a reranker's)."""
    for code in (ui_language(lang), DEFAULT_LANGUAGE):
        text = get(code).trace_labels.get(key)
        if text:
            return text
    return default


def t(lang: str, key: str, **values: Any) -> str:
    """The interface text ``key`` in ``lang`` (the default language's when that language lacks it), with
    ``values`` filled in."""
    text = get(ui_language(lang)).ui.get(key)
    if text is None:
        text = get(DEFAULT_LANGUAGE).ui[key]
    return text.format(**values) if values else text


@functools.lru_cache(maxsize=1)
def gradio_i18n() -> gr.I18n:
    """Gradio's translations of the component labels, one dictionary per language."""
    return gr.I18n(**{code: dict(get(code).ui) for code in available()})


def label(key: str) -> Any:
    """A component label translated in the page."""
    return gradio_i18n()(key)


def choices() -> list[tuple[str, str]]:
    """(name in its own language, code) of each interface language, for the switch."""
    return [(get(code).ui.get("language_name", code), code) for code in available()]
