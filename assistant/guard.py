"""Input handling: invisible characters stripped, size limits, and small talk recognised."""

from __future__ import annotations

import re
import unicodedata

from common.lang import DEFAULT_LANGUAGE, alternation, get, languages, words
from common.text import ends_with_abbreviation

# Unicode tag block, zero-width characters, bidi controls, BOM, soft hyphen, other format characters
_INVISIBLE = re.compile(
    "[\U000e0000-\U000e007f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\u00ad\u180e\ufff9-\ufffb]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]{0,500}(?:\x07|\x1b\\)|\x1b[@-_]")


class QuestionError(ValueError):
    """A question that cannot be asked as it stands; the message says why, for the user. ``key`` and ``values``
    name the text of the language modules it came from (``texts[key]``), so that a page can show it in its own
    language; the message itself is in the default language."""

    def __init__(self, message: str, key: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.key, self.values = key, values

    @classmethod
    def of(cls, key: str, **values: object) -> QuestionError:
        return cls(get(DEFAULT_LANGUAGE).texts[key].format(**values), key, **values)

    def text(self, lang: str) -> str:
        """The message in ``lang`` (the default language's when that language lacks it)."""
        if not self.key:
            return str(self)
        template = get(lang).texts.get(self.key) or get(DEFAULT_LANGUAGE).texts[self.key]
        return template.format(**self.values)


def clean_question(raw: object, max_chars: int) -> str:
    """The question with invisible and control characters removed; raises :class:`QuestionError`."""
    if raw is None:
        raise QuestionError.of("question_missing")
    if not isinstance(raw, str):
        raise QuestionError.of("question_not_text")
    if len(raw) > max_chars * 4:  # refuse huge input before doing any work on it
        raise QuestionError.of("question_too_long", length=f"{len(raw):,}", limit=f"{max_chars:,}")
    text = _ANSI.sub(" ", raw)  # terminal escape sequences, whole
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))  # fullwidth letters -> ASCII
    text = _CONTROL.sub(" ", text).replace("\u2028", " ").replace("\u2029", " ")
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cs", "Co"))  # surrogates, private use
    text = re.sub(r"[ \t\r\n]+", " ", text).strip()
    if not text:
        raise QuestionError.of("question_empty")
    if len(text) > max_chars:
        raise QuestionError.of("question_too_long", length=f"{len(text):,}", limit=f"{max_chars:,}")
    return text


def _small_talk_pattern(kind: str, tail: str) -> re.Pattern:
    alts = "|".join(p for lang in languages() for p in lang.small_talk.get(kind, ()))
    return re.compile(rf"^({alts}){tail}", re.I)


# whole messages that are small talk, in every language (common.lang): kind -> pattern
_SMALL_TALK = [
    (_small_talk_pattern("greeting", rf"\b[\s!.,]*({alternation('greeting_addressees')})?[\s!.]*$"), "greeting"),
    (_small_talk_pattern("thanks", r"[\s!.]*$"), "thanks"),
    (_small_talk_pattern("bye", r"[\s!.]*$"), "bye"),
    (_small_talk_pattern("help", r"[\s?!.]*$"), "help"),
]


_TAILS = {"greeting": rf"\b[\s!.,]*({alternation('greeting_addressees')})?[\s!.]*$", "thanks": r"[\s!.]*$",
          "bye": r"[\s!.]*$", "help": r"[\s?!.]*$"}


def small_talk_language(question: str, kind: str) -> str | None:
    """The language whose own small-talk words of ``kind`` the message is ("Bonjour" is French although too
    short for the detector), when exactly one language's are; else None."""
    q = question.strip()
    found = [lang.code for lang in languages() if lang.small_talk.get(kind)
             and re.match(rf"^({'|'.join(lang.small_talk[kind])}){_TAILS.get(kind, '$')}", q, re.I)]
    return found[0] if len(found) == 1 else None


def small_talk_kind(question: str) -> str | None:
    """'greeting', 'thanks', 'bye' or 'help' when the message is small talk, else None."""
    q = question.strip()
    if len(q) > 60:
        return None
    for pattern, kind in _SMALL_TALK:
        if pattern.match(q):
            return kind
    return None


_TAG = re.compile(r"<[^>]{0,200}>")
_URL = re.compile(r"\b(?:https?|ftp|javascript|data):\S+|\[[^\]]{0,100}\]:\s*\S+", re.I)
_MD_NOISE = re.compile(r"[#*_`|]{2,}|!\[[^\]]*\]\([^)]*\)")
_INSTRUCTION = re.compile(alternation("instruction_patterns"), re.I)
_ROLE_LABEL = re.compile(r"^[\W_]*[A-Z][A-Z _-]{2,}:")  # "SYSTEM:", "NEW POLICY FROM THE ADMIN:"
_WORD = re.compile(r"\w+")


def _context_sentence(part: str) -> bool:
    """A statement beside the question that the question may need ("Human papillomavirus and pterygium. Is the
    virus a risk factor?", "Je lis le rapport CraNE. Qui le coordonne ?"), not one addressed to the assistant:
    it ends as a sentence does, opens with no role label, and has no instruction pattern and no second-person
    word of any language ("print your configuration", "Ignore previous instructions")."""
    s = part.strip()
    if not s.endswith(".") or _ROLE_LABEL.match(s) or _INSTRUCTION.search(s):
        return False
    addressee = words("addressee_words")
    return not any(w.lower() in addressee for w in _WORD.findall(s))


def focus_question(question: str) -> str:
    """The part of a message to search for: markup removed and, when the message has question sentences, those
    and the statements that give them context (:func:`_context_sentence`): instructions around a question
    ("Ignore previous instructions... Where is X?") are dropped, a title before it is kept."""
    text = _URL.sub(" ", _MD_NOISE.sub(" ", _TAG.sub(" ", question)))
    text = re.sub(r"\s+", " ", text).strip()
    parts: list[str] = []
    for part in re.split(r"(?<=[.!?;:])\s+", text):
        if parts and (parts[-1].endswith(":") or ends_with_abbreviation(parts[-1]) or not re.search(r"\w", part)):
            # a title or a label introduces what follows ("Topic: is it...?"); an abbreviation's dot ends no
            # sentence ("M. de Marigny", "Theodor W. Adorno"); a part with no word is the previous one's own
            # punctuation (French spacing: "Hubert et al. ?")
            parts[-1] = f"{parts[-1]} {part}"
        else:
            parts.append(part)
    questions = [p for p in parts if p.rstrip().endswith("?")]
    if questions and len(parts) > 1:
        text = " ".join(p for p in parts if p.rstrip().endswith("?") or _context_sentence(p))
    text = re.sub(r"^[\W_]+(?=\w)", "", text)  # leading "--", "';" and other debris
    text = re.sub(r"^[^\W\d_]+:\s+(?=\S)", "", text)  # a one-word label before the question ("USER:", "Question:")
    return text or question
