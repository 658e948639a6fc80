"""The Curves page's computation on the public logs, cold then warm in one process, timed as the page makes its
core calls (a script, not a test: seconds are reported, never asserted; issue 24).

    python tests/curves_timing.py [--public /work/shared/data/public-logs] [--datasets lcb-exec,canaicode]

Imports the two public logs with ``osca import`` into a temporary ``$OSCA_HOME`` (``lcb-exec``, ``canaicode``),
then per dataset, with all configurations: the view's complete matrix (``apply_missing``, drop-questions), the
default budget grid and training setup (an in-sample log opens on 10 random half splits) and the default
strategies, and ``bench.beyond.held_out_view`` (every pure curve at once, then ``run_curves`` and the ranges of
its extrapolated points per strategy: what ``pages/_compute.py`` caches), with the caches by training counts
emptied first (cold) and then kept (warm: the process caches, not Streamlit's). Prints one JSON line per
dataset. The browser timings of the same views: ``tests/test_wide_browser.py --only public``."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PUBLIC = (("lcb_codeexecution_agg.csv", "lcb-exec"), ("canaicode_senior_long.csv", "canaicode"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    repo = Path(__file__).resolve().parents[1]
    near = [d / "shared/data/public-logs" for d in (repo.parent, repo.parent.parent)]
    ap.add_argument("--public", type=Path, default=next((d for d in near if d.is_dir()), near[0]))
    ap.add_argument("--datasets", default=",".join(n for _, n in PUBLIC))
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="osca-curves-"))
    os.environ["OSCA_HOME"] = str(home)
    names = args.datasets.split(",")
    for f, name in PUBLIC:
        if name in names:
            r = subprocess.run([sys.executable, "-m", "osca_core.cli", "import", str(args.public / f), "--name", name],
                               capture_output=True, text=True, env=dict(os.environ), timeout=1800)
            if r.returncode != 0:
                raise SystemExit(r.stderr)
    from osca_core.analysis import experiments as ex
    from osca_core.bench.beyond import forget_fits, held_out_view
    from osca_core.data import store
    from osca_core.errors import InputError
    from osca_core.model.missing import apply_missing
    from osca_core.present import views
    from osca_core.strategies import registry

    for name in names:
        with store.Store.open(home, read_only=True) as s:
            raw = s.load_matrix(name)
        try:
            m, _ = apply_missing(raw, policy="drop-questions")
        except InputError:
            m, _ = apply_missing(raw, policy="prior")
        grid = views.budget_grid(*views.default_budget_range(m))
        setting = ex.Setting(train_fraction=0.5, splits=10, seed=0) if m.in_sample else ex.Setting()
        strategies = list(registry.names(dashboard_default=True))
        forget_fits()
        t = time.perf_counter()
        cold = held_out_view(m, grid, setting, strategies)
        tc = time.perf_counter() - t
        t = time.perf_counter()
        held_out_view(m, grid, setting, strategies)
        tw = time.perf_counter() - t
        print(json.dumps({"dataset": name, "questions": m.shape[0], "configs": m.shape[1], "budgets": [grid[0], grid[-1]],
                          "strategies": strategies, "cold_seconds": round(tc, 3),
                          "cold_parts": {k: round(v, 3) for k, v in cold.items()}, "warm_seconds": round(tw, 3)}),
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
