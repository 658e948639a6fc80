"""What every analysis command does first: load the log, apply the missing-cell policy, pick the setting.

:func:`load` resolves ``--file`` / ``--dataset``, then ``--configs`` and ``--missing`` (``osca_core.model.missing.
apply_missing``, right after loading; its note goes to stderr) and ``--cost``. :func:`experiment_setting` turns
``--holdout`` / ``--train-fraction`` / ``--splits`` / ``--c0`` / ``--ban`` into an ``experiments.Setting``.
Shared by every command that analyses a log (optimize, curves, savings, study, schedule, report, figure, bench
uniform).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from osca_core.cli import args as A
from osca_core.cli.output import note
from osca_core.errors import InputError

if TYPE_CHECKING:
    from osca_core.analysis import experiments as ex
    from osca_core.model.missing import MissingReport
    from osca_core.model.outcomes import OutcomeMatrix


def load(args: argparse.Namespace) -> tuple[OutcomeMatrix, MissingReport]:
    """The matrix asked for (--file/--dataset, --configs, --missing, --cost) and what the missing policy did
    (say it with :func:`announce` once the request is checked)."""
    from osca_core.data.importers import read_release
    from osca_core.model.missing import apply_missing

    names = A.parse_names(getattr(args, "configs", None), "--configs")  # the flags before any data loads
    costs = A.parse_costs(getattr(args, "cost", None))
    if getattr(args, "file", None):
        m = read_release(args.file)  # through the format registry's reader of the release layout
    else:
        from osca_core.data.store import Store

        with Store.open(read_only=True) as st:
            m = st.load_matrix(args.dataset)
    m, report = apply_missing(m, names, policy=getattr(args, "missing", None) or "drop-questions")
    return (m.with_costs(costs) if costs else m), report


def announce(m: OutcomeMatrix, report: MissingReport) -> None:
    """The missing policy's note on stderr (after the command's own checks, so that a refusal stays one line)."""
    if report.note():
        note(f"note: {m.name}: {report.note()}")


def load_matrix(args: argparse.Namespace) -> OutcomeMatrix:
    """:func:`load` and :func:`announce`, without the report."""
    m, report = load(args)
    announce(m, report)
    return m


def missing_key(report: MissingReport) -> dict:
    """``{"missing": report.as_dict()}`` when the log lacked cells, else ``{}`` (JSON keys are only added)."""
    return {"missing": report.as_dict()} if report.missing_cells else {}


def largest_n(m: OutcomeMatrix) -> int:
    """The largest measured n among the selected configurations (``extrapolation.largest_measured_n``: missing
    and imputed cells excluded)."""
    from osca_core.model.extrapolation import largest_measured_n

    return largest_measured_n(m)


def smallest_n(m: OutcomeMatrix) -> int:
    """The smallest measured n (imputed cells excluded): at budgets up to it nothing is extrapolated."""
    import numpy as np

    meas = np.where(m.imputed, np.iinfo(np.int64).max, m.n)
    return int(meas.min())


def experiment_setting(args: argparse.Namespace, m: OutcomeMatrix) -> ex.Setting | None:
    """The experiments.Setting asked for, or None when no experiment option was given; warns on stderr when a
    random split leaves fewer than MIN_SPLIT_QUESTIONS training or test questions. --holdout is resolved first."""
    from osca_core.analysis import experiments as ex

    A.resolve_holdout(args)
    f, r = getattr(args, "train_fraction", None), getattr(args, "splits", None)
    c0, bans = getattr(args, "c0", None), getattr(args, "ban", None)
    if f is None and r is None and c0 is None and not bans:
        return None
    setting = ex.Setting(f, 1 if r is None else r, args.seed, c0, tuple(bans or ()))
    if f is not None:
        warn_small_split(m, f)
    return setting


def setting_dict(setting: ex.Setting) -> dict:
    """``Setting.as_dict`` plus ``"method"``: ``"splits"`` for random splits or C0 subsamples over several
    splits, ``"none"`` on one split without intervals."""
    method = "splits" if setting.train_fraction is not None or setting.splits > 1 else "none"
    return setting.as_dict() | {"method": method}


def warn_small_split(m: OutcomeMatrix, fraction: float) -> None:
    pool = int((m.train | m.test).sum())
    n_train = min(max(int(round(fraction * pool)), 1), pool - 1)  # as experiments.split_masks
    if min(n_train, pool - n_train) < A.MIN_SPLIT_QUESTIONS:
        note(f"warning: --train-fraction {fraction:g} on {pool} questions leaves {n_train} training and "
             f"{pool - n_train} test questions per split (fewer than {A.MIN_SPLIT_QUESTIONS}: the numbers are noise)")


def strategy_names(args: argparse.Namespace, m: OutcomeMatrix) -> list[str]:
    """--strategies (each registered, or pure:<config> of the matrix) or the registry's default curve set."""
    from osca_core.strategies import registry

    names = A.parse_names(args.strategies, "--strategies")
    if names is None:
        return registry.default_strategies(m)
    for s in names:
        if registry.lookup(s) is None and not s.startswith(registry.PURE_PREFIX):
            raise InputError(f"--strategies: unknown strategy {s!r} (use {registry.PURE_PREFIX}<config>, "
                             f"{', '.join(registry.names())})")
    return registry.check_names(m, names)
