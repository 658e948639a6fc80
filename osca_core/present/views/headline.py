"""The compute-savings headline of a page, worded by the one headline rule (:mod:`osca_core.analysis.headline`,
shared with ``osca savings`` and the report): this module only adapts it to the pages' (headline, detail) pair."""

from __future__ import annotations

from osca_core.analysis.headline import decide
from osca_core.analysis.savings_result import Savings


def savings_headline(s: Savings, *, n_logged: int | None = None) -> tuple[str, str]:
    """(headline, detail) of a :class:`~osca_core.analysis.savings_result.Savings` by ``analysis.headline.decide``
    (the ratio with its interval, "No saving" said plainly, the gap first when the crossing is unstable).
    ``n_logged``: the smallest number of logged samples per cell; a baseline budget beyond it is flagged as
    extrapolated (k > n) in the detail. Pages that hold the matrix use ``analysis.headline.read`` instead, which
    also moves the baseline to measured points."""
    h = decide(s, points="all")
    detail = h.detail
    if n_logged is not None and s.baseline_budget > n_logged:
        detail += f"; extrapolated beyond the n = {n_logged} logged samples (k > n)"
    return h.text, detail
