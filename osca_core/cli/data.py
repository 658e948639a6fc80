"""The data commands: ``osca fetch``, ``import``, ``datasets``, ``remove`` and ``demo`` (the store's shell; ``osca
export`` is :mod:`osca_core.cli.export`, ``osca aggregate`` :mod:`osca_core.cli.aggregate`).

``osca import`` never replaces a dataset silently: under an existing name it needs ``--replace`` (without it one
line names the existing dataset, exit 2, and the store is unchanged). It prints the role given to each column and
the number of missing cells. Files and folders go through :mod:`osca_core.data.importers` (a folder is searched
recursively, the format guessed per file); an ``s3://`` prefix, a glob, or a folder of Parquet files that is
hive-partitioned or holds 10^7 rows or more is imported in place by :mod:`osca_core.data.lake_import`
(``--keep-samples``). ``osca datasets --json`` rows are :meth:`DatasetInfo.as_dict` (keys only ever added).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from osca_core.cli import args as A
from osca_core.cli import choices as C
from osca_core.cli.output import emit_json, note, print_table
from osca_core.errors import InputError

if TYPE_CHECKING:
    from osca_core.data import formats


DEMO_MAX_CELLS = 10_000_000  # questions x configurations of `osca demo` (two int64 matrices: 160 MB)


def dataset_json(d) -> dict:
    """The ``osca datasets --json`` row of a store DatasetInfo: name, questions, configs, source, split,
    synthetic, checksum, created, then the keys added since (missing_cells, cost_column, column_roles,
    samples_source)."""
    return d.as_dict()


def report_datasets(infos, as_json: bool, verb: str = "", *, extra: dict | None = None, roles: bool = False
                    ) -> None:
    """Datasets just written (``verb`` = imported/stored) or listed, with the in-sample note on stderr.
    ``extra``: keys added to the JSON object (``import``); ``roles``: print each column's role and the missing
    cells (``osca import``)."""
    if as_json:
        emit_json({"datasets": [dataset_json(d) for d in infos], **(extra or {})})
    for d in infos:
        if verb and not as_json:
            print(f"{verb} {d.name}: {d.questions} questions x {d.configs} configurations ({d.split})"
                  f"{', SYNTHETIC data' if d.synthetic else ''}, source {d.source}")
            if roles:
                for line in d.role_lines():
                    print(f"  {line}")
                print(f"  missing cells: {d.missing_cells} of {d.questions * d.configs}"
                      + (" (stored as missing, n = 0; analyses take --missing)" if d.missing_cells else ""))
        if verb and d.split == "in-sample":
            note(f"note: {d.name} has no separate test questions: train = test = all {d.questions} questions; "
                 f"every number is in-sample")


def cmd_fetch(args: argparse.Namespace) -> int:
    from osca_core.data.release import fetch_release
    from osca_core.data.store import Store

    shown: dict[str, int] = {}

    def progress(name: str, done: int, total: int) -> None:
        step = 4 * done // max(total, 1)
        if step > shown.get(name, -1) or done == total:
            shown[name] = step + (done == total)
            print(f"fetch: {name} {done}/{total} bytes", file=sys.stderr)

    with Store.open() as st:
        infos = fetch_release(st, mirror=args.mirror, progress=progress)
    report_datasets(infos, args.json, "imported")
    return 0


def import_name(args: argparse.Namespace) -> str:
    """The dataset name ``osca import`` writes: --name, else the importers' default (the first file's name)."""
    if args.name is not None:
        return args.name
    from osca_core.data.importers import default_name

    return default_name(str(args.paths[0]))


def read_options(args: argparse.Namespace) -> formats.ReadOptions:
    """The readers' options from the ``osca import`` flags."""
    from osca_core.data import formats

    return formats.ReadOptions(config=args.config, scorer=args.scorer, partial=args.partial,
                               price=formats.parse_price(args.price) if args.price else None, metric=args.metric,
                               filter=args.filter, verifier=args.verifier)


def role_overrides(args: argparse.Namespace) -> dict[str, object]:
    """``--question-attr``, ``--config-attr``, ``--sample-column``, ``--cost-column`` as read_long's keywords."""
    return {"question_attr": args.question_attr or None, "config_attr": args.config_attr or None,
            "sample_column": args.sample_column, "cost_column": args.cost_column}


def cmd_import(args: argparse.Namespace) -> int:
    from osca_core.data import formats, lake_import
    from osca_core.data.importers import import_files
    from osca_core.data.store import Store, refuse_existing

    options = read_options(args)
    roles = role_overrides(args)
    ds = lake_import.plan(args.paths, keep=args.keep_samples, s3_endpoint=args.s3_endpoint)
    if ds is not None:
        if args.format not in (None, "long"):
            raise InputError(f"--format {args.format}: {ds.uri} is a Parquet dataset read in place (long layout)")
        formats.check_options(formats.get("long"), options)
    name = args.name if args.name is not None else None
    with Store.open() as st:
        if name is None and ds is None:
            name = import_name(args)
        if ds is not None and name is None:
            name = lake_import.default_lake_name(ds.uri)
        if not args.replace:
            refuse_existing(name, {d.name for d in st.list_datasets()}, surface="cli")
        if ds is not None:
            res = lake_import.import_lake(st, ds, name=name, keep=args.keep_samples, replace=args.replace,
                                          s3_endpoint=args.s3_endpoint, roles=roles)
            info, extra, notes = res.info, {"import": {"format": "long", **res.as_dict()}}, ()
            if not res.samples_copied and not args.json:
                note(f"note: {res.rows_read:,} per-sample rows were aggregated where they live; the samples stay "
                     f"in {res.samples_source['uri']} (read back by the drill-down)")
        else:
            if any(v for v in roles.values()):
                if args.format not in (None, "long"):
                    raise InputError(f"--format {args.format}: --question-attr, --config-attr, --sample-column and "
                                     f"--cost-column apply to long files")
                formats.check_options(formats.get("long"), options)
            res = import_files(st, args.paths, format=args.format, name=name, options=options, roles=roles)
            info, extra, notes = res.info, {"import": res.as_dict()}, res.notes
            if res.missing_samples:
                note(f"note: {res.missing_samples} samples announced by the logs hold no score: left out as "
                     f"missing")
    for line in notes:
        note(line if line.startswith("note") else f"note: {line}")
    report_datasets([info], args.json, "imported", extra=extra, roles=True)
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from osca_core.data.store import Store

    with Store.open(read_only=True) as st:
        infos = st.list_datasets()
    if args.json:
        report_datasets(infos, True)
    elif not infos:
        note("no datasets yet: run `osca fetch`, `osca import PATH...` or `osca demo`")
    else:
        print_table(["name", "questions", "configs", "split", "data", "source"],
                    [[d.name, d.questions, d.configs, d.split, "SYNTHETIC" if d.synthetic else "real", d.source]
                     for d in infos])
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from osca_core.data.store import Store

    with Store.open() as st:
        st.remove(args.name)
    print(f"removed {args.name}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from osca_core.data.store import Store
    from osca_core.data.synthetic import store_demo

    if args.questions * args.configs > DEMO_MAX_CELLS:
        raise InputError(f"demo: --questions {args.questions} x --configs {args.configs} cells is above the limit "
                         f"of {DEMO_MAX_CELLS}")
    with Store.open() as st:
        info = store_demo(st, name=args.name, replace=args.replace, seed=args.seed, questions=args.questions,
                          configs=args.configs, samples=args.samples)
    report_datasets([info], args.json, "stored")
    return 0


def register(sub) -> None:
    """Add fetch, import, datasets, remove and demo to the ``osca`` subparsers."""
    f = sub.add_parser("fetch", help="download the paper's release logs (sha256-checked) into the store")
    f.add_argument("--mirror", metavar="DIR_OR_URL", help="folder or http(s) URL with the release files "
                   "(default: $OSCA_RELEASE_MIRROR, else the public addresses)")
    A.add_json(f)
    f.set_defaults(func=cmd_fetch)

    _add_import(sub)

    ds = sub.add_parser("datasets", help="list the datasets in the store")
    A.add_json(ds)
    ds.set_defaults(func=cmd_datasets)

    rm = sub.add_parser("remove", help="remove a dataset from the store")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=cmd_remove)

    dm = sub.add_parser("demo", help="store a synthetic demo dataset (seeded generative model, offline)")
    dm.add_argument("--name", default="demo-synthetic")
    dm.add_argument("--replace", action="store_true", help="replace a dataset of that name (without it, an "
                    "existing name is refused, as for imports)")
    A.add_seed(dm)
    dm.add_argument("--questions", type=A.count("--questions", minimum=0), default=200)
    dm.add_argument("--configs", type=A.count("--configs", minimum=0), default=12)
    dm.add_argument("--samples", type=A.count("--samples", minimum=1), default=20,
                    help="samples n per cell (default 20)")
    A.add_json(dm)
    dm.set_defaults(func=cmd_demo)


def _add_import(sub) -> None:
    im = sub.add_parser("import", help="import generation logs (files, folders, Parquet datasets in place, "
                        "s3://); formats: " + ", ".join(C.FORMATS))
    im.add_argument("paths", nargs="+", metavar="PATH", help="files, folders (searched recursively, one dataset), "
                    "a glob or s3://bucket/prefix of Parquet files")
    im.add_argument("--format", choices=list(C.FORMATS), help="default: guessed from each file's content")
    im.add_argument("--name", help="dataset name (default: the first file's or folder's name)")
    im.add_argument("--replace", action="store_true", help="replace a dataset of that name (without it, an "
                    "existing name is refused)")
    im.add_argument("--config", help="configuration name per file, comma-separated (lcb, inspect, lm-eval, "
                    "evalplus, swebench; default: from the log or its folder)")
    im.add_argument("--scorer", metavar="NAME", help="inspect: the scorer whose value is correctness")
    im.add_argument("--partial", choices=list(C.PARTIAL_CHOICES), help="inspect: how partial credit counts "
                    "(default: refused)")
    im.add_argument("--price", action="append", metavar="MODEL=USD_PER_MTOK", help="US dollars per million tokens "
                    "of a model: cost = tokens x price (repeatable)")
    im.add_argument("--metric", metavar="M", help="lm-eval: the 0/1 metric (default: the task's first)")
    im.add_argument("--filter", metavar="F", help="lm-eval: the filter whose responses are read")
    im.add_argument("--verifier", choices=list(C.VERIFIERS), help="evalplus: plus (default) or base tests")
    im.add_argument("--question-attr", action="append", metavar="NAME", help="long files: make column NAME a "
                    "question attribute (repeatable)")
    im.add_argument("--config-attr", action="append", metavar="NAME", help="long files: make column NAME a "
                    "configuration attribute (repeatable)")
    im.add_argument("--sample-column", metavar="NAME", help="long files: the sample index column")
    im.add_argument("--cost-column", metavar="NAME", help="long files: the cost per sample column")
    im.add_argument("--keep-samples", choices=list(C.KEEP_SAMPLES), default="auto", help="Parquet datasets: copy "
                    f"the per-sample rows into the store (auto: below {C.COPY_ROWS:,} rows; no: keep counts only "
                    "and read samples back from the source)")
    im.add_argument("--s3-endpoint", metavar="URL", help="S3-compatible endpoint of an s3:// PATH (credentials "
                    "from the AWS_* environment variables)")
    A.add_json(im)
    im.set_defaults(func=cmd_import)
