"""The reader (answer types and spans), the composed answer (lists, multi-part, subjects, offline limits) and
the labels: unit tests on sentences of the corpus, then the issue's examples on the real corpus with the real
embedding model (marked slow)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.answering import Scored
from assistant.citations import Sentence
from assistant.compose import standalone_prefix
from assistant.reader import answer_kind, bare_kind, find_span, offline_request
from assistant.results import Passage
from assistant.steps.gate import typed_evidence
from common.lang import get

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "corpus" / "unicancer-international.txt"


def _span(question: str, text: str) -> str | None:
    span = find_span(text, answer_kind(question), question)
    return text[span.start:span.end] if span else None


@pytest.mark.parametrize(("question", "sentence", "kind", "span"), [
    ("Since when has Unicancer been a member of the IHF?",
     "As a representative hospital organisation from France, Unicancer is a member of the IHF since 2012.",
     "date", "2012"),
    ("When did the CraNE and JANE joint actions start?",
     "Starting in October 2022 for a period of 2 years, these initiatives bring together nearly 50 oncology "
     "organizations across Europe.", "date", "October 2022"),
    ("How long do the CraNE and JANE joint actions last?",
     "Starting in October 2022 for a period of 2 years, these initiatives bring together nearly 50 oncology "
     "organizations across Europe.", "duration", "2 years"),
    ("How many oncology organizations do CraNE and JANE bring together?",
     "Starting in October 2022 for a period of 2 years, these initiatives bring together nearly 50 oncology "
     "organizations across Europe.", "count", "nearly 50 oncology organizations"),
    ("How many Unicancer centers are among the top 300 cancer hospitals?",  # 300 is the question's number
     "9 of our centers are among the top 300 cancer hospitals in the world.", "count", "9 of our centers"),
    ("Where is HOPE's head office located?", "Its head office is located in Brussels.", "place", "Brussels"),
    ("Who launched French Healthcare?",
     "Launched by the French Ministry for Europe and Foreign Affairs, French Healthcare wishes to extend the "
     "reach of French know-how.", "name", "French Ministry for Europe and Foreign Affairs"),
    ("Under whose coordination does Unicancer take part in the CraNE and JANE joint actions?",
     "CraNE and JANE are both European joint actions implemented as part of the European Union’s Beating Cancer "
     "Plan, in which Unicancer participates as an affiliated entity under the coordination of INCa.", "name",
     "INCa"),
    ("What does JANE stand for?", "JANE (Joint Action of Network of Expertise) aims at designing 7 networks.",
     "acronym", "Joint Action of Network of Expertise"),
    ("Why does the federation act as the French go-between for the EORTC?",
     "This collaboration aims to facilitate the activation of EORTC-sponsored trials in France.", "reason",
     "facilitate the activation of EORTC-sponsored trials in France"),
    ("What kind of association is HOPE?",
     "HOPE is a non-profit and non-governmental international association bringing together hospital "
     "associations.", None, "non-profit and non-governmental international"),
    ("Combien d'habitants compte la ville ?", "La ville compte 2 165 423 habitants en 2019.", "count",
     "2 165 423 habitants"),
    ("Quand l'abbaye a-t-elle été fondée ?", "L'abbaye a été fondée au XIIe siècle par les moines.", "date",
     "XIIe siècle"),
    # a preposition before the question word, an opening phrase before its comma, "quel" + a noun of a type
    ("Contre qui le club s'incline-t-il en finale ?", "En finale, le club s'incline contre le SC Magdebourg.",
     "name", "SC Magdebourg"),
    ("Selon Tacite, où se situe le pomérium de Rome ?", "Pour Tacite, le pomérium se situe au Palatin.", "place",
     "Palatin"),
    ("Quel personnage interprète Nonso Anozie en 2009 ?", "En 2009, Nonso Anozie interprète le rôle d'Elesin.",
     "name", "Elesin"),
    ("Dans quelle ville se trouve le siège de HOPE ?", "Le siège de HOPE se trouve à Bruxelles.", "place",
     "Bruxelles"),
    ("In which city is HOPE's head office?", "Its head office is located in Brussels.", "place", "Brussels"),
    ("With whom does Unicancer run the trial?", "Unicancer runs the trial with Gustave Roussy.", "name",
     "Gustave Roussy"),
])
def test_answer_type_and_span(question, sentence, kind, span):
    assert answer_kind(question) == kind
    assert _span(question, sentence) == span


@pytest.mark.parametrize("question, sentence, span", [
    # the phrase after the question's words, not the one-word run before them
    ("Titre de l'archevêque de Lyon", "Ancienne capitale des Gaules du temps de l'Empire romain, Lyon est le siège "
     "d'un archevêché dont le titulaire porte le titre de primat des Gaules.", "primat des Gaules"),
    # a phrase does not cross a comma: the clause after "mais", not the word before it
    ("Comment sera choisi ce système politique ?", "Selon la présentation qui en est faite par le mouvement, ce "
     "système politique ne serait pas imposé, mais voté par tous les citoyens désirant s'y soumettre.",
     "voté par tous les citoyens désirant s'y soumettre"),
    ("What kind of association is HOPE?", "HOPE is a non-profit and non-governmental international association "
     "bringing together hospital associations.", "non-profit and non-governmental international"),
])
def test_an_untyped_answer_is_the_longer_phrase_after_the_question_words(question, sentence, span):
    assert answer_kind(question) is None
    assert _span(question, sentence) == span


@pytest.mark.parametrize("question", ["Qu'est-ce qui a permis aux écoles de devenir des universités ?",
                                      "Quelle est la capitale de l'Italie ?", "What is JANE?",
                                      "Comment fait Kruger pour échapper à l'interrogatoire ?"])
def test_questions_without_a_type_word_stay_untyped(question):
    assert answer_kind(question) is None


@pytest.mark.parametrize("question, sentence, span", [
    ("Comment s'appelle la famille d'accueil ?", "Elle vit dans une famille d'accueil composée de Todd et "
     "Jannelle Voigt.", "Todd et Jannelle Voigt"),
    ("quel est le surnom de David Korner ?", "David Korner, alias Barta, fonde le groupe en 1939.", "Barta"),
    ("What is the name of the joint action on networks of expertise?", "The joint action on networks of "
     "expertise, JANE, started in 2022.", "JANE"),
])
def test_a_name_asked_for_as_such_is_a_name(question, sentence, span):
    assert answer_kind(question) == "name"
    assert _span(question, sentence) == span


def test_a_sentence_without_the_asked_type_has_no_span():
    # "when" wants a date: a sentence with only a count has none; "how many" ignores years and footnote marks
    assert _span("When did Unicancer join HOPE?", "Today it includes 35 organisations from 28 countries.") is None
    assert _span("How many projects were run?", "Unicancer is a member of the IHF since 2012.") is None
    assert _span("How many institutes are listed?", "(2) Institut Curie, Centre Léon Bérard") is None
    assert _span("How many projects?", "The projects (MyPeBs, CCI4EU) are managed by experts.") is None


@pytest.mark.parametrize(("question", "kind"), [
    ("Summarise the page in three sentences.", "summarise"),
    ("Please give me a summary of the projects", "summarise"),
    ("Compare CraNE and JANE.", "compare"),
    ("What is the difference between CraNE and JANE?", "compare"),
    ("Can you translate the HOPE section into French?", "translate"),
    ("Write an email to the IHF about our membership.", "write"),
    ("Résume la page en trois phrases.", "summarise"),
    ("Compare CraNE et JANE.", "compare"),
    ("Which partnerships does Unicancer lead?", None),
    ("Who wrote the report on CraNE?", None),  # a question about writing, not a request to write
])
def test_offline_requests(question, kind):
    assert offline_request(question) == kind


def test_a_part_that_only_asks_for_a_type():
    assert bare_kind("since when") == "date"
    assert bare_kind("and how many") == "count"
    assert bare_kind("when did it join the UICC") is None


def _passage(section: str, text: str) -> Passage:
    return Passage(id="p", text=text, source="s.txt", title="page", section=section, start=0, end=len(text),
                   chunk_index=0, score=1.0)


def _sentence(text: str, kind: str = "sentence") -> Sentence:
    return Sentence(0, len(text), kind, -1, text)


def test_a_sentence_with_a_pronoun_gets_its_section_subject():
    hope = _passage("HOPE, European Hospital and Healthcare Federation", "Its head office is located in Brussels.")
    assert standalone_prefix(hope, _sentence("Its head office is located in Brussels.")) == "HOPE: "
    fh = _passage("French Healthcare", "")
    s = "Unicancer is a member since its creation in 2018, alongside some French comprehensive cancer centres."
    assert standalone_prefix(fh, _sentence(s)) == "French Healthcare: "
    # a sentence that names its subject, or has no pronoun, or is a list item, stands alone
    assert standalone_prefix(hope, _sentence("HOPE is a non-profit association.")) == ""
    assert standalone_prefix(hope, _sentence("Unicancer is a member of HOPE since 2012.")) == ""
    assert standalone_prefix(hope, _sentence("Its members vote.", "bullet")) == ""


def test_typed_evidence_refuses_only_when_no_sentence_has_the_type():
    def scored(question: str, *texts: str) -> list[Scored]:  # as score_sentences leaves them: with their spans
        return [Scored(1, _sentence(t), 0.5, 0.5, 0.5, 0.5, find_span(t, answer_kind(question), question))
                for t in texts]

    q = "When did HOPE open its head office?"
    undated = scored(q, "HOPE is a non-profit association.", "Its head office is located in Brussels.")
    assert typed_evidence(q, undated) == {"When did HOPE open its head office? (date)": False}
    assert list(typed_evidence(q, scored(q, "HOPE opened its office in 1996.")).values()) == [True]
    # a multi-part question is refused this way only when no part has its type
    q = "When did HOPE open its office, and how many members does it have?"
    two = typed_evidence(q, scored(q, "Today it includes 35 organisations."))
    assert list(two.values()) == [False, True]
    # a question part without a checkable type: nothing is ruled out this way
    assert typed_evidence("Where is HOPE's head office, and since when?", undated) == {}
    assert typed_evidence("What is HOPE?", undated) == {}


# -- the examples on the real corpus


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    from ingest.pipeline import run_ingest
    from ingest.settings import Settings

    base = tmp_path_factory.mktemp("reader")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(SOURCE, corpus / SOURCE.name)
    s = Settings(corpus_dir=corpus, index_dir=base / "index")
    run_ingest(s)
    return s


@pytest.fixture(scope="module")
def bot(settings):
    from assistant import Assistant

    return Assistant(settings)


@pytest.mark.slow
def test_memberships_and_since_when_collects_every_membership_in_document_order(bot):
    a = bot.ask("Which organisations is Unicancer a member of, and since when?")
    assert not a.refused
    lines = [line for line in a.text.splitlines() if line.strip()]
    order = ["IHF since 2012", "HOPE (European hospital and healthcare Federation) since 2012", "UICC since 2015",
             "creation in 2018", "EORTC in France since 2009"]
    found = [next(i for i, line in enumerate(lines) if item in line) for item in order]
    assert found == sorted(found)  # document order
    assert all("[" in line for line in lines)  # each with its marker
    # the French Healthcare sentence has its subject from the heading; the citation stays verbatim
    fh = next(line for line in lines if "creation in 2018" in line)
    assert "French Healthcare: Unicancer is a member since its creation in 2018" in fh
    cited = [c for c in a.citations if "creation in 2018" in c.sentence][0]
    assert cited.sentence.startswith("Unicancer is a member since")
    assert cited.text[cited.sentence_start:cited.sentence_end].strip() == cited.sentence
    assert {c.answer for c in a.citations} >= {"2012", "2015", "2018", "2009"}
    assert all(c.label == "answers" for c in a.citations) and a.flagged == 0


@pytest.mark.slow
def test_compare_says_it_cannot_and_quotes_each_project_goal(bot):
    a = bot.ask("Compare CraNE and JANE.")
    assert not a.refused and a.limit == "compare"
    assert "cannot write a comparison" in a.text and "LLM mode" in a.text
    assert "aims at establishing a European Network of Comprehensive Cancer Centers" in a.text
    assert "aims at designing 7 European networks" in a.text
    assert "thirty experts" not in a.text
    gate = next(t for t in a.trace if t.name == "gate").decided
    assert gate["limit"] == "compare" and gate["limit_rule"] == "offline_limit" and gate["rule"] is None
    assert a.flagged == 0 and a.citations


@pytest.mark.slow
def test_summarise_is_an_offline_limit_not_a_refusal(bot):
    a = bot.ask("Summarise the page in three sentences.")
    assert not a.refused and a.refusal_rule is None and a.limit == "summarise"
    assert a.text.startswith(get("en").texts["limit_summarise"])
    assert "do not cover" not in a.text
    assert a.citations and a.flagged == 0  # the offered passages are cited; the notice is not a claim
    fr = bot.ask("Résume la page en trois phrases.")
    assert fr.limit == "summarise" and "ne sait pas rédiger de résumé" in fr.text
    # a question the documents do not cover is still refused
    assert bot.ask("What is the capital of Australia?").refused


@pytest.mark.slow
def test_badges_answers_only_with_a_span_of_the_right_type(bot):
    a = bot.ask("Where is HOPE's head office?")
    assert a.text.startswith("HOPE: Its head office is located in Brussels.")
    c = next(c for c in a.citations if "Brussels" in c.sentence)
    assert c.label == "answers" and c.answer == "Brussels"
    assert c.text[c.answer_start:c.answer_end] == "Brussels"
    claim = next(cl for cl in a.claims if "Brussels" in cl.text)
    assert claim.text[claim.answer_start:claim.answer_end] == "Brussels" and claim.answer_kind == "place"
    # a "when" question quotes a sentence with a date, and labels it by its date
    a = bot.ask("When did the CraNE and JANE joint actions start?")
    assert "October 2022" in a.text
    assert [c.answer for c in a.citations if c.label == "answers"] == ["October 2022"]
    # "how many" answers with the count of the asked thing
    a = bot.ask("How many experts is Unicancer mobilizing through its network?")
    assert any(c.answer == "thirty experts" and c.label == "answers" for c in a.citations)
    # every label is one of the two, and a context sentence has no answer span
    a = bot.ask("What is JANE?")
    assert {c.label for c in a.citations} <= {"answers", "context"}
    assert all(c.answer_start == -1 for c in a.citations if c.label == "context")


@pytest.mark.slow
def test_cli_ask_json_gives_each_citation_its_span_and_label(settings):
    env = {**os.environ, "UCA_INDEX_DIR": str(settings.index_dir), "UCA_CORPUS_DIR": str(settings.corpus_dir),
           "HF_HUB_OFFLINE": "1"}
    question = "Since when is Unicancer a member of UICC?"
    out = subprocess.run([sys.executable, "-m", "uca.cli", "ask", "--json", question], capture_output=True, text=True,
                         timeout=300, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    c = next(c for c in data["citations"] if c["label"] == "answers")
    assert c["text"][c["answer_start"]:c["answer_end"]] == "2015" == c["answer"]
    assert c["sentence_start"] <= c["answer_start"] < c["answer_end"] <= c["sentence_end"]
    gate = next(t for t in data["trace"] if t["name"] == "gate")["decided"]
    assert gate["answer_types"] and gate["rule"] is None
    verify = next(t for t in data["trace"] if t["name"] == "verify")["decided"]
    assert {"label": "answers", "kind": "date", "span": "2015"}.items() <= verify["labels"][0].items()


def test_a_sentence_naming_its_subject_by_its_last_name_stands_alone():
    p = _passage("Maria Kirilenko", "")
    assert standalone_prefix(p, _sentence("Kirilenko commence le tennis à 7 ans avec son père.")) == ""
    assert standalone_prefix(p, _sentence("Elle commence le tennis à 7 ans.")) == "Maria Kirilenko: "



def test_the_subject_comes_from_the_nearest_heading_that_names_something_else_the_sentence_before():
    from assistant.citations import heading_subject, names_something, passage_sentences
    from assistant.compose import antecedent

    assert names_something("HOPE") and names_something("French Healthcare") and names_something("CraNE and JANE")
    assert not names_something("Partners and funding") and not names_something("Carrière")
    members = _passage("HOPE, European Hospital and Healthcare Federation > Members", "They meet twice a year.")
    assert heading_subject(members) == "HOPE"  # past the topic heading, up to the one that names something
    assert standalone_prefix(members, _sentence("They meet twice a year.")) == "HOPE: "
    text = "The Snark Registry was founded in 2031. It is funded by the Vorpal Trust.\n\nIt has ten staff."
    funding = Passage(id="p", text=text, source="s.md", title="annual report", section="Partners and funding",
                      start=0, end=len(text), chunk_index=0, score=1.0)
    founded, funded, staff = passage_sentences(text)
    assert antecedent(funding, funded) == founded  # no heading names "It": the sentence before is quoted first
    assert antecedent(funding, staff) is None  # another paragraph: not its antecedent
    assert antecedent(funding, founded) is None  # no pronoun
    assert antecedent(members, _sentence("They meet twice a year.")) is None  # a heading names it

@pytest.mark.slow
def test_a_multi_part_question_says_which_part_the_documents_do_not_answer(bot):
    a = bot.ask("Where is HOPE's head office, and how many employees does it have?")
    assert not a.refused and "Brussels" in a.text
    assert a.text.rstrip().endswith(get("en").texts["partial"].format(parts="how many employees does it have"))
    assert a.flagged == 0  # the notice is not a claim
    a = bot.ask("When did Unicancer join the IHF, and when did it join the UICC?")
    assert "2012" in a.text and "2015" in a.text and "only part" not in a.text
    # every part unanswerable: still refused
    assert bot.ask("How many employees does Unicancer have?").refusal_rule == "no_count_evidence"


@pytest.mark.slow
def test_a_quote_opening_with_a_pronoun_under_a_topic_heading_brings_its_antecedent(bot):
    # "Unicancer's action on the international scene" is a topic, not a name: "It" is said by the sentence before
    a = bot.ask("Is Unicancer a major player at the European level?")
    assert not a.refused and a.flagged == 0
    assert re.match(r"Unicancer is the only French non-profit hospital network[^\[]*\[1\] It is also a major player",
                    a.text), a.text
    assert "international scene:" not in a.text


def _fr_passage(pid: str, text: str) -> Passage:
    return Passage(id=pid, text=text, source=f"{pid}.md", title="Hongre", section="", start=0, end=len(text),
                   chunk_index=0, lang="fr")


def test_sentences_are_scored_in_their_passages_language():
    """A French question over French passages is stemmed as French ("chevaux" ~ "cheval"): analysed with the
    default language's stemmer it would miss the word and score the sentence lower."""
    from assistant.answering import score_sentences

    question = "Quels chevaux sont castrés ?"
    passages = [_fr_passage("a", "Un hongre est un cheval castré dès son jeune âge, pour le rendre plus calme.")]
    flat = lambda texts: np.zeros((len(texts), 4), dtype=np.float32)  # noqa: E731 (no embedding signal)
    (scored,) = score_sentences(question, passages, flat, np.zeros(4, dtype=np.float32))
    assert scored.lex == pytest.approx(1.0)  # both words found: cheval and castr
    from dataclasses import replace

    (as_en,) = score_sentences(question, [replace(passages[0], lang="en")], flat, np.zeros(4, dtype=np.float32))
    assert as_en.lex < 1.0
