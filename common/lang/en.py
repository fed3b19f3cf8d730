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
    type_words={"date": "when", "count": "how many", "duration": "how long", "place": "where", "name": "who",
                "reason": "why"},
    document_words=frozenset(
        "page pages document documents text texts footnote footnotes paragraph paragraphs listed mentioned "
        "mention mentions according say says".split()
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
                     r"what (?:is|was) the (?:amount|number|percentage|proportion|share|rate)\b",
                     r"what (?:is|was|are|were) the (?:average|mean|median|total|typical)\b"),
    place_questions=(r"(?:from )?where", r"(?:\w+ )?(?:which|what) (?:country|countries|city|cities|regions?|"
                     r"continents?|places?|towns?|provinces?|states?|islands?|capitals?)\b"),
    quantity_questions=("how (?:many|much)", "number of", r"(?:average|mean|median|total|typical)(?! number of)"),
    duration_questions=("how long", "for how long", "over what period", "for what period"),
    # a preposition may open the question ("With whom...", "In which country..."); "which" + a noun of people
    # or organisations asks for a name, + a noun of places for a place
    who_questions=("who", r"(?:\w+ )?whom", "whose", "under whose",
                   r"(?:\w+ )?(?:which|what) (?:person|people|organi[sz]ations?|players?|singers?|actors?|"
                   r"actress(?:es)?|authors?|writers?|artists?|painters?|architects?|kings?|queens?|emperors?|popes?|presidents?|"
                   r"ministers?|coach(?:es)?|directors?|composers?|founders?|teams?|clubs?|compan(?:y|ies)|"
                   r"institutions?|part(?:y|ies))\b",
                   # a name asked for as such: "What is the name of...", "What is the project called?"
                   r"what (?:is|was|are|were) (?:the|its|his|her|their) (?:names?|nicknames?|titles?)\b",
                   r"what (?:is|was|are|were) (?:[\w'’-]+ ){1,4}called\b"),
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
    addressee_words=frozenset({"you", "your", "yours", "yourself", "yourselves"}),
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
        "question_missing": "Please type a question.",
        "question_not_text": "The question must be text.",
        "question_empty": "Please type a question: the message is empty.",
        "question_too_long": "The question is too long ({length} characters; the limit is {limit}).",
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
    example_questions=(
        "Where is HOPE's head office?",
        "Which international partnerships does Unicancer lead?",
        "What is JANE?",
        "Since when is Unicancer a member of UICC?",
        "What are the objectives of CraNE?",
    ),
    ui={
        # page
        "language_name": "English",
        "title": "Unicancer International · Document Assistant",
        "subtitle": "Answers come only from the indexed documents, with the passage behind every sentence. When "
                    "the documents do not say, it tells you so.",
        "language_switch": "Language",
        "chat_placeholder": "**Ask about Unicancer's international work.**<br>European projects, memberships, "
                            "partnerships: every answer cites its passages.",
        "question_placeholder": "Type a question and press Enter…",
        "ask": "Ask",
        "stop": "■ Stop",
        "clear": "Clear chat",
        "examples_title": "Try an example",
        "settings": "Settings",
        "answer_mode": "Answer mode",
        "answer_mode_info": "extractive: quotes sentences of the passages; llm: a language model writes the answer",
        "answer_mode_info_no_llm": "extractive: quotes sentences of the passages. llm is not offered: no language "
                                   "model is configured (UCA_LLM=openai:MODEL or ollama:MODEL)",
        "top_k": "Passages retrieved (k)",
        "sources_title": "Sources",
        "corpus": "Corpus",
        "reingest": "↻ Re-ingest",
        # conversations
        "conversations": "Conversations",
        "conversation": "Conversation",
        "new_conversation": "New conversation",
        "untitled": "New conversation",
        "rename": "Rename",
        "rename_label": "New name",
        "delete": "Delete",
        "delete_confirm": "Delete the conversation **{title}**?",
        "delete_yes": "Yes, delete it",
        "export": "Export as Markdown",
        "export_file": "Download",
        "export_title": "Conversation: {title}",
        "export_question": "Question",
        "export_answer": "Answer",
        "exported_at": "Exported on {when} from the Unicancer document assistant.",
        # documents panel
        "documents": "Documents",
        "uploads_off": "Adding and removing documents from the browser is turned off (UCA_UPLOADS=false).",
        "add_documents": "Add documents ({suffixes}; at most {files} files of {mb} MB)",
        "replace": "Replace documents with the same name",
        "add": "Add to the corpus",
        "remove_choice": "Remove a document",
        "remove": "Remove…",
        "remove_yes": "Yes, remove it",
        "cancel": "Cancel",
        "remove_question": "Remove **{name}** from the corpus folder and the index?",
        "choose_files": "Choose one or more files first.",
        "choose_document": "Choose a document to remove first.",
        # messages
        "no_llm_title": "No language model configured",
        "no_llm": "The llm answer mode needs a language model: start the app with UCA_LLM=openai:MODEL or "
                  "UCA_LLM=ollama:MODEL, or switch back to extractive in Settings.",
        "question_not_sent": "Question not sent",
        "no_answer": "the assistant returned no answer",
        "ingest_running": "Another ingest is already running (from this app or `uca ingest`). Try again when it "
                          "is done.",
        "refused_title": "Refused",
        "reingest_refused_title": "Re-ingest refused",
        "refused_status": "Refused. {message}",
        "failed_status": "Failed: {message}",
        "reingest_failed": "⚠ Re-ingest failed: {message}",
        "reingested": "✓ Re-ingested in {seconds} s: {documents} documents, {chunks} chunks ({added} added, "
                      "{removed} removed{skipped}). The new index is live.",
        "n_skipped": ", {n} skipped",
        "skipped": "Skipped:",
        "more_skipped": "… and {n} more (see `uca ingest`)",
        "progress_scanning": "Scanning the corpus",
        "progress_reading": "Reading and chunking",
        "progress_embedding": "Embedding {done}/{total} chunks",
        "progress_writing": "Writing the index",
        "progress_switching": "Switching to the new index",
        # answers and sources
        "searching": "_Searching the documents…_",
        "refusal_title": "Not in the documents",
        "flag_unsupported": "unsupported",
        "flag_uncited": "no source",
        "flag_invalid": "bad citation",
        "not_supported": "⚠ Not supported by the cited passages:",
        "error": "⚠ **Something went wrong while answering.** {message}",
        "unknown_document": "unknown document",
        "page_n": "page {page}",
        "searched_for": "Searched for:",
        "sources_empty": "Sources of the last answer appear here: each cited passage, its document and heading, "
                         "with the supporting sentence highlighted. Click an earlier answer to see its sources.",
        "no_documents_needed": "No documents were needed for this reply.",
        "no_passage": "No passage answers this question.",
        "closest": "Closest passages searched:",
        "supports": "supports the answer",
        "badge_answers": "answers the question",
        "badge_context": "context",
        "weak_support": "⚠ weak support",
        "cites_none": "This answer cites no passage.",
        "cited_one": "1 cited passage",
        "cited_many": "{n} cited passages",
        "fold_sources": "Show or hide the sources",
        "sources_heading": "Sources:",
        "planted_badge": "instructions in the document, ignored",
        "planted_title": "Gives instructions to the assistant or the reader: not followed, not an answer",
        "view_in_document": "View in document",
        "how_found": "How this answer was found",
        "refused_by_rule": "Refused by rule",
        # document viewer
        "viewer": "Document",
        "viewer_close": "Close",
        "viewer_empty": "Choose “View in document” on a source card to read the passage in its whole document.",
        "viewer_missing": "This document is no longer in the index.",
        "viewer_changed": "The document changed since it was indexed: the passage is shown where it is found now.",
        "viewer_not_found": "The passage is no longer found in the document.",
        "viewer_failed": "The document could not be opened: {message}",
        # corpus panel
        "never": "never",
        "stats_documents": "Documents",
        "stats_chunks": "Chunks",
        "stats_model": "Embedding model",
        "stats_last_ingest": "Last ingest",
        "indexed_documents": "Indexed documents",
        "and_more": "… and {n} more",
        "no_index": "No index.",
        "no_documents": "No document is indexed yet.",
        "last_ingest": "Last ingest: {when}",
        "col_document": "Document",
        "col_format": "Format",
        "col_language": "Language",
        "col_chunks": "Chunks",
        "col_size": "Size",
        "col_modified": "Modified",
        "result_added": "✓ added",
        "result_replaced": "✓ replaced",
        "result_unchanged": "= unchanged",
        "result_removed": "✓ removed",
        "result_refused": "✗ refused",
        "result_stored": "… stored",
        # documents panel results
        "doc_empty": "the file is empty",
        "doc_not_pdf": "not a PDF (its content does not start with %PDF-)",
        "doc_pdf_named": "a PDF file named {suffix}; rename it .pdf",
        "doc_binary_nul": "binary content (NUL bytes), not a {suffix} text file",
        "doc_binary": "binary content ({controls} control bytes in {size}), not a {suffix} text file",
        "doc_not_utf8": "not UTF-8 text (invalid byte at offset {offset})",
        "doc_utf8_cut": "not UTF-8 text (it ends inside a character)",
        "doc_too_many": "Refused: {n} files at once; the limit is {limit}.",
        "doc_same_name": "the same name twice in one upload",
        "doc_too_big": "{size} bytes; the limit is {limit} per file",
        "doc_exists": "a document with this name exists; tick “Replace” to replace it",
        "doc_not_stored": "could not be stored ({error})",
        "doc_nothing_added": "Nothing was added.",
        "doc_stored_reason": "another ingest started meanwhile; Re-ingest to index it",
        "doc_stored": "Stored, not indexed yet: another ingest is running.",
        "doc_indexed": "{ok} of {n} files indexed in {seconds} s; the new index is live.",
        "doc_no_such": "Refused: no such indexed document.",
        "doc_outside": "Refused: this document is not a file inside the corpus folder.",
        "doc_removed_reason": "another ingest started meanwhile",
        "doc_removed_later": "File deleted; another ingest is running: its chunks leave the index with the next "
                             "ingest.",
        "doc_removed": "Removed; re-ingested in {seconds} s.",
        "thousands_separator": ",",
        "n_chunks": "{n} chunks",
    },
    skip_reasons={
        "folder_unreadable": "folder cannot be read ({error})",
        "cannot_read": "cannot read file: {error}",
        "folder_link": "symbolic link to a folder; not followed",
        "not_regular": "not a regular file (FIFO, socket, device or broken link)",
        "unsupported_type": "unsupported file type '{suffix}'",
        "vanished_scan": "file disappeared during the scan; treated as deleted",
        "vanished_read": "file disappeared before it could be read",
        "hard_link_outside": "hard link ({links} names, not all inside the corpus folder); not indexed",
        "hard_link": "hard link ({links} names for one file; another name may lie outside the corpus folder); not "
                     "indexed",
        "link_outside": "symbolic link to a file outside the corpus folder; not indexed",
        "symlink": "symbolic link; not indexed (UCA_LINKS_INSIDE_CORPUS=true allows links inside the corpus folder)",
        "symlink_swapped": "symbolic link (swapped in during the ingest); not indexed",
        "path_swapped": "the file lies outside the corpus folder (a folder on its path was swapped for a link); not "
                        "indexed",
        "too_large": "file too large ({size:,} bytes > limit {limit:,}; UCA_MAX_FILE_BYTES)",
        "too_large_read": "file too large (over the limit {limit:,} bytes while read; UCA_MAX_FILE_BYTES)",
        "empty": "empty file",
        "empty_text": "empty file (whitespace only)",
        "binary": "binary content (NUL bytes), not a text file",
        "not_utf8": "not valid UTF-8 (byte {offset}: {error})",
        "too_many_chars": "more than {limit:,} characters of text (UCA_MAX_FILE_CHARS)",
        "no_text": "no text to index",
        "html_too_deep": "HTML nested more than {limit} elements deep (UCA_MAX_HTML_DEPTH)",
        "html_too_many_elements": "HTML has more than {limit:,} elements (UCA_MAX_HTML_ELEMENTS)",
        "html_parse_error": "HTML parse error: {error}",
        "html_no_text": "no visible text in HTML",
        "pdf_encrypted": "encrypted PDF",
        "pdf_too_many_pages": "PDF has {pages:,} pages > limit {limit:,} (UCA_MAX_PDF_PAGES)",
        "pdf_parse_error": "PDF parse error: {error}",
        "pdf_no_text": "PDF has no extractable text (scanned image?)",
        "timeout": "took longer than {seconds:g} s to load (UCA_MAX_FILE_SECONDS); abandoned",
        "loader_died": "the loader process died (exit code {exit_code}; out of memory?)",
        "load_failed": "cannot be loaded ({error})",
        "note_kept": "; keeping the previously indexed version",
        "note_removed": "; its indexed version is removed",
        "note_folder_kept": "; its {n} indexed document(s) are kept as they were",
        "note_folder_full": "; a full rebuild cannot index the documents under it",
    },
    trace_labels={
        "step_guard": "Question check", "step_small_talk": "Small talk", "step_follow_up": "Follow-up",
        "step_language": "Language", "step_retrieve": "Retrieval", "step_gate": "Answerability",
        "step_answer": "Answer", "step_verify": "Citation check",
        "key_chars": "characters", "key_changed": "cleaned", "key_history_turns": "earlier turns",
        "key_kind": "kind", "key_language": "language", "key_method": "method", "key_topic": "topic",
        "key_query": "query", "key_rewritten": "rewritten", "key_corpus_languages": "document languages",
        "key_dense_query": "embedding query", "key_lexical_query": "BM25 query", "key_k": "passages asked",
        "key_source": "document", "key_passage_languages": "passage languages", "key_answer_query": "answer query",
        "key_instruction_like": "passages with instructions", "key_passages": "passages", "key_model": "model",
        "key_answer_types": "answer types", "key_unknown_names": "unknown names", "key_limit": "offline limit",
        "key_limit_rule": "limit rule", "key_best_cos": "best similarity", "key_coverage": "coverage",
        "key_lex_best": "best word share (passage)", "key_lex_doc": "best word share (document)",
        "key_oov": "share of unknown words", "key_lex_margin": "word share margin",
        "key_dense_margin": "similarity margin", "key_dense_doc_margin": "similarity margin (document)",
        "key_quantity_evidence": "count found", "key_confidence": "confidence", "key_threshold": "threshold",
        "key_weight": "weight", "key_refused": "refused", "key_rule": "rule", "key_answerer": "answer mode",
        "key_claims": "claims", "key_flagged": "flagged", "key_removed_markers": "markers removed",
        "key_cited": "passages cited", "key_labels": "labels", "key_notices": "notices",
        "key_instruction_like_cited": "cited passages with instructions",
        "yes": "yes", "no": "no",
    },
)
