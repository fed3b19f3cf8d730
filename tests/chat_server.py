"""A real ``uca chat`` subprocess on a free port of 127.0.0.1, for the fuzz and load tests.

``ChatServer.start()`` returns at once (the app loads its model in the background); ``wait()`` blocks until
the page answers, ``stop()`` ends the process group it started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UCA = Path(sys.executable).parent / "uca"


def free_port() -> int:
    """A TCP port of 127.0.0.1 free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def offline_env(corpus: Path, index: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``uca`` subprocess on ``corpus``/``index``: offline, no stray ``UCA_*``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UCA_", "GRADIO_"))}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               TOKENIZERS_PARALLELISM="false", GRADIO_ANALYTICS_ENABLED="False",
               UCA_CORPUS_DIR=str(corpus), UCA_INDEX_DIR=str(index))
    env.update(extra)
    return env


class ChatServer:
    """One ``uca chat`` process; its output goes to ``log``."""

    def __init__(self, corpus: Path, index: Path, log: Path, **env: str) -> None:
        self.corpus, self.index, self.log = corpus, index, log
        self.env = offline_env(corpus, index, **env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> ChatServer:
        with self.log.open("wb") as fh:
            self.proc = subprocess.Popen(
                [str(UCA), "chat", "--port", str(self.port), "--index", str(self.index), "--corpus",
                 str(self.corpus)], env=self.env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def log_tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    def wait(self, timeout: float = 300) -> str:
        """Block until ``GET /`` answers 200 (the app warms its model up before serving); the URL."""
        assert self.proc is not None, "start() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uca chat exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as resp:
                    if resp.status == 200:
                        return self.url
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"uca chat did not answer on {self.url} within {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM to the process group started here, SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def ingest(corpus: Path, index: Path, timeout: float = 600) -> None:
    """``uca ingest --quiet`` of ``corpus`` into ``index`` (asserts success)."""
    proc = subprocess.run([str(UCA), "ingest", "--quiet"], env=offline_env(corpus, index), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"uca ingest failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
