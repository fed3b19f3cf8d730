"""The process harness of ``uca bench``: the measured subprocesses' environment, a timed run with its peak memory
(:class:`RssSampler`), one question through the chat app's HTTP API, and the baseline's cold-start script."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from testing.env import offline_env

if TYPE_CHECKING:
    from ingest.settings import Settings

RSS_INTERVAL = 0.05  # seconds between two memory samples
COLD_RSS_INTERVAL = 0.02  # the same for the short cold runs

# The plain LangChain user script whose cold start we compare with `uca ask`: it imports and loads its
# embedding model (the same model, through sentence-transformers) and queries the baseline's Chroma store.
BASELINE_SCRIPT = '''\
import sys

from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from sentence_transformers import SentenceTransformer


class STEmbeddings(Embeddings):
    def __init__(self, path):
        self.model = SentenceTransformer(path, device="cpu")

    def embed_documents(self, texts):
        return self.model.encode(list(texts), batch_size=32, normalize_embeddings=True).tolist()

    def embed_query(self, text):
        return self.embed_documents([text])[0]


db = Chroma(collection_name="baseline", persist_directory=sys.argv[1], embedding_function=STEmbeddings(sys.argv[2]))
for doc in db.similarity_search(sys.argv[3], k=5):
    print(doc.metadata.get("source"), "|", doc.page_content[:100].replace("\\n", " "))
'''


def child_env(settings: Settings) -> dict[str, str]:
    """Environment of the measured subprocesses: offline, this size's corpus and index, embedded Chroma."""
    env = offline_env(settings.corpus_dir, settings.index_dir, inherit_uca=True)  # the UCA_* the bench read
    env.pop("UCA_CHROMA_URL", None)
    return env


def timed_process(cmd: Sequence[str], env: dict[str, str], out_file: Path, timeout: float = 600) -> dict:
    """Run ``cmd`` to completion: wall time, exit code and peak RSS (see :class:`RssSampler`)."""
    with out_file.open("wb") as out:
        t = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=str(out_file.parent))
        sampler = RssSampler(proc.pid, interval=COLD_RSS_INTERVAL)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        secs = time.perf_counter() - t
        peak = sampler.stop()
    return {"seconds": secs, "returncode": proc.returncode, "peak_rss_mb": round(peak / 2**20, 1)}


def vm_hwm(pid: int) -> int:
    """The kernel's peak RSS of a process's current address space (``VmHWM``), in bytes; 0 if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class RssSampler:
    """Peak memory of a process and its children until stopped: the larger of the sampled sum of their RSS
    (psutil) and the process's own ``VmHWM`` (exact peak since its exec; ``wait4``'s maxrss is not usable
    here because it counts the forking parent's pages)."""

    def __init__(self, pid: int, interval: float = RSS_INTERVAL) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            try:
                total = 0
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total, vm_hwm(self.pid))
            except psutil.Error:
                return
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peak


def gradio_ask(base_url: str, question: str, timeout: float = 120) -> dict:
    """One call of the app's ``/ask`` API over plain HTTP (Gradio's call / SSE protocol)."""
    import urllib.request

    req = urllib.request.Request(f"{base_url}/gradio_api/call/ask", data=json.dumps({"data": [question]}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        event = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{base_url}/gradio_api/call/ask/{event}", timeout=timeout) as r:
        body = r.read().decode("utf-8", "replace")
    datas = [ln[5:].strip() for ln in body.splitlines() if ln.startswith("data:")]
    value = json.loads(datas[-1]) if datas else None
    return value[0] if isinstance(value, list) and value else {"error": body[-300:]}
