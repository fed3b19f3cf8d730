"""Server mode: ingest and the assistant against a real `chroma run` on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from testing.env import ROOT, UCA
from testing.servers import chroma_server as run_chroma_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    with run_chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


def uca(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(UCA), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def test_ingest_ask_and_reingest_against_a_chroma_server(chroma_server, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / "unicancer-international.txt", corpus)
    env = {"UCA_CHROMA_URL": chroma_server, "UCA_CORPUS_DIR": str(corpus), "UCA_INDEX_DIR": str(tmp_path / "idx"),
           "UCA_COLLECTION": f"test-{os.getpid()}"}
    first = uca(env, "ingest", "--json", "--quiet")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["documents"] == 1 and report["embedded"] >= 10
    assert not (tmp_path / "idx" / "chroma").exists()  # vectors live in the server, not on local disk

    ask = uca(env, "ask", "--json", "Where is HOPE's head office?")
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert "Brussels" in answer["text"] and answer["citations"]

    (corpus / "extra.md").write_text("# Zorblax\n\nThe Zorblax Institute joined the network in 2031.\n", "utf-8")
    second = json.loads(uca(env, "ingest", "--json", "--quiet").stdout)
    assert second["documents"] == 2 and second["unchanged_documents"] == 1
    assert 1 <= second["embedded"] <= 2
    check = uca(env, "ingest", "--check", "--json")
    assert check.returncode == 0 and json.loads(check.stdout)["clean"], check.stdout
    ask = json.loads(uca(env, "ask", "--json", "When did the Zorblax Institute join the network?").stdout)
    assert "2031" in ask["text"]
