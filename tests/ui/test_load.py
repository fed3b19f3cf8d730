"""``scripts/load_test.py`` at a reduced count against a real ``uca chat`` this module starts (real corpus,
real model): concurrent sessions get 0 errors and the single-user answers; a burst beyond the queue gets a
clear "try again" refusal, never a hang, and the server recovers. The full run (50 sessions) is the script's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from testing.env import ROOT, UCA, free_port, offline_env
from testing.servers import ChatServer, ingest

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "scripts" / "load_test.py"
SESSIONS, QUESTIONS = 8, 2
QUEUE_SIZE, CONCURRENCY = 10, 2  # room for the 8 sessions; a burst of 60 overflows it
BURST = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ChatServer]:
    base = tmp_path_factory.mktemp("load")
    corpus, index = base / "corpus", base / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    ingest(corpus, index)
    # each `/ask` answer takes at least 0.3 s: answers take milliseconds, and the burst must overflow the queue
    # on any machine (the load run's latencies are then >= 0.3 s too; it checks errors and answers, not speed)
    with ChatServer(corpus, index, base / "chat.log", UCA_QUEUE_SIZE=str(QUEUE_SIZE),
                    UCA_CONCURRENCY=str(CONCURRENCY), UCA_TEST_SLOW_ANSWER="0.3") as srv:
        yield srv


def run_script(*args: str, timeout: float = 400) -> tuple[int, dict[str, Any], str]:
    """The script's exit code, JSON report and stderr."""
    proc = subprocess.run([sys.executable, str(SCRIPT), *args, "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.returncode, json.loads(lines[0]), proc.stderr


def test_concurrent_sessions_get_no_error_and_the_single_user_answers(server):
    rc, report, _ = run_script("--url", server.url, "--sessions", str(SESSIONS), "--questions", str(QUESTIONS),
                               "--timeout", "240")
    assert report["errors"] == 0, report["error_samples"]
    assert report["mismatches"] == 0 and report["drift_after_load"] == [], report["mismatch_samples"]
    assert report["answered"] == report["requests"] == SESSIONS * QUESTIONS
    assert report["distinct_questions"] == SESSIONS  # session i starts at question i: all 8 are asked
    assert report["peak_in_flight"] >= SESSIONS // 2, "the sessions did not overlap"
    lat = report["latency_seconds"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["max"] < 240
    assert report["throughput_rps"] > 0
    assert report["ok"] and rc == 0


def test_a_burst_beyond_the_queue_is_refused_quickly_and_clearly(server):
    rc, report, _ = run_script("--url", server.url, "--burst", "--burst-size", str(BURST), "--timeout", "240")
    assert report["busy"] >= 1, f"a burst of {BURST} did not overflow a queue of {QUEUE_SIZE}: {report}"
    assert report["busy_messages"] and all("try again" in m.lower() for m in report["busy_messages"]), report
    assert report["answered"] >= 1 and report["error"] == 0 and report["hung"] == 0, report
    assert report["answered"] + report["busy"] == BURST
    assert report["mismatch"] == 0 and report["recovered"], report
    assert report["ok"] and rc == 0


def test_the_script_fails_on_a_dead_url():
    rc, report, _ = run_script("--url", f"http://127.0.0.1:{free_port()}", "--sessions", "2", "--questions", "1",
                               "--timeout", "30", timeout=120)
    assert rc == 1 and not report["ok"], report


NEW_DOC = "# Zorblax Institute\n\nThe Zorblax Institute is a partner of Unicancer located in Lyon since 2019.\n"


def test_questions_during_a_cli_reingest_get_the_old_or_the_new_index(server):
    """Three users keep asking while `uca ingest` (another process) adds a document: every answer comes from the
    old index (refusal) or the new one (Lyon), never an error; once the ingest is done the new one is live."""
    from gradio_client import Client

    questions = ["Where is the Zorblax Institute?", "Where is HOPE's head office?"]
    rows: list[tuple[float, str, dict[str, Any]]] = []
    lock, stop = threading.Lock(), threading.Event()

    def user() -> None:
        client = Client(server.url, verbose=False, analytics_enabled=False, ssl_verify=False)
        try:
            for i in range(300):  # bounded; stopped a few seconds after the ingest
                if stop.is_set():
                    break
                result = client.predict(questions[i % 2], api_name="/ask")
                with lock:
                    rows.append((time.monotonic(), questions[i % 2], result))
        finally:
            client.close()

    users = [threading.Thread(target=user, daemon=True) for _ in range(3)]
    for t in users:
        t.start()
    time.sleep(2)
    (server.corpus / "zorblax.md").write_text(NEW_DOC, encoding="utf-8")
    proc = subprocess.run([str(UCA), "ingest", "--quiet"], env=offline_env(server.corpus, server.index), cwd=ROOT,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    committed = time.monotonic()
    time.sleep(4)
    stop.set()
    for t in users:
        t.join(timeout=120)
    assert rows and not any(t.is_alive() for t in users)
    errors = [(q, r) for _, q, r in rows if "error" in r]
    assert not errors, f"{len(errors)} of {len(rows)} answers were errors, e.g. {errors[0]}"
    for _, q, r in rows:
        if "HOPE" in q:
            assert "Brussels" in r["text"], r["text"]
        else:
            assert r["refused"] or "Lyon" in r["text"], r["text"]
    late = [r for t, q, r in rows if t > committed + 1 and "Zorblax" in q]
    assert late and all("Lyon" in r["text"] for r in late), "the new index is not live after the ingest"
