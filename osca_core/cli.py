"""The ``osca`` command line: parse arguments, call the core, print tables or stable JSON.

User mistakes (missing file, bad budget spec, unknown configuration, malformed data) print one line
``osca: error: ...`` on stderr and exit with code 2, without a traceback. JSON layouts are documented in the
README and are a contract: keys are only ever added, never renamed or removed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from osca_core.errors import InputError
from osca_core.outcomes import OutcomeMatrix, load_release

# -- shared argument helpers -----------------------------------------------------------------------------------

def parse_budgets(spec: str) -> list[int]:
    """Budget SPEC: ``1-16``, ``2,4,8`` or mixed ``1-8,16,32`` -> sorted distinct positive integers."""
    out: set[int] = set()
    for part in str(spec).split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if lo > hi:
                    raise ValueError
                out.update(range(lo, hi + 1))
            else:
                out.add(int(part))
        except ValueError:
            raise InputError(f"--budgets: cannot read {part!r} in {spec!r} (use e.g. 1-16, 2,4,8 or 1-8,16,32)") from None
    if not out or min(out) < 1:
        raise InputError(f"--budgets: budgets must be positive integers (got {spec!r})")
    if max(out) > 100_000:
        raise InputError(f"--budgets: budget {max(out)} is too large (at most 100000)")
    return sorted(out)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse's default prints usage first)
        raise InputError(f"{self.prog}: {message}")


def add_source_args(p: argparse.ArgumentParser) -> None:
    """--file RELEASE.json or --dataset NAME (a dataset in the store)."""
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--file", help="a release JSON file (the OSCA layout)")
    g.add_argument("--dataset", help="a dataset in the store (see `osca datasets`)")


def load_matrix_arg(args: argparse.Namespace) -> OutcomeMatrix:
    """Resolve --file / --dataset and --configs / --cost into an outcome matrix."""
    if getattr(args, "file", None):
        m = load_release(args.file)
    else:
        from osca_core.store import Store

        with Store.open(read_only=True) as st:
            m = st.load_matrix(args.dataset)
    if getattr(args, "configs", None):
        names = [x.strip() for x in args.configs.split(",") if x.strip()]
        m = m.select_configs(names)
    costs = getattr(args, "cost", None)
    if costs:
        table = {}
        for item in costs:
            name, _, val = item.partition("=")
            try:
                v = float(val)
            except ValueError:
                v = -1.0
            if not name or not v > 0:
                raise InputError(f"--cost: expected CONFIG=VALUE with VALUE > 0 (got {item!r})")
            table[name] = v
        m = m.with_costs(table)
    return m


def emit_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def print_table(header: Sequence[str], rows: Sequence[Sequence]) -> None:
    cells = [[str(h) for h in header]] + [[_fmt(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for j, r in enumerate(cells):
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
        if j == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.5f}"
    if v is None:
        return "-"
    return str(v)


def split_note(m: OutcomeMatrix) -> None:
    if m.in_sample:
        print(f"note: {m.name}: train and test are the same questions; every number is in-sample", file=sys.stderr)


# -- optimize --------------------------------------------------------------------------------------------------

def cmd_optimize(args: argparse.Namespace) -> int:
    from osca_core import strategies

    m = load_matrix_arg(args)
    budgets = parse_budgets(args.budgets)
    t0 = time.perf_counter()
    if args.strategy == "hillclimb":
        allocs = strategies.hillclimb(m, budgets, seed=args.seed)
    else:
        allocs = strategies.osca(m, budgets, certify=args.certify)
    solve = time.perf_counter() - t0
    split_note(m)
    results = [
        {"budget": a.budget, "allocation": a.allocation, "train_pass": a.train_pass, "test_pass": a.test_pass,
         "upper_bound": a.upper_bound, "certified": a.certified, "extrapolated": a.extrapolated}
        for a in allocs
    ]
    if args.json:
        emit_json({"dataset": m.name, "solve_seconds": solve, "results": results})
        return 0
    print(f"dataset {m.name} ({m.split_label}), strategy {args.strategy}, solved in {solve:.3f} s")
    print_table(
        ["budget", "train_pass", "test_pass", "upper_bound", "certified", "extrapolated", "allocation"],
        [[r["budget"], r["train_pass"], r["test_pass"], r["upper_bound"], r["certified"], r["extrapolated"],
          ", ".join(f"{k} x{v}" for k, v in r["allocation"].items())] for r in results],
    )
    return 0


# -- curves ----------------------------------------------------------------------------------------------------

def cmd_curves(args: argparse.Namespace) -> int:
    from osca_core import strategies

    m = load_matrix_arg(args)
    budgets = parse_budgets(args.budgets)
    names = ([x.strip() for x in args.strategies.split(",") if x.strip()] if args.strategies
             else strategies.default_strategies(m))
    for s in names:
        if s.startswith("pure:"):
            m.config_index([s[5:]])
        elif s not in strategies.STRATEGIES:
            raise InputError(f"--strategies: unknown strategy {s!r} (use pure:<config>, {', '.join(strategies.STRATEGIES)})")
    split_note(m)
    rows = []
    for s in names:
        cv = strategies.curve(m, s, budgets, seed=args.seed)
        lo = cv.ci_low or (None,) * len(cv.budgets)
        hi = cv.ci_high or (None,) * len(cv.budgets)
        for b, v, e, a, z in zip(cv.budgets, cv.values, cv.extrapolated, lo, hi, strict=True):
            rows.append({"strategy": s, "budget": b, "pass": v, "ci_low": a, "ci_high": z, "extrapolated": e})
    if args.json:
        emit_json({"dataset": m.name, "curves": rows})
    elif args.csv:
        import csv

        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    else:
        print(f"dataset {m.name} ({m.split_label}); test pass@C")
        print_table(["strategy", "budget", "pass", "ci_low", "ci_high", "extrapolated"],
                    [list(r.values()) for r in rows])
    return 0


# -- parser ----------------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="osca", description="OSCA Studio: optimized sample compute allocation for LLM inference.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    o = sub.add_parser("optimize", help="optimize the allocation at each budget")
    add_source_args(o)
    o.add_argument("--budgets", required=True, help="SPEC: 1-16, 2,4,8 or 1-8,16,32")
    o.add_argument("--strategy", choices=["osca", "hillclimb"], default="osca")
    o.add_argument("--configs", help="comma-separated configurations to allocate over (default: all)")
    o.add_argument("--cost", action="append", metavar="CONFIG=VALUE", help="cost per sample (repeatable)")
    o.add_argument("--certify", action="store_true", help="prove optimality at each budget (MILP)")
    o.add_argument("--seed", type=int, default=0)
    o.add_argument("--json", action="store_true")
    o.set_defaults(func=cmd_optimize)

    c = sub.add_parser("curves", help="test pass@C curves of several strategies")
    add_source_args(c)
    c.add_argument("--budgets", required=True)
    c.add_argument("--strategies", help="comma-separated: pure:<config>, best-pure, uniform, even, hillclimb, osca")
    c.add_argument("--configs", help="comma-separated configurations (default: all)")
    c.add_argument("--seed", type=int, default=0)
    fmt = c.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    c.set_defaults(func=cmd_curves)

    # -- data commands (fetch, import, datasets, remove, demo): registered below this line --

    # -- bench commands (bench ingest, bench optimizer): registered below this line --

    # -- experiment commands (savings, study): registered below this line --

    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except InputError as e:
        print(f"osca: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("osca: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
