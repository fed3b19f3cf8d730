"""Hostile questions (issue 7, part 3) through the Python API, the ``uca ask`` CLI and the HTTP ``/ask``
endpoint of a real ``uca chat``, over the real corpus and embedding model.

The fixed cases live in ``tests/data/nasty_questions.json`` (regression cases); hypothesis adds random text
of every Unicode category and hostile fragments glued around real questions (derandomized, no database, so
CI is deterministic). Whatever the input: a :class:`QuestionError` with a short human message or an
:class:`Answer` whose citations point into its passages; never another exception, traceback or HTTP 500.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import Assistant, QuestionError
from assistant.results import Answer
from ingest.embeddings import Embedder
from ingest.pipeline import run_ingest
from ingest.settings import Settings
from testing.env import ROOT, UCA, offline_env
from testing.servers import ChatServer

pytestmark = pytest.mark.slow

DATA = Path(__file__).parents[1] / "data" / "nasty_questions.json"
MAX_CHARS = Settings().max_question_chars
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])
HTTP_FUZZ = settings(FUZZ, max_examples=20)
# characters the cleaned question must not keep: controls, surrogates, private use, tags, bidi controls
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\U000e0000-\U000e007f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Case:
    """One regression case of ``nasty_questions.json`` (see its ``about``)."""

    id: str
    question: str
    expect: str  # "error", "answer" or "any"
    error_contains: str = ""
    answer_contains: str = ""
    cli: bool = False
    stdin: bool = False


def load_cases() -> list[Case]:
    """The JSON cases, expanded (prefix + question * repeat + suffix) and checked against ``length``."""
    cases = []
    for raw in json.loads(DATA.read_text(encoding="utf-8"))["cases"]:
        text = raw.get("prefix", "") + raw["question"] * raw.get("repeat", 1) + raw.get("suffix", "")
        if "length" in raw:
            assert len(text) == raw["length"], f"{raw['id']}: {len(text)} chars, not {raw['length']}"
        assert raw["expect"] in ("error", "answer", "any"), raw["id"]
        cases.append(Case(raw["id"], text, raw["expect"], raw.get("error_contains", ""),
                          raw.get("answer_contains", ""), raw.get("cli", False), raw.get("stdin", False)))
    assert len({c.id for c in cases}) == len(cases), "duplicate case ids"
    return cases


CASES = load_cases()
# lone surrogates cannot be written in JSON, so they are Python literals here (API and CLI only: an HTTP client
# cannot encode them as UTF-8; the raw-HTTP test sends them as JSON escapes)
SURROGATE_CASES = [
    Case("lone_surrogate", "\udcff", "error", "empty", cli=True),
    Case("surrogates_around_question", "What is \ud800 JANE?\udfff", "answer", answer_contains="JANE"),
]
CLI_CASES = [c for c in CASES + SURROGATE_CASES if c.cli]
FRAGMENTS = sorted({c.question for c in CASES if len(c.question) <= 200}) + ["\udcff", "\ud83d"]
REAL_QUESTIONS = ["Where is HOPE's head office?", "What is JANE?", "When did it start?"]
ANY_CHAR = st.characters(exclude_categories=())  # every category, surrogates included
GLUED = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(REAL_QUESTIONS),
                           st.text(ANY_CHAR, max_size=40)), max_size=8).map("".join)


# -- checks shared by the three surfaces

def assert_human_message(message: object) -> None:
    """A short, printable, one-line sentence for a person: no traceback, no echo of a huge input."""
    assert isinstance(message, str), repr(message)
    assert 10 <= len(message) <= 200, message
    assert message.isprintable(), repr(message)
    assert message[0].isupper() and message[-1] in ".!)", message
    assert "Traceback" not in message and "the assistant failed" not in message.lower(), message


def assert_answer_dict(d: dict[str, Any]) -> None:
    """The JSON of an answer: text, citations pointing to passages, nothing executable from the question."""
    assert isinstance(d.get("text"), str) and d["text"].strip(), d
    assert "<script" not in d["text"].lower(), d["text"]
    assert not _UNSAFE.search(d["question"]), repr(d["question"])
    assert len(d["question"]) <= MAX_CHARS
    passages = {p["id"]: p for p in d["passages"]}
    if d["refused"]:
        assert d["citations"] == [], d
    for c in d["citations"]:
        assert c["chunk_id"] in passages, f"citation [{c['n']}] points to no passage"
        assert c["text"] == passages[c["chunk_id"]]["text"]
        assert c["text"][c["sentence_start"]:c["sentence_end"]] == c["sentence"]
        assert f"[{c['n']}]" in d["text"], (c["n"], d["text"])


def check_case_result(case: Case, result: dict[str, Any]) -> None:
    """``result`` is ``{"error": message}`` or an answer dict, as ``case`` expects."""
    assert isinstance(result, dict), repr(result)[:300]
    if "error" in result:
        assert set(result) == {"error"}, result
        assert case.expect in ("error", "any"), f"{case.id}: unexpected error {result['error']!r}"
        assert_human_message(result["error"])
        assert case.error_contains.lower() in result["error"].lower(), result["error"]
    else:
        assert case.expect in ("answer", "any"), f"{case.id}: answered instead of refusing the input"
        assert_answer_dict(result)
        assert case.answer_contains.lower() in result["text"].lower(), (case.id, result["text"])


def ask_api(bot: Assistant, question: str, history: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """``bot.ask`` as the ``/ask`` endpoint returns it; any exception other than QuestionError propagates."""
    try:
        answer = bot.ask(question, history=history)
    except QuestionError as exc:
        return {"error": str(exc)}
    assert isinstance(answer, Answer)
    d = answer.to_dict()
    json.dumps(d, ensure_ascii=False).encode("utf-8")  # serialisable, no lone surrogate left
    return d


# -- fixtures: one index (real model), one `uca chat` started early so it loads while the API cases run

@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[tuple[Settings, Embedder, ChatServer]]:
    base = tmp_path_factory.mktemp("fuzz")
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    assert "<script" not in "".join(p.read_text(encoding="utf-8").lower() for p in corpus.iterdir())
    s = Settings(corpus_dir=corpus, index_dir=base / "index")
    embedder = Embedder(s)
    run_ingest(s, embedder=embedder)
    server = ChatServer(corpus, s.index_dir, base / "chat.log").start()
    try:
        yield s, embedder, server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def bot(stack) -> Assistant:
    s, embedder, _ = stack
    return Assistant(s, embedder=embedder)


@pytest.fixture(scope="module")
def server(stack) -> ChatServer:
    srv = stack[2]
    srv.wait()
    return srv


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    c = Client(server.url, verbose=False)
    yield c
    c.close()


# -- Python API

@pytest.mark.parametrize("case", CASES + SURROGATE_CASES, ids=lambda c: c.id)
def test_api_nasty_question(bot, case):
    check_case_result(case, ask_api(bot, case.question))


@FUZZ
@given(question=st.text(ANY_CHAR, max_size=3000))
def test_api_random_text_of_every_category(bot, question):
    result = ask_api(bot, question)
    if "error" in result:
        assert_human_message(result["error"])
    else:
        assert_answer_dict(result)


@FUZZ
@given(question=GLUED, history=st.lists(st.tuples(GLUED, GLUED), max_size=2))
def test_api_hostile_fragments_around_real_questions_and_in_history(bot, question, history):
    result = ask_api(bot, question, history=history)
    if "error" in result:
        assert_human_message(result["error"])
    else:
        assert_answer_dict(result)


# -- CLI: one process per case (each loads the model), several at a time

@pytest.fixture(scope="module")
def cli_runs(stack) -> dict[str, subprocess.CompletedProcess]:
    s = stack[0]
    env = offline_env(s.corpus_dir, s.index_dir)

    def run(case: Case) -> subprocess.CompletedProcess:
        if case.stdin:  # NUL cannot be passed in argv; '-' reads the question from stdin
            args, data = ["-"], case.question.encode("utf-8")
        else:  # a lone surrogate reaches argv as the undecodable byte it escapes
            args, data = ["--", case.question], b""
        proc = subprocess.run([str(UCA), "ask", "--json", *args], env=env, cwd=ROOT, input=data,
                              capture_output=True, timeout=240)
        return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode("utf-8"),
                                           proc.stderr.decode("utf-8", errors="replace"))

    # a question refused by the input guard exits before the model loads (~1 s); the few answered ones start
    # first, in parallel, and the quick ones share the remaining worker
    ordered = sorted(CLI_CASES, key=lambda c: c.expect == "error")
    with ThreadPoolExecutor(max_workers=1 + sum(c.expect != "error" for c in CLI_CASES)) as pool:
        return dict(zip([c.id for c in ordered], pool.map(run, ordered), strict=True))


@pytest.mark.parametrize("case", CLI_CASES, ids=lambda c: c.id)
def test_cli_nasty_question(cli_runs, case):
    proc = cli_runs[case.id]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode in (0, 2), (proc.returncode, proc.stderr[-3000:])
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stdout[:1000]
    result = json.loads(lines[0])
    assert proc.returncode == (2 if "error" in result else 0), (proc.returncode, result)
    check_case_result(case, result)
    if "error" in result:
        assert f"uca ask: error: {result['error']}" in proc.stderr


# -- HTTP /ask of a real `uca chat`

@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_http_nasty_question(client, case):
    check_case_result(case, client.predict(case.question, api_name="/ask"))


@HTTP_FUZZ
@given(question=st.one_of(st.text(st.characters(exclude_categories=("Cs",)), max_size=3000),
                          GLUED.map(lambda s: s.encode("utf-8", "ignore").decode("utf-8"))))
def test_http_random_text(client, question):
    result = client.predict(question, api_name="/ask")
    assert isinstance(result, dict) and ("error" in result) != ("text" in result), result
    if "error" in result:
        assert_human_message(result["error"])
    else:
        assert_answer_dict(result)


def _call_raw(url: str, body: bytes) -> tuple[int, str]:
    """POST ``body`` to Gradio's ``/gradio_api/call/ask`` and read the event stream: (status, stream text)."""
    req = urllib.request.Request(f"{url}/gradio_api/call/ask", data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            event_id = json.loads(resp.read())["event_id"]
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", errors="replace")
    with urllib.request.urlopen(f"{url}/gradio_api/call/ask/{event_id}", timeout=120) as resp:
        return resp.status, resp.read().decode("utf-8")


def _complete_event(stream: str) -> Any:
    match = re.search(r"^event: complete\ndata: (.*)$", stream, re.M)
    assert match, stream[:1000]
    return json.loads(match.group(1))[0]


@pytest.mark.parametrize("question, expect", [
    ("\udcff", "error"),
    ("What is \ud800 JANE?\udbff", "answer"),
    (123, "error"),
    (None, "error"),
    (["Where is HOPE's head office?"], "error"),
    ({"text": "What is JANE?"}, "error"),
], ids=["lone_surrogate", "surrogates_in_question", "number", "null", "list", "object"])
def test_raw_http_payloads_get_a_clear_json_answer(server, question, expect):
    body = json.dumps({"data": [question]}, ensure_ascii=True).encode("ascii")  # surrogates as \\udcff escapes
    status, stream = _call_raw(server.url, body)
    assert status == 200, (status, stream[:500])
    result = _complete_event(stream)
    if expect == "error":
        assert set(result) == {"error"}, result
        assert_human_message(result["error"])
    else:
        assert_answer_dict(result)
        assert "JANE" in result["text"]


@pytest.mark.parametrize("body", [b"not json", b'{"data": "x"}', b"{}", b'{"data": []}', b'{"data": ["a", "b"]}'],
                         ids=["not_json", "data_not_list", "no_data", "no_argument", "two_arguments"])
def test_raw_http_malformed_calls_are_never_a_server_error(server, body):
    status, stream = _call_raw(server.url, body)
    assert status in (200, 422), (status, stream[:500])
    if status == 200:
        assert re.search(r"^event: (complete|error)$", stream, re.M), stream[:500]


def test_server_survived_and_logged_no_assistant_failure(client, server):
    result = client.predict("Where is HOPE's head office?", api_name="/ask")
    assert "Brussels" in result["text"]
    log = server.log_tail(10**7)
    assert "/ask failed" not in log and "answering failed" not in log, log[-4000:]
