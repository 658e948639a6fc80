"""The strategy registry: one table of every strategy, the single source for the CLI, experiments, plots, views and
pages.

A :class:`StrategySpec` says what a strategy is called and how it is drawn (``label``, ``color``), whether it mixes
configurations (``mixes``: bans on mixing apply to it), and how it is evaluated (``kind``):

- ``"allocation"``: ``allocator(matrix, budgets, *, seed, certify) -> list[Allocation]`` gives one fixed allocation
  per budget, chosen on the training questions and scored on the test questions (``Allocation.test_pass``);
  ``solver`` (optional) is the same optimization without the scoring, so ``osca optimize`` can time it alone;
- ``"expectation"``: no fixed allocation; ``expectation(n, c, budgets, *, prior) -> (values, extrapolated)`` is the exact
  expected pass@C over the strategy's random allocations for counts (n, c) (``uniform``: multinomial counts).

The per-question and early-stopping hooks, so that no caller branches on a strategy's name:

- ``question_values(n, c, budgets, *, prior) -> (values (Q, P), extrapolated (P,))`` (expectation strategies
  only; an allocation strategy's per-question values are those of its allocations,
  ``osca_core.model.per_question``): :func:`question_values` serves both kinds (the bootstrap, the Questions page);
- ``expected_cost(n, c, budgets, costs, *, prior) -> (values, flags)`` (expectation strategies only; an allocation
  strategy's expected cost is that of its ordered plans, ``stopping_plans.schedules``): :func:`expected_costs`
  serves both kinds (``curves --x expected-cost``, the dashboard);
- ``planner(matrix, budgets, *, seed) -> list[Schedule]``: ordered plans made by the strategy itself (``osca-stop``);
  others are their allocations ordered by ``stopping_plans.schedules`` (:func:`plans`, ``osca schedule``);
  ``budget_unit`` names what its budgets count (``osca-stop``: an expected-cost budget).

:func:`evaluate` is the one path for "the curve on a log's own split" (``experiments.run_curves`` on the own split
and the bootstrap's point estimates agree with it; tests/test_homes.py).

``default`` marks the curve set of ``osca curves`` (after every ``pure:<config>``), ``dashboard`` the strategies
the dashboard offers (``dashboard_default``: selected at first), ``reference`` a test-set oracle (never a baseline,
drawn dashed). ``pure:<config>`` specs are made on the fly by :func:`get`.

Adding a strategy = one entry in ``_TABLE`` plus its algorithm (in its own module; it must not import this one).
``tests/test_registry.py`` checks that every consumer agrees with this table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from osca_core.errors import InputError
from osca_core.model import extrapolation
from osca_core.model.budgets import check_budgets
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.per_question import allocation_values
from osca_core.model.results import Allocation, Curve, Solution
from osca_core.strategies import allocators as st
from osca_core.strategies import oracle as orc
from osca_core.strategies import stopping_plans
from osca_core.strategies import uniform as uni

Allocator = Callable[..., list[Allocation]]  # (matrix, budgets, *, seed, certify) -> list[Allocation]
Solver = Callable[..., list[Solution]]  # (matrix, budgets, *, seed, certify) -> list[Solution]
Expectation = Callable[[np.ndarray, np.ndarray, Sequence[int]], tuple[np.ndarray, np.ndarray]]
QuestionValuesHook = Callable[..., tuple[np.ndarray, np.ndarray]]  # (n, c, budgets, *, prior) -> ((Q, P), (P,))
ExpectedCostHook = Callable[..., tuple]  # (n, c, budgets, costs, *, prior) -> (values, flags) per budget
Planner = Callable[..., list]  # (matrix, budgets, *, seed) -> list[stopping_plans.Schedule]

PURE_PREFIX = "pure:"
PURE_COLOR = "rgba(140, 140, 140, 0.45)"  # every pure configuration: muted grey, one legend entry
OTHER_COLOR = "#444444"  # a curve that is not a registered strategy (e.g. a paired difference)


@dataclass(frozen=True)
class StrategySpec:
    """One strategy: names, drawing, whether it mixes configurations, and how it is evaluated (module docstring)."""

    name: str
    label: str
    color: str
    mixes: bool
    kind: Literal["allocation", "expectation"]
    description: str
    default: bool = False
    dashboard: bool = False
    dashboard_default: bool = False
    reference: bool = False
    certifies: bool = False  # accepts certify=True (MILP certificates of optimality); others ignore it
    allocator: Allocator | None = None
    solver: Solver | None = None
    expectation: Expectation | None = None
    question_values: QuestionValuesHook | None = None
    expected_cost: ExpectedCostHook | None = None
    planner: Planner | None = None
    budget_unit: str = "budget"

    def __post_init__(self) -> None:
        if self.kind not in ("allocation", "expectation"):
            raise ValueError(f"{self.name}: kind must be 'allocation' or 'expectation', not {self.kind!r}")
        if self.kind == "allocation" and self.allocator is None:
            raise ValueError(f"{self.name}: an allocation strategy needs an allocator")
        if self.kind == "expectation" and self.expectation is None:
            raise ValueError(f"{self.name}: an expectation strategy needs an expectation")
        if self.reference and (self.default or self.dashboard_default):
            raise ValueError(f"{self.name}: a reference (test-set oracle) is never part of a default set")

    @property
    def is_pure(self) -> bool:
        return self.name.startswith(PURE_PREFIX)

    @property
    def dash(self) -> str:
        """Plotly line dash: references (test-set oracles) are dashed, everything else solid."""
        return "dash" if self.reference else "solid"


# -- the algorithms behind the entries ---------------------------------------------------------------------------

def _best_pure(m, budgets, *, seed=0, certify=False):
    return st.best_pure(m, budgets)


def _even(m, budgets, *, seed=0, certify=False):
    return st.even(m, budgets)


def _hillclimb(m, budgets, *, seed=0, certify=False):
    return st.hillclimb(m, budgets, seed=seed)


def _osca(m, budgets, *, seed=0, certify=False):
    return st.osca(m, budgets, certify=certify)


def _osca_eb(m, budgets, *, seed=0, certify=False):
    return st.osca_eb(m, budgets)


def _osca_stop(m, budgets, *, seed=0, certify=False):
    return stopping_plans.osca_stop_allocations(m, budgets)


def _osca_stop_plans(m, budgets, *, seed=0):
    return stopping_plans.osca_stop(m, budgets)


def _oracle_expected_cost(n, c, budgets, costs=None, *, prior=None):
    """The oracle's allocations per question in their own best orders (``oracle.oracle_expected_costs``)."""
    result = orc.oracle_counts(n, c, budgets, prior=prior)
    return orc.oracle_expected_costs(n, c, result, costs, prior=prior)


def _solver(name: str) -> Solver:
    def solve(m, budgets, *, seed=0, certify=False):
        return st.solve(m, name, budgets, seed=seed, certify=certify)
    return solve


_TABLE: tuple[StrategySpec, ...] = (
    StrategySpec("best-pure", "best pure", "#0072B2", False, "allocation",
                 "the single configuration with the best training objective at each budget",
                 default=True, dashboard=True, dashboard_default=True, allocator=_best_pure),
    StrategySpec("uniform", "uniform mix", "#CCBB44", True, "expectation",
                 "each sample's configuration drawn uniformly (exact expectation)",
                 default=True, dashboard=True, dashboard_default=True, expectation=st.uniform_expected,
                 question_values=uni.uniform_question_values, expected_cost=stopping_plans.uniform_expected_cost),
    StrategySpec("even", "even split", "#CC79A7", True, "allocation",
                 "C split as evenly as possible over the configurations (remainder to the best on training)",
                 default=True, dashboard=True, allocator=_even),
    StrategySpec("hillclimb", "hill climbing (paper)", "#332288", True, "allocation",
                 "the paper's hill climbing of the training objective, seeded",
                 dashboard=True, allocator=_hillclimb, solver=_solver("hillclimb")),
    StrategySpec("osca", "OSCA", "#D55E00", True, "allocation",
                 "the project's optimizer of the training objective (certifiable by MILP bounds)",
                 default=True, dashboard=True, dashboard_default=True, certifies=True, allocator=_osca,
                 solver=_solver("osca")),
    StrategySpec("osca-eb", "OSCA (empirical Bayes)", "#56B4E9", True, "allocation",
                 "OSCA on empirical-Bayes smoothed training rates (Beta-binomial prior per configuration)",
                 dashboard=True, allocator=_osca_eb),
    StrategySpec("osca-stop", "OSCA (early stopping)", "#882255", True, "allocation",
                 "the mix and order with the best training pass@C whose training expected cost under early "
                 "stopping is at most the budget (osca_core.strategies.stopping_plans)",
                 dashboard=True, allocator=_osca_stop, planner=_osca_stop_plans, budget_unit="expected-cost budget"),
    StrategySpec("oracle", "test-set oracle", "#000000", True, "expectation", orc.ORACLE_LABEL,
                 dashboard=True, reference=True, expectation=orc.oracle_expectation,
                 expected_cost=_oracle_expected_cost),
)
_BY_NAME = {s.name: s for s in _TABLE}
assert len(_BY_NAME) == len(_TABLE), "strategy names must be unique"


def _pure_spec(name: str) -> StrategySpec:
    config = name[len(PURE_PREFIX):]
    if not config:
        raise InputError(f"strategy {name!r}: give a configuration after 'pure:' (pure:<config>)")

    def allocate(m, budgets, *, seed=0, certify=False):
        return st.pure(m, config, budgets)

    return StrategySpec(name, f"pure: {config}", PURE_COLOR, False, "allocation",
                        f"all C samples from configuration {config}", allocator=allocate)


# -- lookups ------------------------------------------------------------------------------------------------------

def names(**flags: bool) -> tuple[str, ...]:
    """Registered names in table order, optionally filtered by spec flags, e.g. ``names(dashboard=True)``,
    ``names(mixes=False)``, ``names(kind="allocation")``; ``pure:<config>`` are not listed (made on the fly)."""
    for key in flags:
        if key not in StrategySpec.__dataclass_fields__:
            raise TypeError(f"names(): unknown flag {key!r}")
    return tuple(s.name for s in _TABLE if all(getattr(s, k) == v for k, v in flags.items()))


def specs() -> tuple[StrategySpec, ...]:
    """Every registered spec, in table order."""
    return _TABLE


def lookup(name: str) -> StrategySpec | None:
    """The spec of ``name`` (``pure:<config>`` made on the fly), or None when it is not a strategy."""
    if name.startswith(PURE_PREFIX) and len(name) > len(PURE_PREFIX):
        return _pure_spec(name)
    return _BY_NAME.get(name)


def get(name: str) -> StrategySpec:
    """The spec of ``name``; an unknown name is an :class:`InputError` listing the known ones."""
    spec = lookup(name) if name != PURE_PREFIX else _pure_spec(name)
    if spec is None:
        raise InputError(f"unknown strategy {name!r} (use pure:<config>, {', '.join(names())})")
    return spec


def label(name: str) -> str:
    """Display label: ``OSCA``, ``best pure``, ``pure: <config>``, ..."""
    return get(name).label


def color(name: str) -> str:
    """Line colour (Okabe-Ito and Paul Tol colours, every pair apart under simulated colour-vision deficiency:
    osca_core.present.palette, tests/test_palette.py; pure configurations muted grey)."""
    return get(name).color


def default_strategies(matrix: OutcomeMatrix) -> list[str]:
    """The curve set of ``osca curves`` without --strategies: every pure configuration, then the default entries
    (best-pure, uniform, even, osca)."""
    return [f"{PURE_PREFIX}{x}" for x in matrix.config_names] + list(names(default=True))


def check_names(matrix: OutcomeMatrix, strategies: Sequence[str]) -> list[str]:
    """Every name known and every ``pure:<config>`` a configuration of ``matrix`` (InputError otherwise)."""
    for s in strategies:
        spec = get(s)
        if spec.is_pure:
            matrix.config_index([s[len(PURE_PREFIX):]])
    return list(strategies)


# -- evaluation -----------------------------------------------------------------------------------------------------

def allocate(matrix: OutcomeMatrix, name: str, budgets: Sequence[int], *, seed: int = 0,
             certify: bool = False) -> list[Allocation]:
    """One allocation per budget, trained on the matrix's training questions, scored on its test questions.
    A strategy without a fixed allocation (``uniform``) is an InputError."""
    spec = get(name)
    if spec.kind != "allocation":
        raise InputError(f"{name} has no fixed allocation (each sample's configuration is random); "
                         f"use its expected curve instead")
    return spec.allocator(matrix, check_budgets(budgets), seed=seed, certify=certify)


def solve(matrix: OutcomeMatrix, name: str, budgets: Sequence[int], *, seed: int = 0,
          certify: bool = False) -> list[Solution]:
    """The optimization behind an optimizing strategy (``names(...)`` with a solver: osca, hillclimb), unscored;
    score with ``strategies.scored``."""
    spec = get(name)
    if spec.solver is None:
        opt = ", ".join(s.name for s in _TABLE if s.solver is not None)
        raise InputError(f"{name} is not an optimizing strategy (use {opt})")
    return spec.solver(matrix, check_budgets(budgets), seed=seed, certify=certify)


def evaluate(matrix: OutcomeMatrix, name: str, budgets: Sequence[int], *, seed: int = 0) -> Curve:
    """Test pass@C of one strategy over ``budgets`` on the matrix's own split: the scored allocations (kept in
    ``Curve.allocations``) or the exact expectation on the test counts (no allocations)."""
    spec = get(name)
    budgets = check_budgets(budgets)
    if spec.kind == "expectation":
        vals, extra = spec.expectation(*matrix.test_counts(), budgets, prior=extrapolation.lazy_prior(matrix))
        return Curve(name, tuple(budgets), tuple(map(float, vals)), tuple(map(bool, extra)))
    allocs = allocate(matrix, name, budgets, seed=seed)
    return Curve(name, tuple(budgets), tuple(a.test_pass for a in allocs), tuple(a.extrapolated for a in allocs),
                 allocations=tuple(allocs))


# -- per-question values, expected cost under early stopping, ordered plans ----------------------------------------

def has_question_values(name: str) -> bool:
    """Whether :func:`question_values` can give ``name``'s per-question values (every allocation strategy, and the
    expectation strategies with a ``question_values`` hook)."""
    spec = get(name)
    return spec.kind == "allocation" or spec.question_values is not None


def expectation_question_values(name: str, n: np.ndarray, c: np.ndarray, budgets: Sequence[int], *,
                                prior=None) -> tuple[np.ndarray, np.ndarray]:
    """(Q, P) per-question values and (P,) extrapolated flags of an expectation strategy on counts (n, c), by its
    ``question_values`` hook; a strategy without one is an :class:`InputError`."""
    spec = get(name)
    if spec.question_values is None:
        have = ", ".join(s.name for s in _TABLE if s.kind == "expectation" and s.question_values is not None)
        raise InputError(f"{name}: no per-question values to bootstrap (only {have} among the strategies "
                         "without a fixed allocation)")
    return spec.question_values(n, c, budgets, prior=prior)


def question_values(matrix: OutcomeMatrix, name: str, budgets: Sequence[int], *, seed: int = 0,
                    allocations: Sequence[Allocation] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, tuple[Allocation, ...] | None]:
    """Per test question of ``matrix``, the strategy's test values at ``budgets``: (Q, P) values, (P,)
    extrapolated flags and the allocations (None for an expectation strategy). An allocation strategy is fitted
    on the training questions (:func:`allocate`, unless ``allocations`` are given) and valued per question
    (``per_question.allocation_values``: the mean is exactly ``Allocation.test_pass``); an expectation strategy
    uses its hook (:func:`expectation_question_values`)."""
    budgets = check_budgets(budgets)
    spec = get(name)
    n, c = matrix.test_counts()
    prior = extrapolation.lazy_prior(matrix)
    if spec.kind == "expectation":
        v, e = expectation_question_values(name, n, c, budgets, prior=prior)
        return v, e, None
    al = tuple(allocations) if allocations is not None else tuple(allocate(matrix, name, budgets, seed=seed))
    v, e = allocation_values(n, c, al, prior=prior)
    return v, e, al


def expected_costs(matrix: OutcomeMatrix, name: str, budgets: Sequence[int], *, seed: int = 0,
                   allocations: Sequence[Allocation] | None = None
                   ) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(expected cost per test question under early stopping, cost without stopping) per budget, on ``matrix``'s
    own split. An allocation strategy: its allocations (``allocations`` or :func:`allocate`) as ordered plans
    (``stopping_plans.schedules``: ``expected_cost_test``, ``cost_without_stopping``); an expectation strategy:
    its ``expected_cost`` hook on the test counts, and mean cost x budget without stopping."""
    spec = get(name)
    budgets = check_budgets(budgets)
    if spec.kind == "allocation":
        al = allocations if allocations is not None else allocate(matrix, name, budgets, seed=seed)
        ps = stopping_plans.schedules(matrix, al)
        return tuple(p.expected_cost_test for p in ps), tuple(p.cost_without_stopping for p in ps)
    if spec.expected_cost is None:
        raise InputError(f"{name}: no expected cost under early stopping (it has no fixed allocation)")
    n, c = matrix.test_counts()
    vals, _ = spec.expected_cost(n, c, budgets, matrix.costs, prior=extrapolation.lazy_prior(matrix))
    unit = float(matrix.costs.mean())
    return tuple(float(v) for v in vals), tuple(unit * b for b in budgets)


def plans(matrix: OutcomeMatrix, name: str, budgets: Sequence[int], *, seed: int = 0) -> list:
    """Ordered plans (``stopping_plans.Schedule``) of ``name`` at ``budgets``: its ``planner`` (osca-stop: the
    budgets are expected-cost budgets), else its allocations in their best order (``stopping_plans.schedules``)."""
    spec = get(name)
    if spec.planner is not None:
        return spec.planner(matrix, check_budgets(budgets), seed=seed)
    return stopping_plans.schedules(matrix, allocate(matrix, name, budgets, seed=seed))
