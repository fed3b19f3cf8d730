"""French."""

from __future__ import annotations

from common.lang.base import Language

# French word (lower case, accent-free) -> English keywords: French questions over English documents.
# Names, acronyms and numbers need no entry (they pass through). Why a glossary and not a model: the default
# embedding model is English-only and no offline translation model ships; this covers the vocabulary of
# questions about organisations, projects and cancer care.
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
                     r"quel(?:le)? (?:est (?:le|la) )?(?:montant|nombre|pourcentage|proportion|part|taux|somme)\b"),
    duration_questions=("combien de temps", "pendant combien de temps", "sur quelle p[ée]riode",
                        "quelle (?:est la )?dur[ée]e"),
    who_questions=("qui", "par qui", "de qui", "à qui", "quelle personne", "quel organisme"),
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
    place_questions=("o[uù]",),
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
)
