"""Why ingest skips a file: every reason has a stable code and parameters beside its English text.

An entry of ``IngestReport.skipped`` is ``{"source", "reason", "code", "params"}``, plus ``"note"`` when a note
follows the reason (what became of the file's indexed version: ``note_kept``...). ``reason`` is the English text
that ``uca ingest`` prints; the chat shows the entry in its own language from ``code``, ``note`` and ``params``
(the ``skip_reasons`` of ``common.lang``, where the English texts are too). An entry with an empty code (a
message without one) is shown as its English ``reason`` in every language.
"""

from __future__ import annotations

from typing import Any

from common.lang import get

REPORT_LANGUAGE = "en"  # the language of the report's reasons


def text(code: str, **params: Any) -> str:
    """The English text of reason (or note) ``code`` with ``params`` filled in."""
    return get(REPORT_LANGUAGE).skip_reasons[code].format(**params)


def entry(source: str, code: str, note: str | None = None, **params: Any) -> dict[str, Any]:
    """A ``skipped`` entry for ``source``: reason ``code`` (then ``note``) with ``params``."""
    out = {"source": source, "reason": text(code, **params), "code": code, "params": params}
    return with_note(out, note) if note else out


def from_error(source: str, exc: BaseException, note: str | None = None) -> dict[str, Any]:
    """A ``skipped`` entry for what a load raised: its code and parameters when it has them (a
    :class:`ingest.files.LoadError` built with :meth:`~ingest.files.LoadError.of`), else its message."""
    code = getattr(exc, "code", "")
    if code:
        return entry(source, code, note, **getattr(exc, "params", {}))
    out = {"source": source, "reason": str(exc), "code": "", "params": {}}
    return with_note(out, note) if note else out


def with_note(item: dict[str, Any], note: str, **params: Any) -> dict[str, Any]:
    """``item`` (a ``skipped`` entry) with ``note`` said after its reason (the note's ``params`` added)."""
    item["params"] = {**item.get("params", {}), **params}
    item["reason"] += text(note, **item["params"])
    item["note"] = note
    return item
