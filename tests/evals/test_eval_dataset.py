"""Validate the hand-labelled eval set evals/datasets/unicancer.jsonl."""

import json
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "evals" / "datasets" / "unicancer.jsonl"
SOURCE = ROOT / "corpus" / "unicancer-international.txt"

EXPECTED_KEYS = {"id", "question", "category", "gold_spans", "must_include", "history"}
CATEGORIES = {
    "fact",
    "list",
    "paraphrase",
    "multi-part",
    "follow-up",
    "french",
    "unanswerable",
    "adversarial",
}


def _load_items():
    items = []
    with DATASET.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:  # pragma: no cover - reported as failure
                pytest.fail(f"line {lineno} is not valid JSON: {exc}")
    return items


ITEMS = _load_items()
SOURCE_TEXT = SOURCE.read_text(encoding="utf-8")


def _ids(items):
    return [it.get("id", f"#{i}") for i, it in enumerate(items)]


def test_every_line_parses_and_is_an_object():
    with DATASET.open(encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    assert lines, "dataset is empty"
    for lineno, line in enumerate(lines, start=1):
        obj = json.loads(line)
        assert isinstance(obj, dict), f"line {lineno} is not a JSON object"


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_keys_and_types(item):
    assert set(item) == EXPECTED_KEYS
    assert isinstance(item["id"], str) and item["id"].strip()
    assert isinstance(item["question"], str) and item["question"].strip()
    assert item["category"] in CATEGORIES
    for key in ("gold_spans", "must_include", "history"):
        assert isinstance(item[key], list), f"{key} must be a list"
    assert all(isinstance(s, str) and s for s in item["gold_spans"])
    assert all(isinstance(s, str) and s.strip() for s in item["must_include"])


def test_ids_unique():
    counts = Counter(it["id"] for it in ITEMS)
    dupes = [i for i, n in counts.items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_size_and_category_distribution():
    assert len(ITEMS) >= 80
    counts = Counter(it["category"] for it in ITEMS)
    missing = CATEGORIES - set(counts)
    assert not missing, f"categories missing: {missing}"
    assert counts["french"] >= 8
    assert counts["unanswerable"] >= 10
    assert counts["adversarial"] >= 6


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_gold_spans_are_verbatim(item):
    for span in item["gold_spans"]:
        assert span in SOURCE_TEXT, f"span not found verbatim in source: {span!r}"
        assert "\n\n" not in span, f"span crosses a blank line: {span!r}"


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_must_include_in_gold_spans(item):
    spans = [s.lower() for s in item["gold_spans"]]
    for needle in item["must_include"]:
        assert any(needle.lower() in s for s in spans), (
            f"must_include {needle!r} not found in any gold span"
        )


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_refusal_iff_no_gold_spans(item):
    if item["category"] == "unanswerable":
        assert item["gold_spans"] == []
        assert item["must_include"] == []
    if not item["gold_spans"]:
        assert item["must_include"] == [], "refusal items cannot require content"
    else:
        assert item["must_include"], "answerable items need must_include strings"


@pytest.mark.parametrize("item", ITEMS, ids=_ids(ITEMS))
def test_history_shape(item):
    history = item["history"]
    if item["category"] == "follow-up":
        assert history, "follow-up items need a non-empty history"
        for turn in history:
            assert isinstance(turn, list) and len(turn) == 2
            assert all(isinstance(t, str) and t.strip() for t in turn)
    else:
        assert history == [], "only follow-up items may have a history"
