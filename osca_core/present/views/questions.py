"""The question table: one row per question (split, mean pass rate over configurations, how many configurations
solve it, the best configuration, the attributes stored with the dataset), the attribute columns a user can
filter by, the literal id search, pass-rate and attribute filters with sorting, and the questions x configurations
pass-rate table of the heatmap."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from osca_core.errors import InputError
from osca_core.model.outcomes import OutcomeMatrix

_DERIVED = ("mean_pass", "solved_by", "best_pass", "best_config")


def split_labels(matrix: OutcomeMatrix) -> np.ndarray:
    """Per question: ``train``, ``test`` or ``train+test`` (in-sample releases put every question in both)."""
    tr, te = matrix.train, matrix.test
    return np.where(tr & te, "train+test", np.where(tr, "train", "test"))


def pass_rates(matrix: OutcomeMatrix) -> pd.DataFrame:
    """Questions x configurations plug-in pass rates c/n (index: question id, columns: configuration names)."""
    return pd.DataFrame(matrix.c / matrix.n, index=pd.Index(matrix.question_ids, name="question"),
                        columns=list(matrix.config_names))


def question_frame(matrix: OutcomeMatrix, attrs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per question: split, mean pass rate over configurations, number of configurations with at least
    one correct sample, best configuration and its rate, plus the attributes in ``attrs`` (indexed by question id,
    or with a ``question_id``/``question``/``id`` column)."""
    rates = matrix.c / matrix.n
    best = np.argmax(rates, axis=1)
    df = pd.DataFrame({
        "split": split_labels(matrix),
        "mean_pass": rates.mean(axis=1),
        "solved_by": (matrix.c > 0).sum(axis=1),
        "best_config": [matrix.config_names[j] for j in best],
        "best_pass": rates[np.arange(len(best)), best],
    }, index=pd.Index(matrix.question_ids, name="question"))
    if attrs is not None and len(attrs):
        a = attrs.copy()
        for col in ("question_id", "question", "id"):
            if col in a.columns:
                a = a.set_index(col)
                break
        a.index = a.index.astype(str)
        a = a.drop(columns=[c for c in a.columns if c in df.columns or c in ("split", "train", "test")],
                   errors="ignore")
        df = df.join(a, how="left")
    return df


def attribute_columns(frame: pd.DataFrame, *, max_levels: int = 50) -> list[str]:
    """Columns of a question frame a user can filter by value: non-numeric, with 2..max_levels distinct values."""
    out = []
    for col in frame.columns:
        if col in _DERIVED:
            continue
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s) and col != "split":
            continue
        if 2 <= s.astype(str).nunique() <= max_levels:
            out.append(col)
    return out


def filter_questions(
    frame: pd.DataFrame,
    *,
    search: str = "",
    pass_range: tuple[float, float] = (0.0, 1.0),
    attributes: Mapping[str, Sequence[str]] | None = None,
    sort_by: str = "question",
    descending: bool = False,
) -> pd.DataFrame:
    """Rows of ``frame`` whose id contains ``search`` (case-insensitive, literal), whose mean pass rate lies in
    ``pass_range`` and whose attribute values (compared as strings) are in ``attributes[col]`` (empty: no filter);
    sorted by ``sort_by`` (``question`` or a column), ties by question id."""
    keep = np.ones(len(frame), dtype=bool)
    if search:
        keep &= np.asarray(frame.index.astype(str).str.contains(search, case=False, regex=False), dtype=bool)
    lo, hi = pass_range
    keep &= ((frame["mean_pass"] >= lo - 1e-12) & (frame["mean_pass"] <= hi + 1e-12)).to_numpy()
    for col, vals in (attributes or {}).items():
        if vals:
            keep &= frame[col].astype(str).isin([str(v) for v in vals]).to_numpy()
    out = frame[keep]
    if sort_by == "question":
        return out.sort_index(ascending=not descending, kind="stable")
    if sort_by not in out.columns:
        raise InputError(f"cannot sort questions by {sort_by!r}")
    tmp = out.reset_index()
    tmp = tmp.sort_values([sort_by, "question"], ascending=[not descending, True], kind="stable")
    return tmp.set_index("question")
