"""Test support shared by ``tests/``, ``scripts/`` and ``bench/``: the offline environment and free ports
(``env``), fakes of the embedder and of a chat model (``fakes``), real servers on loopback (``servers``: ``uca
chat``, ``chroma run``, an OpenAI-compatible stub) and the helpers of the ingest crash tests (``crash``).

Nothing here runs at import time; each module imports what it needs when it is used.
"""
