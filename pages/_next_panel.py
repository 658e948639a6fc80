"""The "Where to sample next" panel of the Allocation page: ``osca next`` in the dashboard
(:func:`osca_core.analysis.where_next.next_samples` on the selected configurations): how many further samples
(N) and the budget of the decision (C, default the largest measured n, at most 64), the requests as a table with
each cell's current counts, what they are expected to do (posterior sd of the chosen allocation's pass@C now and
after, the gap to the runners-up) and downloads: the requests as CSV and JSON (``osca next --json``), and for a
dataset read from Inspect logs the ``inspect eval`` commands that draw them (given the task file where the log
does not record it). Computed only when switched on (the page stays fast), cached per dataset and settings."""

from __future__ import annotations

import csv
import io
import json

import streamlit as st

from osca_core.errors import InputError
from pages import _compute as compute
from pages import _render as ui


@st.cache_data(max_entries=32, show_spinner="Placing the samples ...")
def _next(name: str, checksum: str, configs: tuple[str, ...], samples: int, budget: int, seed: int):
    from osca_core.analysis.where_next import describe, next_samples

    m = compute.view_matrix(name, checksum, configs)
    r = next_samples(m, samples, budget=budget, seed=seed)
    return r.as_dict(), r.table(), describe(r), m.source


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=["config", "question_id", "samples", "n", "correct"])
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


def next_panel(v) -> None:
    """The panel (module docstring), in an expander under the page's tables."""
    from osca_core.analysis.where_next import default_budget
    from osca_core.data.formats.inspect_commands import inspect_commands, is_inspect_source

    with st.expander("Where to sample next", icon=":material/add_task:"):
        m = compute.view_matrix(v.info.name, v.info.checksum, v.configs)
        c1, c2, c3 = st.columns([2, 2, 3])
        samples = int(c1.number_input("Further samples N", 1, 100_000, 100, key="next_samples",
                                      help="The requests sum to at most N."))
        budget = int(c2.number_input("Decision budget C", 1, 10_000, default_budget(m), key="next_budget",
                                     help="Default: the largest measured n of the selection (at most 64)."))
        on = c3.toggle("Place the samples", key="next_on", help="The cells (question x configuration) where N more "
                       "samples most reduce the posterior uncertainty of the pass@C at C and of the gap between "
                       "the leading allocations.")
        if not on:
            return
        try:
            doc, rows, line, source = _next(v.info.name, v.info.checksum, tuple(v.configs), samples, budget,
                                            v.setting.seed)
        except InputError as e:
            ui.error(e)
            return
        st.caption(ui.text(line + "; Beta-binomial posterior of each cell"))
        st.dataframe(rows, hide_index=True, width="stretch", key="next_table")
        d1, d2, d3 = st.columns([1, 1, 3])
        d1.download_button("Requests as CSV", _csv(rows), file_name=f"osca-next-{v.info.name}.csv", mime="text/csv",
                           icon=":material/download:", on_click="ignore")
        d2.download_button("Requests as JSON", json.dumps(doc, indent=2), file_name=f"osca-next-{v.info.name}.json",
                           mime="application/json", icon=":material/download:", on_click="ignore")
        if not is_inspect_source(source):
            return
        task = d3.text_input("Inspect task (FILE.py@NAME)", key="next_task",
                             help="Where the log does not record the task; task arguments go in the commands' -T.")
        try:
            cmds = inspect_commands(v.info.name, source, m.configs,
                                    [(r["config"], r["question_id"], r["samples"]) for r in doc["requests"]],
                                    question_ids=m.question_ids, task=task or None)
        except InputError as e:
            st.info(ui.text(str(e)))
            return
        st.code("\n".join(cmds), language="bash")
        st.download_button("inspect eval commands", "\n".join(cmds) + "\n", file_name=f"osca-next-{v.info.name}.sh",
                           mime="text/x-shellscript", icon=":material/download:", on_click="ignore")
