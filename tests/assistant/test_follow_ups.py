"""Follow-ups over many turns (assistant.conversation): the topic is tracked across the whole conversation, not
only the previous question. Pure functions: fast."""

from __future__ import annotations

from assistant.conversation import resolve_followup, rewrite_followup

JANE = ("What is JANE?", "JANE (Joint Action of Network of Expertise) aims at designing 7 European networks [1].")


def test_a_third_follow_up_keeps_the_project():
    history = [JANE, ("When did it start?", "Starting in October 2022 for a period of 2 years [1].")]
    r = resolve_followup("And how many organisations take part?", history)
    assert r.rewritten and r.topic == ("JANE",)
    assert r.query == "And how many organisations take part? (JANE)"
    # and a fourth: the pronoun of a nameless follow-up resolves to the same topic
    history.append(("And how many organisations take part?", "Nearly 50 oncology organizations [1]."))
    assert rewrite_followup("Where is it coordinated?", history) == "Where is it coordinated? (JANE)"


def test_what_about_replaces_the_topic_of_the_last_resolved_question():
    history = [("What is CraNE?", "CraNE (Creation of a Network of Expertise) ..."),
               ("When did it start?", "In October 2022 [1].")]
    r = resolve_followup("What about JANE?", history)
    assert r.query == "When did it start? (JANE)" and r.topic == ("JANE",)
    history.append(("What about JANE?", "In October 2022 too [1]."))
    # the topic moved to JANE: the next pronoun is JANE, not CraNE
    assert resolve_followup("How long does it last?", history).topic == ("JANE",)
    assert rewrite_followup("And what about HOPE?", [("Since when is Unicancer a member of IHF?", "2012")]) == \
        "Since when is Unicancer a member of HOPE?"


def test_a_nameless_question_is_about_what_its_answer_names():
    history = [("Which project studies the gut microbiome?", "ONCOBIOME studies the gut microbiome [1].")]
    assert resolve_followup("When does it end?", history).query == "When does it end? (ONCOBIOME)"


def test_self_contained_questions_are_left_alone():
    assert not resolve_followup("Where is HOPE's head office?", [JANE]).rewritten
    assert resolve_followup("JANE?", [("What is CraNE?", "...")]).query == "JANE?"
    assert resolve_followup("When did it start?", []).query == "When did it start?"
