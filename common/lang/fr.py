"""French."""

from __future__ import annotations

from common.lang.base import Language

# French word (lower case, accent-free) -> English keywords: French questions over English documents.
# Names, acronyms and numbers need no entry (they pass through). Why a glossary and not a model: the default
# embedding model is English-only and no offline translation model ships; this covers the vocabulary of
# questions about organisations, projects and cancer care.
# prepositions that may open a question before its question word ("Contre qui...", "Avec qui...")
_QPREP = r"(?:à|a|avec|contre|pour|chez|par|de|envers|selon|auprès de|sur|sous|entre)"

_GLOSSARY: dict[str, str] = {
    # question words
    "ou": "where", "quand": "when", "combien": "how many", "comment": "how", "pourquoi": "why", "qui": "who",
    "quel": "which", "quelle": "which", "quels": "which", "quelles": "which", "depuis": "since",
    "annee": "year", "annees": "years", "date": "date",
    # verbs
    "trouve": "located", "situe": "located", "situee": "located", "coordonne": "coordination coordinates",
    "coordination": "coordination", "mobilise": "mobilizing", "mobilise-t-il": "mobilizing", "menaient": "projects",
    "regroupe": "includes groups", "regroupe-t-elle": "includes", "rassemble": "bringing together",
    "participe": "participates", "participation": "participates", "vise": "aims", "visent": "aim",
    "soutient": "supports", "soutien": "support", "dirige": "leads", "classe": "ranked", "classes": "ranked",
    "labellise": "labelled", "labellises": "labelled", "lance": "launched", "lancee": "launched",
    "commence": "start", "commencé": "start", "debut": "start", "demarre": "start", "dure": "period years",
    "duree": "period years", "represente": "represents", "collabore": "collaborates",
    "adhere": "member", "rejoint": "member joined", "promus": "promoted", "promues": "promoted",
    "inclus": "included", "evaluer": "assess", "reduire": "reduce", "creer": "creating", "concevoir": "designing",
    "renforcer": "strengthening", "exploiter": "exploiting", "developper": "developing",
    # nouns
    "siege": "head office", "bureau": "office", "membre": "member", "membres": "members", "adhesion": "member",
    "projet": "project", "projets": "projects", "objectif": "aims objective", "objectifs": "objectives aims",
    "ambition": "ambition", "cooperation": "cooperation", "internationale": "international",
    "international": "international", "internationaux": "international", "internationales": "international",
    "europeen": "European", "europeenne": "European", "europeens": "European", "europeennes": "European",
    "europe": "Europe", "monde": "world", "mondial": "global world", "mondiale": "global world",
    "centre": "center centre", "centres": "centers centres", "reseau": "network", "reseaux": "networks",
    "hopital": "hospital", "hopitaux": "hospitals", "hospitalier": "hospital", "hospitaliere": "hospital",
    "federation": "federation", "organisation": "organisation", "organisations": "organisations",
    "organisme": "organisation", "organismes": "organisations", "association": "association",
    "experts": "experts", "expert": "expert", "expertise": "expertise", "chercheurs": "researchers",
    "recherche": "research", "essais": "trials", "essai": "trial", "cliniques": "clinical", "clinique": "clinical",
    "patients": "patients", "patient": "patient", "patientes": "patients", "malades": "patients",
    "survivants": "survivors", "femmes": "women", "cancer": "cancer", "cancers": "cancers",
    "cancerologie": "oncology", "oncologie": "oncology", "sein": "breast", "colon": "colon", "poumon": "lung",
    "melanome": "melanoma", "microbiote": "microbiota", "intestinal": "gut", "depistage": "screening",
    "diagnostic": "diagnosis", "traitement": "treatment", "traitements": "treatment", "soins": "care",
    "qualite": "quality", "vie": "life", "prevention": "prevention", "detection": "detection",
    "precoce": "early", "priorites": "priorities", "priorite": "priority", "strategiques": "strategic",
    "strategique": "strategic", "plan": "plan", "lutte": "fight beating", "contre": "against",
    "initiatives": "initiatives", "initiative": "initiative", "actions": "actions", "action": "action",
    "conjointes": "joint", "conjointe": "joint", "partenariats": "partnerships", "partenariat": "partnership",
    "partenaires": "partners", "partenaire": "partner", "publications": "publications",
    "representant": "representative", "representante": "representative", "liaison": "liaison",
    "pays": "countries", "etats": "states", "ville": "city", "capitale": "capital", "classement": "ranking",
    "meilleurs": "best", "excellence": "excellence", "modele": "model", "inegalites": "inequalities",
    "acces": "access", "innovation": "innovation", "regions": "regions", "pilotes": "pilot",
    "infrastructures": "infrastructures", "citoyens": "citizens", "deces": "death", "mortalite": "death",
    "cause": "cause", "maladie": "disease", "maladies": "diseases", "cardiovasculaires": "cardiovascular",
    "ministere": "ministry", "affaires": "affairs", "etrangeres": "foreign", "sante": "health",
    "conseil": "board", "administration": "governors board", "gouverneurs": "governors", "siege_social": "head office",
    "budget": "budget", "directeur": "director CEO", "directrice": "director CEO", "president": "president",
    "presidente": "president", "salaries": "employees", "employes": "employees", "telephone": "phone",
    "adresse": "address", "fondation": "foundation", "fonde": "founded", "fondee": "founded", "creation": "creation",
    "lucratif": "profit", "but": "profit", "non": "non", "academique": "academic", "industrie": "industry",
    "intelligence": "intelligence", "artificielle": "artificial", "entreprises": "companies",
    "universitaires": "university", "equipes": "teams", "kit": "kit", "outil": "kit tool",
    "nombre": "number", "francais": "French", "francaise": "French", "france": "France", "belgique": "Belgium",
    "bruxelles": "Brussels", "suisse": "Switzerland", "serbie": "Serbia", "unie": "Union", "union": "Union",
    "mondiale_sante": "World Health Organisation", "oms": "WHO World Health Organisation",
    "quatre": "4 four", "sept": "seven 7", "neuf": "nine 9", "dix": "ten 10", "trente": "thirty",
    "cinquante": "50", "deux": "two 2", "trois": "three 3", "ans": "years", "mois": "months",
    "role": "role", "mission": "mission", "missions": "missions", "dynamique": "dynamic",
}

LANGUAGE = Language(
    code="fr",
    name="French",
    stemmer="french",
    lingua="FRENCH",
    stem_accented=True,
    enclitics=("(?:-t)?-(?:il|elle|ils|elles|on)", "-(?:ce|je|tu|nous|vous)"),  # mobilise-t-il, est-ce
    stop_words=frozenset(
        """le la les un une des du de d l et ou en au aux ce ces cet cette qui que quoi quel quelle quels quelles
        est sont a ont pour par sur dans avec il elle ils elles on nous vous je tu son sa ses leur leurs y
        ne pas plus comment pourquoi quand combien dont se s qu c n est-ce
        ete etre avoir fait mais donc ni aussi tres tout tous toute toutes cela ca celui celle ceux lui
        mon ma mes ta tes notre nos votre vos moi toi te si comme sans sous chez vers entre lorsque
        quelque quelques meme memes autre autres peut ainsi alors deja encore
        suis sommes etes etait etaient sera seront serait avait avaient""".split()
    ),
    frame_words=frozenset(
        "type types sorte sortes genre genres liste listes mentionne mentionnee page document documents texte "
        "selon exactement appele appelee nomme nommee particulier particuliere specifique principal principale "
        "principaux nombre annee annees facon manieres maniere".split()
    ),
    type_words={"date": "quand", "count": "combien", "duration": "combien de temps", "place": "où", "name": "qui",
                "reason": "pourquoi"},
    document_words=frozenset(
        "page pages document documents texte textes paragraphe paragraphes liste listes listee listees mentionne "
        "mentionnee mentionnes mentionnees cite citee cites citees selon".split()
    ),
    abbreviations=("M", "MM", "Mme", "Mmes", "Mlle", "Mlles", "Pr", "Ste", "etc", "cf", "p. ex", "ex", "env", "chap",
                   "vol", "éd", "coll", "av", "apr", "J.-C", "c.-à-d", "tél", "janv", "févr", "avr", "juil", "oct",
                   "nov", "déc"),
    question_words=(r"quel\w*", "qui", "où", "quand", "pourquoi", "comment"),
    subquestion_words=(r"quel\w*", "o[uù]", "quand", "combien", "depuis"),
    and_words=("et",),
    list_question_starts=("quel(?:le)?s", "énum", "liste", "cite"),
    list_question_words=("projets", "partenariats", "organisations"),
    date_questions=("depuis quand", "quand", r"(?:\w+ )?quelle ann[ée]e", "depuis quelle", r"(?:\w+ )?quel siècle",
                    r"(?:\w+ )?quelle date"),
    count_questions=("combien",
                     r"quel(?:le)? (?:est (?:le|la) )?(?:montant|nombre|pourcentage|proportion|part|taux|somme)\b",
                     r"quel(?:le)?s? (?:est|sont|était|étaient) (?:le|la|les) \w+ "
                     r"(?:moyen|moyenne|médian|médiane|total|totale)s?\b"),
    duration_questions=("combien de temps", "pendant combien de temps", "sur quelle p[ée]riode",
                        "quelle (?:est la )?dur[ée]e"),
    # a preposition may open the question ("Contre qui...", "Dans quel pays..."); "quel" + a noun of people or
    # organisations asks for a name, + a noun of places for a place
    who_questions=(rf"(?:{_QPREP} )?qui", r"(?:\w+ )?quel(?:le)?s? (?:personnes?|personnages?|organismes?|"
                   r"joueu(?:r|se)s?|chanteu(?:r|se)s?|acteu(?:r|rice)s?|auteu(?:r|e)s?|écrivains?|artistes?|"
                   r"peintres?|architectes?|rois?|reines?|empereurs?|papes?|présidente?s?|ministres?|"
                   r"entraîneu(?:r|se)s?|réalisat(?:eur|rice)s?|compositeu(?:r|se)s?|fondat(?:eur|rice)s?|"
                   r"équipes?|clubs?|entreprises?|sociétés?|compagnies?|institutions?|partis?)\b",
                   # a name asked for as such: "Comment s'appelle...", "Quel est le nom / surnom de..."
                   r"comment s['’ ]?appell?e(?:nt)?",
                   r"quel(?:le)?s? (?:est|était|sont|étaient) (?:le|la|les|son|sa|ses|leurs?) "
                   r"(?:noms?|surnoms?|prénoms?|titres?)\b"),
    reason_questions=("pourquoi", "dans quel but", "pour quelle raison", "quel est (?:le but|l['’]objectif) de"),
    acronym_questions=("que signifie", "que veut dire", "signification", "abréviation", "acronyme", "sigle"),
    offline_requests={
        "summarise": (r"r[ée]sume[rz]?", r"fais(?:-moi)? un r[ée]sum[ée]", r"synth[ée]tise[rz]?",
                      r"donne(?:-moi)? (?:un r[ée]sum[ée]|une synth[èe]se)"),
        "compare": (r"compare[rz]?", r"quelles? (?:est|sont) les? diff[ée]rences? entre"),
        "translate": (r"tradui[st]", "traduire"),
        "write": (r"[ée]cri[st]", r"[ée]crire", r"r[ée]dige[rz]?", r"r[ée][ée]cri[st]", "reformule[rz]?"),
    },
    polite_prefixes=("peux-tu", "pouvez-vous", "pourrais-tu", "pourriez-vous", "merci de", r"s['’]il te pla[iî]t,?",
                     r"s['’]il vous pla[iî]t,?"),
    place_questions=(r"(?:d['’]|par )?o[uù]", r"(?:\w+ )?quel(?:le)?s? (?:pays|villes?|régions?|continents?|lieux?|"
                     r"endroits?|départements?|provinces?|communes?|îles?|quartiers?|territoires?|capitales?)\b"),
    # counting questions arrive in English keywords ("combien" -> "how many"): no French noun-phrase rules yet
    month_names=("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                 "novembre", "décembre"),
    count_answer_words=("deux", "trois", "quatre", "cinq", "huit", "dix", "douze", "vingt", "trente", "quarante",
                        "cinquante", "cent", "mille", "centaines", "milliers"),
    place_words=(r"situ[ée]e?s?", r"bas[ée]e?s?", "siège", r"à [A-Z][a-zà-ÿ]+"),
    place_prepositions=("à", "au", "aux", "en", "dans", "près de"),
    time_units=("ans?", r"ann[ée]es?", "mois", "semaines?", "jours?", "heures?", "minutes?", r"d[ée]cennies?",
                r"si[èe]cles?"),
    century_words=(r"si[èe]cles?",),
    count_qualifiers=("plus de", "moins de", "près de", "environ", "presque", "au moins", "quelque", "jusqu['’]à",
                      "autour de"),
    name_connectors=("de", "du", "des", "la", "le", "les", "et", "d['’]", "l['’]", "pour", "sur"),
    reason_markers=("parce que", "parce qu['’]", "car", "afin de", "afin que", "pour que", r"vise(?:nt)? à",
                    "grâce à", "en raison de", "à cause de", r"pour (?=[a-zéèêàç]+(?:er|ir|re)\b)"),
    number_words=frozenset(
        "deux trois quatre cinq huit dix onze douze treize quatorze quinze seize vingt trente quarante cinquante "
        "soixante cent cents mille milliers million millions milliard milliards douzaine douzaines dizaine "
        "dizaines centaine centaines moitie quart".split()
    ),
    common_capitalised=frozenset("le la les un une des il elle".split()),
    anaphora=frozenset("il elle ils elles son sa ses leur leurs celui-ci celle-ci".split()),
    addressee_words=frozenset({"vous", "votre", "vos", "tu", "toi", "ton", "ta", "tes", "te"}),
    instruction_patterns=(
        r"\b(?:ignore[zr]?|oublie[zr]?)\b[^.?!]{0,40}\b(?:instructions?|consignes?|règles|documents?)\b",
        r"\b(?:tu es|vous êtes) (?:maintenant|désormais)\b",
        r"\b(?:réponds|répondez|dis|dites)\s+(?:uniquement|seulement)\b",
        r"\bnouvelles? (?:instructions?|consignes?)\b",
        r"\b(?:révèle|révélez|affiche|affichez) (?:ton|votre|le) (?:prompt|message système|instructions)",
        r"\bne (?:tenez|tiens) (?:pas|plus) compte\b[^.?!]{0,40}\b(?:instructions?|consignes?|règles)\b",
        r"^\W*(?-i:SYSTÈME|SYSTEME|ASSISTANT)\s*:",
        r"\bsi (?:tu es|vous êtes) une? (?:ia|intelligence artificielle|assistant|modèle de langage|chatbot"
        r"|robot conversationnel)\b",
        r"\b(?:dites|dis) à (?:chaque|tous les|tout) (?:utilisateurs?|lecteurs?|visiteurs?)\b",
        # une demande de secrets adressée au lecteur (« envoyez votre mot de passe à ... »)
        r"\b(?:envoye[zr]|envoie|donne[zr]?|saisisse[zr]|saisi[rs]|communique[zr]?|transmette[zr]|transmets"
        r"|confirme[zr]?|indique[zr]?|entre[zr])\b(?:\s+\S+){0,6}?\s+(?:mots? de passe|identifiants|codes? (?:pin"
        r"|secrets?|confidentiels?)|cartes? bancaires?|coordonnées bancaires|numéros? de (?:carte|sécurité sociale))\b",
    ),
    llm_refusals=("les documents ne le disent pas",),
    refers_back=("il", "elle", "ils", "elles", "leur", "leurs", "son", "sa", "ses", "celui-ci", "celle-ci",
                 "ce projet", "cette organisation", "cela", "ça", "y"),
    what_about=(r"qu['’]en est-il (?:du|des|de la|de)",),
    small_talk={
        "greeting": ("bonjour", "bonsoir", "salut", "coucou"),
        "thanks": ("merci(?: beaucoup)?", "parfait"),
        "bye": ("au revoir", "à bientôt"),
        "help": ("que (?:peux|sais)[- ]tu faire", "qui es[- ]tu", "aide"),
    },
    greeting_addressees=("à tous",),
    glossary=_GLOSSARY,
    glossary_target="en",
    markers=frozenset(
        "le la les des du un une est sont quel quelle quels quelles qui que quoi où quand combien comment pourquoi "
        "depuis avec pour dans sur par au aux ce cette ces il elle ils elles est-ce qu'est-ce leur leurs son sa ses "
        "à été être avoir fait font peut".split()
    ),
    marker_letters="àâçéèêëîïôûùüÿœ",
    elisions=("l", "d", "qu", "s", "c", "j", "n", "m", "t", "jusqu", "lorsqu", "puisqu"),
    articles=("le", "la", "les", "un", "une", "des", "du", "au", "aux"),
    elided_articles=("l", "d"),
    texts={
        "refusal": "Les documents ne traitent pas cette question : je ne peux donc pas y répondre à partir d'eux.",
        "greeting": "Bonjour ! Je réponds aux questions sur l'action internationale d'Unicancer à partir de ses "
                    "documents, en citant les passages sur lesquels je m'appuie.",
        "thanks": "Avec plaisir. Posez-moi une autre question sur l'action internationale d'Unicancer.",
        "bye": "Au revoir !",
        "help": "Je réponds aux questions sur l'action internationale d'Unicancer (projets européens, adhésions, "
                "partenariats) à partir des seuls documents indexés, et je cite le passage derrière chaque phrase. "
                "Quand les documents ne le disent pas, je vous le dis.",
        "question_missing": "Tapez une question.",
        "question_not_text": "La question doit être du texte.",
        "question_empty": "Tapez une question : le message est vide.",
        "question_too_long": "La question est trop longue ({length} caractères ; la limite est {limit}).",
        "examples": "Par exemple :",
        "planted": "Le passage [{n}] contient un texte qui donne des instructions à l'assistant ou au lecteur. Il a "
                   "été traité comme contenu du document : ni suivi, ni utilisé comme réponse.",
        "limit_summarise": "Le mode hors ligne cite des passages ; il ne sait pas rédiger de résumé. Voici les "
                           "passages les plus pertinents ; le mode LLM (UCA_ANSWER_MODE=llm) peut les résumer.",
        "limit_compare": "Le mode hors ligne cite des passages ; il ne sait pas rédiger de comparaison. Voici ce que "
                         "disent les documents de chacun ; le mode LLM (UCA_ANSWER_MODE=llm) peut les comparer.",
        "limit_translate": "Le mode hors ligne cite les passages dans leur langue ; il ne sait pas traduire. Voici "
                           "les passages les plus pertinents ; le mode LLM (UCA_ANSWER_MODE=llm) peut les traduire.",
        "limit_write": "Le mode hors ligne cite des passages ; il ne sait pas rédiger de texte. Voici les passages "
                       "les plus pertinents ; le mode LLM (UCA_ANSWER_MODE=llm) peut rédiger à partir d'eux.",
        "partial": "Les documents ne répondent qu'à une partie de la question ; rien sur : {parts}.",
    },
    example_questions=(
        "Où se trouve le siège de HOPE ?",
        "Quels partenariats internationaux Unicancer mène-t-il ?",
        "Qu'est-ce que JANE ?",
        "Depuis quand Unicancer est-il membre de l'UICC ?",
        "Quels sont les objectifs de CraNE ?",
    ),
    ui={
        # page
        "language_name": "Français",
        "title": "Unicancer International · Assistant documentaire",
        "subtitle": "Les réponses viennent uniquement des documents indexés, avec le passage derrière chaque "
                    "phrase. Quand les documents ne le disent pas, il vous le dit.",
        "language_switch": "Langue",
        "chat_placeholder": "**Posez une question sur l'action internationale d'Unicancer.**<br>Projets européens, "
                            "adhésions, partenariats : chaque réponse cite ses passages.",
        "question_placeholder": "Tapez une question et appuyez sur Entrée…",
        "ask": "Demander",
        "stop": "■ Arrêter",
        "clear": "Effacer",
        "examples_title": "Essayez un exemple",
        "settings": "Réglages",
        "answer_mode": "Mode de réponse",
        "answer_mode_info": "extractive : cite des phrases des passages ; llm : un modèle de langue rédige la "
                            "réponse",
        "answer_mode_info_no_llm": "extractive : cite des phrases des passages. llm n'est pas proposé : aucun "
                                   "modèle de langue n'est configuré (UCA_LLM=openai:MODELE ou ollama:MODELE)",
        "top_k": "Passages recherchés (k)",
        "sources_title": "Sources",
        "corpus": "Corpus",
        "reingest": "↻ Réindexer",
        # conversations
        "conversations": "Conversations",
        "conversation": "Conversation",
        "new_conversation": "Nouvelle conversation",
        "untitled": "Nouvelle conversation",
        "rename": "Renommer",
        "rename_label": "Nouveau nom",
        "delete": "Supprimer",
        "delete_confirm": "Supprimer la conversation **{title}** ?",
        "delete_yes": "Oui, la supprimer",
        "export": "Exporter en Markdown",
        "export_file": "Télécharger",
        "export_title": "Conversation : {title}",
        "export_question": "Question",
        "export_answer": "Réponse",
        "exported_at": "Exportée le {when} depuis l'assistant documentaire d'Unicancer.",
        # documents panel
        "documents": "Documents",
        "uploads_off": "L'ajout et la suppression de documents depuis le navigateur sont désactivés "
                       "(UCA_UPLOADS=false).",
        "add_documents": "Ajouter des documents ({suffixes} ; au plus {files} fichiers de {mb} Mo)",
        "replace": "Remplacer les documents de même nom",
        "add": "Ajouter au corpus",
        "remove_choice": "Retirer un document",
        "remove": "Retirer…",
        "remove_yes": "Oui, le retirer",
        "cancel": "Annuler",
        "remove_question": "Retirer **{name}** du dossier du corpus et de l'index ?",
        "choose_files": "Choisissez d'abord un ou plusieurs fichiers.",
        "choose_document": "Choisissez d'abord le document à retirer.",
        # messages
        "no_llm_title": "Aucun modèle de langue configuré",
        "no_llm": "Le mode de réponse llm demande un modèle de langue : lancez l'application avec "
                  "UCA_LLM=openai:MODELE ou UCA_LLM=ollama:MODELE, ou revenez au mode extractive dans les Réglages.",
        "question_not_sent": "Question non envoyée",
        "no_answer": "l'assistant n'a renvoyé aucune réponse",
        "ingest_running": "Une indexation est déjà en cours (depuis cette application ou `uca ingest`). "
                          "Réessayez quand elle sera terminée.",
        "refused_title": "Refusé",
        "reingest_refused_title": "Réindexation refusée",
        "refused_status": "Refusé. {message}",
        "failed_status": "Échec : {message}",
        "reingest_failed": "⚠ La réindexation a échoué : {message}",
        "reingested": "✓ Réindexé en {seconds} s : {documents} documents, {chunks} extraits ({added} ajoutés, "
                      "{removed} retirés{skipped}). Le nouvel index est en service.",
        "n_skipped": ", {n} ignorés",
        "skipped": "Ignorés :",
        "more_skipped": "… et {n} de plus (voir `uca ingest`)",
        "progress_scanning": "Parcours du corpus",
        "progress_reading": "Lecture et découpage",
        "progress_embedding": "Vectorisation de {done}/{total} extraits",
        "progress_writing": "Écriture de l'index",
        "progress_switching": "Bascule vers le nouvel index",
        # answers and sources
        "searching": "_Recherche dans les documents…_",
        "refusal_title": "Absent des documents",
        "flag_unsupported": "non étayé",
        "flag_uncited": "sans source",
        "flag_invalid": "citation invalide",
        "not_supported": "⚠ Non étayé par les passages cités :",
        "error": "⚠ **Un problème est survenu pendant la réponse.** {message}",
        "unknown_document": "document inconnu",
        "page_n": "page {page}",
        "searched_for": "Recherché :",
        "sources_empty": "Les sources de la dernière réponse s'affichent ici : chaque passage cité, son document "
                         "et son titre, avec la phrase justificative surlignée. Cliquez sur une réponse précédente "
                         "pour voir ses sources.",
        "no_documents_needed": "Aucun document n'a été nécessaire pour cette réponse.",
        "no_passage": "Aucun passage ne répond à cette question.",
        "closest": "Passages les plus proches :",
        "supports": "étaye la réponse",
        "badge_answers": "répond à la question",
        "badge_context": "contexte",
        "weak_support": "⚠ appui faible",
        "cites_none": "Cette réponse ne cite aucun passage.",
        "cited_one": "1 passage cité",
        "cited_many": "{n} passages cités",
        "fold_sources": "Afficher ou masquer les sources",
        "sources_heading": "Sources :",
        "planted_badge": "instructions dans le document, ignorées",
        "planted_title": "Donne des instructions à l'assistant ou au lecteur : non suivies, ce n'est pas une réponse",
        "view_in_document": "Voir dans le document",
        "how_found": "Comment cette réponse a été trouvée",
        "refused_by_rule": "Refusée par la règle",
        # document viewer
        "viewer": "Document",
        "viewer_close": "Fermer",
        "viewer_empty": "Choisissez « Voir dans le document » sur une carte de source pour lire le passage dans "
                        "tout son document.",
        "viewer_missing": "Ce document n'est plus dans l'index.",
        "viewer_changed": "Le document a changé depuis son indexation : le passage est montré là où il se trouve "
                          "maintenant.",
        "viewer_not_found": "Le passage ne se trouve plus dans le document.",
        "viewer_failed": "Le document n'a pas pu être ouvert : {message}",
        # corpus panel
        "never": "jamais",
        "stats_documents": "Documents",
        "stats_chunks": "Extraits",
        "stats_model": "Modèle de vectorisation",
        "stats_last_ingest": "Dernière indexation",
        "indexed_documents": "Documents indexés",
        "and_more": "… et {n} de plus",
        "no_index": "Pas d'index.",
        "no_documents": "Aucun document n'est encore indexé.",
        "last_ingest": "Dernière indexation : {when}",
        "col_document": "Document",
        "col_format": "Format",
        "col_language": "Langue",
        "col_chunks": "Extraits",
        "col_size": "Taille",
        "col_modified": "Modifié",
        "result_added": "✓ ajouté",
        "result_replaced": "✓ remplacé",
        "result_unchanged": "= inchangé",
        "result_removed": "✓ retiré",
        "result_refused": "✗ refusé",
        "result_stored": "… enregistré",
        # documents panel results
        "doc_empty": "le fichier est vide",
        "doc_not_pdf": "pas un PDF (son contenu ne commence pas par %PDF-)",
        "doc_pdf_named": "un fichier PDF nommé {suffix} ; renommez-le en .pdf",
        "doc_binary_nul": "contenu binaire (octets NUL), pas un fichier texte {suffix}",
        "doc_binary": "contenu binaire ({controls} octets de contrôle sur {size}), pas un fichier texte {suffix}",
        "doc_not_utf8": "pas du texte UTF-8 (octet invalide à la position {offset})",
        "doc_utf8_cut": "pas du texte UTF-8 (il s'arrête au milieu d'un caractère)",
        "doc_too_many": "Refusé : {n} fichiers à la fois ; la limite est {limit}.",
        "doc_same_name": "le même nom deux fois dans un envoi",
        "doc_too_big": "{size} octets ; la limite est {limit} par fichier",
        "doc_exists": "un document de ce nom existe ; cochez « Remplacer » pour le remplacer",
        "doc_not_stored": "n'a pas pu être enregistré ({error})",
        "doc_nothing_added": "Rien n'a été ajouté.",
        "doc_stored_reason": "une autre indexation a commencé entre-temps ; réindexez pour l'indexer",
        "doc_stored": "Enregistré, pas encore indexé : une autre indexation est en cours.",
        "doc_indexed": "{ok} fichiers sur {n} indexés en {seconds} s ; le nouvel index est en service.",
        "doc_no_such": "Refusé : ce document n'est pas indexé.",
        "doc_outside": "Refusé : ce document n'est pas un fichier du dossier du corpus.",
        "doc_removed_reason": "une autre indexation a commencé entre-temps",
        "doc_removed_later": "Fichier supprimé ; une autre indexation est en cours : ses extraits quitteront l'index à "
                             "la prochaine.",
        "doc_removed": "Retiré ; réindexé en {seconds} s.",
        "thousands_separator": "\u202f",  # narrow no-break space: 10 000 000
        "n_chunks": "{n} extraits",
    },
    skip_reasons={
        "folder_unreadable": "dossier illisible ({error})",
        "cannot_read": "fichier illisible : {error}",
        "folder_link": "lien symbolique vers un dossier ; non suivi",
        "not_regular": "pas un fichier ordinaire (FIFO, socket, périphérique ou lien cassé)",
        "unsupported_type": "type de fichier non pris en charge « {suffix} »",
        "vanished_scan": "fichier disparu pendant le parcours ; traité comme supprimé",
        "vanished_read": "fichier disparu avant d'avoir pu être lu",
        "hard_link_outside": "lien physique ({links} noms, pas tous dans le dossier du corpus) ; non indexé",
        "hard_link": "lien physique ({links} noms pour un même fichier ; un autre nom peut être hors du dossier du "
                     "corpus) ; non indexé",
        "link_outside": "lien symbolique vers un fichier hors du dossier du corpus ; non indexé",
        "symlink": "lien symbolique ; non indexé (UCA_LINKS_INSIDE_CORPUS=true autorise les liens internes au "
                   "dossier du corpus)",
        "symlink_swapped": "lien symbolique (substitué pendant l'indexation) ; non indexé",
        "path_swapped": "le fichier est hors du dossier du corpus (un dossier de son chemin a été remplacé par un "
                        "lien) ; non indexé",
        "too_large": "fichier trop gros ({size} octets > limite de {limit} ; UCA_MAX_FILE_BYTES)",
        "too_large_read": "fichier trop gros (plus que la limite de {limit} octets à la lecture ; UCA_MAX_FILE_BYTES)",
        "empty": "fichier vide",
        "empty_text": "fichier vide (rien que des espaces)",
        "binary": "contenu binaire (octets NUL), pas un fichier texte",
        "not_utf8": "pas du texte UTF-8 valide (octet {offset} : {error})",
        "too_many_chars": "plus de {limit} caractères de texte (UCA_MAX_FILE_CHARS)",
        "no_text": "aucun texte à indexer",
        "html_too_deep": "HTML imbriqué sur plus de {limit} niveaux (UCA_MAX_HTML_DEPTH)",
        "html_too_many_elements": "HTML de plus de {limit} éléments (UCA_MAX_HTML_ELEMENTS)",
        "html_parse_error": "erreur d'analyse du HTML : {error}",
        "html_no_text": "aucun texte visible dans le HTML",
        "pdf_encrypted": "PDF chiffré",
        "pdf_too_many_pages": "PDF de {pages} pages > limite de {limit} (UCA_MAX_PDF_PAGES)",
        "pdf_parse_error": "erreur d'analyse du PDF : {error}",
        "pdf_no_text": "PDF sans texte extractible (image numérisée ?)",
        "timeout": "chargement plus long que {seconds:g} s (UCA_MAX_FILE_SECONDS) ; abandonné",
        "loader_died": "le processus de chargement s'est arrêté (code de sortie {exit_code} ; mémoire épuisée ?)",
        "load_failed": "chargement impossible ({error})",
        "note_kept": " ; la version indexée auparavant est gardée",
        "note_removed": " ; sa version indexée est retirée",
        "note_folder_kept": " ; ses {n} document(s) indexé(s) sont gardés tels quels",
        "note_folder_full": " ; une reconstruction complète ne peut pas indexer les documents qu'il contient",
    },
    trace_labels={
        "step_guard": "Contrôle de la question", "step_small_talk": "Politesse et aide",
        "step_follow_up": "Question de suivi", "step_language": "Langue", "step_retrieve": "Recherche",
        "step_gate": "Décision de répondre", "step_answer": "Réponse", "step_verify": "Vérification des citations",
        "key_chars": "caractères", "key_changed": "nettoyée", "key_history_turns": "tours précédents",
        "key_kind": "type", "key_language": "langue", "key_method": "méthode", "key_topic": "sujet",
        "key_query": "requête", "key_rewritten": "réécrite", "key_corpus_languages": "langues des documents",
        "key_dense_query": "requête vectorielle", "key_lexical_query": "requête BM25",
        "key_k": "passages demandés", "key_source": "document", "key_passage_languages": "langues des passages",
        "key_answer_query": "requête de la réponse", "key_instruction_like": "passages avec des consignes",
        "key_passages": "passages", "key_model": "modèle", "key_answer_types": "types de réponse",
        "key_unknown_names": "noms inconnus", "key_limit": "limite hors ligne", "key_limit_rule": "règle de limite",
        "key_best_cos": "meilleure similarité", "key_coverage": "couverture",
        "key_lex_best": "meilleure part de mots (passage)", "key_lex_doc": "meilleure part de mots (document)",
        "key_oov": "part de mots inconnus", "key_lex_margin": "marge de part de mots",
        "key_dense_margin": "marge de similarité", "key_dense_doc_margin": "marge de similarité (document)",
        "key_quantity_evidence": "nombre trouvé", "key_confidence": "confiance", "key_threshold": "seuil",
        "key_weight": "poids", "key_refused": "refusée", "key_rule": "règle", "key_answerer": "mode de réponse",
        "key_claims": "affirmations", "key_flagged": "signalées", "key_removed_markers": "marqueurs retirés",
        "key_cited": "passages cités", "key_labels": "étiquettes", "key_notices": "avis",
        "key_instruction_like_cited": "passages cités avec des consignes",
        "yes": "oui", "no": "non",
    },
)
