"""Bootstrap intervals on one split (issue 13): the ``--bootstrap B`` option of ``curves``, ``optimize`` and
``savings`` (``osca bench bootstrap`` is :mod:`osca_core.cli.bench`'s).

With ``--bootstrap B`` the test questions are resampled B times with replacement (``osca_core.analysis.bootstrap``; seeded
by ``--seed``, level ``--level``), the same resamples for every strategy and budget, so differences are paired
(``osca_core.analysis.paired``). ``--bootstrap-refit`` resamples the training questions too and re-optimizes each replicate
(``paired.refit_curves``). The layouts are the usual ones: ``ci_low``/``ci_high`` carry the interval and
``"setting"`` says ``"method": "bootstrap"``; ``curves`` adds ``"differences"``. Random splits already give
intervals over splits, so ``--bootstrap`` with ``--train-fraction``/``--splits``/``--holdout``/``--c0``/``--ban``
is refused in one line.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from osca_core.cli import args as A
from osca_core.cli.output import Progress
from osca_core.errors import InputError

if TYPE_CHECKING:
    from osca_core.analysis import paired
    from osca_core.model.outcomes import OutcomeMatrix
    from osca_core.model.results import Allocation


def wanted(args: argparse.Namespace) -> bool:
    """True when --bootstrap B > 0; refuses --bootstrap-refit without it and random splits with it."""
    from osca_core.analysis.bootstrap import DEFAULT_LEVEL

    b, refit = getattr(args, "bootstrap", 0), getattr(args, "bootstrap_refit", False)
    if refit and not b:
        raise InputError("--bootstrap-refit needs --bootstrap B (B > 0 resamples)")
    if getattr(args, "level", None) is not None and not b:
        raise InputError("--level needs --bootstrap B (intervals over random splits are 95%)")
    args.level = DEFAULT_LEVEL if getattr(args, "level", None) is None else args.level
    if b:
        A.refuse_with(args, "--bootstrap", what="one split (random splits give intervals over splits)")
    return bool(b)


def curve_bootstrap(m: OutcomeMatrix, names: Sequence[str], budgets: Sequence[int], args: argparse.Namespace
                    ) -> paired.CurveBootstrap:
    """``paired.bootstrap_curves`` (or ``refit_curves`` with --bootstrap-refit) with the CLI's options."""
    from osca_core.analysis import paired

    kw = dict(n_resamples=args.bootstrap, level=args.level, seed=args.seed, fit_seed=args.seed)
    if getattr(args, "bootstrap_refit", False):
        return paired.refit_curves(m, names, budgets, progress=Progress("bootstrap-refit"), **kw)
    return paired.bootstrap_curves(m, names, budgets, **kw)


def print_differences(cb: paired.CurveBootstrap) -> None:
    """The headline of every paired difference (does the interval exclude 0?) at every budget when there are at
    most 8, else at the powers of two and the largest."""
    if not cb.differences:
        return
    bs_ = cb.budgets
    show = bs_ if len(bs_) <= 8 else [b for b in bs_ if b & (b - 1) == 0 or b == bs_[-1]]
    print(f"\npaired differences ({cb.n_resamples} resamples of {cb.test_questions} test questions"
          + (", strategies re-fitted" if cb.refit else "") + ")")
    for d in cb.differences:
        for b in show:
            print(d.headline(b))


def bootstrap_setting(m: OutcomeMatrix, b: int, level: float, seed: int, *, refit: bool = False) -> dict:
    """The ``"setting"`` of a bootstrap on one split, with the keys of ``CurveBootstrap.setting``."""
    return {"method": "bootstrap", "interval": "percentile", "n_resamples": b, "level": level, "seed": seed,
            "refit": refit, "resampled": "training and test questions, strategies re-fitted" if refit
            else "test questions (allocations fixed)", "test_questions": int(m.test.sum()), "paired": True,
            "in_sample": m.in_sample}


def optimize_intervals(m: OutcomeMatrix, strategy: str, allocations: Sequence[Allocation],
                       args: argparse.Namespace) -> tuple[list[tuple[float, float]], dict]:
    """Per result (ci_low, ci_high) and the ``"setting"``: ``bootstrap.bootstrap_allocations`` (allocations
    fixed) or, with --bootstrap-refit, the refitted curve's interval (``paired.refit_curves``)."""
    from osca_core.analysis import bootstrap as bs
    from osca_core.analysis import paired

    if getattr(args, "bootstrap_refit", False):
        budgets = [a.budget for a in allocations]
        cb = paired.refit_curves(m, [strategy], budgets, n_resamples=args.bootstrap, level=args.level,
                                 seed=args.seed, fit_seed=args.seed, progress=Progress("bootstrap-refit"))
        cv = cb.curves[0]
        return list(zip(cv.ci_low, cv.ci_high, strict=True)), cb.setting
    r = bs.bootstrap_allocations(m, allocations, n_resamples=args.bootstrap, level=args.level, seed=args.seed)
    ci = [(float(lo), float(hi)) for lo, hi in zip(r.ci_low, r.ci_high, strict=True)]
    return ci, bootstrap_setting(m, args.bootstrap, args.level, args.seed)


def savings_bootstrap(m: OutcomeMatrix, budgets: Sequence[int], args: argparse.Namespace, **kw
                      ) -> paired.BootstrapSavings:
    """``paired.bootstrap_savings`` with the command's options (``kw``: baseline_configs, measured_only)."""
    from osca_core.analysis import paired

    return paired.bootstrap_savings(m, budgets, n_resamples=args.bootstrap, level=args.level, seed=args.seed,
                                    refit=getattr(args, "bootstrap_refit", False), fit_seed=args.seed, **kw)
