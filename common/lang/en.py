"""English."""

from __future__ import annotations

from common.lang.base import Language

LANGUAGE = Language(
    code="en",
    name="English",
    stemmer="english",
    lingua="ENGLISH",
    stop_words=frozenset(
        """a about above after again against all am an and any are as at be because been before being below
        between both but by can could did do does doing down during each few for from further had has have
        having he her here hers herself him himself his how i if in into is it its itself just me more most my
        myself no nor not now of off on once only or other our ours ourselves out over own same she should so
        some such than that the their theirs them themselves then there these they this those through to too
        under until up very was we were what when where which while who whom why will with would you your
        yours yourself yourselves tell please give list name describe explain""".split()
    ),
    frame_words=frozenset(
        "kind kinds type types sort sorts listed mentioned mention page document documents text say says "
        "according exactly called named particular specific main many much long whose ways way year "
        "years number take make does did".split()
    ),
    abbreviations=("e.g", "i.e", "etc", "vs", "cf", "Dr", "Mr", "Mrs", "Ms", "Prof", "St", "No", "Fig", "al",
                   "approx", "Inc", "Ltd", "Co", "p", "pp"),
    question_words=("what", "which", "who", "where", "when", "why", "how"),
    subquestion_words=("what", "where", "when", "which", "who", "how", "since", "why"),
    and_words=("and",),
    list_question_starts=("which", "list", "name", "enumerate", "what are", "who are"),
    list_question_words=("all", "every", "projects", "partnerships", "partners", "members", "memberships",
                         "organi[sz]ations", "initiatives", "priorities", "objectives", "centers", "centres",
                         "networks", "themes", "ambitions?"),
    date_questions=("since when", "when", r"(?:\w+ )?(?:what|which) (?:year|date|century)", "since"),
    count_questions=("how many", "how much", "what percentage", "what share", "what number",
                     r"what (?:is|was) the (?:amount|number|percentage|proportion|share|rate)\b"),
    place_questions=("where",),
    quantity_questions=("how (?:many|much)", "number of"),
    duration_questions=("how long", "for how long", "over what period", "for what period"),
    who_questions=("who", "whom", "whose", "by whom", "under whose", "which person", "which organi[sz]ation"),
    reason_questions=("why", "for what reason", "what is the (?:aim|purpose|goal) of", "what for"),
    acronym_questions=(r"stand for", r"short for", r"what does \S+ mean", "abbreviation", "acronym"),
    offline_requests={
        "summarise": (r"summari[sz]e", "sum up", r"give (?:me )?(?:a |an )?(?:summary|overview)", "summary of",
                      r"tl;?dr"),
        "compare": ("compare", "contrast", r"what(?:'s| is| are) the differences? between",
                    r"how (?:does|do|is|are) \S+(?: \S+)? differ"),
        "translate": ("translate",),
        "write": (r"write", "draft", "compose", "rewrite", "paraphrase"),
    },
    polite_prefixes=(r"please,?", "can you", "could you", "would you", "will you", r"i(?:'d| would) like you to",
                     "i want you to", "help me"),
    month_names=("January", "February", "March", "April", "May", "June", "July", "August", "September",
                 "October", "November", "December"),
    count_answer_words=("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "dozen",
                        "thirty", "forty", "fifty", "hundred", "thousand", "million"),
    place_words=("located", "based", "head office", r"headquarter\w*", "in [A-Z][a-z]+"),
    place_prepositions=("in", "at", "near", "from"),
    time_units=(r"years?", r"months?", r"weeks?", r"days?", r"hours?", r"minutes?", r"decades?", r"centur(?:y|ies)"),
    century_words=("century", "centuries"),
    count_qualifiers=("more than", "less than", "fewer than", "over", "under", "nearly", "almost", "about",
                      "around", "approximately", "up to", "at least", "some", "roughly"),
    name_connectors=("of", "for", "and", "the", "de", "du", "des", "la", "le", "on", "in"),
    reason_markers=("because(?: of)?", "in order to", "so that", "so as to", "aims? (?:to|at)", "due to",
                    "thanks to", "to allow", "to help", "to facilitate", "to enable"),
    number_words=frozenset(
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds "
        "thousand thousands million millions billion billions dozen dozens half quarter".split()
    ),
    np_end_words=frozenset(
        "do does did is are was were has have had will would can could should may might be been being of in on "
        "at by for to from with per within among across the a an that which who there this these those".split()
    ),
    pronouns=frozenset("them they it these those he she we you us".split()),
    anaphora=frozenset("it its they their them this these he she his her".split()),
    common_capitalised=frozenset(
        "the a an it its this these those they there here in on at for and but or of to i we you what which who "
        "when where why how yes no".split()
    ),
    instruction_patterns=(
        r"\b(?:ignore|disregard|forget|override)\b[^.?!]{0,40}\b(?:instructions?|prompts?|rules|context|documents?"
        r"|above)\b",
        r"\byou are now\b",
        r"\b(?:system|developer) (?:prompt|message|mode)\b",
        r"\b(?:reply|respond|answer|say)\s+(?:only\b|with (?:only|just|the words?)\b|with ['\"“«‘])",
        r"\bas an ai\b",
        r"\bnew instructions?\b",
        r"\b(?:reveal|print|output) (?:your|the) (?:system|prompt|instructions)",
        # a role label or chat-template token opening the sentence ("SYSTEM: ...", "<|im_start|>")
        r"^\W*(?-i:SYSTEM|ASSISTANT|DEVELOPER)\s*:", r"<\|?(?:system|im_start|im_end)\|?>|<<sys>>|\[/?inst\]",
        r"\bif you are an? (?:ai|language model|llm|assistant|chatbot)\b",
        r"\b(?:tell|inform) (?:every|all|the) (?:users?|readers?|visitors?)\b",
        # a request for secrets addressed to the reader ("send your password to ...")
        r"\b(?:send|give|enter|share|provide|type|confirm|submit|verify|e-?mail)\b(?:\s+\S+){0,6}?\s+"
        r"(?:passwords?|passcodes?|credentials|login details|(?-i:PIN)(?: code)?|credit card(?: numbers?)?|bank details"
        r"|card numbers?|social security numbers?)\b",
    ),
    llm_refusals=("the documents do not say", "not in the documents"),
    refers_back=("it", "its", "it's", "they", "them", "their", "theirs", "this", "that", "these", "those", "he",
                 "she", "him", "her", "his", "hers", "the project", "the organi[sz]ation", "the federation",
                 "the association", "the network", "the plan", "the initiative"),
    what_about=(r"(?:what|how)\s+about",),
    small_talk={
        "greeting": ("hi", "hello", "hey", "good (?:morning|afternoon|evening)"),
        "thanks": ("thanks?(?: you)?(?: very much| a lot)?", "thx", "great", "perfect", "ok(?:ay)?", "cool",
                   "super"),
        "bye": ("bye", "goodbye", "see you"),
        "help": ("what can you do", "what do you do", "who are you", "what are you", "help", "how does this work"),
    },
    greeting_addressees=("there", "everyone", "all"),
    articles=("a", "an", "the"),
    elided_articles=(),
    texts={
        "refusal": "The documents do not cover this question, so I cannot answer it from them.",
        "greeting": "Hello! I answer questions about Unicancer's international work from its documents, "
                    "with the passages I quote.",
        "thanks": "You're welcome. Ask me anything else about Unicancer's international work.",
        "bye": "Goodbye!",
        "help": "I answer questions about Unicancer's international work (European projects, memberships, "
                "partnerships) using only the indexed documents, and I cite the passage behind every sentence. "
                "When the documents do not say, I tell you so.",
        "examples": "For example:",
        "planted": "Passage [{n}] contains text that gives instructions to the assistant or the reader. It was "
                   "treated as document content: not followed, and not used as an answer.",
        "limit_summarise": "The offline mode quotes passages; it cannot write a summary. The passages most "
                           "relevant to your request follow; the LLM mode (UCA_ANSWER_MODE=llm) can summarise them.",
        "limit_compare": "The offline mode quotes passages; it cannot write a comparison. What the documents say "
                         "about each follows; the LLM mode (UCA_ANSWER_MODE=llm) can compare them in prose.",
        "limit_translate": "The offline mode quotes passages in their own language; it cannot translate. The "
                           "passages most relevant to your request follow; the LLM mode (UCA_ANSWER_MODE=llm) can "
                           "translate them.",
        "limit_write": "The offline mode quotes passages; it cannot write new text. The passages most relevant to "
                       "your request follow; the LLM mode (UCA_ANSWER_MODE=llm) can write from them.",
        "partial": "The documents answer only part of this question; they say nothing on: {parts}.",
    },
)
