"""The text kernel (common.text): folding, words, and the ONE sentence splitter that ingest (stored sentence
vectors) and answering (quoted and cited sentences) share. Fast: no model."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from common.text import fold, sentence_spans, split_sentences, text_units, words
from ingest.loaders import load_document

ROOT = Path(__file__).resolve().parents[2]
CORPUS_FILE = ROOT / "corpus" / "unicancer-international.txt"

FRENCH = """Le réseau en bref

M. Dupont dirige le centre depuis 2019. Mme Durand, p. ex. la directrice adjointe, suit les essais, etc. Elle \
travaille à Lyon avec le Pr Martin.
Les équipes (cf. le rapport annuel, p. 12) publient chaque année. « Nous avançons. » Les patients en profitent.
- premier point du plan. Il compte aussi.
- second point
"""


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_fold_and_words():
    assert fold("L’Hôpital Européen") == "l'hopital europeen"
    assert words("L’organisation d’EU4Health, créée en 2021 !") == ["l'organisation", "d'eu4health", "creee", "en",
                                                                   "2021"]


def test_english_splits_as_before():
    text = "It works, e.g. in Lyon. Dr. Smith agrees (see p. 4). The U.S. team left. Then J. Doe came! Ok?"
    assert _sentences(text) == ["It works, e.g. in Lyon.", "Dr. Smith agrees (see p. 4).",
                                "The U.S. team left.", "Then J. Doe came!", "Ok?"]


def test_french_abbreviations_do_not_end_a_sentence():
    got = _sentences(FRENCH)
    assert got[0] == "Le réseau en bref"  # a heading-shaped first line standing alone
    assert "M. Dupont dirige le centre depuis 2019." in got
    # neither "p. ex." nor "etc." ends a sentence (as "e.g." and "etc." in English), nor "Pr"
    assert ("Mme Durand, p. ex. la directrice adjointe, suit les essais, etc. Elle travaille à Lyon avec le Pr "
            "Martin.") in got
    assert "Les équipes (cf. le rapport annuel, p. 12) publient chaque année." in got
    assert "« Nous avançons." in got and "Les patients en profitent." in got  # guillemets with their spaces
    assert "premier point du plan. Il compte aussi." in got  # a bullet item stays whole


@pytest.mark.parametrize("text", [FRENCH, CORPUS_FILE.read_text(encoding="utf-8")[:6000]])
def test_offsets_are_exact(text):
    for u in text_units(text):
        piece = text[u.start : u.end]
        assert piece.strip() and piece == piece.lstrip()
        assert u.kind in {"heading", "bullet", "intro", "sentence", "fragment"}
    spans = sentence_spans(text)
    assert spans == sorted(spans) and all(b <= c for (_, b), (c, _) in zip(spans, spans[1:], strict=False))


def test_ingest_and_answering_split_alike():
    """The stored sentence vectors are keyed by the spans ingest computed; the assistant looks them up by the
    spans it computes: on every chunk of the corpus (and a French text) both are the same function."""
    from assistant.answering import cite_each_sentence
    from assistant.citations import passage_sentences
    from ingest import chunking

    doc = load_document(CORPUS_FILE, CORPUS_FILE.name)
    texts = [c.text for c in chunking.chunk_document(doc)] + [FRENCH]
    for text in texts:
        assert chunking.sentence_spans(text) == [(s.start, s.end) for s in passage_sentences(text)]
    para = "M. Dupont dirige le centre. Mme Durand suit les essais, p. ex. CraNE. Elle travaille à Lyon."
    assert cite_each_sentence(para, 2).count("[2]") == len(split_sentences(para, 0, len(para))) == 3


def test_one_sentence_splitter_in_the_code():
    """Only common/text.py defines a sentence splitter: no other module of the product splits sentences with
    its own regex."""
    offenders = []
    for path in [*ROOT.glob("ingest/*.py"), *ROOT.glob("assistant/*.py"), *ROOT.glob("common/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in {"split_sentences", "sentence_spans",
                                                                   "text_units", "passage_sentences"}:
                if path.name != "text.py" and node.name != "passage_sentences":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.name}")
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in {"_SENT_END", "_ABBREV"}
                                                    for t in node.targets) and path.name != "text.py":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_hard_wrapped_lines_are_one_sentence_stream():
    """Only a blank line, a heading, a list item or a real sentence end splits: a sentence wrapped inside its
    paragraph is one sentence (the fixture is a hard-wrapped Markdown page), and an indented line under a bullet
    item continues the item. Offsets stay exact."""
    text = (ROOT / "tests" / "data" / "hard_wrapped.md").read_text(encoding="utf-8")
    units = text_units(text)
    got = [(u.kind, text[u.start : u.end]) for u in units]
    assert ("sentence", "Its budget is 4.2 million euros over three years, funded by the Agence française\nde "
            "développement and the Institut national du cancer.") in got
    assert ("sentence", "The project started in\nJanuary 2024 and recruits patients in twelve hospitals, e.g. in "
            "Lyon\nand in Bordeaux.") in got  # "e.g." before a line break does not end it either
    assert ("heading", "## Partners") in got and ("intro", "The partners of the project are listed below:") in got
    assert ("bullet", "the Centre Léon Bérard in Lyon, which leads the clinical\n  work package;") in got
    assert not any(k == "fragment" for k, _ in got)
    # a blank line still splits, and a real sentence end inside a line too
    assert _sentences("A first line\nwrapped here.\n\nA new paragraph. Two sentences") == [
        "A first line\nwrapped here.", "A new paragraph.", "Two sentences"]
    from ingest import chunking
    from ingest.loaders import LoadedDocument

    doc = LoadedDocument(text=text, source="hard_wrapped.md", title="PRISM-Care", format="md")
    for c in chunking.chunk_document(doc):  # chunks never cut a wrapped sentence
        assert "Agence française\nde développement" in c.text or "Agence française" not in c.text


def test_compound_forms_join_names_written_in_parts():
    from common.text import compound_forms

    assert compound_forms("the coming years (My PeBS)") == ["mypebs"]
    assert compound_forms("Centre Léon Bérard") == []  # folding already matches "Leon Berard"
    assert compound_forms("Centre Léon-Bérard") == ["léon", "bérard", "léonbérard"]
    assert compound_forms("Institut Paoli-Calmettes") == ["paoli", "calmettes", "paolicalmettes"]
    # no join across punctuation, with a lower-case word, or with a stop word ("In Lyon", "The Unicancer")
    assert compound_forms("In Lyon, Dr. Smith and the network") == []
    assert compound_forms("The Unicancer network") == compound_forms("the Beating Cancer Plan") == []
