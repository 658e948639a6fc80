"""Per-question views count the test questions by default (issue 27, item 2): the question-set masks, the
who-solves-what lists and A-vs-B restricted to a mask, checked against brute force on the BigCodeBench release,
and the Questions page under AppTest naming its set and counting "only the mix" over the test questions."""

from __future__ import annotations

import numpy as np
import pytest

from osca_core.errors import InputError
from osca_core.present import views
from osca_core.strategies import allocators as st_alloc


def test_question_set_masks_are_the_split_parts():
    tr = np.array([True, True, False, False])
    te = np.array([False, True, True, True])
    assert views.question_set_mask(tr, te, "test").tolist() == te.tolist()
    assert views.question_set_mask(tr, te, "training").tolist() == tr.tolist()
    assert views.question_set_mask(tr, te, "all").all()
    with pytest.raises(InputError):
        views.question_set_mask(tr, te, "tests")


def test_label_names_the_set_the_split_and_the_switch():
    line = views.question_set_label("test", 78, 148, "release split (paper)", in_sample=False)
    assert line.startswith("Counting the 78 test questions of 148 (release split (paper))")
    assert "training questions are a switch away" in line
    assert "in-sample" in views.question_set_label("all", 5, 5, "x", in_sample=True)


def test_lists_over_test_questions_match_brute_force_on_bigcodebench(bcb):
    budget = 16
    mix = st_alloc.osca(bcb, [budget])[0]
    pure = st_alloc.best_pure(bcb, [budget])[0]
    everywhere = views.question_lists(bcb, mix, pure)
    on_test = views.question_lists(bcb, mix, pure, keep=bcb.test)
    pm, _ = views.per_question_pass(bcb, mix.counts)
    pp, _ = views.per_question_pass(bcb, pure.counts)
    brute = [q for q, a, b, t in zip(bcb.question_ids, pm, pp, bcb.test, strict=True)
             if t and a >= 0.5 - 1e-9 and b < 0.5 - 1e-9]
    assert list(on_test.only_mix) == brute
    test_ids = {q for q, t in zip(bcb.question_ids, bcb.test, strict=True) if t}
    assert set(on_test.only_mix) == set(everywhere.only_mix) & test_ids
    assert set(on_test.never_solved) == set(everywhere.never_solved) & test_ids
    assert set(on_test.single) == set(everywhere.single) & test_ids
    assert len(on_test.only_mix) < len(everywhere.only_mix)  # the page used to count training questions too


def test_a_against_b_over_a_mask_counts_only_those_questions(bcb):
    a, b = bcb.config_names[:2]
    full = views.compare_configs(bcb, a, b)
    part = views.compare_configs(bcb, a, b, keep=bcb.test)
    assert len(part.frame) == int(bcb.test.sum())
    sub = full.frame[bcb.test]
    assert part.both == int(((sub.rate_a > 0) & (sub.rate_b > 0)).sum())
    assert part.mean_a == pytest.approx(float(sub.rate_a.mean()))
