"""The real embedding model through both backends: chunk vectors and in-context sentence vectors."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.embeddings import Embedder
from ingest.settings import Settings

pytestmark = pytest.mark.slow

TEXT = ("Unicancer\nHOPE, European Hospital and Healthcare Federation\n"
        "Its head office is located in Brussels. Today it includes 35 organisations from the 28 European Union "
        "member countries. Unicancer holds a seat in its Board of Governors.")
SENTENCES = ["Its head office is located in Brussels.",
             "Today it includes 35 organisations from the 28 European Union member countries.",
             "Unicancer holds a seat in its Board of Governors."]


def _spans(text: str) -> list[tuple[int, int]]:
    return [(text.index(s), text.index(s) + len(s)) for s in SENTENCES]


@pytest.fixture(scope="module")
def onnx_and_torch(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    torch = Embedder(Settings(embedding_backend="torch", cache_dir=cache))
    assert torch.export_onnx()  # the ONNX export of the same model, into this test's cache
    onnx = Embedder(Settings(embedding_backend="onnx", cache_dir=cache))
    return onnx, torch


def test_onnx_and_torch_give_the_same_chunk_and_sentence_vectors(onnx_and_torch):
    onnx, torch = onnx_and_torch
    texts = [TEXT, "A short text."]
    spans = [_spans(TEXT), [(0, 13)]]
    (v1, s1), (v2, s2) = onnx.encode_with_spans(texts, spans), torch.encode_with_spans(texts, spans)
    assert onnx._onnx is not None and torch._onnx is None
    assert np.all(np.sum(v1 * v2, axis=1) > 0.999)
    for a, b in zip(s1, s2, strict=True):
        assert a.shape == b.shape and np.all(np.sum(a * b, axis=1) > 0.999)
    # the chunk vector from encode_with_spans is the plain encode's
    assert float(v1[0] @ onnx.encode([TEXT])[0]) > 0.9999


def test_a_sentence_vector_is_that_sentence_read_in_context(onnx_and_torch):
    onnx, _ = onnx_and_torch
    _, (span_vecs,) = onnx.encode_with_spans([TEXT], [_spans(TEXT)])
    alone = onnx.encode(SENTENCES)
    sims = span_vecs @ alone.T
    # each in-context vector is closest to its own sentence
    assert list(np.argmax(sims, axis=1)) == [0, 1, 2], sims
    assert np.all(np.diag(sims) > 0.5)
    # in context, "Its head office..." knows it is about HOPE: closer to a question naming HOPE than alone
    q = onnx.encode(["Where is the head office of HOPE?"])[0]
    assert float(span_vecs[0] @ q) > float(alone[0] @ q)


def test_a_sentence_cut_off_by_truncation_gets_no_vector(onnx_and_torch):
    onnx, torch = onnx_and_torch
    long_text = "word " * 400 + "The last sentence is beyond the model's window."
    start = long_text.index("The last")
    for emb in (onnx, torch):
        _, (span_vecs,) = emb.encode_with_spans([long_text], [[(0, 4), (start, len(long_text))]])
        assert not np.isnan(span_vecs[0]).any() and np.isnan(span_vecs[1]).all()
