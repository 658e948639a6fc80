"""``osca study``: regenerate the paper's experiment CSVs (training fraction, C0, bans, savings) with
``osca_core.analysis.study``, by default on both release logs in ``settings.release_folder()``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from osca_core.cli import args as A
from osca_core.cli.loading import load_matrix
from osca_core.cli.output import Progress, emit_json, print_table, study_cell, write_csv
from osca_core.errors import InputError
from osca_core.settings import release_folder

if TYPE_CHECKING:
    from osca_core.analysis import study as sdy
    from osca_core.model.outcomes import OutcomeMatrix


def release_files() -> list[str]:
    """The two release logs in settings.release_folder() (``osca study`` without --file/--dataset)."""
    folder = release_folder()
    files = [folder / "swebench_agentless.json", folder / "bcb_results.json"]
    if not all(f.is_file() for f in files):
        raise InputError(f"study: release logs not found in {folder}; give --file/--dataset or set "
                         "OSCA_RELEASE_MIRROR")
    return [str(f) for f in files]


def study_matrices(args: argparse.Namespace) -> list[OutcomeMatrix]:
    sources = [("file", f) for f in args.file or []] + [("dataset", d) for d in args.dataset or []]
    if not sources:
        sources = [("file", f) for f in release_files()]
    out = [load_matrix(argparse.Namespace(**{k: v, "configs": None, "cost": None, "missing": args.missing}))
           for k, v in sources]
    for m in out:
        nmin = int(m.n.min())
        if nmin > A.DEFAULT_BUDGET_CAP and not args.budgets:  # without --budgets the savings run budgets 1..n
            raise InputError(f"study: {m.name} has n = {nmin} samples per cell; the study's savings run budgets "
                             f"1..n, above the limit of {A.DEFAULT_BUDGET_CAP} (give --budgets)")
    return out


def cmd_study(args: argparse.Namespace) -> int:
    from pathlib import Path

    from osca_core.analysis import experiments as ex
    from osca_core.analysis import study as sdy

    ex.Setting(0.5, args.splits, args.seed)  # validate options before any work
    matrices = study_matrices(args)
    budgets = A.parse_budgets(args.budgets) if args.budgets else None
    for m in matrices:  # every log's cost before any work (osca_core.cost.study)
        from osca_core import cost, settings

        est = cost.study("study", questions=int(m.shape[0]), configs=int(m.shape[1]),
                         budgets=budgets or sdy.study_budgets(m), splits=args.splits,
                         grid_runs=len(sdy.STUDY_FRACTIONS) + len(sdy.STUDY_C0), ban_runs=len(sdy.STUDY_BANS),
                         strategies=sdy.STUDY_LINEUP)
        cost.check(est, allow_long=args.allow_long, max_seconds=settings.max_seconds(),
                   max_bytes=settings.max_bytes())
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"--out {out}: cannot create the folder ({e.strerror})") from None
    files, summary = [], []
    progress = Progress("study")
    for m in matrices:
        res = sdy.study(m, budgets=budgets, splits=args.splits, seed=args.seed, progress=progress.message)
        files += write_study(out, m.name, res)
        summary += sdy.study_summary(res)
    if args.json:
        emit_json({"out": str(out), "files": files, "splits": args.splits, "seed": args.seed,
                   "summary": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in r.items()} for r in summary]})
        return 0
    print(f"wrote {len(files)} CSV files to {out}; mean [95% interval over {args.splits} splits] at the budget shown")
    cols = ["dataset", "experiment", "setting", "budget", "best-pure", "osca", "osca-eb"]
    print_table(cols, [[study_cell(r.get(c)) for c in cols] for r in summary if r["experiment"] != "savings"])
    print()
    cols = ["dataset", "setting", "baseline", "budget", "target_pass", "budget_needed", "ratio", "ratio_ci"]
    print_table(cols, [[study_cell(r.get(c)) for c in cols] for r in summary if r["experiment"] == "savings"])
    return 0


def write_study(out, name: str, res: sdy.Study) -> list[str]:
    """The study's four CSV files (train_fraction, c0, ban, savings); returns their paths."""
    import dataclasses

    files = []
    for kind in ("train_fraction", "c0", "ban"):
        rows = [dataclasses.asdict(r) for r in res.rows if r.study == kind]
        files.append(write_csv(out / f"{name}_{kind}.csv", rows, list(rows[0])))
    keys = ["dataset", "baseline", "baseline_budget", "target_pass", "budget_needed", "ratio", "ratio_ci_low",
            "ratio_ci_high", "splits"]
    rows = [{**{k: sv.as_dict()[k] for k in keys}, "train_fraction": sv.setting.train_fraction,
             "seed": sv.setting.seed} for sv in res.savings]
    files.append(write_csv(out / f"{name}_savings.csv", rows, keys + ["train_fraction", "seed"]))
    return files


def register(sub) -> None:
    """Add ``study`` to the ``osca`` subparsers."""
    sd = sub.add_parser("study", help="regenerate the experiment CSVs (training fraction, C0, bans, savings)")
    sd.add_argument("--file", action="append", help="a release JSON file (repeatable; default: both release logs)")
    sd.add_argument("--dataset", action="append", help="a dataset in the store (repeatable)")
    sd.add_argument("--out", default="artifacts/study", help="folder for the CSV files (default artifacts/study)")
    sd.add_argument("--splits", type=A.count("--splits", maximum=A.MAX_SPLITS), default=10,
                    help=f"random splits per setting (default 10, at most {A.MAX_SPLITS})")
    A.add_seed(sd)
    sd.add_argument("--budgets", help="SPEC for the curves and the savings (default: curves 1..n when n <= 32, "
                    "else powers of two up to n, and n; savings every budget 1..n)")
    A.add_missing(sd)
    A.add_allow_long(sd)
    A.add_json(sd)
    sd.set_defaults(func=cmd_study)
