"""View models for the dashboard: pure functions that turn outcome matrices, curves and allocations into the
filters, tables, lists, headlines and downloadable plans the app shows. No Streamlit and no store here (the pages
only arrange widgets and render what these functions return); every function is unit-tested on the release logs
(``tests/test_views_<module>.py``).

- :mod:`~osca_core.present.views.text`: escaping of text taken from data (Markdown, plotly labels), strategy labels;
- :mod:`~osca_core.present.views.facets`: configuration facets, filters and groups;
- :mod:`~osca_core.present.views.budgets`: budget grids, the default range and limit, the log-axis default;
- :mod:`~osca_core.present.views.headline`: the compute-savings headline;
- :mod:`~osca_core.present.views.plans`: allocation tables and the CSV / JSON plans;
- :mod:`~osca_core.present.views.questions`: the question table, its filters and the heatmap's pass rates;
- :mod:`~osca_core.present.views.question_sets`: which questions a per-question view counts (test by default);
- :mod:`~osca_core.present.views.coverage`: per-configuration coverage of a ragged matrix;
- :mod:`~osca_core.present.views.heatmap_rows`: the heatmap's rows and table pages for large question sets;
- :mod:`~osca_core.present.views.studies`: the cross-session cache and thread-pool runner of the Experiments studies;
- :mod:`~osca_core.present.views.drilldown`: per-question pass@C of an allocation, who-solves-what lists, the drill-down on
  one question, A against B.

The names below are re-exported so that ``from osca_core import views; views.budget_grid(...)`` keeps working.
"""

from __future__ import annotations

from osca_core.present.views.budgets import (  # noqa: F401
    LOG_AXIS_ABOVE,
    budget_grid,
    budget_limit,
    default_budget_range,
    log_axis_default,
)
from osca_core.present.views.coverage import COVERAGE_COLUMNS, coverage  # noqa: F401
from osca_core.present.views.drilldown import (  # noqa: F401
    SOLVED_TOL,
    Comparison,
    QuestionLists,
    compare_configs,
    per_question_pass,
    question_detail,
    question_lists,
)
from osca_core.present.views.facets import (  # noqa: F401
    GROUPINGS,
    NONE_LABEL,
    ConfigFacets,
    config_facets,
    filter_configs,
    group_of,
    ordered_configs,
    temperature_label,
    variant_label,
)
from osca_core.present.views.headline import savings_headline  # noqa: F401
from osca_core.present.views.heatmap_rows import (  # noqa: F401
    HEATMAP_MODES,
    heatmap_columns,
    heatmap_rows,
    page_count,
    page_of,
)
from osca_core.present.views.plans import (  # noqa: F401
    PLAN_CSV_FIELDS,
    allocation_long,
    allocation_wide,
    plan_csv,
    plan_json,
)
from osca_core.present.views.question_sets import (  # noqa: F401
    DEFAULT_SET,
    QUESTION_SETS,
    question_set_label,
    question_set_mask,
)
from osca_core.present.views.questions import (  # noqa: F401
    attribute_columns,
    filter_questions,
    pass_rates,
    question_frame,
    split_labels,
)
from osca_core.present.views.studies import StudyCache, run_jobs, small_split_warning  # noqa: F401
from osca_core.present.views.text import (  # noqa: F401
    WORD_JOINER,
    md_escape,
    plot_text,
    strategy_label,
)
