"""The ``osca`` command line: parse arguments, call the core, print tables or stable JSON.

One module per command family, each adding its subcommands with ``register(subparsers)``:

- :mod:`osca_core.cli.analysis` — ``optimize``, ``curves``, ``study`` (``savings``: :mod:`osca_core.cli.savings`;
  loading and ``--missing``: :mod:`osca_core.cli.loading`);
- :mod:`osca_core.cli.data` — ``fetch``, ``import``, ``datasets``, ``remove``, ``demo``;
- :mod:`osca_core.cli.bench` — ``bench ingest``, ``bench optimizer``;
- :mod:`osca_core.cli.schedule` — ``schedule``, ``bench schedule`` (and the plan options of optimize/curves);
- :mod:`osca_core.cli.uncertainty` — ``bench bootstrap`` (and the ``--bootstrap`` options);

plus :mod:`osca_core.cli.args` (argument types, budget SPECs, work limits) and :mod:`osca_core.cli.output` (JSON,
tables, progress). A new family is one module with ``register`` and one line in ``FAMILIES``.

User mistakes (missing file, bad budget spec, unknown configuration, malformed data, a request above a work
limit) print one line ``osca: error: ...`` on stderr and exit with code 2, without a traceback; Ctrl-C prints
``osca: interrupted`` and exits with 130. JSON layouts are documented in the README and are a contract: keys are
only ever added, never renamed or removed.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from osca_core.cli.args import Parser
from osca_core.errors import InputError

# the command families, imported by build_parser (inside main's error handling: a Ctrl-C while numpy and scipy
# load is one line too)
FAMILIES = ("osca_core.cli.analysis", "osca_core.cli.data", "osca_core.cli.bench", "osca_core.cli.share",
            "osca_core.cli.schedule", "osca_core.cli.uncertainty")  # these two add to ``bench``: after it


def build_parser() -> Parser:
    """The ``osca`` parser: every family's subcommands."""
    p = Parser(prog="osca", description="OSCA Studio: optimized sample compute allocation for LLM inference.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for family in FAMILIES:
        importlib.import_module(family).register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``osca`` command; returns the exit code (0 ok, 2 a user's mistake, 130 interrupted)."""
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except InputError as e:
        print(f"osca: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("osca: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `osca ... | head`: stop quietly (Python docs, "Note on SIGPIPE")
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except MemoryError:
        print("osca: error: out of memory; ask for less work (fewer --budgets, --splits or configurations)",
              file=sys.stderr)
        return 2
