"""``uca eval --calibrate-refusal``: fit the refusal model on several corpora and check it on others' halves.

Corpora: the Unicancer set (its calibration split), and each public set given (``--squad``, ``--pubmedqa``)
cut into two seeded halves of its articles. The model (``evals.refusal_fit``) is fitted on the Unicancer
calibration split and the public sets' first halves, each run with a share of its articles left out of the
index (their questions are the unanswerable ones); the figures of the second halves, never seen by the fit,
say whether one threshold holds on corpora it was not fitted on. The model is then written into the
thresholds file as ``refusal_model``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from evals.opendomain import DEFAULT_HOLDOUT_FRAC, QADataset, run_qa
from evals.refusal_fit import MAX_FALSE_REFUSAL, Record, evaluate, fit

CALIBRATION_SEED = 101  # seed of the article halves and holdouts (the reported evals use seed 13)
SAMPLE = 300  # questions asked per public half


def default_public() -> list[str]:
    """The shared benchmarks beside the repository, as ``kind:PATH`` specs (those that exist)."""
    root = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
    specs = [("squad", root / "piaf" / "piaf-dev.json"), ("pubmedqa", root / "pubmedqa" / "pqal-dev.json")]
    return [f"{kind}:{path}" for kind, path in specs if path.exists()]


def load_public(spec: str) -> QADataset:
    """``squad:PATH`` or ``pubmedqa:PATH``."""
    kind, _, path = spec.partition(":")
    if kind == "squad":
        from evals.squad import load_squad

        return load_squad(Path(path))
    if kind == "pubmedqa":
        from evals.pubmedqa import load_pubmedqa

        return load_pubmedqa(Path(path))
    raise ValueError(f"--public takes squad:PATH or pubmedqa:PATH, not {spec!r}")


def halves(ds: QADataset, seed: int = CALIBRATION_SEED) -> tuple[QADataset, QADataset]:
    """The dataset cut into two seeded halves of its articles (each question goes with its article)."""
    articles = sorted(ds.documents)
    random.Random(seed).shuffle(articles)
    first = set(articles[: len(articles) // 2])

    def part(keep: set[str], tag: str) -> QADataset:
        return replace(ds, name=f"{ds.name}-{tag}", documents={a: t for a, t in ds.documents.items() if a in keep},
                       items=[it for it in ds.items if it.article in keep])

    return part(first, "fit"), part(set(articles) - first, "check")


def public_records(settings, ds: QADataset, sample: int, seed: int, cache: Path | None,
                   log: Callable[[str], None]) -> list[Record]:
    log(f"{ds.name}: asking {sample} questions")
    _, records = run_qa(settings, ds, holdout_frac=DEFAULT_HOLDOUT_FRAC, seed=seed, sample=sample, cache=cache)
    corpus = ds.name.rsplit("-", 1)[0]
    return [Record(corpus, r["signals"], r["answerable"]) for r in records if r["signals"]]


def unicancer_records(ctx, log: Callable[[str], None]) -> list[Record]:
    from evals.runner import ask_items
    from evals.split import select

    items = select(ctx.items, "calibration", ctx.split)
    log(f"unicancer: asking {len(items)} calibration questions")
    records = ask_items(ctx, items, mode="extractive")
    return [Record("unicancer", r["signals"], r["answerable"]) for r in records if r["signals"]]


def calibrate_refusal(ctx, public: list[QADataset], sample: int = SAMPLE, seed: int = CALIBRATION_SEED,
                      cache: Path | None = None, max_false_refusal: float = MAX_FALSE_REFUSAL,
                      log: Callable[[str], None] = print, out: Path | None = None) -> dict:
    """Fit on the Unicancer calibration split and the first halves; report the second halves."""
    fit_on = unicancer_records(ctx, log)
    check: list[Record] = []
    for ds in public:
        first, second = halves(ds, seed)
        fit_on += public_records(ctx.settings, first, sample, seed, cache, log)
        check += public_records(ctx.settings, second, sample, seed, cache, log)
    if out is not None:  # every question's signals, for looking at them
        out.mkdir(parents=True, exist_ok=True)
        with (out / "refusal_records.jsonl").open("w", encoding="utf-8") as f:
            for part, recs in (("fit", fit_on), ("check", check)):
                for r in recs:
                    f.write(json.dumps({"part": part, "corpus": r.corpus, "answerable": r.answerable,
                                        "signals": r.signals}) + "\n")
    model = fit(fit_on, max_false_refusal=max_false_refusal)
    model["checked_on"] = evaluate(check, model) if check else {}
    model["calibration"] = {"seed": seed, "sample_per_half": sample, "holdout_frac": DEFAULT_HOLDOUT_FRAC,
                            "corpora": ["unicancer (calibration split)"] + [ds.name for ds in public],
                            "embedding_model": ctx.settings.embedding_model}
    return model
