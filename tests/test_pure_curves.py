"""Every pure curve at once (osca_core.analysis.pure_curves) against run_curves of each pure:<config>, on the
log's own split, random splits and a C0 subsample, with budgets beyond n (extrapolated)."""

from __future__ import annotations

import numpy as np
import pytest

from osca_core.analysis import experiments as ex
from osca_core.analysis.pure_curves import all_pure_curves
from osca_core.data.synthetic import demo_matrix


@pytest.mark.parametrize("setting", [ex.Setting(), ex.Setting(train_fraction=0.5, splits=4, seed=1),
                                     ex.Setting(c0=2, splits=3)], ids=["own", "random", "c0"])
def test_pure_curves_equal_one_run_per_configuration(setting):
    m = demo_matrix(seed=3, questions=50, configs=12, samples=6)
    budgets = [1, 2, 5, 6, 9, 12]  # 9 and 12 are beyond n = 6
    pc = all_pure_curves(m, budgets, setting)
    one = ex.run_curves(m, ["pure:" + c for c in m.config_names], budgets, setting).curves
    for i, cv in enumerate(one):
        np.testing.assert_allclose(pc.values[i], cv.values, rtol=0, atol=1e-13)
        assert tuple(pc.extrapolated[i]) == cv.extrapolated
        if cv.ci_low is None:
            assert pc.ci_low is None
        else:
            np.testing.assert_allclose(pc.ci_low[i], cv.ci_low, rtol=0, atol=1e-13)
            np.testing.assert_allclose(pc.ci_high[i], cv.ci_high, rtol=0, atol=1e-13)
        assert pc.curve(i).strategy == cv.strategy and pc.curve(i).values == pytest.approx(cv.values, abs=1e-13)
    assert pc.extrapolated[:, -1].all() and not pc.extrapolated[:, 0].any()
