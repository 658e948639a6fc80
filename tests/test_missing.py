"""Missing cells: a ragged matrix never reaches rate code by accident, and the two policies make it complete
(drop-questions counts what it leaves out; prior imputes the configuration's fitted prior mean, flagged)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from osca_core.errors import InputError
from osca_core.model.missing import IMPUTED_SAMPLES, apply_missing, config_priors
from osca_core.model.outcomes import ConfigInfo, OutcomeMatrix


def _ragged(q=9, seed=0) -> OutcomeMatrix:
    """Three configurations with n = 1, 3 and 10; 'b' ran on a third of the questions, question 0 by 'a' only."""
    rng = np.random.default_rng(seed)
    n = np.tile([1, 3, 10], (q, 1))
    n[np.arange(q) % 3 != 0, 1] = 0
    n[0, 1:] = 0
    c = rng.binomial(n, 0.4)
    train = np.arange(q) < q // 2 + 1
    return OutcomeMatrix("r", tuple(f"q{i}" for i in range(q)),
                         tuple(ConfigInfo(x, x, None, "") for x in ("a", "b", "c")), n, c, train, ~train)


def test_a_ragged_matrix_refuses_rate_code_with_value_error():
    m = _ragged()
    assert m.ragged and m.missing_cells == int((m.n == 0).sum()) == 8
    for call in (m.train_rates, m.train_counts, m.test_counts):
        with pytest.raises(ValueError, match="apply_missing"):
            call()


def test_missing_cells_must_have_zero_correct():
    m = _ragged()
    c = m.c.copy()
    c[0, 1] = 1
    with pytest.raises(InputError, match="0..n"):
        dataclasses.replace(m, c=c)


def test_drop_questions_keeps_only_questions_with_every_selected_configuration():
    m = _ragged()
    out, rep = apply_missing(m, ["a", "b", "c"])
    keep = [i for i in range(9) if i % 3 == 0 and i != 0]
    assert out.question_ids == tuple(f"q{i}" for i in keep) and not out.ragged
    assert np.array_equal(out.n, m.n[keep]) and np.array_equal(out.c, m.c[keep])
    assert (rep.questions_before, rep.questions_kept, rep.questions_dropped, rep.missing_cells) == (9, 2, 7, 8)
    assert rep.missing_by_config[0] == ("b", 7) and "7 of 9 questions left out" in rep.note()
    out2, rep2 = apply_missing(m, ["a", "c"])  # 'c' misses only question 0
    assert out2.question_ids == tuple(f"q{i}" for i in range(1, 9)) and rep2.questions_dropped == 1
    assert out2.train_rates().shape == (int(out2.train.sum()), 2)


def test_drop_questions_that_leaves_no_test_question_names_the_costly_configuration():
    m = _ragged()
    n, c = m.n.copy(), m.c.copy()
    n[m.test, 1], c[m.test, 1] = 0, 0
    with pytest.raises(InputError, match=r"no test question has every selected configuration \(b misses"):
        apply_missing(dataclasses.replace(m, n=n, c=c), policy="drop-questions")


def test_prior_imputes_the_training_prior_mean_and_flags_it():
    m = _ragged()
    out, rep = apply_missing(m, policy="prior")
    assert not out.ragged and out.question_ids == m.question_ids and rep.cells_imputed == 8
    assert np.array_equal(out.imputed, m.missing)
    a, b = config_priors(m.n[m.train], m.c[m.train])
    for q, s in np.argwhere(m.missing):
        assert out.n[q, s] == IMPUTED_SAMPLES
        assert out.c[q, s] / out.n[q, s] == pytest.approx(a[s] / (a[s] + b[s]), abs=0.5 / IMPUTED_SAMPLES)
    seen = ~m.missing
    assert np.array_equal(out.n[seen], m.n[seen]) and np.array_equal(out.c[seen], m.c[seen])
    sub = out.select_configs(["c", "a"])
    assert sub.imputed.tolist() == out.imputed[:, [2, 0]].tolist()


def test_a_complete_matrix_comes_back_unchanged(bcb):
    out, rep = apply_missing(bcb)
    assert out is bcb and rep.missing_cells == 0 and rep.note() == ""
    out, _ = apply_missing(bcb, ["Qwen_0.2"], policy="prior")
    assert out.checksum == bcb.checksum and out.config_names == ("Qwen_0.2",)


def test_unknown_policy_is_a_programmer_error():
    with pytest.raises(ValueError, match="unknown missing-cell policy"):
        apply_missing(_ragged(), policy="zero")
