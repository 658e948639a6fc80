"""The data commands: ``osca fetch``, ``import``, ``datasets``, ``remove`` and ``demo`` (the store's shell).

``osca import`` never replaces a dataset silently: under an existing name it needs ``--replace`` (without it one
line names the existing dataset, exit 2, and the store is unchanged).
"""

from __future__ import annotations

import argparse
import sys

from osca_core.cli import args as A
from osca_core.cli.output import emit_json, note, print_table
from osca_core.errors import InputError

DEMO_MAX_CELLS = 10_000_000  # questions x configurations of `osca demo` (two int64 matrices: 160 MB)


def dataset_json(d) -> dict:
    """The ``osca datasets --json`` row of a store DatasetInfo."""
    return {"name": d.name, "questions": d.questions, "configs": d.configs, "source": d.source, "split": d.split,
            "synthetic": d.synthetic, "checksum": d.checksum, "created": d.created}


def report_datasets(infos, as_json: bool, verb: str = "") -> None:
    """Datasets just written (``verb`` = imported/stored) or listed, with the in-sample note on stderr."""
    if as_json:
        emit_json({"datasets": [dataset_json(d) for d in infos]})
    for d in infos:
        if verb and not as_json:
            print(f"{verb} {d.name}: {d.questions} questions x {d.configs} configurations ({d.split})"
                  f"{', SYNTHETIC data' if d.synthetic else ''}, source {d.source}")
        if verb and d.split == "in-sample":
            note(f"note: {d.name} has no separate test questions: train = test = all {d.questions} questions; "
                 f"every number is in-sample")


def cmd_fetch(args: argparse.Namespace) -> int:
    from osca_core.release import fetch_release
    from osca_core.store import Store

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
    from osca_core.importers import default_name

    return default_name(str(args.paths[0]))


def cmd_import(args: argparse.Namespace) -> int:
    from osca_core.importers import import_paths
    from osca_core.store import Store

    with Store.open() as st:
        name = import_name(args)
        if not args.replace and name in {d.name for d in st.list_datasets()}:
            raise InputError(f"dataset {name!r} already exists; pass --replace to replace it "
                             f"(or osca remove {name} first)")
        info = import_paths(st, args.paths, format=args.format, name=args.name, config=args.config)
    report_datasets([info], args.json, "imported")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from osca_core.store import Store

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
    from osca_core.store import Store

    with Store.open() as st:
        st.remove(args.name)
    print(f"removed {args.name}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from osca_core.store import Store
    from osca_core.synthetic import demo_matrix

    if args.questions * args.configs > DEMO_MAX_CELLS:
        raise InputError(f"demo: --questions {args.questions} x --configs {args.configs} cells is above the limit "
                         f"of {DEMO_MAX_CELLS}")
    m = demo_matrix(seed=args.seed, questions=args.questions, configs=args.configs)
    with Store.open() as st:
        info = st.save_matrix(m, name=args.name)
    report_datasets([info], args.json, "stored")
    return 0


def register(sub) -> None:
    """Add fetch, import, datasets, remove and demo to the ``osca`` subparsers."""
    f = sub.add_parser("fetch", help="download the paper's release logs (sha256-checked) into the store")
    f.add_argument("--mirror", metavar="DIR_OR_URL", help="folder or http(s) URL with the release files "
                   "(default: $OSCA_RELEASE_MIRROR, else the public addresses)")
    A.add_json(f)
    f.set_defaults(func=cmd_fetch)

    im = sub.add_parser("import", help="import generation logs (osca release, long CSV/Parquet/JSONL, lcb)")
    im.add_argument("paths", nargs="+", metavar="PATH")
    im.add_argument("--format", choices=["osca", "long", "lcb"], help="default: guessed from the content")
    im.add_argument("--name", help="dataset name (default: the first file's name)")
    im.add_argument("--replace", action="store_true", help="replace a dataset of that name (without it, an "
                    "existing name is refused)")
    im.add_argument("--config", help="lcb: configuration name per file, comma-separated (default: parent folder)")
    A.add_json(im)
    im.set_defaults(func=cmd_import)

    ds = sub.add_parser("datasets", help="list the datasets in the store")
    A.add_json(ds)
    ds.set_defaults(func=cmd_datasets)

    rm = sub.add_parser("remove", help="remove a dataset from the store")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=cmd_remove)

    dm = sub.add_parser("demo", help="store a synthetic demo dataset (seeded generative model, offline)")
    dm.add_argument("--name", default="demo-synthetic")
    A.add_seed(dm)
    dm.add_argument("--questions", type=A.count("--questions", minimum=0), default=200)
    dm.add_argument("--configs", type=A.count("--configs", minimum=0), default=12)
    A.add_json(dm)
    dm.set_defaults(func=cmd_demo)
