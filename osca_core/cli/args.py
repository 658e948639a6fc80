"""Argument types and parsing of the ``osca`` command line, and the work limits every command obeys.

Parsing is strict: numbers are ASCII digits only (``+5``, ``1_000``, ``١-٣`` are refused), lists refuse empty
items, costs must be finite and in range. Every refusal is one line naming the flag (:class:`InputError`).

Work limits (a request above one is refused in one line naming the limit and the flag) live in
:mod:`osca_core.limits`, shared with the dashboard, and are re-exported here.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Sequence

from osca_core import checks
from osca_core.cli.choices import BANS
from osca_core.errors import InputError
from osca_core.limits import (  # noqa: F401  (re-exported: the CLI's work limits)
    DEFAULT_BUDGET_CAP,
    MAX_BOOTSTRAP,
    MAX_BUDGET,
    MAX_CERTIFY_BUDGETS,
    MAX_COST,
    MAX_SPLITS,
    MIN_SPLIT_QUESTIONS,
)
from osca_core.model.budgets import Budgets, check_budgets

_UINT = re.compile(r"[0-9]+", re.ASCII)
_PART = re.compile(r"\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?", re.ASCII)
_SPEC_HINT = "use e.g. 1-16, 2,4,8 or 1-8,16,32"


class FlagError(Exception):
    """A bad option value found by an argparse type below. Not a ValueError on purpose: argparse would turn that
    into "invalid ... value"; :class:`Parser` re-raises it as the one-line :class:`InputError`."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: a mistake raises :class:`InputError` instead of printing usage."""

    def error(self, message: str):
        raise InputError(f"{self.prog}: {message}")

    def parse_known_args(self, args=None, namespace=None):
        try:
            return super().parse_known_args(args, namespace)
        except FlagError as e:
            raise InputError(str(e)) from None


def parse_budgets(spec: str, *, flag: str = "--budgets", limit: int = MAX_BUDGET) -> Budgets:
    """Budget SPEC: ``1-16``, ``2,4,8`` or mixed ``1-8,16,32`` -> sorted distinct integers in 1..limit.

    ASCII digits only; a range ``lo-hi`` needs lo <= hi; the largest budget is at most ``limit``."""
    if not isinstance(spec, str):
        raise TypeError(f"parse_budgets: spec must be a str (got {type(spec).__name__})")
    out: set[int] = set()
    for part in spec.split(","):
        m = _PART.fullmatch(part)
        if m is None:
            raise InputError(f"{flag}: cannot read {checks.shown(part.strip())!r} in {checks.shown(spec)!r} "
                             f"({_SPEC_HINT})")
        lo, hi = (checks.digits(x, f"{flag}: budget", hi=limit) for x in (m[1], m[2] or m[1]))
        if lo > hi:
            raise InputError(f"{flag}: cannot read {part.strip()!r} in {spec!r} ({_SPEC_HINT})")
        if lo < 1:
            raise InputError(f"{flag}: budgets must be positive integers (got {spec!r})")
        if hi > limit:
            raise InputError(f"{flag}: budget {hi} is above the limit of {limit}")
        out.update(range(lo, hi + 1))
    return check_budgets(sorted(out))  # validated here, at the boundary: inner layers pass it through


def default_budgets(largest_n: int, *, cap: int = DEFAULT_BUDGET_CAP) -> list[int]:
    """1 .. min(largest_n, cap): the default budgets of ``savings`` (never beyond ``cap`` unless asked)."""
    return list(range(1, min(int(largest_n), cap) + 1))


def parse_names(text: str | None, flag: str) -> list[str] | None:
    """A comma-separated list (None when the flag was not given); an empty list or item is refused."""
    if text is None:
        return None
    items = [x.strip() for x in text.split(",")]
    if not any(items):
        raise InputError(f"{flag}: empty list (give comma-separated names)")
    for i, x in enumerate(items):
        if not x:
            raise InputError(f"{flag}: empty item {i + 1} in {text!r}")
    return items


def parse_costs(items: Sequence[str] | None) -> dict[str, float]:
    """``--cost CONFIG=VALUE`` (repeatable) -> {config: value}; VALUE finite, > 0 and <= MAX_COST."""
    table: dict[str, float] = {}
    for item in items or ():
        name, eq, val = item.partition("=")
        name = name.strip()
        try:
            v = float(val) if _is_decimal(val) else math.nan
        except ValueError:
            v = math.nan
        if not name or not eq:
            raise InputError(f"--cost: expected CONFIG=VALUE with VALUE > 0 (got {item!r})")
        if not math.isfinite(v) or not v > 0:
            raise InputError(f"--cost {name}: VALUE must be a finite number > 0 (got {val.strip()!r})")
        if v > MAX_COST:
            raise InputError(f"--cost {name}: VALUE {val.strip()} is above the limit of {MAX_COST:g}")
        if name in table:
            raise InputError(f"--cost: {name} given twice")
        table[name] = v
    return table


_DECIMAL = re.compile(r"\s*[0-9]*\.?[0-9]*(?:[eE][-+]?[0-9]+)?\s*", re.ASCII)


def _is_decimal(text: str) -> bool:
    """A plain decimal number in ASCII (``inf``, ``nan``, ``0x..``, ``1_0`` and other digits refused)."""
    return bool(_DECIMAL.fullmatch(text)) and any(ch.isdigit() for ch in text)


def check_work(budgets: Sequence[int], costs: Sequence[float], *, certify: bool = False) -> None:
    """Refuse work above the limits of the module docstring (one line naming the limit and the flag). The
    ``uniform`` strategy bounds its own work (``osca_core.strategies.uniform.MAX_WORK``)."""
    cmin = float(min(costs)) if len(costs) else 1.0
    if max(budgets) / cmin > MAX_BUDGET:
        raise InputError(f"--cost: budget {max(budgets)} / smallest cost {cmin:g} allows "
                         f"{max(budgets) / cmin:.3g} samples, above the limit of {MAX_BUDGET} (raise the smallest "
                         "--cost or lower --budgets)")
    if certify and len(budgets) > MAX_CERTIFY_BUDGETS:
        raise InputError(f"--certify: {len(budgets)} budgets, above the limit of {MAX_CERTIFY_BUDGETS} (each "
                         "budget needs its proof; certify fewer --budgets)")


# -- argparse types --------------------------------------------------------------------------------------------

MAX_COUNT_DIGITS = 30  # an integer flag without a limit of its own (--seed): at most this many digits


def count(flag: str, *, minimum: int = 1, maximum: int | None = None):
    """An argparse type: an ASCII integer in minimum..maximum (else :class:`FlagError` naming ``flag``)."""

    def parse(text: str) -> int:
        t = text.strip()
        if not _UINT.fullmatch(t):
            if re.fullmatch(r"-[0-9]+", t, re.ASCII):
                raise FlagError(f"{flag}: must be >= {minimum} (got {t})")
            raise FlagError(f"{flag}: expected a whole number >= {minimum} in ASCII digits (got {text!r})")
        try:
            v = checks.digits(t, f"{flag}:", hi=maximum if maximum is not None else 10**MAX_COUNT_DIGITS - 1)
        except InputError as e:
            raise FlagError(str(e)) from None
        if v < minimum:
            want = "a positive integer" if minimum == 1 else f"at least {minimum}"
            raise FlagError(f"{flag}: must be {want} (got {v})")
        if maximum is not None and v > maximum:
            raise FlagError(f"{flag}: {v} is above the limit of {maximum}")
        return v

    parse.__name__ = flag.lstrip("-").replace("-", "_")
    return parse


def fraction(text: str) -> float:
    """``--train-fraction``: a decimal strictly between 0 and 1."""
    v = float(text) if _is_decimal(text) else math.nan
    if not 0.0 < v < 1.0:
        raise FlagError(f"--train-fraction must lie strictly between 0 and 1 (got {text!r})")
    return v


def level(text: str) -> float:
    """``--level``: the interval's coverage, a decimal strictly between 0 and 1."""
    v = float(text) if _is_decimal(text) else math.nan
    if not 0.0 < v < 1.0:
        raise FlagError(f"--level must lie strictly between 0 and 1 (got {text!r})")
    return v


SPEC_HELP = f"SPEC: 1-16, 2,4,8 or 1-8,16,32 (budgets up to {MAX_BUDGET})"


def add_source_args(p: argparse.ArgumentParser) -> None:
    """--file RELEASE.json or --dataset NAME (a dataset in the store)."""
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--file", help="a release JSON file (the OSCA layout)")
    g.add_argument("--dataset", help="a dataset in the store (see `osca datasets`)")


def add_seed(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=count("--seed", minimum=0), default=0, help="random seed (integer >= 0)")


def add_force(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="replace an existing --out file (without it, an existing "
                   "file is refused by name)")


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="stable JSON on stdout (keys are only ever added)")


def add_experiment_args(p: argparse.ArgumentParser, *, c0_and_ban: bool = True, bans: Sequence[str] = ()) -> None:
    """--train-fraction F --splits R (seeded by --seed), and on optimize/curves --c0 M and --ban."""
    p.add_argument("--train-fraction", type=fraction, metavar="F",
                   help="random splits of all questions: fraction F for training, the rest for test")
    p.add_argument("--splits", type=count("--splits", maximum=MAX_SPLITS), metavar="R",
                   help=f"number of random splits (default 1, at most {MAX_SPLITS}); mean and 95%% interval "
                   "(2.5th/97.5th percentiles over splits)")
    if c0_and_ban:
        p.add_argument("--c0", type=count("--c0"), metavar="M", help="estimate training pass rates from M samples "
                       "per question and configuration (hypergeometric subsample, seeded)")
        p.add_argument("--ban", action="append", choices=list(bans), help="forbid mixing models, temperatures, "
                       "variants or prompts (repeatable)")


MISSING_POLICIES = ("drop-questions", "prior")  # osca_core.model.missing.POLICIES (tested equal)


def add_missing(p: argparse.ArgumentParser) -> None:
    """--missing drop-questions|prior: what to do with cells a ragged log does not cover."""
    p.add_argument("--missing", choices=MISSING_POLICIES, default="drop-questions",
                   help="cells a ragged log lacks: leave out every question missing a selected configuration "
                   "(default) or use the configuration's empirical-Bayes prior mean (flagged imputed)")


def add_holdout(p: argparse.ArgumentParser) -> None:
    p.add_argument("--holdout", action="store_true", help="shorthand for --train-fraction 0.5 --splits 10 "
                   "(held-out numbers with intervals; without it a log without a split is analysed in-sample)")


def add_bootstrap(p: argparse.ArgumentParser, *, refit: bool = True) -> None:
    """--bootstrap B, --level L (and --bootstrap-refit): intervals from resampling the test questions."""
    p.add_argument("--bootstrap", type=count("--bootstrap", minimum=0, maximum=MAX_BOOTSTRAP), default=0,
                   metavar="B", help="percentile intervals from B resamples of the test questions, paired "
                   f"across strategies (default 0: none; at most {MAX_BOOTSTRAP}; seeded by --seed)")
    p.add_argument("--level", type=level, metavar="L", help="interval level of --bootstrap (default 0.95)")
    if refit:
        p.add_argument("--bootstrap-refit", action="store_true", help="resample the training questions too and "
                       "re-optimize every replicate: includes the uncertainty of the learned mix (slower)")


def add_groups(p: argparse.ArgumentParser) -> None:
    """--group-by ATTR [--reallocate] [--min-group N]: one OSCA mix per question group."""
    p.add_argument("--group-by", metavar="ATTR", help="a separate OSCA mix per value of this question attribute "
                   "(numeric attributes: 4 quantile bins)")
    p.add_argument("--reallocate", action="store_true", help="with --group-by: the budget is the average per "
                   "question and groups get different budgets (exact knapsack on training)")
    p.add_argument("--min-group", type=count("--min-group"), metavar="N", help="groups with fewer training "
                   "questions use the global mix (default 10)")


def add_allow_long(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-long", action="store_true", help="run work whose estimated time or memory is above "
                   "the limits (OSCA_MAX_SECONDS, OSCA_MAX_BYTES; see osca bench cost); progress and Ctrl-C as always")


def check_cost(args: argparse.Namespace, what: str, m, budgets: Sequence[int], strategies: Sequence[str], *,
               splits: int = 1, certify: bool = False) -> None:
    """Refuse, before any work, a request whose estimated cost (:mod:`osca_core.cost`) is above the limits,
    unless --allow-long."""
    from osca_core import cost, settings

    est = cost.analysis(what, questions=int(m.shape[0]), configs=int(m.shape[1]), budgets=budgets,
                        strategies=strategies, splits=splits, resamples=int(getattr(args, "bootstrap", 0) or 0),
                        refit=bool(getattr(args, "bootstrap_refit", False)), certify=certify,
                        n=int(m.n.max()) if m.n.size else None)
    cost.check(est, allow_long=bool(getattr(args, "allow_long", False)), max_seconds=settings.max_seconds(),
               max_bytes=settings.max_bytes())


def add_evaluation_args(p) -> None:
    """The options ``optimize`` and ``curves`` share: experiment settings, holdout, missing cells, bootstrap,
    groups, --allow-long."""
    add_allow_long(p)
    add_experiment_args(p, bans=BANS)
    add_holdout(p)
    add_missing(p)
    add_bootstrap(p)
    add_groups(p)


def resolve_holdout(args: argparse.Namespace) -> None:
    """--holdout = --train-fraction 0.5 --splits 10; refused together with either (one line)."""
    if not getattr(args, "holdout", False):
        return
    for flag in ("train_fraction", "splits"):
        if getattr(args, flag, None) is not None:
            raise InputError(f"--holdout is --train-fraction 0.5 --splits 10; do not combine it with "
                             f"--{flag.replace('_', '-')}")
    args.train_fraction, args.splits = 0.5, 10


def refuse_with(args: argparse.Namespace, flag: str, *, what: str = "the log's own split") -> None:
    """``flag`` works on one split only: refuse --train-fraction, --splits, --holdout, --c0 and --ban with it."""
    given = [f for f, v in (("--train-fraction", getattr(args, "train_fraction", None)),
                            ("--splits", getattr(args, "splits", None)), ("--c0", getattr(args, "c0", None)),
                            ("--ban", getattr(args, "ban", None))) if v]
    if getattr(args, "holdout", False):
        given.insert(0, "--holdout")
    if given:
        raise InputError(f"{flag} works on {what}; it cannot be combined with {given[0]}")
