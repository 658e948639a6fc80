"""``osca dashboard [--host ADDR] [--port N] [--viewer] [--home DIR]``: serve the dashboard from any folder.

Runs ``streamlit run`` on the dashboard's ``app.py``: the checkout's when ``osca_core`` is imported from a checkout
(``app.py`` and ``pages/`` beside it), else the copy the wheel installed as the package ``osca_dashboard``, with the
``.streamlit/config.toml`` beside it (127.0.0.1, the viewer toolbar, XSRF protection, the upload limit).

- ``--host`` (default 127.0.0.1) is Streamlit's ``server.address``; beyond loopback the serving policy of
  :mod:`osca_core.serving` applies: ``--viewer`` or sign-in configured in ``.streamlit/secrets.toml``, else one
  line naming both and exit 2, before anything starts.
- ``--viewer``: the read-only public demo (``$OSCA_VIEWER=1`` for the app): no page writes to the store, visitors'
  uploads go to a temporary per-session store, error details are hidden (``client.showErrorDetails none``) and
  uploads are limited to :data:`VIEWER_UPLOAD_MB` MB.
- ``--home DIR``: the store's folder (``$OSCA_HOME``; default ``./data``).

Streamlit is imported by the child process only, so ``osca --help`` stays light (tests/test_cli_startup.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from osca_core.errors import InputError
from osca_core.limits import VISITOR_MAX_MB

VIEWER_UPLOAD_MB = VISITOR_MAX_MB  # per file in viewer mode (pages._visitors bounds each visitor's total too)


def app_script() -> Path:
    """The dashboard's ``app.py``: the checkout's, else the installed ``osca_dashboard`` package's."""
    import importlib.util

    import osca_core

    checkout = Path(osca_core.__file__).resolve().parents[1]
    if (checkout / "app.py").is_file() and (checkout / "pages" / "_shell.py").is_file():
        return checkout / "app.py"
    spec = importlib.util.find_spec("osca_dashboard")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        if (Path(loc) / "app.py").is_file():
            return Path(loc) / "app.py"
    raise InputError("the dashboard is not installed: reinstall osca-studio (its wheel holds osca_dashboard)")


def command(app: Path, host: str, port: int, *, viewer: bool) -> list[str]:
    """The ``streamlit run`` command line."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", host, "--server.port", str(port),
           "--server.enableXsrfProtection", "true"]
    if viewer:
        cmd += ["--client.showErrorDetails", "none", "--server.maxUploadSize", str(VIEWER_UPLOAD_MB)]
    return cmd


def cmd_dashboard(args: argparse.Namespace) -> int:
    from osca_core import serving, settings

    app = app_script()
    viewer = args.viewer or settings.viewer_mode()
    auth = bool(serving.auth_providers(serving.read_secrets(serving.secrets_files(app.parent))))
    problem = serving.serve_problem(args.host, viewer=viewer, auth=auth)
    if problem:
        raise InputError(problem)
    env = {"OSCA_VIEWER": "1" if viewer else "0"}
    if args.home:
        env["OSCA_HOME"] = str(Path(args.home).expanduser().absolute())
    print(f"OSCA Studio on http://{args.host}:{args.port} ({'viewer mode' if viewer else 'editing'}; Ctrl-C stops)",
          file=sys.stderr, flush=True)
    return subprocess.call(command(app, args.host, args.port, viewer=viewer),
                           env=settings.child_environment(**env))


def _port(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if not 1 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 1-65535 (got {text!r})")
    return n


def register(sub) -> None:
    """Add ``dashboard`` to the ``osca`` subparsers."""
    d = sub.add_parser("dashboard", help="serve the dashboard (Streamlit) from any folder")
    d.add_argument("--host", default="127.0.0.1", metavar="ADDR",
                   help="address to listen on (default 127.0.0.1; beyond loopback: --viewer or sign-in)")
    d.add_argument("--port", type=_port, default=8501, metavar="N", help="port (default 8501)")
    d.add_argument("--viewer", action="store_true",
                   help="read-only public demo: no writes to the store, visitors' uploads stay in their session")
    d.add_argument("--home", metavar="DIR", help="the store's folder (default $OSCA_HOME or ./data)")
    d.set_defaults(func=cmd_dashboard)
