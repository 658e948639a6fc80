"""The colour system (osca_core.present.palette): the strategies' colours stay apart under simulated colour-vision
deficiencies (the issue's collisions: OSCA vs "osca (ban multi-model)", hillclimb's amber over OSCA), series that
are no strategy avoid the strategies' colours, one model's configurations get distinct hues, and presentation mode
draws thicker lines and bigger markers."""

from __future__ import annotations

import pandas as pd
import pytest

from osca_core.present import palette, plots
from osca_core.strategies import registry


def test_delta_e_is_zero_for_equal_colours_and_large_for_black_and_white():
    assert palette.delta_e("#D55E00", "#D55E00") == 0.0
    assert palette.delta_e("#000000", "#FFFFFF") == pytest.approx(100.0, abs=0.5)
    # red and green collapse for a deuteranope: their simulated difference is far below the normal-vision one
    assert palette.delta_e("#FF0000", "#00A000") < 40


def test_every_pair_of_strategy_colours_is_apart_for_every_simulated_viewer():
    colors = [s.color for s in registry.specs()]
    assert palette.min_delta_e(colors) >= 18.0
    assert palette.delta_e(registry.color("osca"), registry.color("hillclimb")) >= 18.0  # amber used to hide OSCA


def test_ban_variants_never_take_oscas_colour():
    rows = [{"series": s, "x": x, "mean": 0.5, "ci_low": None, "ci_high": None}
            for s in ("osca", "osca (ban multi-model)", "osca (ban multi-temperature)", "osca (ban multi-variant)")
            for x in (1, 2, 4)]
    fig = plots.study_figure(pd.DataFrame(rows).astype({"ci_low": float, "ci_high": float}), x_title="budget C")
    lines = {t.meta: t.line.color for t in fig.data if not str(t.meta).startswith("band:")}
    assert lines["osca"] == registry.color("osca")
    assert len(set(lines.values())) == 4  # "osca (ban multi-model)" used to be OSCA's orange
    assert palette.min_delta_e(list(lines.values())) >= palette.MIN_DELTA_E


def test_one_models_configurations_get_distinct_hues(swe):
    colors = plots.allocation_colors(swe.configs, "configuration")
    assert len(set(colors.values())) == min(len(colors), len(palette.spread(99)))
    first = list(colors.values())[:5]
    assert palette.min_delta_e(first) >= 10  # five near-identical blues before


def test_presentation_mode_draws_thicker_lines_and_bigger_markers():
    from osca_core.model.results import Curve

    cv = Curve("osca", (1, 2), (0.2, 0.3), (False, False))
    thin = next(t for t in plots.curves_figure([cv]).data if t.meta == "osca")
    thick = next(t for t in plots.curves_figure([cv], presentation=True).data if t.meta == "osca")
    assert thick.line.width > thin.line.width and thick.marker.size > thin.marker.size


def test_dark_mode_draws_the_black_oracle_light():
    assert palette.ink("#000000", dark=True) != "#000000"
    assert plots.look("oracle", dark=True)[1] == palette.ink(registry.color("oracle"), dark=True)
