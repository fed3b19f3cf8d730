"""The LLM answerer and its backend registry: any LangChain chat model, chosen by ``UCA_LLM`` (``provider:MODEL``).

Backends are small factories keyed by provider name (``openai`` for OpenAI and any OpenAI-compatible server,
``ollama``); a new one is one entry via :func:`register_backend`. Passages go into the prompt as untrusted
data (``prompts/answer.txt``); the verify step checks the markers the model writes.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from importlib import resources
from typing import TYPE_CHECKING

from assistant.answerers.base import Answerer, register_answerer
from assistant.results import Passage

if TYPE_CHECKING:
    from assistant.pipeline import Context
    from ingest.settings import Settings

_BACKENDS: dict[str, Callable[[Settings, str], object]] = {}


def register_backend(provider: str) -> Callable:
    """Decorator: ``factory(settings, model_name) -> chat model`` for ``UCA_LLM=provider:MODEL``."""

    def deco(factory: Callable[[Settings, str], object]) -> Callable[[Settings, str], object]:
        _BACKENDS[provider] = factory
        return factory

    return deco


@register_backend("openai")
def _openai(settings: Settings, model: str):
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=model, base_url=settings.llm_base_url, api_key=settings.llm_api_key or "not-needed",
                      temperature=settings.llm_temperature, timeout=settings.llm_timeout,
                      max_retries=settings.llm_max_retries)


@register_backend("ollama")
def _ollama(settings: Settings, model: str):
    from langchain_ollama import ChatOllama

    kwargs = {"base_url": settings.llm_base_url} if settings.llm_base_url else {}
    return ChatOllama(model=model, temperature=settings.llm_temperature, **kwargs)


def parse_llm_spec(spec: str | None) -> tuple[str, str] | None:
    """``(provider, model)`` of a spec, None for ``none``; ValueError for one no backend serves."""
    spec = (spec or "none").strip()
    if spec.lower() == "none":
        return None
    provider, _, model = spec.partition(":")
    if provider not in _BACKENDS or not model.strip():
        known = " or ".join(f"'{p}:MODEL'" for p in sorted(_BACKENDS))
        raise ValueError(f"UCA_LLM must be 'none' or {known}, not {spec!r}")
    return provider, model.strip()


def make_chat_model(settings: Settings, spec: str | None = None):
    """A LangChain chat model from ``spec`` (default ``UCA_LLM``)."""
    parsed = parse_llm_spec(spec or settings.llm)
    if parsed is None:
        raise ValueError("the LLM mode needs UCA_LLM (e.g. openai:MODEL with UCA_LLM_BASE_URL, or ollama:MODEL)")
    provider, model = parsed
    return _BACKENDS[provider](settings, model)


def load_prompt(name: str) -> str:
    """A prompt template from ``assistant/prompts``."""
    return resources.files("assistant").joinpath("prompts", name).read_text(encoding="utf-8")


def format_passages(passages: list[Passage]) -> str:
    """Numbered passages for the prompt, each marked as untrusted data."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        # passage text cannot close or forge a <passage> tag: angle brackets are escaped
        text = p.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        where = html.escape(f"{p.source}" + (f" > {p.section}" if p.section else ""), quote=True)
        blocks.append(f'<passage n="{n}" source="{where}" trust="untrusted">\n{text}\n</passage>')
    return "\n".join(blocks)


def llm_messages(question: str, passages: list[Passage]):
    """System and user messages of the answer prompt."""
    from langchain_core.messages import HumanMessage, SystemMessage

    prompt = load_prompt("answer.txt").format(passages=format_passages(passages), question=question)
    head, _, rest = prompt.partition("<passages>")
    return [SystemMessage(content=head.strip()), HumanMessage(content="<passages>" + rest)]


def llm_stream(model, question: str, passages: list[Passage]) -> Iterator[str]:
    """Tokens of the LLM answer as they arrive."""
    for chunk in model.stream(llm_messages(question, passages)):
        content = chunk.content
        if isinstance(content, list):
            content = "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
        if content:
            yield content


def llm_condense(model, question: str, history: list[tuple[str, str]], settings: Settings) -> str:
    """A standalone question from the conversation (LLM mode follow-ups)."""
    from langchain_core.messages import HumanMessage

    turns = "\n".join(f"User: {u}\nAssistant: {a[: settings.llm_history_chars]}"
                      for u, a in history[-settings.llm_condense_turns:])
    prompt = load_prompt("condense.txt").format(history=turns, question=question)
    out = model.invoke([HumanMessage(content=prompt)]).content
    out = (out if isinstance(out, str) else str(out)).strip().splitlines()
    return out[0].strip() if out and out[0].strip() else question


@register_answerer("llm")
class LLMAnswerer(Answerer):
    needs_llm = True

    def answer_stream(self, ctx: Context) -> Iterator[str]:
        question = ctx.question if not ctx.history else ctx.query
        parts: list[str] = []
        for token in llm_stream(ctx.chat_model(), question, ctx.passages):
            parts.append(token)
            yield "".join(parts)
        if not parts:
            yield ""
