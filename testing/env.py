"""The environment of the project's subprocesses (offline, no stray ``UCA_*`` settings) and free loopback ports."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UCA = Path(sys.executable).parent / "uca"  # the console script of the venv running this code
LOOPBACK = "127.0.0.1"
# no model hub, no telemetry: the only traffic of a test, script or benchmark is on loopback
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "TOKENIZERS_PARALLELISM": "false", "GRADIO_ANALYTICS_ENABLED": "False"}


def free_port() -> int:
    """A TCP port of 127.0.0.1 free right now."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def uca_command() -> list[str]:
    """The ``uca`` console script of this environment (``python -m uca`` when it has none)."""
    return [str(UCA)] if UCA.exists() else [sys.executable, "-m", "uca"]


def offline_env(corpus: Path | None = None, index: Path | None = None, *, inherit_uca: bool = False,
                **extra: str) -> dict[str, str]:
    """The environment of a ``uca`` subprocess on ``corpus``/``index``: offline, ``GRADIO_*`` removed, and
    ``UCA_*`` removed too unless ``inherit_uca`` (the benchmark's children must see the settings it read);
    ``extra`` last."""
    drop = ("GRADIO_",) if inherit_uca else ("UCA_", "GRADIO_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(OFFLINE)
    # this checkout's packages first: a worktree's subprocesses must not run the editable install's copy
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    if corpus is not None:
        env["UCA_CORPUS_DIR"] = str(corpus)
    if index is not None:
        env["UCA_INDEX_DIR"] = str(index)
    env.update(extra)
    return env
