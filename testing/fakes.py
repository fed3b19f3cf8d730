"""Fakes for fast unit tests: an embedder without a model and a scripted LangChain chat model.

``FakeEmbedder`` has the interface of :class:`ingest.embeddings.Embedder`; ``FakeChatModel(script)`` is a
LangChain chat model whose reply is ``script(messages)`` (the messages as OpenAI-style dicts), the same script
that :class:`testing.servers.StubOpenAI` serves over HTTP. Neither ever loads a model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np

Script = Callable[[list[dict]], str]  # the chat messages ({"role", "content"} dicts) -> the model's reply
TOKEN = re.compile(r"\S+\s*|\s+")  # how scripted replies are cut into streamed tokens
PASSAGE = re.compile(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)
ROLES = {"system": "system", "human": "user", "ai": "assistant"}  # LangChain message type -> OpenAI role


class FakeEmbedder:
    """Same interface as :class:`ingest.embeddings.Embedder`, without a model: each text's vector comes
    from a hash of the text (normalised float32, dimension 16). Records what it was asked to encode."""

    def __init__(self, dim: int = 16) -> None:
        self.dim = dim
        self.name = f"fake-hash-{dim}"
        self.backend = "fake"  # not a backend that the pipeline exports (ONNX) or loads
        self._model = None  # mirrors Embedder: no sentence-transformers model, ever
        self.loads = 0
        self.calls = 0
        self.encoded: list[str] = []
        self.words: list[str] = []

    @property
    def loaded(self) -> bool:
        return self.loads > 0

    def dimension(self) -> int:
        return self.dim

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None,
               show_progress_bar: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        if self.loads == 0:
            self.loads = 1
        self.calls += 1
        self.encoded.extend(texts)
        out = self._vectors(texts)
        if progress is not None:
            progress(len(texts), len(texts))
        return out

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            vec = np.random.default_rng(seed).standard_normal(self.dim)
            out[i] = vec / np.linalg.norm(vec)
        return out

    def encode_with_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]):
        """Chunk vectors (recorded in ``encoded``) and one vector per sentence span."""
        vecs = self.encode(texts)
        return vecs, [self._vectors([t[a:b] for a, b in sp]) for t, sp in zip(texts, spans, strict=True)]

    def encode_words(self, words: Sequence[str]) -> np.ndarray:
        """Corpus words (recorded in ``words``, not in ``encoded``)."""
        self.words.extend(words)
        return self._vectors(words)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


# -- scripted chat models


def passages_in(messages: list[dict]) -> dict[int, str]:
    """The numbered passages of the assistant's prompt: {n: text}."""
    text = "\n".join(str(m.get("content", "")) for m in messages)
    return {int(n): body for n, body in PASSAGE.findall(text)}


def number_of(messages: list[dict], needle: str) -> int:
    """Number of the first passage containing ``needle`` (what a well-behaved model would cite)."""
    for n, body in sorted(passages_in(messages).items()):
        if needle in body:
            return n
    raise AssertionError(f"no passage contains {needle!r}")


def tokens(content: str) -> list[str]:
    """A scripted reply as the pieces a streaming model sends (words with their trailing space)."""
    return TOKEN.findall(content) or [""]


def FakeChatModel(script: Script, **kwargs: Any):  # noqa: N802 - a class, built on first use (langchain import)
    """A LangChain chat model answering ``script(messages)``; ``.requests`` records each call like the stub's
    HTTP bodies (``{"messages": [...], "stream": bool}``)."""
    return _fake_chat_class()(script=script, **kwargs)


FAKE_BACKEND = "fake"  # UCA_LLM=fake:NAME -> the fake chat model registered under NAME
_MODELS: dict[str, Any] = {}


def fake_llm_settings(settings: Any, model: Any, name: str = "model"):
    """``settings`` in the LLM answer mode with ``UCA_LLM=fake:NAME``: the assistant gets ``model`` (a
    :func:`FakeChatModel`) through the LLM backend registry, as it gets ChatOpenAI (the backend is registered on
    first use: importing this module changes nothing)."""
    from assistant.answerers.llm import register_backend

    _MODELS[name] = model
    register_backend(FAKE_BACKEND)(lambda _settings, model_name: _MODELS[model_name])
    return settings.model_copy(update={"llm": f"{FAKE_BACKEND}:{name}", "answer_mode": "llm"})


@cache
def _fake_chat_class() -> type:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
    from pydantic import Field

    class _FakeChatModel(BaseChatModel):
        script: Any
        requests: list = Field(default_factory=list)

        @property
        def _llm_type(self) -> str:
            return "uca-fake-chat"

        def _reply(self, messages: list, stream: bool) -> str:
            dicts = [{"role": ROLES.get(m.type, m.type), "content": m.content} for m in messages]
            self.requests.append({"messages": dicts, "stream": stream})
            return self.script(dicts)

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # noqa: ANN001 - LangChain API
            content = self._reply(messages, stream=False)
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=content))])

        def _stream(self, messages, stop=None, run_manager=None, **kwargs):  # noqa: ANN001 - LangChain API
            for piece in tokens(self._reply(messages, stream=True)):
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager is not None:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk

    return _FakeChatModel
