"""``uca eval``: retrieval and answer quality on the labelled Unicancer set, calibration, the regression gate,
BEIR benchmarks (``--beir PATH``) and public QA sets (``--squad PATH``, ``--pubmedqa PATH``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SPLITS = ("test", "calibration", "all")  # evals.split.SPLITS, kept literal: `uca` imports stay light


def register(sub) -> None:
    from ingest.cli import add_common

    p = sub.add_parser("eval", help="evaluate retrieval and answers (labelled set, calibration, BEIR)",
                       description=__doc__)
    add_common(p)
    p.add_argument("--dataset", type=Path, help="labelled questions (JSONL; default: the Unicancer set)")
    p.add_argument("--split", choices=SPLITS, help="which questions: test (default), calibration or all")
    p.add_argument("--mode", choices=["extractive", "llm"], help="answer mode (default: UCA_ANSWER_MODE)")
    p.add_argument("--llm", metavar="SPEC", help="LLM for --mode llm: openai:MODEL or ollama:MODEL")
    p.add_argument("--k", type=int, help="passages per answer (default: UCA_TOP_K)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", type=Path, metavar="DIR", help="write report.md, results.json and PNG charts here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    act = p.add_mutually_exclusive_group()
    act.add_argument("--calibrate", action="store_true",
                     help="fit the refusal and citation-support thresholds on the calibration split and write them")
    act.add_argument("--calibrate-refusal", action="store_true",
                     help="fit the refusal model on the Unicancer calibration split and halves of public QA sets "
                          "(--public), check it on their other halves, and write it into the thresholds file")
    act.add_argument("--check-baseline", action="store_true",
                     help="fail (exit 1) when a gated metric falls below the committed baseline minus its tolerance")
    act.add_argument("--update-baseline", action="store_true", help="rewrite the baseline with this run's figures")
    act.add_argument("--beir", type=Path, metavar="PATH", help="run a BEIR-format benchmark folder instead")
    act.add_argument("--write-split", action="store_true", help="(re)write evals/split.json for the dataset")
    public = p.add_mutually_exclusive_group()
    public.add_argument("--squad", type=Path, metavar="PATH",
                        help="open-domain QA on a SQuAD-format file (SQuAD 1.1/2.0, FQuAD, PIAF) in its own index; "
                             "with --check-baseline / --update-baseline: evals/baseline_public.json")
    public.add_argument("--pubmedqa", type=Path, metavar="PATH",
                        help="document QA on a PubMedQA file (one Markdown document per abstract) in its own index")
    p.add_argument("--holdout-frac", type=float, metavar="F",
                   help="--squad/--pubmedqa: share of the articles left out of the index, whose questions must be "
                        "refused (default 0.2)")
    p.add_argument("--seed", type=int, metavar="S", help="--squad/--pubmedqa: seed of the holdout and sample "
                                                         "(default 13)")
    p.add_argument("--sample", type=int, metavar="N",
                   help="--squad/--pubmedqa: ask N seeded questions and index only their articles (default: all)")
    p.add_argument("--thresholds-out", type=Path, metavar="FILE",
                   help="where --calibrate writes (default: UCA_THRESHOLDS_FILE, else the embedding model's own file, "
                        "assistant/calibration.json for the default model)")
    p.add_argument("--max-false-refusal", type=float, metavar="RATE",
                   help="--calibrate: only thresholds refusing at most this share of answerable questions "
                        "(default 0.05, the product's target; 1 lifts the cap)")
    p.add_argument("--public", action="append", metavar="KIND:PATH",
                   help="--calibrate-refusal: squad:PATH or pubmedqa:PATH, repeatable (default: the shared PIAF "
                        "and PubMedQA dev sets beside the repository)")
    p.add_argument("--baseline", type=Path, metavar="FILE", help="baseline file (default: evals/baseline.json)")
    p.add_argument("--cache", type=Path, metavar="DIR",
                   help="index cache of --beir (default: UCA_BEIR_CACHE_DIR) or --squad/--pubmedqa (default: "
                        "UCA_CACHE_DIR/evals)")
    p.add_argument("--tune", action="store_true",
                   help="BEIR: tune the fusion on a seeded half of the queries, report on the other half")
    p.set_defaults(func=run)


def _settings(args: argparse.Namespace):
    from evals.settings import EvalSettings
    from ingest.cli import settings_from_args

    return EvalSettings(**settings_from_args(args).model_dump())


def _progress(args: argparse.Namespace, desc: str):
    if args.quiet:
        return None, lambda: None
    from tqdm import tqdm

    bar = {"bar": None}

    def update(done: int, total: int) -> None:
        if bar["bar"] is None:
            bar["bar"] = tqdm(total=total, desc=desc, file=sys.stderr, leave=False)
        bar["bar"].update(done - bar["bar"].n)

    def close() -> None:
        if bar["bar"] is not None:
            bar["bar"].close()

    return update, close


def run(args: argparse.Namespace) -> int:
    from ingest.index import IndexError_
    from ingest.pipeline import IngestLocked

    try:
        settings = _settings(args)
        if args.squad or args.pubmedqa:
            return _run_public(args, settings)
        if args.beir:
            return _run_beir(args, settings)
        if args.write_split:
            return _write_split(args)
        if args.calibrate:
            return _calibrate(args, settings)
        if args.calibrate_refusal:
            return _calibrate_refusal(args, settings)
        return _evaluate(args, settings)
    except (IndexError_, IngestLocked, FileNotFoundError, ValueError) as exc:
        print(f"uca eval: error: {exc}", file=sys.stderr)
        return 2


def _context(args: argparse.Namespace, settings):
    from evals.dataset import DEFAULT_DATASET
    from evals.runner import open_context

    return open_context(settings, args.dataset or DEFAULT_DATASET)


def _evaluate(args: argparse.Namespace, settings) -> int:
    from evals.baseline import BASELINE_FILE, compare, load_baseline, make_baseline, write_baseline
    from evals.report import write_report
    from evals.runner import run_eval

    baseline_path = args.baseline or BASELINE_FILE
    split, mode, k = args.split, args.mode, args.k
    if args.check_baseline:  # compare like with like: the baseline's split, mode and k unless given
        base = load_baseline(baseline_path)
        split, mode, k = split or base["split"], mode or base["mode"], k or base["k"]
    ctx = _context(args, settings)
    if args.llm or (mode or settings.answer_mode) == "llm":
        ctx.bot.chat_model(args.llm)  # a misconfigured LLM fails now, not at the first question
    update, close = _progress(args, f"eval ({split or 'test'})")
    try:
        results, records = run_eval(ctx, split or "test", k=k, mode=mode, llm=args.llm, progress=update)
    finally:
        close()
    if args.out:
        paths = write_report(results, records, args.out)
        print(f"wrote {paths['report']}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        print(format_results(results))
    if args.update_baseline:
        write_baseline(make_baseline(results), baseline_path)
        print(f"baseline written to {baseline_path}", file=sys.stderr)
    if args.check_baseline:
        problems = compare(results, load_baseline(baseline_path))
        for line in problems:
            print(f"REGRESSION: {line}", file=sys.stderr)
        if problems:
            return 1
        print(f"baseline check passed ({baseline_path})", file=sys.stderr)
    return 0


def _calibrate(args: argparse.Namespace, settings) -> int:
    from assistant.thresholds import default_thresholds_path
    from evals.calibrate import MAX_FALSE_REFUSAL, calibrate, write_thresholds

    if args.split not in (None, "calibration"):
        raise ValueError("--calibrate always uses the calibration split")
    ctx = _context(args, settings)
    update, close = _progress(args, "calibration questions")
    try:
        cap = MAX_FALSE_REFUSAL if args.max_false_refusal is None else args.max_false_refusal
        thresholds = calibrate(ctx, progress=update, max_false_refusal=cap)
    finally:
        close()
    path = args.thresholds_out or settings.thresholds_file or default_thresholds_path(ctx.settings.embedding_model)
    write_thresholds(thresholds, path)
    if args.json:
        print(json.dumps({**thresholds, "written_to": str(path)}, ensure_ascii=False))
        return 0
    c = thresholds["calibration"]
    ref, sup = c["refusal"], c["support"]
    print(f"calibrated on the calibration split ({ref['questions']} questions, seed {c['seed']}); wrote {path}")
    print(f"  refusal_weight {thresholds['refusal_weight']}, refusal_threshold {thresholds['refusal_threshold']}: "
          f"balanced accuracy {ref['balanced_accuracy']}, refusal accuracy {ref['refusal_accuracy']}, "
          f"false-refusal rate {ref['false_refusal_rate']}")
    print(f"  support_cos {thresholds['support_cos']}, support_lex {thresholds['support_lex']}: accuracy "
          f"{sup['accuracy']} on {sup['pairs']} pairs ({sup['positives']} positive), false supports "
          f"{sup['false_support_rate']}, missed {sup['missed_support_rate']}")
    return 0


def _calibrate_refusal(args: argparse.Namespace, settings) -> int:
    from assistant.thresholds import default_thresholds_path
    from evals.calibrate import write_thresholds
    from evals.refusal_calibrate import CALIBRATION_SEED, SAMPLE, calibrate_refusal, default_public, load_public
    from evals.refusal_fit import MAX_FALSE_REFUSAL

    specs = args.public or default_public()
    public = [load_public(spec) for spec in specs]
    ctx = _context(args, settings)
    cap = MAX_FALSE_REFUSAL if args.max_false_refusal is None else args.max_false_refusal
    log = (lambda msg: None) if args.json or args.quiet else (lambda msg: print(msg, file=sys.stderr))
    model = calibrate_refusal(ctx, public, sample=args.sample or SAMPLE, seed=args.seed or CALIBRATION_SEED,
                              cache=args.cache, max_false_refusal=cap, log=log, out=args.out)
    path = args.thresholds_out or settings.thresholds_file or default_thresholds_path(ctx.settings.embedding_model)
    thresholds = json.loads(Path(path).read_text(encoding="utf-8")) if Path(path).exists() else {}
    thresholds["refusal_model"] = model
    write_thresholds(thresholds, path)
    if args.json:
        print(json.dumps({"refusal_model": model, "written_to": str(path)}, ensure_ascii=False))
        return 0
    print(f"refusal model written to {path} (threshold {model['threshold']})")
    for title, figures in (("fitted on", model["fitted_on"]["corpora"]), ("checked on", model["checked_on"])):
        for corpus, f in figures.items():
            print(f"  {title} {corpus}: refusal accuracy {f['refusal_accuracy']}, false refusals "
                  f"{f['false_refusal_rate']} ({f['answerable']} answerable, {f['unanswerable']} unanswerable)")
    if "corpus_quantile" in model:
        print(f"corpus threshold: quantile {model['corpus_quantile']} of each corpus's pseudo-questions")
        for title, f in model["corpus_threshold"].items():
            if isinstance(f, dict):
                print(f"  {title}: threshold {f['threshold']}, refusal accuracy {f['refusal_accuracy']}, false "
                      f"refusals {f['false_refusal_rate']}")
    return 0


def _write_split(args: argparse.Namespace) -> int:
    from evals.dataset import DEFAULT_DATASET, load_dataset
    from evals.split import SPLIT_FILE, make_split, write_split

    split = make_split(load_dataset(args.dataset or DEFAULT_DATASET))
    write_split(split, SPLIT_FILE)
    print(f"wrote {SPLIT_FILE}: {len(split['calibration'])} calibration, {len(split['test'])} test questions")
    return 0


def _run_beir(args: argparse.Namespace, settings) -> int:
    from evals.beir import format_beir, run_beir

    cache = args.cache or settings.resolved_beir_cache_dir()
    bars: dict = {}

    def progress(stage: str, done: int, total: int) -> None:
        if args.quiet:
            return
        from tqdm import tqdm

        bar = bars.get(stage) or bars.setdefault(stage, tqdm(total=total, desc=stage, file=sys.stderr, leave=False))
        bar.update(done - bar.n)

    try:
        result = run_beir(settings, args.beir, cache, tune=args.tune, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "beir.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        (args.out / "beir.txt").write_text(format_beir(result) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False) if args.json else format_beir(result))
    return 0


def _run_public(args: argparse.Namespace, settings) -> int:
    from evals.baseline import (
        PUBLIC_BASELINE_FILE,
        compare_public,
        load_public_entry,
        make_public_entry,
        write_public_entry,
    )
    from evals.opendomain import DEFAULT_HOLDOUT_FRAC, DEFAULT_SEED, run_qa
    from evals.report import format_qa, write_qa_report

    if args.calibrate or args.beir or args.write_split:
        raise ValueError("--squad/--pubmedqa cannot be combined with --calibrate, --beir or --write-split")
    if args.squad:
        from evals.squad import load_squad

        ds = load_squad(args.squad)
    else:
        from evals.pubmedqa import load_pubmedqa

        ds = load_pubmedqa(args.pubmedqa)
    if args.mode or args.llm:
        settings = settings.model_copy(update={"answer_mode": args.mode or "llm", "llm": args.llm or settings.llm})
    baseline_path = args.baseline or PUBLIC_BASELINE_FILE
    entry = load_public_entry(ds.name, baseline_path) if args.check_baseline else None
    if args.check_baseline and entry is None:
        raise ValueError(f"{baseline_path} has no baseline for {ds.name!r}")
    defaults = entry or {"holdout_frac": DEFAULT_HOLDOUT_FRAC, "seed": DEFAULT_SEED, "sample": None}
    holdout = defaults["holdout_frac"] if args.holdout_frac is None else args.holdout_frac
    seed = defaults["seed"] if args.seed is None else args.seed
    sample = defaults["sample"] if args.sample is None else args.sample
    k = args.k or (entry or {}).get("k")
    update, close = _progress(args, f"{ds.name} questions")
    stages: dict = {}

    def ingest_progress(stage: str, done: int, total: int) -> None:
        if args.quiet:
            return
        from tqdm import tqdm

        bar = stages.get(stage) or stages.setdefault(stage, tqdm(total=total, desc=f"index: {stage}",
                                                                  file=sys.stderr, leave=False))
        bar.total = total
        bar.update(done - bar.n)

    try:
        results, records = run_qa(settings, ds, holdout_frac=holdout, seed=seed, sample=sample, k=k,
                                  cache=args.cache, progress=update, ingest_progress=ingest_progress)
    finally:
        close()
        for bar in stages.values():
            bar.close()
    if args.out:
        paths = write_qa_report(results, records, args.out)
        print(f"wrote {paths['report']}", file=sys.stderr)
    print(json.dumps(results, ensure_ascii=False) if args.json else format_qa(results))
    if args.update_baseline:
        write_public_entry(ds.name, make_public_entry(results), baseline_path)
        print(f"baseline of {ds.name} written to {baseline_path}", file=sys.stderr)
    if entry is not None:
        problems = compare_public(results, entry)
        for line in problems:
            print(f"REGRESSION: {line}", file=sys.stderr)
        if problems:
            return 1
        print(f"baseline check passed ({baseline_path}, {ds.name})", file=sys.stderr)
    return 0


def format_results(r: dict) -> str:
    """Plain-text summary of an eval run."""
    lines = [f"{r['split_note']} ({r['n_questions']} questions, mode {r['mode']}, k {r['k']})"]
    keys = ("hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10", "recall@5", "must_include_accuracy", "refusal_accuracy",
            "false_refusal_rate", "citation_precision", "flagged_claim_rate", "latency_p50", "latency_p95")
    for key in keys:
        v = r.get(key)
        lines.append(f"  {key:<24} {'-' if v is None else f'{v:.3f}'}")
    lines.append("per category: hit@5 / mrr@10 / must_include / refusal acc. / false refusal")
    for cat, m in r["per_category"].items():
        vals = [m.get(k) for k in ("hit@5", "mrr@10", "must_include_accuracy", "refusal_accuracy",
                                   "false_refusal_rate")]
        lines.append(f"  {cat:<14} n={m['n_questions']:<3} " + " / ".join("-" if v is None else f"{v:.2f}"
                                                                          for v in vals))
    for kind, ids in r["failures"].items():
        if ids:
            lines.append(f"{kind}: {', '.join(ids)}")
    return "\n".join(lines)
