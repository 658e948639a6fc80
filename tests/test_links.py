"""Links that hold (issue 27, item 4; pages/_links.py): a link's unusable values are dropped before their widgets
read them and named in ONE notice (``seed=1e400`` used to raise inside Streamlit), ``present=1`` works like
``present=true``, the landing dataset is the release's (or the last one opened), and the report links back with the
view's own ``pures``. Also the small-split warning of the Experiments page (the CLI's rule)."""

from __future__ import annotations

import pytest
from appkit import fresh_app, run_app, store_release  # noqa: F401  (fresh_app: autouse fixture)

from osca_core.present import report, views


@pytest.mark.slow  # ~6 s: an AppTest run on the release
def test_unusable_link_values_are_named_in_one_notice_without_a_traceback():
    store_release()
    at = run_app(dataset="osca-swebench", seed="1e400", configs=["nope", "gpt4o_0.8_2-3"], budget=["1", "9999"])
    notes = [w.value for w in at.warning if "Dropped from the link" in w.value]
    assert len(notes) == 1, [w.value for w in at.warning]
    assert "seed=1e400" in notes[0] and "configs=nope" in notes[0] and "budget=9999" in notes[0]
    assert "gpt4o_0.8_2-3" not in notes[0]  # a known configuration is kept, not named
    assert at.session_state["seed"] == 0 and at.session_state["configs"] == ["gpt4o_0.8_2-3"]


@pytest.mark.slow  # ~6 s: an AppTest run on the release
def test_present_1_means_presentation_mode():
    store_release()
    at = run_app(dataset="osca-swebench", present="1")
    assert at.session_state["present"] is True
    assert not [w for w in at.warning if "Dropped from the link" in w.value]


@pytest.mark.slow  # ~6 s: an AppTest run on the release
def test_landing_dataset_is_the_release_not_the_first_name():
    from osca_core.data.store import Store
    from osca_core.data.synthetic import demo_matrix

    store_release()
    with Store.open() as s:  # "aaa-demo" sorts first: the old landing
        s.save_matrix(demo_matrix(), name="aaa-demo")
    at = run_app()
    assert at.session_state["dataset"] == "osca-bigcodebench"


def test_report_link_carries_the_views_pures_switch():
    url = report.dashboard_url("http://10.0.0.5:8600", "d", [1, 8], strategies=("osca", "best-pure"), pures=True)
    assert url.startswith("http://10.0.0.5:8600/?") and "pures=true" in url
    assert "pures=false" in report.dashboard_url("http://h", "d", [1, 8], strategies=("osca",), pures=False)


def test_small_split_warning_follows_the_cli_rule():
    assert views.small_split_warning(148, 0.5) is None
    w = views.small_split_warning(12, 0.5)  # 6 and 6
    assert w is not None and "6 training and 6 test questions" in w
    assert "1 test" in views.small_split_warning(495 // 99, 0.9)  # 5 questions: 4 and 1
