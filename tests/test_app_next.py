"""The "Where to sample next" panel of the Allocation page under AppTest: switched on, it shows exactly the
requests ``next_samples`` gives on the view's matrix (summing to at most N) and offers them as CSV and JSON."""

from __future__ import annotations

import numpy as np
import pytest
from appkit import fresh_app, run_app, store_release  # noqa: F401  (fresh_app: autouse)

from osca_core.analysis.where_next import next_samples
from osca_core.data.importers import import_bytes
from osca_core.data.store import Store


@pytest.mark.slow  # ~27 s: the app run with the release stored, as after a first start
def test_the_panel_lists_the_requests_of_next_samples_with_downloads():
    rng = np.random.default_rng(0)
    rows = ["question_id,config,n_samples,n_correct"]
    for i in range(30):
        for cfg, p in (("m_0.2", 0.1), ("m_0.8", 0.2), ("w_0.5", 0.05)):
            n = int(rng.choice([1, 2, 3]))
            rows.append(f"q{i},{cfg},{n},{rng.binomial(n, p)}")
    store_release()
    with Store.open() as s:
        import_bytes(s, "thin.csv", "\n".join(rows).encode(), name="thin")
    at = run_app("allocation", dataset="thin")
    at.number_input(key="next_samples").set_value(20)
    at.number_input(key="next_budget").set_value(8)
    at.toggle(key="next_on").set_value(True).run()
    assert not at.exception, at.exception
    with Store.open(read_only=True) as s:
        m = s.load_matrix("thin")
    want = next_samples(m, 20, budget=8, seed=0).table()
    shown = next(d.value for d in at.dataframe if "question_id" in d.value.columns and "correct" in d.value.columns)
    assert shown.to_dict("records") == want and 0 < shown["samples"].sum() <= 20
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Requests as CSV" in labels and "Requests as JSON" in labels
    assert "inspect eval commands" not in labels  # not an Inspect log
