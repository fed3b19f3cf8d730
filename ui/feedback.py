"""``feedback.jsonl``: one JSON object per line, each at most a given size, the file rotated past a given size.

Lines are written with ``ensure_ascii=False`` (French stays readable) and the three characters that JSON
leaves raw but ``str.splitlines()`` breaks on (U+0085, U+2028, U+2029) escaped, so any line reader sees one
record per line. The other line breaks are control characters, which JSON always escapes.

The rotation is done here rather than with ``logging.handlers.RotatingFileHandler``: records are data, not
log messages, and the handler keeps the file open across a move or a deletion of the log.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

LINE_BREAKS_LEFT_RAW = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}  # see the module docstring
MIN_CUT_CHARS = 40  # texts are halved until the record fits, never below this many characters
CUT_MARK = "…"


def json_line(record: dict[str, Any]) -> str:
    """``record`` as one line of JSON (no raw line break of any kind)."""
    line = json.dumps(record, ensure_ascii=False)
    for raw, escaped in LINE_BREAKS_LEFT_RAW.items():
        line = line.replace(raw, escaped)
    return line


def _halve_longest(obj: Any) -> bool:
    """Halve the longest string inside ``obj`` (nested dicts and lists); False when none is long enough."""
    best: tuple[int, Any, Any] | None = None
    stack = [obj]
    while stack:
        cur = stack.pop()
        for key, value in cur.items() if isinstance(cur, dict) else enumerate(cur):
            if isinstance(value, str):
                if best is None or len(value) > best[0]:
                    best = (len(value), cur, key)
            elif isinstance(value, dict | list):
                stack.append(value)
    if best is None or best[0] <= MIN_CUT_CHARS:
        return False
    size, container, key = best
    container[key] = container[key][: size // 2] + CUT_MARK
    return True


def bounded_line(record: dict[str, Any], max_bytes: int) -> str:
    """The JSON line of ``record`` in at most ``max_bytes`` UTF-8 bytes: its longest texts are cut first
    (``"cut": true`` is added), then its citations are dropped (their count is kept)."""
    line = json_line(record)
    if len(line.encode("utf-8")) <= max_bytes:
        return line
    rec = json.loads(line)  # a deep copy
    rec["cut"] = True
    while len((line := json_line(rec)).encode("utf-8")) > max_bytes:
        if _halve_longest(rec):
            continue
        if rec.get("citations"):
            rec["citations_dropped"] = len(rec.pop("citations"))
            continue
        keep = {k: rec[k] for k in ("time", "vote", "cut") if k in rec}
        return json_line(keep)
    return line


def append(path: Path, line: str, max_file_bytes: int) -> None:
    """Append ``line`` to ``path``; when the file would pass ``max_file_bytes`` it first becomes ``path.1``
    (replacing an older one), so the log takes at most about twice that size on disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (line + "\n").encode("utf-8")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = 0
    if size and size + len(data) > max_file_bytes:
        os.replace(path, path.with_name(path.name + ".1"))
    with path.open("ab") as fh:
        fh.write(data)
