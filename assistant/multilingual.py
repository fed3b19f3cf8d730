"""French questions over English documents: a word-for-word glossary turns a French question into English
keywords for retrieval and answer selection.

Why not a model: the default embedding model (all-MiniLM-L6-v2, the only one shipped for offline use
here) is English-only, and no offline translation model is available. A glossary of the vocabulary of
questions about organisations, projects and cancer care covers what users ask; names, acronyms and numbers
pass through unchanged. Turn it off with ``UCA_TRANSLATE_QUERIES=false``.
"""

from __future__ import annotations

import re
import unicodedata

_FR_MARKERS = frozenset(
    "le la les des du un une est sont quel quelle quels quelles qui que quoi où quand combien comment pourquoi "
    "depuis avec pour dans sur par au aux ce cette ces il elle ils elles est-ce qu'est-ce leur leurs son sa ses "
    "à été être avoir fait font peut".split()
)

# French word (accent-free, lower case) -> English keywords
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
_ELISION = re.compile(r"^(?:l|d|qu|s|c|j|n|m|t|jusqu|lorsqu|puisqu)['’]", re.I)


def _fold(word: str) -> str:
    word = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in word if not unicodedata.combining(c))


def looks_french(text: str) -> bool:
    """True for a question that is probably French (accents, elisions, French function words)."""
    words = re.findall(r"[\w'’-]+", text.lower())
    if not words:
        return False
    hits = sum(1 for w in words if w in _FR_MARKERS or _ELISION.match(w))
    accents = bool(re.search(r"[àâçéèêëîïôûùüÿœ]", text.lower()))
    return hits >= 2 or (hits >= 1 and accents)


def to_english_keywords(text: str) -> str:
    """English keywords for a French question: glossary words translated; names, acronyms, numbers kept."""
    out: list[str] = []
    for raw in re.findall(r"[\w'’%-]+", text):
        word = _ELISION.sub("", raw)
        if not word:
            continue
        key = _fold(word)
        if key in _GLOSSARY:
            out.append(_GLOSSARY[key])
            continue
        base = key.split("-")[0]
        if base in _GLOSSARY:
            out.append(_GLOSSARY[base])
        elif any(c.isdigit() for c in word) or sum(c.isupper() for c in word) >= 1 and raw != raw.lower() \
                and key not in _FR_MARKERS:
            out.append(word)
    return " ".join(dict.fromkeys(out))
