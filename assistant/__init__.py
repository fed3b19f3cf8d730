"""Question answering with verified citations. ``from assistant import Assistant`` stays cheap: the
implementation (and its heavy dependencies) is imported on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.core import Assistant
    from assistant.guard import QuestionError
    from assistant.results import Answer, Citation, Passage

__all__ = ["Assistant", "Answer", "Citation", "Passage", "QuestionError"]


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from assistant.core import Assistant

        return Assistant
    if name == "QuestionError":
        from assistant.guard import QuestionError

        return QuestionError
    if name in ("Answer", "Citation", "Passage"):
        from assistant import results

        return getattr(results, name)
    raise AttributeError(name)
