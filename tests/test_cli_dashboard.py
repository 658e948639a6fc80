"""``osca dashboard``: the refusal of an unauthenticated network bind (one line naming both options, before anything
starts), the streamlit command line it builds (XSRF on, viewer-mode hardening), and the packaged dashboard: a wheel
built from the checkout, installed into a fresh virtual environment, serves the Curves chart from an empty folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from osca_core.cli import dashboard

REPO = Path(__file__).resolve().parents[1]
REFUSAL = ("osca: error: serving on 0.0.0.0 reaches beyond this machine, where anyone could write to the store: "
           "add --viewer (a read-only public demo; OSCA_VIEWER=1 under streamlit run) or configure sign-in for "
           "editors ([auth] in .streamlit/secrets.toml, see docs/dashboard.md)")


def _osca(argv: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "osca_core.cli", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, HOME=str(cwd), **env))


def test_a_network_bind_without_viewer_or_sign_in_is_refused_in_one_line_naming_both(tmp_path):
    r = _osca(["dashboard", "--host", "0.0.0.0", "--home", str(tmp_path / "home")], tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (2, "", REFUSAL + "\n")
    assert not (tmp_path / "home").exists()  # refused before anything started or was created


def test_an_incomplete_auth_section_does_not_count_as_sign_in(tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[auth]\nredirect_uri = "http://x/oauth2callback"\n')
    r = _osca(["dashboard", "--host", "192.168.1.5"], tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "serving on 192.168.1.5" in r.stderr


def test_a_bad_port_is_refused_by_the_parser(tmp_path):
    r = _osca(["dashboard", "--port", "70000"], tmp_path)
    assert r.returncode == 2 and "--port: expected a port 1-65535 (got '70000')" in r.stderr


def test_the_streamlit_command_turns_xsrf_on_and_hides_error_details_in_viewer_mode():
    app = dashboard.app_script()
    assert app == REPO / "app.py"  # from a checkout, the checkout's own app
    plain = dashboard.command(app, "127.0.0.1", 8501, viewer=False)
    viewer = dashboard.command(app, "0.0.0.0", 8600, viewer=True)
    assert plain[1:4] == ["-m", "streamlit", "run"] and "--client.showErrorDetails" not in plain
    opts = dict(zip(viewer[5::2], viewer[6::2], strict=True))
    assert opts == {"--server.address": "0.0.0.0", "--server.port": "8600", "--server.enableXsrfProtection": "true",
                    "--client.showErrorDetails": "none", "--server.maxUploadSize": "50"}


def _copy_checkout(dest: Path) -> Path:
    """The files a wheel is built from (the checkout without its tests, data and caches)."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "app.py"):
        shutil.copy2(REPO / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("osca_core", "pages", ".streamlit"):
        shutil.copytree(REPO / folder, dest / folder, ignore=ignore)
    return dest


@pytest.mark.slow
@pytest.mark.browser
def test_the_wheel_installs_into_a_fresh_venv_and_serves_the_curves_chart_from_an_empty_folder(tmp_path, release):
    import browserkit as bk

    if not bk.chromium_available():
        pytest.skip(f"Chromium not found at {bk.CHROMIUM}")
    src, dist, venv = _copy_checkout(tmp_path / "src"), tmp_path / "dist", tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OSCA_HOME")}
    run = dict(capture_output=True, text=True, timeout=600, env=env)
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist),
                        str(src)], **run)
    assert r.returncode == 0, r.stderr[-3000:]
    (wheel,) = dist.glob("osca_studio-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, **run)
    py, osca = venv / "bin" / "python", venv / "bin" / "osca"
    r = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], **run)
    assert r.returncode == 0, r.stderr[-3000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run([str(py), "-c", "import osca_core, osca_dashboard; from osca_core.cli import dashboard; "
                            "print(osca_core.__file__); print(dashboard.app_script())"], cwd=empty, **run)
    core, app = where.stdout.split()
    assert core.startswith(str(venv)) and app.startswith(str(venv)) and app.endswith("osca_dashboard/app.py")
    assert (Path(app).parent / ".streamlit" / "config.toml").is_file() and (Path(app).parent / "pages").is_dir()

    port, home, log = bk.free_port(), tmp_path / "home", tmp_path / "dashboard.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(osca), "dashboard", "--port", str(port), "--home", str(home)], cwd=empty,
                                stdout=out, stderr=subprocess.STDOUT,
                                env=dict(env, OSCA_RELEASE_MIRROR=str(release), STREAMLIT_SERVER_HEADLESS="true"))
        try:
            base = f"http://127.0.0.1:{port}"
            bk.wait_healthy(base, proc, log, seconds=120)
            with bk.chromium() as browser:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(240_000)
                page.goto(base)
                bk.settle(page)
                titles = page.evaluate(bk.CHART_SUMMARY)
                assert page.locator('[data-testid="stMain"] h1').first.inner_text() == "Accuracy against compute"
                assert titles and all(n > 0 for _, n in titles), titles
                assert bk.page_problems(page) == []
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert (home / "osca.duckdb").is_file()  # the first start filled the store given by --home
    assert not (empty / "data").exists() and bk.log_errors(log) == [], log.read_text()[-3000:]
