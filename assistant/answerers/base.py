"""The answerer interface (``answer``, ``answer_stream``) and the registry of answer modes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.core import Assistant
    from assistant.pipeline import Context


class Answerer:
    """Writes the raw answer for a context whose passages were retrieved and judged answerable.

    ``answer_stream`` yields growing partial texts, the last one complete; ``answer`` returns the complete
    text. Markers [n] refer to ``ctx.passages`` (1-based); the verify step checks them afterwards."""

    name = "answerer"
    needs_llm = False  # True when the mode needs a configured chat model

    def __init__(self, bot: Assistant) -> None:
        self.bot = bot

    def answer_stream(self, ctx: Context) -> Iterator[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def answer(self, ctx: Context) -> str:
        parts = list(self.answer_stream(ctx))
        return parts[-1] if parts else ""


_ANSWERERS: dict[str, type[Answerer]] = {}


def register_answerer(name: str) -> Callable[[type[Answerer]], type[Answerer]]:
    """Class decorator: make an answerer available as answer mode ``name``."""
    from assistant.pipeline import named_registry

    return named_registry(_ANSWERERS, "an answerer")(name)


def _builtins() -> None:
    import assistant.answerers.extractive  # noqa: F401
    import assistant.answerers.llm  # noqa: F401


def answerer_class(name: str) -> type[Answerer]:
    """The answerer registered as ``name``; a clear error for an unknown mode."""
    _builtins()
    if name not in _ANSWERERS:
        raise ValueError(f"unknown answer mode {name!r} ({' or '.join(sorted(_ANSWERERS))})")
    return _ANSWERERS[name]


def answerer_names() -> list[str]:
    _builtins()
    return sorted(_ANSWERERS)
