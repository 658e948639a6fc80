"""The question table (osca_core.present.views.questions): attributes, filters, literal id search and sorting."""

from __future__ import annotations

import numpy as np
import pandas as pd

from osca_core.model.outcomes import ConfigInfo, OutcomeMatrix
from osca_core.present.views import questions


def test_question_frame_filters_and_sorts(bcb):
    attrs = pd.DataFrame({"question_id": list(bcb.question_ids),
                          "difficulty": ["hard" if i % 3 else "easy" for i in range(148)]})
    frame = questions.question_frame(bcb, attrs)
    assert set(frame["split"]) == {"train", "test"}
    assert questions.attribute_columns(frame) == ["split", "difficulty"]
    easy = questions.filter_questions(frame, attributes={"difficulty": ["easy"]})
    assert len(easy) == len(range(0, 148, 3))
    hard = questions.filter_questions(frame, pass_range=(0.5, 1.0), sort_by="mean_pass", descending=True)
    assert (hard["mean_pass"] >= 0.5).all() and list(hard["mean_pass"]) == sorted(hard["mean_pass"], reverse=True)
    qid = bcb.question_ids[5]
    assert list(questions.filter_questions(frame, search=qid.upper()).index) == [q for q in bcb.question_ids
                                                                             if qid.lower() in q.lower()]


def test_filter_questions_search_is_literal():
    m = OutcomeMatrix(name="x", question_ids=("a.b", "axb", "(c)"),
                      configs=(ConfigInfo("k", "k", None, ""),), n=np.ones((3, 1), int), c=np.zeros((3, 1), int),
                      train=np.ones(3, bool), test=np.ones(3, bool))
    frame = questions.question_frame(m)
    assert list(questions.filter_questions(frame, search=".").index) == ["a.b"]
    assert list(questions.filter_questions(frame, search="(").index) == ["(c)"]
