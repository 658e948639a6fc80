"""The ``osca`` command line: parse arguments, call the core, print tables or stable JSON.

One module per command family, named after its command, each adding its subcommands with ``register(sub)``;
:data:`COMMANDS` lists them in the order ``osca --help`` shows them:

- :mod:`~osca_core.cli.optimize`, :mod:`~osca_core.cli.curves`, :mod:`~osca_core.cli.savings`,
  :mod:`~osca_core.cli.study`, :mod:`~osca_core.cli.schedule` — the analyses;
- :mod:`~osca_core.cli.data` — ``fetch``, ``import``, ``datasets``, ``remove``, ``demo``;
- :mod:`~osca_core.cli.export`, :mod:`~osca_core.cli.aggregate` — a dataset out, a Parquet dataset reduced to
  counts;
- :mod:`~osca_core.cli.report`, :mod:`~osca_core.cli.figure` — an HTML report, one chart;
- :mod:`~osca_core.cli.bench` — ``bench`` and every benchmark under it;
- :mod:`~osca_core.cli.dashboard` — ``dashboard``: serve the (packaged) dashboard.

Helpers the commands share (none registers anything): :mod:`~osca_core.cli.args` (argument types, budget SPECs,
work limits and the option groups a command adds to itself), :mod:`~osca_core.cli.loading` (``--file`` /
``--dataset``, ``--missing``, the split), :mod:`~osca_core.cli.uncertainty` (``--bootstrap``),
:mod:`~osca_core.cli.plans` (``--x expected-cost``, ``--group-by``, ``--early-stop``) and
:mod:`~osca_core.cli.output` (JSON, tables, progress). A new command is one module with ``register`` and one line
in :data:`COMMANDS`.

User mistakes (missing file, bad budget spec, unknown configuration, malformed data, a request above a work
limit) print one line ``osca: error: ...`` on stderr and exit with code 2, without a traceback; Ctrl-C prints
``osca: interrupted`` and exits with 130. JSON layouts are documented in docs/json.md and are a contract: keys are
only ever added, never renamed or removed.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from osca_core.cli.args import Parser
from osca_core.errors import InputError

# every command family, in the order of `osca --help` (imported by build_parser, inside main's error handling: a
# Ctrl-C while a module loads is one line too)
COMMANDS = ("optimize", "curves", "savings", "study", "data", "export", "aggregate", "bench", "report", "figure",
            "schedule", "next", "dashboard")


def build_parser() -> Parser:
    """The ``osca`` parser: every family's subcommands."""
    p = Parser(prog="osca", description="OSCA Studio: optimized sample compute allocation for LLM inference.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"osca_core.cli.{name}").register(sub)
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
