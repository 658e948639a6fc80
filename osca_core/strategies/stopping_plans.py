"""Plans under early stopping: ordered schedules of any strategy's mix, the ``osca-stop`` strategy, the frontier of
every strategy in the (expected cost, pass) plane, and the savings under early stopping.

A :class:`Schedule` is a strategy's mix at a budget with its best order (``earlystop.best_order`` on training
rates), its test pass@C (order-free), its expected cost per question with early stopping on test (unbiased,
without replacement) and on training (plug-in), and its cost without stopping sum_s cost_s k_s.

``osca-stop`` (budget B = an *expected-cost* budget per question, in cost units): among candidate plans, the one
with the largest training pass@C whose training expected cost under its order is <= B (ties: lower expected
cost, then fewer samples). Candidates: the OSCA mix at every sample budget C = 1 .. ``max_samples`` (default
max(B_max, min(4 B_max, min n)): no extrapolation beyond the logs unless asked) and every pure configuration at
every C; each ordered by ``best_order`` with at most ``candidate_states`` lattice states (the heuristic above, an
upper bound on its best order's cost, so the constraint holds; above that limit the greedy index order alone). The chosen plan is then ordered with the full
exact limit. Its number of samples C (len(order)) is usually larger than B: early stopping pays for them.

Savings under early stopping (``early_stop_savings``): the best pure configuration chosen on training at the
largest budget B reaches test accuracy T at expected cost E_pure (early stopping, test); OSCA's first ordered plan
(smallest C) with test pass >= T costs E_osca in expectation, and osca-stop's first plan (smallest expected-cost
budget) E_stop; ratios E_pure / E_osca and E_pure / E_stop. In-sample logs (SWE-bench release) give in-sample
ratios.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from osca_core.errors import InputError
from osca_core.model.budgets import check_budgets
from osca_core.model.estimators import plugin_objective
from osca_core.model.extrapolation import PriorLike, lazy_prior, train_pass
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.results import Allocation, make_allocation, score
from osca_core.optimize.curve import optimize_curve
from osca_core.strategies.stopping_cost import EXACT_STATES, best_order, expected_costs
from osca_core.strategies.uniform import uniform_expected

OSCA_STOP = "osca-stop"


@dataclass(frozen=True)
class Schedule:
    """One ordered plan (module docstring). ``order`` holds configuration indices, first sampled first;
    ``lower_bound`` bounds the training expected cost of every order of this mix; ``extrapolated`` when a test
    term was extrapolated (k > n: Beta-binomial predictive) in pass@C or in the expected cost."""

    strategy: str
    budget: int
    config_names: tuple[str, ...]
    counts: tuple[int, ...]
    order: tuple[int, ...]
    train_pass: float
    test_pass: float
    expected_cost_test: float
    expected_cost_train: float
    cost_without_stopping: float
    order_exact: bool
    lower_bound: float
    extrapolated: bool

    @property
    def allocation(self) -> dict[str, int]:
        """{configuration: k} for the configurations that receive samples, largest first."""
        pairs = [(n, int(k)) for n, k in zip(self.config_names, self.counts, strict=True) if k > 0]
        return dict(sorted(pairs, key=lambda t: -t[1]))

    @property
    def order_names(self) -> list[str]:
        return [self.config_names[i] for i in self.order]

    def as_dict(self) -> dict:
        """Exactly the ``osca schedule`` result row: strategy, budget, allocation, order (names, first to last),
        test_pass, expected_cost_test, expected_cost_train, cost_without_stopping, order_exact."""
        return {"strategy": self.strategy, "budget": self.budget, "allocation": self.allocation,
                "order": self.order_names, "test_pass": self.test_pass,
                "expected_cost_test": self.expected_cost_test, "expected_cost_train": self.expected_cost_train,
                "cost_without_stopping": self.cost_without_stopping, "order_exact": self.order_exact}


def schedule_counts(matrix: OutcomeMatrix, strategy: str, budget: int, counts: Sequence[int], *,
                    max_states: int = EXACT_STATES) -> Schedule:
    """Order the mix ``counts`` (best_order on training) and score it (module docstring)."""
    k = np.asarray(counts, dtype=np.int64)
    r = best_order(matrix.train_rates(), k, matrix.costs, max_states=max_states)
    train, test, extra = score(matrix, k)
    n, c = matrix.test_counts()
    e_test, x = expected_costs(n, c, r.order, matrix.costs, prior=lazy_prior(matrix))
    return Schedule(strategy, int(budget), matrix.config_names, tuple(int(v) for v in k), r.order, train, test,
                    float(e_test.mean()), r.expected_cost, float(matrix.costs @ k), r.exact, r.lower_bound,
                    bool(extra or x))


def schedules(matrix: OutcomeMatrix, allocations: Sequence[Allocation], *, max_states: int = EXACT_STATES
              ) -> list[Schedule]:
    """Every allocation (any strategy's, e.g. ``registry.allocate``) as an ordered schedule."""
    return [schedule_counts(matrix, a.strategy, a.budget, a.counts, max_states=max_states) for a in allocations]


def schedule_document(matrix: OutcomeMatrix, plans: Sequence[Schedule]) -> dict:
    """The ``osca schedule --json`` document: {"dataset": str, "results": [Schedule.as_dict(), ...]}."""
    return {"dataset": matrix.name, "results": [s.as_dict() for s in plans]}


# -- osca-stop -----------------------------------------------------------------------------------------------------

def osca_stop(matrix: OutcomeMatrix, budgets: Sequence[int], *, max_samples: int | None = None,
              candidate_states: int = 20_000, max_states: int = EXACT_STATES) -> list[Schedule]:
    """``osca-stop`` at every expected-cost budget in ``budgets`` (module docstring)."""
    budgets = check_budgets(budgets)
    top = max(budgets)
    cmax = int(max_samples) if max_samples is not None else max(top, min(4 * top, int(matrix.n.min())))
    if cmax < 1:
        raise InputError(f"--max-samples must be at least 1 (got {max_samples})")
    p, costs = matrix.train_rates(), matrix.costs
    s = p.shape[1]
    mixes = {r.counts: None for r in optimize_curve(p, list(range(1, cmax + 1)), costs=costs) if sum(r.counts)}
    K = np.array(list(mixes), dtype=np.int64)
    cost = np.array([best_order(p, k, costs, max_states=candidate_states, improve=False).expected_cost for k in K])
    sizes = np.arange(1, cmax + 1)
    for j in range(s):  # pure plans: E = cost_j mean_q sum_{i<C} (1 - p_qj)^i, every C at once
        c = sizes[sizes * costs[j] <= cmax + 1e-9]
        if c.size:
            pure = np.zeros((c.size, s), dtype=np.int64)
            pure[:, j] = c
            K = np.vstack([K, pure])
            surv = (1.0 - p[:, j : j + 1]) ** np.arange(c[-1])[None, :]
            cost = np.concatenate([cost, costs[j] * np.cumsum(surv.mean(axis=0))[c - 1]])
    train = np.concatenate([plugin_objective(p, K[i : i + 2048]) for i in range(0, len(K), 2048)])
    n_tr, c_tr = matrix.train_counts()
    prior = lazy_prior(matrix)
    for i in np.flatnonzero((K > n_tr.min(axis=0)[None, :]).any(axis=1)):  # beyond n: the exact objective
        train[i] = train_pass(n_tr, c_tr, K[i], prior)
    samples = K.sum(axis=1)
    out, done = [], {}
    for b in budgets:
        ok = np.flatnonzero(cost <= b + 1e-9)
        if ok.size == 0:
            raise InputError(f"osca-stop: expected-cost budget {b} is below the cost of one sample "
                             f"(cheapest {costs.min():g})")
        best = ok[np.lexsort((samples[ok], cost[ok], -train[ok]))[0]]
        if best not in done:
            done[best] = schedule_counts(matrix, OSCA_STOP, b, K[best], max_states=max_states)
        out.append(replace(done[best], budget=int(b)))
    return out


def osca_stop_allocations(matrix: OutcomeMatrix, budgets: Sequence[int], **kw) -> list[Allocation]:
    """osca-stop as :class:`Allocation` objects (for ``registry.allocate`` and curves), scored as every
    allocation is (``results.make_allocation``: train and test pass, ``extrapolated`` for the test pass, cost), so
    ``registry.allocate`` gives on the log's own split exactly what ``experiments.fit`` gives."""
    return [make_allocation(matrix, OSCA_STOP, x.counts, budget=x.budget) for x in osca_stop(matrix, budgets, **kw)]


def pareto(plans: Sequence[Schedule]) -> list[bool]:
    """Which plans lie on the (expected_cost_test lower, test_pass higher) Pareto front of ``plans``."""
    e = np.array([x.expected_cost_test for x in plans])
    v = np.array([x.test_pass for x in plans])
    return [not bool(((e <= e[i]) & (v >= v[i]) & ((e < e[i]) | (v > v[i]))).any()) for i in range(len(plans))]


def uniform_expected_cost(n: np.ndarray, c: np.ndarray, budgets: Sequence[int], costs=None, *,
                          prior: PriorLike = None) -> tuple[np.ndarray, np.ndarray]:
    """``uniform`` under early stopping (each sample's configuration uniform, independent of the outcomes so far):
    E[cost] at budget C = mean_s cost_s * sum_{j=0}^{C-1} (1 - U(j)), U(j) the exact uniform pass@j
    (``uniform.uniform_expected``; U(0) = 0), because the j-th configuration is independent of whether the first j
    samples failed. Returns (values, extrapolated) per budget (extrapolated when some U(j), j < C, is);
    ``prior`` for terms beyond n (``extrapolation.priors(matrix)``)."""
    budgets = check_budgets(budgets)
    n = np.asarray(n)
    mean_cost = 1.0 if costs is None else float(np.mean(costs))
    top = max(budgets)
    if top > 1:
        u, x = uniform_expected(n, c, list(range(1, top)), prior=prior)
    else:
        u, x = np.zeros(0), np.zeros(0, dtype=bool)
    fail = np.concatenate([[1.0], 1.0 - np.asarray(u, float)])  # P(first j samples all fail), j = 0 .. top-1
    flags = np.concatenate([[False], np.asarray(x, bool)])
    cum = np.cumsum(fail)
    return (np.array([mean_cost * cum[b - 1] for b in budgets]),
            np.array([bool(flags[:b].any()) for b in budgets]))


# -- savings under early stopping ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class EarlyStopSavings:
    """Expected cost to reach the best pure configuration's test accuracy, with early stopping (module
    docstring). ``osca_budget`` is the sample budget C of OSCA's first plan reaching the target (None if none);
    ``stop_budget`` the expected-cost budget of osca-stop's (None if none or not run)."""

    dataset: str
    baseline: str
    baseline_budget: int
    target_pass: float
    baseline_expected_cost: float
    osca_budget: int | None
    osca_expected_cost: float | None
    osca_ratio: float | None
    stop_budget: int | None
    stop_expected_cost: float | None
    stop_ratio: float | None
    in_sample: bool
    extrapolated: bool

    def as_dict(self) -> dict:
        return {"dataset": self.dataset, "baseline": self.baseline, "baseline_budget": self.baseline_budget,
                "target_pass": self.target_pass, "baseline_expected_cost": self.baseline_expected_cost,
                "osca_budget": self.osca_budget, "osca_expected_cost": self.osca_expected_cost,
                "osca_ratio": self.osca_ratio, "osca_stop_budget": self.stop_budget,
                "osca_stop_expected_cost": self.stop_expected_cost, "osca_stop_ratio": self.stop_ratio,
                "in_sample": self.in_sample, "extrapolated": self.extrapolated}


def early_stop_savings(matrix: OutcomeMatrix, best_pure: Sequence[Allocation], osca: Sequence[Allocation],
                       stop: Sequence[Schedule] | None = None, *, max_states: int = EXACT_STATES
                       ) -> EarlyStopSavings:
    """Savings under early stopping (module docstring). ``best_pure`` and ``osca``: the strategies' allocations
    over the same ascending budgets; ``stop``: osca-stop schedules over ascending expected-cost budgets."""
    base = max(best_pure, key=lambda a: a.budget)
    bp = schedule_counts(matrix, "best-pure", base.budget, base.counts, max_states=max_states)
    target = bp.test_pass
    reach = [a for a in sorted(osca, key=lambda a: a.budget) if a.test_pass >= target]
    o = schedule_counts(matrix, "osca", reach[0].budget, reach[0].counts, max_states=max_states) if reach else None
    s = next((x for x in sorted(stop or (), key=lambda x: x.budget) if x.test_pass >= target), None)

    def ratio(x: Schedule | None) -> float | None:
        return None if x is None or x.expected_cost_test <= 0 else bp.expected_cost_test / x.expected_cost_test

    return EarlyStopSavings(
        matrix.name, next(iter(base.allocation)), base.budget, target, bp.expected_cost_test,
        None if o is None else o.budget, None if o is None else o.expected_cost_test, ratio(o),
        None if s is None else s.budget, None if s is None else s.expected_cost_test, ratio(s), matrix.in_sample,
        bool(bp.extrapolated or (o is not None and o.extrapolated) or (s is not None and s.extrapolated)),
    )
