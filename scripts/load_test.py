#!/usr/bin/env python
"""Concurrent chat sessions against a running ``uca chat`` (issue 7, part 2).

Load mode (default): a single-user run first asks each question once (the reference answers), then
``--sessions`` threads, each with its own ``gradio_client.Client``, start together and each ask
``--questions`` questions of a fixed list through ``/ask``. Reported: errors, throughput, p50/p95 latency and
answers that differ from the single-user run (text, refusal, cited chunk ids and sentences); then a second
single-user pass checks the server still answers the same. Exit 1 on any error, mismatch or timeout.

Burst mode (``--burst``): ``--burst-size`` requests are sent at once to an app with a small queue
(``--start`` uses ``UCA_QUEUE_SIZE=4``, ``UCA_CONCURRENCY=1``); every request must be answered or refused
quickly with a clear "queue is full / try again" message, none may hang, and the server must answer again
afterwards. Exit 1 otherwise.

Everything is bounded: request count, ``--timeout`` for the whole run (after startup), ``--start-timeout``
for ingest plus startup. Traffic goes only to the given URL (``--start``: 127.0.0.1 on a free port).

    .venv/bin/python scripts/load_test.py --start --sessions 50 --questions 4 --queue-size 256
    .venv/bin/python scripts/load_test.py --url http://127.0.0.1:7860 --json
    .venv/bin/python scripts/load_test.py --start --burst
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testing.env import OFFLINE  # noqa: E402 - after the path set-up above
from testing.servers import ChatServer, ingest  # noqa: E402

# no telemetry, no hub: the only traffic is to the app under test
os.environ.update(OFFLINE, HF_HUB_DISABLE_TELEMETRY="1")

QUESTIONS = [
    "Where is HOPE's head office?",
    "What is JANE?",
    "Since when is Unicancer a member of UICC?",
    "What are the objectives of CraNE?",
    "Which international partnerships does Unicancer lead?",
    "What is the capital of Australia?",  # refused: not in the documents
    "Hello!",  # small talk
    "Où se trouve le siège de HOPE ?",  # French
]
BUSY_WORDS = ("queue is full", "try again", "busy")


# -- the app under test

@contextmanager
def started_app(corpus: Path, index: Path | None, queue_size: int, concurrency: int | None,
                timeout: float, log=sys.stderr) -> Iterator[tuple[str, dict[str, Any]]]:
    """``uca chat`` on a free port of 127.0.0.1 over a temporary copy of ``corpus`` (indexed here unless
    ``index`` is given); yields (url, server facts) and stops the process group it started."""
    deadline = time.monotonic() + timeout
    tmp = Path(tempfile.mkdtemp(prefix="uca-load-"))
    try:
        work_corpus = tmp / "corpus"
        shutil.copytree(corpus, work_corpus)
        extra = {"UCA_QUEUE_SIZE": str(queue_size)}
        if concurrency:
            extra["UCA_CONCURRENCY"] = str(concurrency)
        if index is None:
            index = tmp / "index"
            print("ingesting a temporary copy of the corpus...", file=log)
            ingest(work_corpus, index, timeout=max(1.0, deadline - time.monotonic()))
        server = ChatServer(work_corpus, index, tmp / "chat.log", **extra).start()
        print(f"starting uca chat on {server.url} (queue {queue_size}, concurrency {concurrency or 'default'})...",
              file=log)
        t0 = time.monotonic()
        try:
            server.wait(timeout=max(1.0, deadline - time.monotonic()))
            yield server.url, {"queue_size": queue_size, "concurrency": concurrency, "startup_seconds":
                               round(time.monotonic() - t0, 1), "log": str(server.log)}
        finally:
            server.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- requests

def make_client(url: str):
    """A ``gradio_client.Client``. ``ssl_verify=False``: the app is plain HTTP on loopback, and otherwise every
    request of the client builds a CA-loaded SSL context (~80 ms of CPU under the GIL), which spreads a burst
    over seconds and adds client time to the measured latency."""
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, ssl_verify=False)


def signature(result: dict[str, Any]) -> dict[str, Any]:
    """What must not change between a single-user and a concurrent run of the same question."""
    return {
        "text": result.get("text"),
        "refused": result.get("refused"),
        "citations": [[c.get("n"), c.get("chunk_id"), c.get("sentence")] for c in result.get("citations", [])],
    }


@dataclass
class Outcome:
    session: int
    question: str
    seconds: float
    result: dict[str, Any] | None = None
    error: str | None = None


def ask(client, question: str, deadline: float) -> tuple[dict[str, Any] | None, str | None]:
    """One ``/ask`` call bounded by ``deadline``: (result, None) or (None, error message)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None, "not sent: the run's time limit was reached"
    job = client.submit(question, api_name="/ask")
    try:
        result = job.result(timeout=remaining)
    except TimeoutError:
        job.cancel()
        return None, f"no answer within the time limit ({remaining:.0f} s left)"
    except Exception as exc:  # noqa: BLE001 - every failure is a reported error, not a crash of the script
        return None, f"{type(exc).__name__}: {exc}"
    if not isinstance(result, dict):
        return None, f"not a JSON object: {result!r:.200}"
    if "error" in result:
        return result, f"error answer: {result['error']}"
    if not isinstance(result.get("text"), str):
        return result, f"no text in the answer: {str(result)[:200]}"
    return result, None


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 3)


def single_user(url: str, questions: list[str], deadline: float) -> tuple[dict[str, dict], list[str], list[float]]:
    """Each question once, one at a time, one client: ({question: signature}, errors, latencies)."""
    client = make_client(url)
    sigs, errors, lat = {}, [], []
    try:
        for q in questions:
            t0 = time.monotonic()
            result, err = ask(client, q, deadline)
            lat.append(time.monotonic() - t0)
            if err:
                errors.append(f"{q!r}: {err}")
            else:
                sigs[q] = signature(result)
    finally:
        client.close()
    return sigs, errors, lat


@dataclass
class Tracker:
    """Requests in flight across threads (the peak is reported)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    now: int = 0
    peak: int = 0

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


def run_load(url: str, sessions: int, per_session: int, timeout: float) -> dict[str, Any]:
    """The load mode's report (``ok`` says whether it passed)."""
    t_start = time.monotonic()
    deadline = t_start + timeout
    plans = [[QUESTIONS[(i + j) % len(QUESTIONS)] for j in range(per_session)] for i in range(sessions)]
    asked = list(dict.fromkeys(q for plan in plans for q in plan))
    reference, ref_errors, ref_lat = single_user(url, asked, deadline)

    outcomes: list[Outcome] = []
    out_lock = threading.Lock()
    barrier = threading.Barrier(sessions + 1)
    tracker = Tracker()
    connect_errors: list[str] = []

    def session(i: int) -> None:
        try:
            client = make_client(url)
        except Exception as exc:  # noqa: BLE001
            connect_errors.append(f"session {i}: cannot connect: {type(exc).__name__}: {exc}")
            client = None
        try:
            barrier.wait(timeout=max(1.0, deadline - time.monotonic()))
        except threading.BrokenBarrierError:
            pass
        if client is None:
            return
        try:
            for q in plans[i]:
                t0 = time.monotonic()
                with tracker:
                    result, err = ask(client, q, deadline)
                with out_lock:
                    outcomes.append(Outcome(i, q, time.monotonic() - t0, result, err))
        finally:
            client.close()

    threads = [threading.Thread(target=session, args=(i,), daemon=True, name=f"session-{i}") for i in range(sessions)]
    for t in threads:
        t.start()
    try:
        barrier.wait(timeout=max(1.0, deadline - time.monotonic()))
    except threading.BrokenBarrierError:
        pass
    t_load = time.monotonic()
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic() + 5))
    wall = time.monotonic() - t_load
    after, after_errors, _ = single_user(url, asked, deadline + 60)  # the server still answers the same

    errors = [f"session {o.session}, {o.question!r}: {o.error}" for o in outcomes if o.error] + connect_errors
    missing = sessions * per_session - len(outcomes) - len(connect_errors) * per_session
    if missing > 0:
        errors.append(f"{missing} requests never completed (threads still running at the time limit)")
    mismatches = []
    for o in outcomes:
        if o.error is None and o.question in reference and signature(o.result) != reference[o.question]:
            mismatches.append({"session": o.session, "question": o.question, "single_user": reference[o.question],
                               "concurrent": signature(o.result)})
    drift = [q for q in reference if q in after and after[q] != reference[q]]
    lat = [o.seconds for o in outcomes if o.error is None]
    ok = not (errors or ref_errors or after_errors or mismatches or drift or missing > 0)
    return {
        "mode": "load", "ok": ok, "url": url, "sessions": sessions, "questions_per_session": per_session,
        "distinct_questions": len(asked), "requests": sessions * per_session,
        "answered": len(lat), "errors": len(errors) + len(ref_errors) + len(after_errors),
        "error_samples": (ref_errors + errors + after_errors)[:10], "mismatches": len(mismatches),
        "mismatch_samples": mismatches[:3], "drift_after_load": drift, "peak_in_flight": tracker.peak,
        "wall_seconds": round(wall, 2), "throughput_rps": round(len(lat) / wall, 2) if wall > 0 else None,
        "latency_seconds": {"p50": percentile(lat, 50), "p95": percentile(lat, 95), "max": percentile(lat, 100),
                            "mean": round(sum(lat) / len(lat), 3) if lat else None},
        "single_user_latency_seconds": {"p50": percentile(ref_lat, 50), "max": percentile(ref_lat, 100)},
        "total_seconds": round(time.monotonic() - t_start, 2),
    }


def run_burst(url: str, size: int, timeout: float, busy_max: float) -> dict[str, Any]:
    """The burst mode's report: ``size`` users (one client each) ask at the same instant; each request must be
    answered or refused as busy, none may hang, and the server must answer normally afterwards."""
    from gradio_client.utils import QueueError

    t_start = time.monotonic()
    deadline = t_start + timeout
    question = QUESTIONS[0]
    reference, ref_errors, _ = single_user(url, [question], deadline)
    with ThreadPoolExecutor(max_workers=8) as pool:  # connected before the burst, so the requests arrive together
        clients = list(pool.map(lambda _: make_client(url), range(size)))
    barrier = threading.Barrier(size)
    rows: list[dict[str, Any]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        try:
            barrier.wait(timeout=max(1.0, deadline - time.monotonic()))
        except threading.BrokenBarrierError:
            pass
        t0 = time.monotonic()
        row: dict[str, Any] = {"i": i, "sent": t0 - t_start}
        job = clients[i].submit(question, api_name="/ask")
        try:
            result = job.result(timeout=max(0.1, deadline - time.monotonic()))
        except QueueError as exc:
            row.update(kind="busy", message=str(exc))
        except TimeoutError:
            job.cancel()
            row.update(kind="hung", message="no answer and no busy message within the time limit")
        except Exception as exc:  # noqa: BLE001
            msg = f"{type(exc).__name__}: {exc}"
            row.update(kind="busy" if any(w in msg.lower() for w in BUSY_WORDS) else "error", message=msg)
        else:
            if isinstance(result, dict) and "text" in result:
                row.update(kind="answered" if reference.get(question) == signature(result) else "mismatch")
            else:
                row.update(kind="error", message=str(result)[:200])
        row["seconds"] = round(time.monotonic() - t0, 3)
        with lock:
            rows.append(row)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic() + 5))
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:  # close() may wait ~1 s for a heartbeat thread
        list(pool.map(lambda c: c.close(), clients))
    recovered, rec_errors, _ = single_user(url, [question], deadline + 60)

    kinds = {k: sum(1 for r in rows if r["kind"] == k) for k in ("answered", "busy", "mismatch", "error", "hung")}
    kinds["hung"] += size - len(rows)
    busy = [r for r in rows if r["kind"] == "busy"]
    busy_messages = sorted({r["message"] for r in busy})
    clear = all(any(w in m.lower() for w in BUSY_WORDS) for m in busy_messages)
    busy_slowest = max((r["seconds"] for r in busy), default=None)
    recovery_ok = not rec_errors and recovered.get(question) == reference.get(question)
    ok = bool(busy) and clear and kinds["error"] == 0 and kinds["hung"] == 0 and kinds["mismatch"] == 0 \
        and kinds["answered"] >= 1 and not ref_errors and recovery_ok and busy_slowest is not None \
        and busy_slowest <= busy_max
    sent = [r["sent"] for r in rows]
    return {
        "mode": "burst", "ok": ok, "url": url, "burst_size": size, **kinds,
        "busy_messages": busy_messages, "busy_seconds_max": busy_slowest, "busy_seconds_limit": busy_max,
        "answered_seconds_max": max((r["seconds"] for r in rows if r["kind"] == "answered"), default=None),
        "send_spread_seconds": round(max(sent) - min(sent), 3) if sent else None,
        "error_samples": (ref_errors + rec_errors + [r.get("message", "") for r in rows
                                                      if r["kind"] in ("error", "hung")])[:10],
        "recovered": recovery_ok, "total_seconds": round(time.monotonic() - t_start, 2),
    }


# -- command line

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    target = p.add_mutually_exclusive_group()
    target.add_argument("--url", default="http://127.0.0.1:7860", help="a running uca chat (default %(default)s)")
    target.add_argument("--start", action="store_true", help="start uca chat on a free port over a temp index")
    p.add_argument("--sessions", type=int, default=50, help="concurrent sessions (default %(default)s)")
    p.add_argument("--questions", type=int, default=4, help="questions per session (default %(default)s)")
    p.add_argument("--timeout", type=float, default=300, help="seconds for the whole run after startup")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--burst", action="store_true", help="overflow a small queue instead of the load run")
    p.add_argument("--burst-size", type=int, default=40, help="requests sent at once in --burst (default 40)")
    p.add_argument("--busy-max", type=float, default=30.0,
                   help="--burst: a busy refusal must arrive within this many seconds (default 30)")
    p.add_argument("--queue-size", type=int, help="--start: UCA_QUEUE_SIZE (default 256, 4 with --burst)")
    p.add_argument("--concurrency", type=int, help="--start: UCA_CONCURRENCY (default the app's, 1 with --burst)")
    p.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="--start: corpus to copy and index")
    p.add_argument("--index", type=Path, help="--start: use this existing index instead of ingesting")
    p.add_argument("--start-timeout", type=float, default=420, help="--start: seconds for ingest + startup")
    args = p.parse_args(argv)
    if not 1 <= args.sessions <= 500 or not 1 <= args.questions <= 100 or not 1 <= args.burst_size <= 500:
        p.error("bounds: 1 <= --sessions <= 500, 1 <= --questions <= 100, 1 <= --burst-size <= 500")
    if args.timeout <= 0:
        p.error("--timeout must be positive")
    if not args.start and not args.url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        p.error("--url must be on 127.0.0.1 (this script only loads a local app)")
    return args


def print_human(report: dict[str, Any]) -> None:
    verdict = "PASS" if report["ok"] else "FAIL"
    if report["mode"] == "load":
        lat = report["latency_seconds"]
        print(f"{verdict}: {report['sessions']} sessions x {report['questions_per_session']} questions = "
              f"{report['requests']} requests ({report['distinct_questions']} distinct), peak "
              f"{report['peak_in_flight']} in flight")
        print(f"  answered {report['answered']}, errors {report['errors']}, mismatches with the single-user run "
              f"{report['mismatches']}, drift after the load {len(report['drift_after_load'])}")
        print(f"  wall {report['wall_seconds']} s, throughput {report['throughput_rps']} answers/s, latency p50 "
              f"{lat['p50']} s, p95 {lat['p95']} s, max {lat['max']} s (single user p50 "
              f"{report['single_user_latency_seconds']['p50']} s)")
    else:
        print(f"{verdict}: burst of {report['burst_size']}: answered {report['answered']}, busy {report['busy']}, "
              f"errors {report['error']}, hung {report['hung']}, mismatches {report['mismatch']}; slowest busy "
              f"refusal {report['busy_seconds_max']} s; recovered {report['recovered']}")
        for m in report["busy_messages"]:
            print(f"  busy message: {m}")
    if report.get("server"):
        print(f"  server: {report['server']}")
    for e in report.get("error_samples", []):
        print(f"  error: {e}")
    for m in report.get("mismatch_samples", []):
        print(f"  mismatch: session {m['session']}, {m['question']!r}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    queue = args.queue_size or (4 if args.burst else 256)
    concurrency = args.concurrency or (1 if args.burst else None)
    if args.start and concurrency is None:  # report the value the started app will use
        from ingest.settings import Settings

        concurrency = int(Settings.model_fields["concurrency"].default)

    def run(url: str) -> dict[str, Any]:
        if args.burst:
            return run_burst(url, args.burst_size, args.timeout, args.busy_max)
        return run_load(url, args.sessions, args.questions, args.timeout)

    try:
        if args.start:
            with started_app(args.corpus, args.index, queue, concurrency, args.start_timeout) as (url, facts):
                report = run(url)
                report["server"] = {k: v for k, v in facts.items() if k != "log"}
        else:
            report = run(args.url)
    except Exception as exc:  # noqa: BLE001 - one line for the user, exit 1
        report = {"mode": "burst" if args.burst else "load", "ok": False, "fatal": f"{type(exc).__name__}: {exc}"}
        if args.json:
            print(json.dumps(report, ensure_ascii=False))
        else:
            print(f"FAIL: {report['fatal']}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print_human(report)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # gradio_client runs each job in a non-daemon executor thread; a job whose event stream was lost never
    # returns, and the interpreter would wait for it at exit. The report is out: leave now, bounded.
    os._exit(code)
