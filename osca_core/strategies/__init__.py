"""Allocation strategies and their one table: pure, best-pure, even, uniform, hillclimb, osca, osca-eb,
the early-stopping plans (``osca-stop``, expected costs and orders), the test-set oracle and per-group allocation.
``registry`` is the one table every caller goes through (names, colours, fits, scores).
"""

from osca_core._face import lazy_face

# submodule -> the public names it defines (each imported on first use)
__all__, __getattr__, __dir__ = lazy_face(__name__, {
    "registry": "StrategySpec names specs lookup get allocate solve evaluate",
    "allocators": "osca hillclimb_counts",
    "uniform": "uniform_expected",
    "stopping_cost": "best_order expected_cost_train",
    "stopping_plans": "Schedule osca_stop",
    "oracle": "oracle_counts OracleResult",
    "groups": "group_plans GroupPlan",
})
