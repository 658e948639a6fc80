"""Helpers for the browser tests (tests/test_load.py, tests/test_hostile.py): start ``streamlit run app.py`` on
127.0.0.1 with its own $OSCA_HOME and a log file, launch the Debian Chromium headless, wait for the app to settle,
and read the two things every browser test checks: exception boxes on the page and errors in the server log.

The server start follows tests/test_browser.py (same command line and health check)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
EXCEPTION = '[data-testid="stException"]'
# a line of the server log that reports a failure (Streamlit logs uncaught script errors and server errors)
LOG_ERROR = re.compile(r"Traceback|\bERROR\b|Error:|Exception:|Uncaught")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(home: Path, *, env: dict[str, str] | None = None, cwd: Path = REPO,
                     address: str | None = "127.0.0.1", args: tuple[str, ...] = (),
                     script: Path = REPO / "app.py") -> Iterator[dict]:
    """``streamlit run <checkout>/app.py`` (or ``script``) from ``cwd`` on a free port (``--server.address`` only
    when ``address`` is given), $OSCA_HOME = ``home``; yields base URL, log path and the server's pid. Stopped
    (terminate, then kill) on exit."""
    home.mkdir(parents=True, exist_ok=True)
    port, log_path = free_port(), home / "streamlit.log"
    log = open(log_path, "w")
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false", *args]
    if address is not None:
        cmd += ["--server.address", address]
    proc = subprocess.Popen(cmd, cwd=cwd, env=dict(os.environ, OSCA_HOME=str(home), **(env or {})), stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("streamlit did not start: " + log_path.read_text()[-2000:])
            time.sleep(0.25)
        yield {"base": base, "home": home, "log": log_path, "pid": proc.pid}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()


def log_errors(log_path: Path) -> list[str]:
    """Lines of the server log that report an error or a traceback."""
    return [x for x in log_path.read_text(errors="replace").splitlines() if LOG_ERROR.search(x)]


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()
