"""How the wheel gets the dashboard that ``osca dashboard`` runs: setuptools' ``build_py`` (pyproject.toml,
``[tool.setuptools.cmdclass]``) copies the checkout's ``app.py``, ``pages/*.py`` and ``.streamlit/config.toml``
into the package ``osca_dashboard`` at build time. The repository keeps them at the top level, where
``streamlit run app.py`` runs them. Imported by the build only (setuptools is not a runtime dependency)."""

from pathlib import Path

from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), ROOT / ".streamlit" / "config.toml"]
INIT = '"""The packaged OSCA Studio dashboard (app.py, pages/, .streamlit/config.toml): run it with osca dashboard."""\n'


class BuildWithDashboard(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install runs the checkout's app.py itself
            return
        dest = Path(self.build_lib) / "osca_dashboard"
        for src in DASHBOARD:
            target = dest / src.relative_to(ROOT)
            self.mkpath(str(target.parent))
            self.copy_file(str(src), str(target))
        (dest / "__init__.py").write_text(INIT)


