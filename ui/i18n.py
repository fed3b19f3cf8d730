"""Interface languages (issue 13, item 5): every label and message of the chat comes from the ``ui`` texts of the
language modules (``common/lang/en.py``, ``fr.py``; a new language module adds a language here too).

Component labels go through Gradio's I18n (:func:`gradio_i18n`, translated in the page from the browser's
language or the switch); HTML and Markdown written by the server (answers, sources, panels, notices) take the
page's language as an argument, :func:`t` looks its texts up.
"""

from __future__ import annotations

import functools
from typing import Any

import gradio as gr

from common.lang import DEFAULT_LANGUAGE, available, get


def ui_language(code: Any) -> str:
    """A supported interface language from a browser language tag (``fr-FR`` -> ``fr``), else the default."""
    base = str(code or "").strip().lower().replace("_", "-").split("-")[0]
    return base if base in available() else DEFAULT_LANGUAGE


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
