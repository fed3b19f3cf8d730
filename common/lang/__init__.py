"""The languages the product knows, as plug-ins: one module per language (``en``, ``fr``), found here.

Adding a language is one new module beside ``en.py`` that defines ``LANGUAGE = Language(...)`` (see
``common.lang.base``); nothing else changes. ``get(code)``, ``available()`` and ``SUPPORTED`` list them;
``alternation`` / ``words`` join one field over all of them (what applies when a text's language is unknown:
English and French patterns both apply); ``detect(text)`` tells the language of a text (lingua, offline,
restricted to the supported languages, built lazily once).
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Mapping
from functools import lru_cache

from common.lang.base import Language

__all__ = ["DEFAULT_LANGUAGE", "Language", "SUPPORTED", "alternation", "available", "detect", "get", "languages",
           "union", "warm_up", "words"]

DEFAULT_LANGUAGE = "en"  # the fallback when a text is too short to tell (settings: UCA_DEFAULT_LANGUAGE)
MIN_DETECT_LETTERS = 12  # fewer letters than this: the detector's guess is noise, the default is used
MIN_DETECT_CONFIDENCE = 0.7  # the detector's confidence in its best language below which the default is used
DETECT_MAX_CHARS = 5000  # text looked at: more does not change the answer, only the time
_NOT_LANGUAGES = frozenset({"base"})  # modules of this package that are not a language


@lru_cache(maxsize=1)
def _registry() -> dict[str, Language]:
    found: dict[str, Language] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in _NOT_LANGUAGES or info.name.startswith("_"):
            continue
        lang = getattr(importlib.import_module(f"{__name__}.{info.name}"), "LANGUAGE", None)
        if not isinstance(lang, Language):
            raise TypeError(f"common.lang.{info.name} must define LANGUAGE = Language(...)")
        if lang.code != info.name:
            raise ValueError(f"common.lang.{info.name} defines language {lang.code!r}: name the module after it")
        found[lang.code] = lang
    # the default language first: its patterns come first in every union
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != DEFAULT_LANGUAGE, kv[0])))


def available() -> tuple[str, ...]:
    """Codes of the supported languages, the default first."""
    return tuple(_registry())


def __getattr__(name: str):  # SUPPORTED is computed on first use (the modules are found, not listed)
    if name == "SUPPORTED":
        return available()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get(code: str) -> Language:
    """The language with this ISO 639-1 code; ``ValueError`` naming the supported ones otherwise."""
    reg = _registry()
    lang = reg.get((code or "").strip().lower())
    if lang is None:
        raise ValueError(f"unsupported language {code!r}; supported: {', '.join(reg)}")
    return lang


def languages(codes: tuple[str, ...] | list[str] | None = None) -> list[Language]:
    """The given languages (unknown codes skipped), or all of them."""
    reg = _registry()
    if codes is None:
        return list(reg.values())
    return [reg[c] for c in dict.fromkeys(codes) if c in reg]


@lru_cache(maxsize=256)
def union(attr: str) -> tuple:
    """One tuple field over all languages, in language order, duplicates dropped."""
    out: dict = {}
    for lang in _registry().values():
        for item in getattr(lang, attr):
            out.setdefault(item, None)
    return tuple(out)


def main_language(chars: Mapping[str, int], default: str = "") -> str:
    """The language with the most characters ({code: characters}); a tie goes to the first code in alphabetical
    order (never to the order documents were read in); ``default`` when there are none."""
    return max(sorted(chars), key=lambda k: chars[k]) if chars else default


@lru_cache(maxsize=256)
def words(attr: str) -> frozenset[str]:
    """One word-set field over all languages."""
    out: set[str] = set()
    for lang in _registry().values():
        out |= getattr(lang, attr)
    return frozenset(out)


def alternation(attr: str) -> str:
    """A regex fragment field over all languages, joined as alternatives: ``a|b|c``."""
    return "|".join(union(attr))


_detector_lock = threading.Lock()


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language as LinguaLanguage
    from lingua import LanguageDetectorBuilder

    members = {getattr(LinguaLanguage, lang.lingua): lang.code for lang in _registry().values()}
    if len(members) == 1:
        return None, members
    return LanguageDetectorBuilder.from_languages(*members).build(), members


def warm_up() -> None:
    """Load the detector's models now (about 1 s and 100 MB for English and French) rather than at the first
    question."""
    with _detector_lock:
        _detector()


def detect(text: str, default: str = DEFAULT_LANGUAGE) -> str:
    """The language code of ``text`` among the supported languages; ``default`` when the text is too short
    or the detector is unsure (a name, an acronym, "OK")."""
    letters = sum(1 for c in text[:DETECT_MAX_CHARS] if c.isalpha())
    if letters < MIN_DETECT_LETTERS:
        return default
    with _detector_lock:
        detector, members = _detector()
    if detector is None:
        return next(iter(members.values()))
    values = detector.compute_language_confidence_values(text[:DETECT_MAX_CHARS])
    if not values or values[0].value < MIN_DETECT_CONFIDENCE:
        return default
    return members.get(values[0].language, default)
