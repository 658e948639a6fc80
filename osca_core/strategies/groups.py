"""Per-group allocation: a separate OSCA mix for each value of a question attribute known before sampling.

Groups: the questions sharing a value of ``matrix.question_attrs[attribute]``. A categorical attribute (strings,
booleans) groups by value; a numeric one is cut into ``bins`` quantile bins of its values over all questions
(``numpy.quantile``, linear; labels ``[lo, hi)``, the last bin closed; only the attribute, never an outcome, sets
the edges). Missing values (None, NaN) form the group ``missing``.

Each group with at least ``min_group`` (default 10) training questions gets its own mix, the OSCA optimizer run
on its training questions (``optimize.optimize_curve``); smaller groups use the global mix. The plan's training
objective is sum_g n_g F_g(b_g) / N (n_g training questions of group g, F_g its training objective at budget
b_g) and its test pass the same mean over test questions.

``reallocate``: the budget B is the *average* per training question; group budgets b_g (integers in
[``min_group_budget``, ``max_group_budget``], default [1, 4B]) maximize sum_g n_g F_g(b_g) subject to
sum_g n_g b_g <= B N, solved exactly (given the per-group curves F_g) by a knapsack DP over the capacity
(``allocate_budgets``; O(G H B N)). Groups without training questions keep B. ``allocate_budgets_bruteforce``
enumerates all splits (the tests' twin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np

from osca_core.errors import InputError
from osca_core.model.budgets import check_budgets
from osca_core.model.extrapolation import eval_pass, lazy_prior, train_pass
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.optimize.curve import optimize_curve

MIN_GROUP = 10
MISSING = "missing"


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and not np.isfinite(v))


def group_labels(matrix: OutcomeMatrix, attribute: str, *, bins: int = 4) -> tuple[str, ...]:
    """The group of every question (module docstring). Unknown attribute: :class:`InputError`."""
    attrs = dict(matrix.question_attrs)
    if attribute not in attrs:
        known = ", ".join(sorted(attrs)) or "none"
        raise InputError(f"--group-by: dataset {matrix.name!r} has no question attribute {attribute!r} "
                         f"(known: {known})")
    if int(bins) < 1:
        raise InputError(f"--bins must be at least 1 (got {bins})")
    vals = list(attrs[attribute])
    present = [v for v in vals if not _is_missing(v)]
    numeric = bool(present) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)
    if not numeric:
        return tuple(MISSING if _is_missing(v) else str(v) for v in vals)
    x = np.array(present, float)
    edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, int(bins) + 1)))
    if edges.size == 1:
        return tuple(MISSING if _is_missing(v) else f"[{edges[0]:g}, {edges[0]:g}]" for v in vals)
    names = [f"[{a:g}, {b:g})" for a, b in zip(edges[:-2], edges[1:-1], strict=True)] + [f"[{edges[-2]:g}, {edges[-1]:g}]"]
    out = []
    for v in vals:
        if _is_missing(v):
            out.append(MISSING)
        else:
            out.append(names[min(int(np.searchsorted(edges, float(v), side="right")) - 1, len(names) - 1)])
    return tuple(out)


# -- the knapsack over groups ------------------------------------------------------------------------------------

def allocate_budgets(weights: Sequence[int], curves: Sequence[np.ndarray], total: int, *, lo: int = 1
                     ) -> tuple[tuple[int, ...], float]:
    """Integer budgets b_g in [lo, len(curves[g]) - 1] maximizing sum_g w_g curves[g][b_g] subject to
    sum_g w_g b_g <= total (exact knapsack DP over the capacity 0 .. total). Returns (budgets, value).
    Infeasible (sum_g w_g lo > total): ValueError."""
    w = [int(x) for x in weights]
    cap = int(total)
    if sum(x * lo for x in w) > cap:
        raise ValueError("the budget cannot give every group its minimum")
    best = np.zeros(cap + 1)  # best value using capacity <= index
    picks = []
    for g, wg in enumerate(w):
        cur = np.asarray(curves[g], float)
        new = np.full(cap + 1, -np.inf)
        arg = np.full(cap + 1, -1, dtype=np.int64)
        for b in range(lo, len(cur)):
            need = wg * b
            if need > cap:
                break
            cand = np.full(cap + 1, -np.inf)
            cand[need:] = best[: cap + 1 - need] + wg * cur[b]
            better = cand > new + 1e-15
            new, arg = np.where(better, cand, new), np.where(better, b, arg)
        picks.append(arg)
        best = new
    left, out = cap, []
    for g in range(len(w) - 1, -1, -1):
        b = int(picks[g][left])
        out.append(b)
        left -= w[g] * b
    return tuple(reversed(out)), float(best[cap])


def allocate_budgets_bruteforce(weights: Sequence[int], curves: Sequence[np.ndarray], total: int, *, lo: int = 1
                                ) -> float:
    """Reference: the best sum_g w_g curves[g][b_g] over every split with sum_g w_g b_g <= total."""
    best = -np.inf
    for bs in product(*[range(lo, len(c)) for c in curves]):
        if sum(int(w) * b for w, b in zip(weights, bs, strict=True)) <= total:
            best = max(best, sum(int(w) * float(c[b]) for w, c, b in zip(weights, curves, bs, strict=True)))
    return float(best)


# -- per-group plans ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupAllocation:
    """One group's mix: its value, question counts, budget, counts per configuration (matrix order), training
    objective and test pass (None without test questions); ``own_mix`` false when the global mix is used."""

    value: str
    train_questions: int
    test_questions: int
    budget: int
    config_names: tuple[str, ...]
    counts: tuple[int, ...]
    train_pass: float | None
    test_pass: float | None
    own_mix: bool

    @property
    def allocation(self) -> dict[str, int]:
        pairs = [(n, int(k)) for n, k in zip(self.config_names, self.counts, strict=True) if k > 0]
        return dict(sorted(pairs, key=lambda t: -t[1]))

    def as_dict(self) -> dict:
        """Exactly {"value", "train_questions", "test_questions", "budget", "allocation"} (the CLI contract)."""
        return {"value": self.value, "train_questions": self.train_questions, "test_questions": self.test_questions,
                "budget": self.budget, "allocation": self.allocation}


@dataclass(frozen=True)
class GroupPlan:
    """Per-group mixes at one (average) budget; overall training objective and test pass over all questions."""

    attribute: str
    budget: int
    reallocated: bool
    min_group: int
    groups: tuple[GroupAllocation, ...]
    train_pass: float
    test_pass: float
    extrapolated: bool
    mean_budget_train: float
    mean_budget_test: float

    def groups_as_dicts(self) -> list[dict]:
        return [g.as_dict() for g in self.groups]


def _curve_counts(p: np.ndarray, hi: int, costs: np.ndarray) -> list[tuple[int, ...]]:
    return [r.counts for r in optimize_curve(p, list(range(1, hi + 1)), costs=costs)]


def group_plans(matrix: OutcomeMatrix, attribute: str, budgets: Sequence[int], *, min_group: int = MIN_GROUP,
                reallocate: bool = False, bins: int = 4, min_group_budget: int = 1,
                max_group_budget: int | None = None) -> list[GroupPlan]:
    """Per-group OSCA plans at each budget (module docstring); ``reallocate`` picks the group budgets by the
    knapsack, otherwise every group gets the budget."""
    budgets = check_budgets(budgets)
    if int(min_group) < 1:
        raise InputError(f"--min-group must be at least 1 (got {min_group})")
    labels = np.array(group_labels(matrix, attribute, bins=bins), dtype=object)
    values = sorted(set(labels.tolist()))
    costs = matrix.costs
    hi = max(budgets) if not reallocate else (max_group_budget or 4 * max(budgets))
    p_all = matrix.train_rates()
    n_tr, c_tr = matrix.train_counts()
    prior = lazy_prior(matrix)
    global_counts = _curve_counts(p_all, hi, costs)
    tr_lab, te_lab = labels[matrix.train], labels[matrix.test]
    info = []
    for v in values:
        p_g = p_all[tr_lab == v]
        own = len(p_g) >= min_group
        counts = _curve_counts(p_g, hi, costs) if own else global_counts
        curve = np.concatenate([[0.0], [float(train_pass(n_tr[tr_lab == v], c_tr[tr_lab == v], k, prior)) for k in counts]]) if len(p_g) else None
        info.append((v, p_g, own, counts, curve))
    n_test, c_test = matrix.test_counts()
    out = []
    for b in budgets:
        if reallocate:
            with_train = [i for i, x in enumerate(info) if len(x[1])]
            ws = [len(info[i][1]) for i in with_train]
            cur = [info[i][4] for i in with_train]
            got, _ = allocate_budgets(ws, cur, b * sum(ws), lo=min_group_budget)
            gb = {i: g for i, g in zip(with_train, got, strict=True)}
        else:
            gb = {}
        rows, tr_num, te_num, extra = [], 0.0, 0.0, False
        for i, (v, p_g, own, counts, curve) in enumerate(info):
            bg = int(gb.get(i, b))
            k = counts[bg - 1] if bg > 0 else tuple(0 for _ in costs)
            tr = float(curve[bg]) if curve is not None else None
            sel = te_lab == v
            te = None
            if sel.any():
                te, x = eval_pass(n_test[sel], c_test[sel], np.array(k), prior)
                extra = extra or x
                te_num += te * int(sel.sum())
            if tr is not None:
                tr_num += tr * len(p_g)
            rows.append(GroupAllocation(str(v), len(p_g), int(sel.sum()), bg, matrix.config_names, tuple(k), tr, te,
                                        own))
        ntr, nte = int(matrix.train.sum()), int(matrix.test.sum())
        out.append(GroupPlan(
            attribute, b, bool(reallocate), int(min_group), tuple(rows), tr_num / ntr, te_num / nte, extra,
            sum(r.budget * r.train_questions for r in rows) / ntr, sum(r.budget * r.test_questions for r in rows) / nte,
        ))
    return out
