"""The chat shows the reader's answer span in bold and the sources panel's badge by the citation's label
(assistant.labels): "answers the question" or "context"."""

from __future__ import annotations

import re

from ui.render import answer_markdown, sources_html


def test_the_chat_shows_the_span_in_bold_and_the_badge_by_its_label():
    sentence = "Its head office is located in Brussels."
    passage = f"HOPE\n\nHOPE is an association. {sentence}"
    s0 = passage.index(sentence)
    claim = {"text": f"HOPE: {sentence}", "supported": True, "label": "answers", "answer_start": 36,
             "answer_end": 44}
    cites = [{"n": 1, "source": "a.txt", "section": "HOPE", "title": "a", "text": passage, "sentence": sentence,
              "sentence_start": s0, "sentence_end": s0 + len(sentence), "supported": True, "label": "answers",
              "answer_start": passage.index("Brussels"), "answer_end": passage.index("Brussels") + 8},
             {"n": 2, "source": "b.txt", "section": "", "title": "b", "text": "Other text.", "sentence": "Other text.",
              "sentence_start": 0, "sentence_end": 11, "supported": True, "label": "context"}]
    answer = {"text": f"HOPE: {sentence} [1] Other text. [2]", "refused": False, "claims": [claim],
              "citations": cites, "passages": []}
    assert "located in **Brussels**." in answer_markdown(answer)
    html_ = sources_html(answer)
    assert html_.count("<mark class=\"uca-support\">") == 2  # each card's sentence highlighted whole, in one piece
    # the span is bold inside the one highlighted sentence
    assert re.search(r'<mark class="uca-support">[^<]*located in <strong class="uca-answer">Brussels</strong>\.</mark>',
                     html_), html_
    assert "answers the question</span>" in html_ and ">context</span>" in html_
    assert "supports the answer" not in html_

