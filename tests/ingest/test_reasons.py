"""Skip reasons with stable codes (``ingest.reasons``): every file ingest skips is reported with a code and its
parameters beside the English reason (what ``uca ingest`` prints), so that the chat can say it in French."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

from common.lang import get
from ingest import reasons
from ingest.files import LoadError, OutsideCorpus
from ingest.pipeline import run_ingest

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = get(reasons.REPORT_LANGUAGE).skip_reasons
# how ingest names a reason or a note: LoadError.of("code"), reasons.entry(source, "code"), "note_..." literals
USES = re.compile(r'\.of\(\s*"(\w+)"|entry\([^,()]+,\s*"(\w+)"|"(note_\w+)"|_TooDeep\("(\w+)"|'
                  r'UNREADABLE_FOLDER = "(\w+)"')


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def test_every_code_ingest_uses_has_an_english_text():
    used = {code for path in (ROOT / "ingest").glob("*.py") for m in USES.finditer(path.read_text(encoding="utf-8"))
            for code in m.groups() if code}
    assert len(used) >= 30, sorted(used)  # the pattern still finds them
    assert used <= set(ENGLISH), f"codes without a text: {sorted(used - set(ENGLISH))}"
    assert {c for c in ENGLISH if c.startswith("note_")} <= used


def test_skipped_files_have_a_code_and_parameters_beside_the_english_reason(fake_settings, fake_embedder, helpers):
    corpus = fake_settings.corpus_dir
    _write(corpus / "good.md", "# Good\n\nThe Vorpal Clinic is in Tromsø.\n")
    _write(corpus / "junk.txt", b"text\0" + bytes(range(256)) * 40)
    _write(corpus / "empty.md", b"")
    _write(corpus / "broken.pdf", b"%PDF-1.4\n" + bytes(range(1, 256)) * 10)
    _write(corpus / "latin1.txt", "Café à Genève.\n".encode("latin-1"))
    _write(corpus / "deep" / "image.png", b"\x89PNG\r\n\x1a\n")
    _write(corpus / "hidden.html", "<html><body><script>alert(1)</script><p hidden>secret</p></body></html>")
    report = run_ingest(fake_settings, embedder=fake_embedder)
    by = {s["source"]: s for s in report.skipped}
    assert {k: v["code"] for k, v in by.items()} == {
        "junk.txt": "binary", "empty.md": "empty", "broken.pdf": by["broken.pdf"]["code"], "latin1.txt": "not_utf8",
        "deep/image.png": "unsupported_type", "hidden.html": "html_no_text"}
    assert by["broken.pdf"]["code"] in ("pdf_parse_error", "pdf_no_text")
    assert by["deep/image.png"]["params"] == {"suffix": ".png"}
    assert by["latin1.txt"]["params"]["offset"] == 3
    for item in by.values():  # the English reason is the code's text with its parameters, as printed before
        assert item["reason"] == reasons.text(item["code"], **item["params"]), item
        assert "note" not in item
    assert by["deep/image.png"]["reason"] == "unsupported file type '.png'"


def test_a_note_follows_the_reason_of_a_file_that_was_indexed_before(fake_settings, fake_embedder):
    doc = fake_settings.corpus_dir / "doc.md"
    _write(doc, "# Doc\n\nThe Vorpal Clinic is in Tromsø.\n")
    run_ingest(fake_settings, embedder=fake_embedder)
    _write(doc, b"# Doc\n\n\xff\xfe broken")
    (item,) = run_ingest(fake_settings, embedder=fake_embedder).skipped
    assert (item["code"], item["note"], item["params"]) == ("not_utf8", "note_kept", {"offset": 7,
                                                                                       "error": "invalid start byte"})
    assert item["reason"] == "not valid UTF-8 (byte 7: invalid start byte); keeping the previously indexed version"


def test_load_errors_keep_their_code_through_the_loader_process():
    err = pickle.loads(pickle.dumps(LoadError.of("too_large", size=12_345, limit=1_000)))
    assert (err.code, err.params, str(err)) == ("too_large", {"size": 12_345, "limit": 1_000},
                                                "file too large (12,345 bytes > limit 1,000; UCA_MAX_FILE_BYTES)")
    outside = pickle.loads(pickle.dumps(OutsideCorpus.of("hard_link", links=2)))
    assert isinstance(outside, OutsideCorpus) and outside.code == "hard_link"
    plain = reasons.from_error("x.md", LoadError("some message"), "note_kept")
    assert plain == {"source": "x.md", "reason": "some message; keeping the previously indexed version", "code": "",
                     "params": {}, "note": "note_kept"}


def test_the_loader_process_failures_have_codes(fake_settings):
    from concurrent.futures import TimeoutError as FutureTimeout

    from ingest.isolation import IsolatedLoader

    loader = IsolatedLoader(fake_settings.model_copy(update={"max_file_seconds": 2.5}), lambda *a: None)
    timeout = loader.error(FutureTimeout())
    assert (timeout.code, timeout.params) == ("timeout", {"seconds": 2.5})
    assert str(loader.error(FutureTimeout())) == "took longer than 2.5 s to load (UCA_MAX_FILE_SECONDS); abandoned"
    failed = loader.error(RuntimeError("boom"))
    assert failed.code == "load_failed" and str(failed) == "cannot be loaded (RuntimeError: boom)"
    own = LoadError.of("pdf_encrypted")
    assert loader.error(own) is own
