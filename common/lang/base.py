"""The Language record: everything language-specific that ingest and the assistant use, in one place.

A language is one module of ``common.lang`` that defines ``LANGUAGE = Language(...)``. Word lists are plain
words; fields documented as *regex fragments* are alternatives of a regular expression (no capturing groups)
that the consumer joins, over all languages, into one pattern (see ``common.lang.alternation``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

OFFLINE_REQUEST_KINDS = ("summarise", "compare", "translate", "write")


@dataclass(frozen=True)
class Language:
    """One natural language. Every field except ``code``, ``name``, ``stemmer`` and ``lingua`` may be empty."""

    code: str  # ISO 639-1, as stored on every chunk (``lang``)
    name: str  # English name, for messages
    stemmer: str  # PyStemmer (Snowball) algorithm name: "english", "french"
    lingua: str  # the lingua-language-detector ``Language`` member: "ENGLISH", "FRENCH"

    # lexical analysis (BM25, soft coverage)
    stop_words: frozenset[str] = frozenset()  # function words, lower case, accent-free
    frame_words: frozenset[str] = frozenset()  # words that frame a question rather than carry its subject
    # words that point at the document itself ("listed in the footnote of the page"), lower case, accent-free:
    # the answerability signals leave them out (frame words such as "year" or "number" may be the subject)
    document_words: frozenset[str] = frozenset()
    stem_accented: bool = False  # stem the word with its accents, then fold the stem (Snowball French needs them)
    enclitics: tuple[str, ...] = ()  # regex fragments of pronouns hyphenated after a verb, cut before stemming

    # sentence boundaries: words written with a final "." that do not end a sentence (given without the dot;
    # a space inside one matches any whitespace)
    abbreviations: tuple[str, ...] = ()

    # questions (regex fragments)
    question_words: tuple[str, ...] = ()  # wh-words that open a question (follow-up subject extraction)
    subquestion_words: tuple[str, ...] = ()  # words that open the second part of "X, and where ...?"
    and_words: tuple[str, ...] = ()  # "and"
    list_question_starts: tuple[str, ...] = ()  # "Which...", "List..." (at the start of the question)
    list_question_words: tuple[str, ...] = ()  # "projects", "partners" (anywhere)
    date_questions: tuple[str, ...] = ()  # "when", "since when" (at the start)
    count_questions: tuple[str, ...] = ()  # "how many" (anywhere)
    place_questions: tuple[str, ...] = ()  # "where" (at the start)
    quantity_questions: tuple[str, ...] = ()  # "how many" followed by the counted noun phrase (anywhere)
    duration_questions: tuple[str, ...] = ()  # "how long" (at the start): the answer is a number of time units
    who_questions: tuple[str, ...] = ()  # "who", "by whom", "under whose" (at the start): the answer is a name
    reason_questions: tuple[str, ...] = ()  # "why" (at the start): the answer is a purpose or a cause
    acronym_questions: tuple[str, ...] = ()  # "what does X stand for" (anywhere): the answer is the expansion
    # requests the offline (extractive) mode cannot do: kind (summarise, compare, translate, write) -> regex
    # fragments matched at the start of the question, after an optional ``polite_prefixes`` fragment
    offline_requests: dict[str, tuple[str, ...]] = field(default_factory=dict)
    polite_prefixes: tuple[str, ...] = ()  # "please", "can you" (case-insensitive)

    # answers (regex fragments matched in passage sentences, case-sensitive unless said)
    month_names: tuple[str, ...] = ()
    count_answer_words: tuple[str, ...] = ()  # number words of a count answer (case-insensitive)
    place_words: tuple[str, ...] = ()  # "located", "head office", "in <Capitalised>"
    place_prepositions: tuple[str, ...] = ()  # "in", "at": a place name follows (case-sensitive)
    time_units: tuple[str, ...] = ()  # "years", "months": a duration is a number before one (case-insensitive)
    century_words: tuple[str, ...] = ()  # "century", "siècle": "19th century" is a date (case-insensitive)
    count_qualifiers: tuple[str, ...] = ()  # "more than", "nearly": part of a count answer (case-insensitive)
    name_connectors: tuple[str, ...] = ()  # lower-case words inside a name: "Ministry *for* Europe *and*..."
    reason_markers: tuple[str, ...] = ()  # "because", "in order to", "aims to": a reason clause follows

    # noun phrases of counting questions (plain words)
    number_words: frozenset[str] = frozenset()  # a quantity in a passage: "thirty", "hundreds"
    np_end_words: frozenset[str] = frozenset()  # words that end the counted noun phrase: verbs, prepositions
    pronouns: frozenset[str] = frozenset()  # "how many of them": nothing nameable is counted
    # words of a quoted sentence that need an antecedent ("It", "its"): the sentence is shown with its subject
    anaphora: frozenset[str] = frozenset()

    # citations: capitalised words that are not names when they open a clause
    common_capitalised: frozenset[str] = frozenset()
    # sentences of documents that address the assistant (prompt injection), regex fragments, case-insensitive
    instruction_patterns: tuple[str, ...] = ()
    # second-person words (lower case): a sentence of a message with one speaks to the assistant ("print your
    # configuration"), not about the documents' subject
    addressee_words: frozenset[str] = frozenset()
    # an LLM's way of saying the documents do not answer (regex fragments, the whole reply)
    llm_refusals: tuple[str, ...] = ()

    # conversation (regex fragments, case-insensitive)
    refers_back: tuple[str, ...] = ()  # pronouns and "the project": the question needs the previous turn
    what_about: tuple[str, ...] = ()  # "what about" before a new subject

    # small talk: kind (greeting, thanks, bye, help) -> whole-message regex fragments, case-insensitive
    small_talk: dict[str, tuple[str, ...]] = field(default_factory=dict)
    greeting_addressees: tuple[str, ...] = ()  # "hello *everyone*"

    # cross-language retrieval: words of this language (lower case, accent-free) -> keywords in
    # ``glossary_target``; ``markers`` and ``elisions`` recognise the language without the detector
    glossary: dict[str, str] = field(default_factory=dict)
    glossary_target: str = ""
    # a question word that asks for each answer type ("name": "who"), put before the keywords of a question in
    # another language when they lose its type ("Comment s'appelle..." -> "how ...": "who how ...")
    type_words: dict[str, str] = field(default_factory=dict)
    markers: frozenset[str] = frozenset()
    marker_letters: str = ""  # letters typical of the language ("é", "ç"): with a marker word, enough to tell
    elisions: tuple[str, ...] = ()  # regex fragments of elided prefixes without the apostrophe: "l", "qu"

    # evaluation: articles the SQuAD answer normalisation strips, and those written elided ("l'avion")
    articles: tuple[str, ...] = ()
    elided_articles: tuple[str, ...] = ()

    # what the assistant says in this language
    # refusal, greeting, thanks, bye, help; limit_<kind> (an offline request the mode cannot do), partial
    texts: dict[str, str] = field(default_factory=dict)
    example_questions: tuple[str, ...] = ()  # shown with a greeting or help reply and as the chat's examples
    # the chat interface's labels and messages in this language (keys: see common/lang/en.py; ui.i18n)
    ui: dict[str, str] = field(default_factory=dict)
    # why ingest skipped a file, by its code (ingest.reasons), and ``note_<code>``: what became of its indexed
    # version, said after the reason. English's are the ingest report's reasons (``uca ingest`` prints them),
    # the other languages' the chat's translations
    skip_reasons: dict[str, str] = field(default_factory=dict)
    # the chat's "How this answer was found" panel: ``step_<name>`` (answer steps), ``key_<name>`` (what a step
    # decided), ``yes`` and ``no``
    trace_labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (len(self.code) == 2 and self.code.isalpha() and self.code.islower()):
            raise ValueError(f"a language code is two lower-case letters (ISO 639-1), not {self.code!r}")
        if not self.stemmer or not self.lingua:
            raise ValueError(f"language {self.code!r}: stemmer and lingua names are required")
        unknown = set(self.small_talk) - {"greeting", "thanks", "bye", "help"}
        if unknown:
            raise ValueError(f"language {self.code!r}: unknown small-talk kinds {sorted(unknown)}")
        unknown = set(self.offline_requests) - set(OFFLINE_REQUEST_KINDS)
        if unknown:
            raise ValueError(f"language {self.code!r}: unknown offline request kinds {sorted(unknown)}")
        missing = [k for k in self.offline_requests if f"limit_{k}" not in self.texts]
        if missing:
            raise ValueError(f"language {self.code!r}: no limit_<kind> text for {missing}")
