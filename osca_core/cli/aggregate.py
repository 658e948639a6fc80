"""``osca aggregate``: reduce a per-sample Parquet dataset to (question, configuration) counts where it lives.

``osca aggregate INPUT... --out COUNTS.parquet [--engine duckdb|spark] [--master URL] [--s3-endpoint URL]
[--json]``: the DuckDB engine (default; one machine, folders, globs, hive partitions, ``s3://``) writes one
Parquet file; the Spark engine (:mod:`osca_core.data.store.spark`, any cluster, ``local[2]`` by default) writes a
Parquet folder. Both write the aggregated long layout that ``osca import`` reads.
"""

from __future__ import annotations

import argparse

from osca_core.cli.output import emit_json
from osca_core.errors import InputError


def cmd_aggregate(args: argparse.Namespace) -> int:
    from osca_core import outfile

    if args.engine == "spark":
        outfile.refuse_store(args.out)
        if args.s3_endpoint:
            raise InputError("--s3-endpoint: the Spark engine reads what the cluster's Hadoop configuration reads "
                             "(s3a:// with hadoop-aws); use --engine duckdb for s3://")
        from osca_core.data.store import spark

        res = spark.aggregate(list(args.inputs), args.out, master=args.master or "local[2]")
        out = res.as_dict()
    else:
        if args.master:
            raise InputError("--master: only with --engine spark")
        if len(args.inputs) != 1:
            raise InputError("osca aggregate --engine duckdb: give one folder, glob or s3:// prefix")
        from osca_core.data.store import lake

        out_file = outfile.check(args.out, force=args.force)  # before the work: not the store, no silent replace
        counts = lake.aggregate(lake.locate(args.inputs[0], s3_endpoint=args.s3_endpoint))
        lake.write_counts(counts, str(out_file), force=args.force)
        out = {"engine": "duckdb", "out": args.out, **counts.as_dict()}
    if args.json:
        emit_json(out)
    else:
        print(f"{out['engine']}: {out['rows_read']:,} per-sample rows -> {out['cells']:,} cells in {args.out} "
              f"({out['seconds']:.2f} s; cost from {out['cost_column'] or 'none: 1 per sample'})")
    return 0


def register(sub) -> None:
    """Add ``aggregate`` to the ``osca`` subparsers."""
    p = sub.add_parser("aggregate", help="aggregate a per-sample Parquet dataset to counts (DuckDB or Spark)")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="folder, glob or s3://bucket/prefix (Spark: paths)")
    p.add_argument("--out", required=True, help="output: a Parquet file (duckdb) or folder (spark)")
    p.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    p.add_argument("--master", help="Spark master URL (default local[2])")
    p.add_argument("--s3-endpoint", help="S3-compatible endpoint URL, e.g. http://127.0.0.1:9000")
    p.add_argument("--force", action="store_true", help="replace an existing --out file (duckdb engine)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_aggregate)
