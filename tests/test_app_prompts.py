"""The dashboard's bans read the configuration attributes framework logs give: two solver plans of one model
(real Inspect logs, tests/inspectkit.py) are two configurations, and "Ban mixing: multi-prompt" in the sidebar
keeps the Allocation page's plan within one prompt (the same grouping as ``osca optimize --ban multi-prompt``)."""

from __future__ import annotations

import os
from unittest import mock

import pytest
import streamlit as st
from appkit import figures, fresh_app, run_app  # noqa: F401  (fresh_app: autouse)

from osca_core.data.importers import import_files
from osca_core.data.store import Store
from osca_core.model.splits import ban_groups

pytestmark = pytest.mark.slow  # Inspect logs are written, then the app runs

inspectkit = pytest.importorskip("inspectkit")
from inspect_ai.solver import generate, system_message  # noqa: E402


def test_the_dashboards_ban_on_mixing_prompts_reads_the_prompt_attribute(tmp_path):
    k = inspectkit
    with mock.patch.dict(os.environ, {"INSPECT_LOG_DIR": str(tmp_path / "default"), "INSPECT_DISPLAY": "none"}):
        for solver in (generate(), [system_message("Answer with the number only."), generate()]):
            k.run(k.arith_one(questions=4), ["eta", "theta"], tmp_path / "plans", temperature=0.5, epochs=2,
                  solver=solver)
    run_app()
    with Store.open() as s:
        import_files(s, [tmp_path / "plans"], name="plans")
        m = s.load_matrix("plans")
    st.cache_data.clear()
    prompt = {c.name: c.attrs["prompt"] for c in m.configs}
    assert len(set(prompt.values())) == 2 and len(ban_groups(m, ["multi-prompt"])) == 2
    at = run_app("allocation", dataset="plans", split="release split", budget=["50", "400"])
    assert "multi-prompt" in at.multiselect(key="ban").options
    at.multiselect(key="ban").set_value(["multi-prompt"]).run()
    assert not at.exception
    share = figures(at)[0]
    bars = [t for t in share["data"] if t.get("type") == "bar" and t.get("name") in prompt]
    assert bars and len({len(t["y"]) for t in bars}) == 1
    for b in range(len(bars[0]["y"])):  # at each budget, the configurations used share one prompt
        used = {prompt[t["name"]] for t in bars if t["y"][b]}
        assert len(used) == 1, (bars[0]["x"][b], used)
