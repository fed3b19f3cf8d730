"""Answerers: turn the retrieved passages into an answer text with [n] markers, behind one interface.

``extractive`` (offline, deterministic: quotes the passages' sentences) and ``llm`` (any LangChain chat model,
from the backend registry in ``assistant.answerers.llm``). A new answerer is one module that subclasses
:class:`Answerer` and registers itself with :func:`register_answerer`; the answer mode names it.
"""

from __future__ import annotations

from assistant.answerers.base import Answerer, answerer_class, answerer_names, register_answerer

__all__ = ["Answerer", "answerer_class", "answerer_names", "register_answerer"]
