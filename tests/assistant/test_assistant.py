"""The assistant on the real corpus with the real embedding model and a real Chroma store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant, QuestionError
from assistant.results import Answer
from ingest.pipeline import run_ingest
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "corpus" / "unicancer-international.txt"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    base = tmp_path_factory.mktemp("assistant")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(SOURCE, corpus / SOURCE.name)
    (corpus / "notes.md").write_text(
        "# Internal notes\n\nThe Zorblax Institute is a partner located in Lyon since 2019.\n", encoding="utf-8"
    )
    s = Settings(corpus_dir=corpus, index_dir=base / "index")
    run_ingest(s)
    return s


@pytest.fixture(scope="module")
def bot(settings) -> Assistant:
    return Assistant(settings)


def source_text(settings: Settings, source: str) -> str:
    return (settings.corpus_dir / source).read_bytes().decode("utf-8")


def test_hope_head_office_is_brussels_with_citation(bot):
    a = bot.ask("Where is HOPE's head office?")
    assert not a.refused
    assert "Brussels" in a.text
    assert a.citations and any("Brussels" in c.sentence for c in a.citations)
    cited = [c for c in a.citations if "Brussels" in c.text][0]
    assert cited.section == "HOPE, European Hospital and Healthcare Federation"
    assert cited.supported and a.flagged == 0
    assert cited.text[cited.sentence_start:cited.sentence_end] == cited.sentence
    assert f"[{cited.n}]" in a.text


@pytest.mark.parametrize("question", [
    "Who is the CEO of Unicancer?",
    "What is the capital of Australia?",
    "What will the weather be like in Paris tomorrow?",
])
def test_questions_the_documents_do_not_answer_are_refused(bot, question):
    a = bot.ask(question)
    assert a.refused, (a.text, a.confidence, a.signals)
    assert a.citations == []
    assert "do not cover" in a.text


@pytest.mark.parametrize("question", [
    "How many nurses work in Unicancer centres?",
    "How many beds do Unicancer hospitals have?",
])
def test_counting_questions_without_a_count_in_the_documents_are_refused(bot, question):
    # the page is full of numbers about Unicancer, none of them near "nurses" or "beds"
    a = bot.ask(question)
    assert a.refused and a.signals.get("quantity_evidence") is False, (a.text, a.signals)
    assert a.citations == []


@pytest.mark.parametrize(("question", "count"), [
    ("How many organisations does HOPE include?", "35"),
    ("How many pilot regions does CCI4EU cover?", "9"),
])
def test_counting_questions_answered_with_the_count(bot, question, count):
    a = bot.ask(question)
    assert not a.refused and a.signals.get("quantity_evidence") is True, (a.text, a.signals)
    assert count in a.text and a.citations


def test_partnerships_list(bot):
    a = bot.ask("Which international partnerships does Unicancer lead?")
    assert not a.refused
    for name in ("WHO", "IHF", "UICC", "ESMO"):
        assert name in a.text
    assert a.citations


def test_a_question_about_the_page_itself_is_answered_from_its_content(bot):
    """Words that point at the document ("listed", "footnote", "page") are not the question's subject: the
    answerability signals do not count them as words the corpus lacks (they did, and this was refused)."""
    from ingest.lexical import without_document_words

    question = "Which institutes are listed in the footnote of the page?"
    kept = without_document_words(question)
    assert "footnote" not in kept and "page" not in kept and "listed" not in kept and "institutes" in kept
    assert without_document_words("Selon le document, quels instituts ?") == "  le  , quels instituts ?"
    assert without_document_words("Which page?") == "Which page?"  # nothing else: kept whole
    assert without_document_words("Is year of surgery a predictor?") == "Is year of surgery a predictor?"
    a = bot.ask(question, source="unicancer-international.txt")  # the page, not the planted notes
    assert not a.refused, a.signals
    for name in ("Institut Curie", "Paoli-Calmettes", "Claudius Regaud"):
        assert name in a.text
    assert a.citations


def test_a_french_name_question_over_english_passages_quotes_the_sentence_that_names_it(bot):
    a = bot.ask("Comment s'appelle la fédération européenne des hôpitaux dont Unicancer est membre ?")
    assert not a.refused
    first = next(c for c in a.claims if c.label == "answers")
    assert "member of HOPE" in first.text and first.answer_kind == "name"


def test_follow_up_resolved_against_history(bot):
    first = bot.ask("What is JANE?")
    a = bot.ask("When did it start?", history=[("What is JANE?", first.text)])
    assert "JANE" in a.query and a.query != a.question
    assert any("October 2022" in p.text for p in a.passages[:3])
    assert "October 2022" in a.text
    assert not a.refused


def test_a_third_follow_up_keeps_the_project(bot):
    """Issue 12: after a question about a project and one follow-up, the next follow-up keeps the project."""
    history: list[tuple[str, str]] = []
    for q in ("What is JANE?", "When did it start?"):
        history.append((q, bot.ask(q, history=history).text))
    a = bot.ask("And how many organisations take part?", history=history)
    assert "JANE" in a.query and "start" not in a.query
    step = {t.name: t for t in a.trace}["follow_up"]
    assert step.decided["topic"] == ["JANE"] and step.decided["query"] == a.query
    assert not a.refused and "50" in a.text


@pytest.mark.parametrize("question", [
    "The European Hospital and Healthcare Federation. Since when is Unicancer a member?",
    "La fédération européenne des hôpitaux. Depuis quand Unicancer en est-il membre ?",
])
def test_a_statement_before_the_question_is_searched_with_it(bot, question):
    """The statement names what the question is about: searched alone, "Since when is Unicancer a member?"
    finds French Healthcare's "since its creation in 2018"; with its statement, HOPE's 2012."""
    answer = bot.ask(question)
    assert answer.query == question
    assert not answer.refused and "2012" in answer.text and "HOPE" in answer.text
    alone = bot.ask("Since when is Unicancer a member?")
    assert "2012" not in alone.text.split("[1]")[0]  # the statement is what finds HOPE


def test_small_talk_is_not_refused(bot):
    for msg in ("hello", "Thanks!", "what can you do?", "Bonjour"):
        a = bot.ask(msg)
        assert a.small_talk and not a.refused and not a.citations
    assert "?" in bot.ask("hello").text  # offers example questions


def test_input_limits_and_invisible_characters(bot, settings):
    with pytest.raises(QuestionError, match="empty"):
        bot.ask("   \n\t ")
    with pytest.raises(QuestionError, match="too long"):
        bot.ask("x" * (settings.max_question_chars + 1))
    with pytest.raises(QuestionError):
        bot.ask("\u200b\u200d\U000e0041")  # only invisible characters
    hidden = "Where is HOPE\u200b's head\U000e0049\U000e0047 office?\u202e"
    a = bot.ask(hidden)
    assert a.question == "Where is HOPE's head office?"
    assert "Brussels" in a.text


def test_stream_yields_partial_text_then_result(bot):
    parts = list(bot.stream("Which projects does Unicancer take part in?"))
    assert isinstance(parts[-1], Answer)
    assert all(isinstance(p, str) for p in parts[:-1]) and parts[:-1]
    assert parts[-2] == parts[-1].text or parts[-1].text.startswith(parts[-2][:20])


def test_source_filter_and_langchain_retriever(bot):
    only = bot.retrieve("Where is the institute located?", k=3, source="notes.md")
    assert only and all(p.source == "notes.md" for p in only)
    retriever = bot.as_langchain_retriever(k=3)
    docs = retriever.invoke("Where is HOPE's head office?")
    assert len(docs) == 3
    assert any("Brussels" in d.page_content for d in docs)
    assert {"source", "section", "start", "end"} <= set(docs[0].metadata)


def test_retrieval_is_ranked_and_without_near_duplicates(bot):
    ps = bot.retrieve("Unicancer membership of international organisations", k=8)
    scores = [p.score for p in ps]
    assert scores == sorted(scores, reverse=True)
    assert len({p.id for p in ps}) == len(ps)
    assert len({p.text for p in ps}) == len(ps)


def test_every_citation_on_the_eval_questions_is_valid(bot, settings):
    rows = [json.loads(x) for x in (ROOT / "evals" / "datasets" / "unicancer.jsonl").read_text("utf-8").splitlines()]
    cited = 0
    for row in rows:
        a = bot.ask(row["question"], history=[tuple(h) for h in row["history"]])
        ids = {p.id for p in a.passages}
        for c in a.citations:
            cited += 1
            assert 1 <= c.n <= len(a.passages)
            assert c.chunk_id == a.passages[c.n - 1].id and c.chunk_id in ids
            assert source_text(settings, c.source)[c.start:c.end] == c.text
            assert c.text[c.sentence_start:c.sentence_end] == c.sentence
        if a.refused:
            assert not a.citations
    assert cited > 50


def _uca(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("uca")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_cli_ask_json(settings):
    env = {"UCA_INDEX_DIR": str(settings.index_dir), "UCA_CORPUS_DIR": str(settings.corpus_dir)}
    out = _uca("ask", "--json", "Where is HOPE's head office?", env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert not data["refused"] and "Brussels" in data["text"]
    assert any("Brussels" in c["text"] for c in data["citations"])
    keys = {"n", "source", "section", "text", "start", "end", "sentence_start", "sentence_end"}
    assert keys <= set(data["citations"][0])
    out = _uca("ask", "--json", "What is the capital of Australia?", env=env)
    data = json.loads(out.stdout)
    assert data["refused"] and data["citations"] == []
    out = _uca("ask", "--json", "   ", env=env)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "empty" in json.loads(out.stdout)["error"]
    out = _uca("ask", "Where is HOPE's head office?", env=env)
    assert "Brussels" in out.stdout and "[1]" in out.stdout or "Brussels" in out.stdout


def test_answering_uses_the_vectors_ingest_stored_and_falls_back_without_them(settings, tmp_path):
    from assistant.citations import passage_sentences

    def recording(bot: Assistant) -> list[str]:
        seen: list[str] = []
        encode = bot.embedder.encode

        def spy(texts, *args, **kwargs):
            seen.extend(texts)
            return encode(texts, *args, **kwargs)

        bot.embedder.encode = spy
        return seen

    bot = Assistant(settings)  # a fresh assistant: nothing cached yet
    seen = recording(bot)
    a = bot.ask("Where is HOPE's head office?")
    assert not a.refused and "Brussels" in a.text
    sentences = {s.text for p in a.passages for s in passage_sentences(p.text)}
    # only the query and its words were embedded at question time: the passages' sentences and words were
    # embedded by ingest
    assert seen and seen[0] == a.query
    assert not any(t in sentences or t.split(": ", 1)[-1] in sentences for t in seen), seen
    assert set(seen[1:]) <= {"hope", "head", "office"}
    # an index without stored vectors (built before they existed) still answers: the assistant embeds them
    index = tmp_path / "index"
    shutil.copytree(settings.resolved_index_dir(), index)
    import sqlite3

    con = sqlite3.connect(index / "manifest.sqlite")
    with con:
        con.execute("DELETE FROM sentence_vectors")
        con.execute("DELETE FROM word_vectors")
    con.close()
    old = Assistant(Settings(corpus_dir=settings.corpus_dir, index_dir=index))
    seen_old = recording(old)
    b = old.ask("Where is HOPE's head office?")
    assert not b.refused and "Brussels" in b.text and b.citations
    assert any(t.split(": ", 1)[-1] in sentences for t in seen_old)


def test_cli_json_trace_names_the_refusal_rule_and_the_steps(settings):
    env = {"UCA_INDEX_DIR": str(settings.index_dir), "UCA_CORPUS_DIR": str(settings.corpus_dir)}
    out = _uca("ask", "--json", "Who is the CEO of Unicancer?", env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["refused"] and data["refusal_rule"] in ("low_confidence", "unknown_name", "no_count_evidence")
    gate = [t for t in data["trace"] if t["name"] == "gate"][0]
    assert gate["decided"]["rule"] == data["refusal_rule"] and gate["decided"]["refused"] is True
    if data["refusal_rule"] == "low_confidence":
        assert gate["decided"]["confidence"] < gate["decided"]["threshold"]
    out = _uca("ask", "--json", "Where is HOPE's head office?", env=env)
    data = json.loads(out.stdout)
    steps = {t["name"]: t for t in data["trace"]}
    assert {"follow_up", "retrieve", "answer", "verify"} <= set(steps)
    assert steps["follow_up"]["decided"]["query"] == data["query"]
    assert steps["retrieve"]["decided"]["passages"][0]["id"] == data["passages"][0]["id"]
    assert all(isinstance(t["ms"], float) and t["ms"] >= 0 for t in data["trace"])
    out = _uca("ask", "--trace", "Where is HOPE's head office?", env=env)
    assert "How this answer was found" in out.stdout and "retrieve" in out.stdout and " ms" in out.stdout


def test_a_follow_up_rewrite_is_traced(bot):
    a = bot.ask("When did it start?", history=[("What is JANE?", "JANE is a joint action.")])
    step = {t.name: t for t in a.trace}["follow_up"]
    assert step.decided["rewritten"] and "JANE" in step.decided["query"] and a.query == step.decided["query"]
