"""``uca bench`` / ``python -m bench``: the command line, the options of one run, and the run itself (every
size, then the backends, then the targets and the result files)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import bench
from bench.corpora import DEFAULT_SCIFACT
from bench.embedders import ModelHolder
from testing.env import OFFLINE

SIZES = ("unicancer", "10k", "100k")
BACKENDS = ("torch", "onnx", "onnx-int8")
DEFAULT_CACHE = Path("~/.cache/uca/bench")
Log = Callable[[str], None]


def register(sub: Any) -> None:
    """Add the ``bench`` subcommand to the ``uca`` parser."""
    p = sub.add_parser("bench", help="benchmark ingest, latency, cold start and memory against a LangChain baseline",
                       description=bench.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="unicancer", help="comma-separated: unicancer,10k,100k (default: unicancer)")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object on stdout")
    p.add_argument("--out", type=Path, metavar="DIR", help="write results.json, report.md and latency.png here")
    p.add_argument("--cache", type=Path, metavar="DIR",
                   help=f"vector cache, generated corpora and work folders (default {DEFAULT_CACHE})")
    p.add_argument("--questions", type=int, default=30, metavar="N", help="questions for warm latency (default 30)")
    p.add_argument("--cold-runs", type=int, default=3, metavar="N",
                   help="new-process runs of `uca ask` and of the baseline script (median reported; default 3)")
    p.add_argument("--backends", default=",".join(BACKENDS),
                   help="embedding backends to compare, or 'none' (default torch,onnx,onnx-int8)")
    p.add_argument("--backend-sample", type=int, default=64, metavar="N",
                   help="SciFact abstracts timed for backend throughput (default 64)")
    p.add_argument("--ndcg", choices=["auto", "yes", "no"], default="auto",
                   help="SciFact nDCG@10 per backend: auto = when its embeddings are cached or a SciFact size runs")
    p.add_argument("--no-chat", action="store_true", help="skip the `uca chat` start and memory measurement")
    p.add_argument("--scifact", type=Path, metavar="PATH", help=f"SciFact in BEIR layout (default {DEFAULT_SCIFACT})")
    p.add_argument("--corpus", type=Path, help="the Unicancer corpus folder to copy (default: UCA_CORPUS_DIR)")
    p.add_argument("--keep", action="store_true", help="keep the work folders (corpora, indexes) after the run")
    p.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark described by the parsed ``uca bench`` arguments."""
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    bad = [s for s in sizes if s not in SIZES]
    backends = [] if args.backends.strip().lower() == "none" else [b.strip() for b in args.backends.split(",")]
    bad += [b for b in backends if b not in BACKENDS]
    if bad or not sizes:
        print(f"uca bench: error: unknown size or backend {bad or sizes!r} (sizes: {', '.join(SIZES)}; "
              f"backends: {', '.join(BACKENDS)} or none)", file=sys.stderr)
        return 2
    log: Log = (lambda msg: None) if args.quiet else _stderr_log
    opts = BenchOptions(
        sizes=sizes, out=args.out, cache=(args.cache or DEFAULT_CACHE).expanduser().resolve(),
        questions=max(1, args.questions), cold_runs=max(1, args.cold_runs), backends=backends,
        backend_sample=max(8, args.backend_sample), ndcg=args.ndcg, chat=not args.no_chat,
        scifact=(args.scifact or DEFAULT_SCIFACT).expanduser().resolve(), corpus=args.corpus, keep=args.keep,
        command="uca bench " + " ".join(sys.argv[2:] if sys.argv[1:2] == ["bench"] else sys.argv[1:]),
    )
    results = run_bench(opts, log)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        from bench.report import markdown_report

        print(markdown_report(results))
    return 0


def main() -> int:
    """``python -m bench``: the same as ``uca bench``."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    return run(parser.parse_args(["bench", *sys.argv[1:]]))


def _stderr_log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchOptions:
    """What one ``uca bench`` run measures and where it works."""

    def __init__(self, sizes: Sequence[str], out: Path | None, cache: Path, questions: int = 30, cold_runs: int = 3,
                 backends: Sequence[str] = BACKENDS, backend_sample: int = 64, ndcg: str = "auto",
                 chat: bool = True, scifact: Path = DEFAULT_SCIFACT, corpus: Path | None = None, keep: bool = False,
                 command: str = "uca bench") -> None:
        self.sizes, self.out, self.cache, self.questions = list(sizes), out, cache, questions
        self.cold_runs, self.backends, self.backend_sample, self.ndcg = cold_runs, list(backends), backend_sample, ndcg
        self.chat, self.scifact, self.corpus, self.keep, self.command = chat, scifact, corpus, keep, command


def run_bench(opts: BenchOptions, log: Log = _stderr_log) -> dict:
    """Measure every requested size (then the backends) and write the result files; returns the results."""
    os.environ.update(OFFLINE)
    from bench.backends import bench_backends
    from bench.measurements import bench_size
    from bench.report import check_targets, write_outputs
    from ingest import model_choice
    from ingest.settings import Settings

    t0 = time.perf_counter()
    base = Settings()
    if opts.corpus:
        base = base.model_copy(update={"corpus_dir": opts.corpus})
    base = base.model_copy(update={"chroma_url": None})
    base = model_choice.resolve(base)  # UCA_EMBEDDING_MODEL=auto: the chat index's model (else the default)
    opts.cache.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": opts.command,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_avg_start": [round(x, 2) for x in os.getloadavg()]},
        "settings": {"embedding_model": base.embedding_model, "embedding_backend": base.embedding_backend,
                     "embedding_batch_size": base.embedding_batch_size, "chunk_size": base.chunk_size,
                     "chunk_overlap": base.chunk_overlap, "top_k": base.top_k, "answer_mode": "extractive"},
        "questions": opts.questions, "cold_runs": opts.cold_runs, "sizes": {}, "backends": None,
    }
    model = ModelHolder(base)
    for size in opts.sizes:
        log(f"size {size}: start")
        try:
            results["sizes"][size] = bench_size(size, base, model, opts, log)
        except Exception as exc:  # noqa: BLE001 - one failed size must not lose the others' figures
            import traceback

            log(f"size {size} FAILED: {exc}\n{traceback.format_exc()}")
            results["sizes"][size] = {"error": f"{type(exc).__name__}: {exc}"}
        _write_partial(results, opts)
    if opts.backends:
        try:
            results["backends"] = bench_backends(base, model, opts, log)
        except Exception as exc:  # noqa: BLE001
            log(f"backends FAILED: {exc}")
            results["backends"] = {"error": f"{type(exc).__name__}: {exc}"}
    results["targets"] = check_targets(results)
    results["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["total_seconds"] = round(time.perf_counter() - t0, 1)
    if opts.out:
        write_outputs(results, opts.out)
        log(f"wrote {opts.out / 'report.md'}, results.json, latency.png")
    log(f"done in {results['total_seconds']:.0f} s")
    return results


def _write_partial(results: dict, opts: BenchOptions) -> None:
    if opts.out:
        opts.out.mkdir(parents=True, exist_ok=True)
        (opts.out / "results.partial.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
