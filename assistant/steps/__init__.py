"""The built-in steps of the answer path, one module each, and their default order.

``DEFAULT_STEPS`` is the order :class:`assistant.core.Assistant` runs; rerank steps named in
``UCA_RERANKERS`` run right after retrieval. A new step is one module that registers itself with
:func:`assistant.pipeline.register_step`, imported here (or by the code that uses it), plus its name.
"""

from __future__ import annotations

from assistant.steps import answer, follow_up, gate, guard, language, retrieve, small_talk, verify  # noqa: F401

DEFAULT_STEPS = ["guard", "small_talk", "follow_up", "language", "retrieve", "gate", "answer", "verify"]
RERANK_AFTER = "retrieve"  # rerankers run after this step


def step_names(rerankers: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The step order with the given rerankers inserted after retrieval."""
    names = list(DEFAULT_STEPS)
    at = names.index(RERANK_AFTER) + 1
    names[at:at] = list(rerankers)
    return names
