"""Allocation strategies and their one table: pure, best-pure, even, uniform, hillclimb, osca, osca-eb,
the early-stopping plans (``osca-stop``, expected costs and orders), the test-set oracle and per-group allocation.
``registry`` is the one table every caller goes through (names, colours, fits, scores).
"""

from osca_core._face import lazy_face

# public name -> the module that defines it (imported on first use)
_EXPORTS = {
    "StrategySpec": "registry",
    "names": "registry",
    "specs": "registry",
    "lookup": "registry",
    "get": "registry",
    "allocate": "registry",
    "solve": "registry",
    "evaluate": "registry",
    "osca": "allocators",
    "hillclimb_counts": "allocators",
    "uniform_expected": "uniform",
    "best_order": "stopping_cost",
    "expected_cost_train": "stopping_cost",
    "Schedule": "stopping_plans",
    "osca_stop": "stopping_plans",
    "oracle_counts": "oracle",
    "OracleResult": "oracle",
    "group_plans": "groups",
    "GroupPlan": "groups",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
