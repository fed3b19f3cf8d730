"""Counting questions: the counted noun, and whether the passages give a number near it (no model needed)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from assistant.answering import quantity_evidence, quantity_head
from assistant.results import Passage


@pytest.mark.parametrize(("question", "french", "head"), [
    ("How many Unicancer centers are labelled Comprehensive Cancer Centers by the OECI?", False, "centers"),
    ("How much EU funding has been allocated to the JANE joint action?", False, "funding"),
    ("How many European networks of expertise does JANE aim to design?", False, "networks"),
    ("What is the number of patients treated each year?", False, "patients"),
    ("how many experts Unicancer mobilizing network", True, "experts"),  # French keywords: head first
    ("How many of them are among the first 50?", False, None),  # a pronoun: nothing nameable is counted
    ("How many are in the top 300?", False, None),
    ("Where is HOPE's head office?", False, None),
    # a measure of something asks for a number tied to it, like a count
    ("What is the average salary of an oncologist in a Unicancer centre?", False, "salary"),
    ("What was the median age of the patients?", False, "age"),
    ("What is the total number of centres?", False, "centres"),
])
def test_quantity_head(question, french, head):
    assert quantity_head(question, french) == head


@pytest.mark.parametrize("question", ["What is the average salary of an oncologist?",
                                      "What were the median survival times?",
                                      "Quel est le salaire moyen d'un oncologue ?",
                                      "Quel est le budget total du projet ?"])
def test_a_measure_question_asks_for_a_number(question):
    from assistant.reader import answer_kind

    assert answer_kind(question) == "count"


def _one_hot(words: list[str]) -> np.ndarray:
    """A word embedding that only knows identity (cosine 1 for the same word, 0 otherwise)."""
    rows = np.zeros((len(words), 1 << 16), dtype=np.float32)
    for i, w in enumerate(words):
        rows[i, zlib.crc32(w.encode()) & 0xFFFF] = 1.0  # deterministic; no collision among these few words
    return rows


def _passage(text: str) -> Passage:
    return Passage(id="p", text=text, source="s.txt", title="t", section="", start=0, end=len(text),
                   chunk_index=0, score=1.0)


def test_quantity_evidence_needs_a_number_near_the_counted_noun():
    page = [_passage("Today it includes 35 organisations from the member countries. Founded in 2012, it trains "
                     "health professionals and welcomes international patients every day.")]
    assert quantity_evidence("How many organisations does it include?", page, _one_hot) is True
    # "patients" is on the page, but no count is near it; 2012 is a year, not a count
    assert quantity_evidence("How many patients does it treat?", page, _one_hot) is False
    assert quantity_evidence("How many employees does it have?", page, _one_hot) is False
    assert quantity_evidence("Where is it?", page, _one_hot) is None
    # a multi-part question has evidence when one of its counting parts has
    assert quantity_evidence("How many employees does it have, and how many organisations does it include?",
                             page, _one_hot) is True
    assert quantity_evidence("How many organisations does it include?", [], _one_hot) is False
    # spelled-out numbers count too
    assert quantity_evidence("How many experts are mobilised?", [_passage("It mobilises thirty experts.")],
                             _one_hot) is True
