"""``uca bench``: ingest, re-ingest, latency, cold start and memory at several corpus sizes, beside a plain
LangChain baseline (``Chroma.from_documents`` + ``similarity_search``) run on the same machine in the same run,
and the embedding backends (torch / onnx / onnx-int8) compared on throughput and SciFact nDCG@10.

Sizes: ``unicancer`` (the project's corpus), ``10k`` (the 5,183 SciFact abstracts as Markdown files of 50
abstracts, one section each, about 13k chunks) and ``100k`` (ten variants of that corpus). Unicancer and 10k
are embedded for real. At 100k, ingest gets an embedder that serves cached vectors (content hash -> vector,
filled by the 10k run) for the base texts and, for the synthetic variants, the base text's vector plus small
deterministic noise: its ingest time measures the pipeline (chunking, Chroma, BM25, manifest), not the model.
Latency at 100k is real: real Chroma HNSW and BM25 over all the chunks, real query embedding.

Everything runs on copies under the cache folder (``--cache``, default ``~/.cache/uca/bench``), never on the
project's own index; results go to ``--out`` (``results.json``, ``report.md``, ``latency.png``).

Modules: ``cli`` (the command and the run), ``corpora`` (the sizes' corpora and questions), ``embedders`` (the
shared model, the vector cache, the timed embedders), ``measurements`` (everything measured at one size),
``harness`` (subprocesses: environment, timing, peak memory, the chat API), ``backends`` (the embedding
backends compared) and ``report`` (targets, Markdown, chart, result files).
"""
