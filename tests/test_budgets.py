"""Budgets are validated once, at the boundary: the CLI's SPEC parser (or the first core entry a plain list
reaches) makes a :class:`Budgets`, and every inner ``check_budgets`` passes it through."""

from __future__ import annotations

import pytest

from osca_core.cli.args import parse_budgets
from osca_core.errors import InputError
from osca_core.model import budgets as B
from osca_core.strategies import registry


def test_check_budgets_validates_a_plain_list_and_passes_a_validated_one_through():
    b = B.check_budgets([3, 1, 2])
    assert isinstance(b, B.Budgets) and b == [3, 1, 2]
    assert B.check_budgets(b) is b
    for bad in ([], [0, 1], [-2]):
        with pytest.raises(InputError, match="budgets must be positive integers"):
            B.check_budgets(bad)


def test_the_cli_spec_parser_returns_validated_budgets():
    b = parse_budgets("1-3,8")
    assert type(b) is B.Budgets and b == [1, 2, 3, 8]


@pytest.mark.parametrize("strategy", ["osca", "best-pure", "uniform", "osca-stop"])
def test_a_curve_validates_its_budgets_once_however_many_layers_it_crosses(strategy, bcb, monkeypatch):
    made = []

    class Counting(B.Budgets):
        __slots__ = ()

        def __init__(self, *a):
            made.append(1)
            super().__init__(*a)

    monkeypatch.setattr(B, "Budgets", Counting)
    curve = registry.evaluate(bcb, strategy, [1, 2, 4])
    assert list(curve.budgets) == [1, 2, 4]
    assert len(made) == 1
    made.clear()
    registry.evaluate(bcb, strategy, B.check_budgets([1, 2, 4]))
    assert len(made) == 1  # the one made by the explicit call; the curve's layers made none
