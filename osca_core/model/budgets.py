"""Budgets: the validated list of sample budgets C that every strategy, curve and interval is asked for.

A budget is a positive integer (a count of samples, or of cost units where costs are given). The boundary that
reads budgets from a person (the CLI's ``--budgets`` SPEC, the dashboard's slider and URL) validates them once and
hands a :class:`Budgets` inward; every inner ``check_budgets`` then passes it through without a second look, so a
list is validated once however many layers it crosses (registry -> strategy -> optimizer -> scoring).

This module imports nothing heavy (no numpy), so the command line can build it while parsing arguments.
"""

from __future__ import annotations

from collections.abc import Iterable

from osca_core.errors import InputError


class Budgets(list):
    """A list of budgets already validated (each an ``int`` >= 1, at least one). Compares equal to the plain list
    of the same integers and serializes as one; build it with :func:`check_budgets`."""

    __slots__ = ()


def check_budgets(budgets: Iterable[int]) -> Budgets:
    """Budgets as validated ints in the given order; empty or < 1 is a user's mistake (:class:`InputError`).
    A :class:`Budgets` is returned as it is (it was validated where it was made)."""
    if type(budgets) is Budgets:
        return budgets
    b = Budgets(int(x) for x in budgets)
    if not b or min(b) < 1:
        raise InputError("budgets must be positive integers")
    return b
