"""``osca export --dataset NAME --out FILE [--per-sample] [--json]``: a stored dataset as a long file (CSV or
Parquet, by the extension) that ``osca import`` reads back to the same dataset (same content checksum).

Aggregated rows (default): ``question_id, config, n_samples, n_correct`` plus cost, model, temperature, variant,
split and every attribute column; ``--per-sample``: the per-sample rows with their per-sample columns
(:mod:`osca_core.data.store.export`). JSON: ``{"dataset", "path", "format", "per_sample", "rows", "columns",
"order_kept"}``.
"""

from __future__ import annotations

import argparse

from osca_core.cli import args as A
from osca_core.cli.output import emit_json, note


def cmd_export(args: argparse.Namespace) -> int:
    from osca_core.data.store import Store
    from osca_core.data.store.export import export

    with Store.open(read_only=True) as st:
        res = export(st, args.dataset, args.out, per_sample=args.per_sample, force=args.force)
    if args.json:
        emit_json({"dataset": args.dataset, **res.as_dict()})
    else:
        print(f"exported {args.dataset}: {res.rows} {'per-sample' if res.per_sample else 'aggregated'} rows, "
              f"{len(res.columns)} columns -> {res.path} ({res.format})")
    if not res.order_kept:
        note("note: with these missing cells the question-major rows cannot keep the stored configuration order; "
             "a re-import orders configurations by first appearance")
    return 0


def register(sub) -> None:
    """Add ``export`` to the ``osca`` subparsers."""
    ex = sub.add_parser("export", help="write a stored dataset as a CSV or Parquet long file (re-importable)")
    ex.add_argument("--dataset", required=True, help="a dataset in the store (see `osca datasets`)")
    ex.add_argument("--out", required=True, metavar="FILE", help="output file: .csv or .parquet")
    ex.add_argument("--per-sample", action="store_true", help="the per-sample rows (datasets imported from them)")
    A.add_force(ex)
    A.add_json(ex)
    ex.set_defaults(func=cmd_export)
