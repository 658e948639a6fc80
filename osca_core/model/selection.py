"""Selecting configurations of a wide log by axis filters and a preset, stored as a few short URL parameters
instead of a list of hundreds of names.

A :class:`Selection` is (filters, preset, k, picked):

- ``filters`` axis -> allowed values (:mod:`osca_core.model.axes`); an axis without a filter allows every value;
- ``preset``, applied to the configurations the filters keep, ranking by *training* pass@1 (the mean over the
  dataset's training questions of c / n, the unbiased pass@1; missing cells left out) — never by test numbers:

  - ``all``: every configuration kept;
  - ``top``: the k with the highest training pass@1 (ties: matrix order);
  - ``pareto``: the Pareto front of (training pass@1 up, cost per sample down): s is kept unless some t has
    p_t >= p_s and cost_t <= cost_s with one of them strict (equal points both kept);
  - ``per-model``: the configuration with the highest training pass@1 of each value of the ``model`` axis;
- ``picked``: when non-empty, only these names (the explicit multiselect of the sidebar; the URL's ``configs``).

The result is in the matrix's order. URL form (:func:`to_query` / :func:`from_query`): ``preset=top&top_k=20``,
one parameter per filtered axis (``model``, ``temp`` and ``variant`` for those axes, ``ax_<axis>`` for the others),
repeated per value; a default (no filter, preset ``all``) is left out. Unknown axis values in a link are dropped
and reported (:func:`unknown_values`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from osca_core.errors import InputError
from osca_core.model.axes import ConfigAxes
from osca_core.model.outcomes import OutcomeMatrix

PRESETS = ("all", "top", "pareto", "per-model")
PRESET_LABELS = {"all": "all", "top": "top k by training pass@1", "pareto": "Pareto front (pass@1 vs cost)",
                 "per-model": "one per model (best training pass@1)"}
DEFAULT_K = 20
URL_KEYS = {"model": "model", "temperature": "temp", "variant": "variant"}  # the other axes: ax_<axis>


def url_key(axis: str) -> str:
    return URL_KEYS.get(axis, f"ax_{axis}")


@dataclass(frozen=True)
class Selection:
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    preset: str = "all"
    k: int = DEFAULT_K
    picked: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise InputError(f"preset {self.preset!r}: use one of {', '.join(PRESETS)}")
        if self.k < 1:
            raise InputError(f"top_k {self.k}: must be at least 1")

    def describe(self) -> str:
        """The selection in one line (captions, the report): filters, then the preset."""
        parts = [f"{a} in {{{', '.join(v)}}}" for a, v in self.filters.items() if v]
        if self.picked:
            parts.append(f"{len(self.picked)} picked by name")
        p = {"all": "", "top": f"top {self.k} by training pass@1", "pareto": "Pareto front of training pass@1 vs cost",
             "per-model": "best training pass@1 per model"}[self.preset]
        return "; ".join(parts + ([p] if p else [])) or "all configurations"


def train_pass1(m: OutcomeMatrix) -> np.ndarray:
    """(S,) mean over training questions of c / n per configuration (missing cells, n = 0, left out)."""
    n, c = m.n[m.train], m.c[m.train]
    have = n > 0
    rate = np.where(have, c / np.maximum(n, 1), 0.0)
    cnt = have.sum(axis=0)
    return np.where(cnt > 0, rate.sum(axis=0) / np.maximum(cnt, 1), 0.0)


def pareto_front(p: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """(S,) bool: not dominated in (p up, cost down) (module docstring)."""
    p, cost = np.asarray(p, float), np.asarray(cost, float)
    ge = (p[None, :] >= p[:, None]) & (cost[None, :] <= cost[:, None])  # [s, t]: t at least as good as s
    strict = (p[None, :] > p[:, None]) | (cost[None, :] < cost[:, None])
    return ~(ge & strict).any(axis=1)


def _filtered(axes: ConfigAxes, filters: Mapping[str, Sequence[str]]) -> np.ndarray:
    keep = np.ones(len(axes.configs), dtype=bool)
    for a, allowed in filters.items():
        if allowed and a in axes.values:
            ok = set(allowed)
            keep &= np.array([v in ok for v in axes.values[a]], dtype=bool)
    return keep


def select(m: OutcomeMatrix, axes: ConfigAxes, sel: Selection) -> tuple[str, ...]:
    """The names ``sel`` keeps, in the matrix's order (module docstring)."""
    if tuple(axes.configs) != m.config_names:
        raise ValueError("axes were computed for other configurations")
    keep = _filtered(axes, sel.filters)
    if sel.picked:
        chosen = set(sel.picked)
        keep &= np.array([c in chosen for c in m.config_names], dtype=bool)
    idx = np.flatnonzero(keep)
    if sel.preset != "all" and idx.size:
        p = train_pass1(m)[idx]
        if sel.preset == "top":
            order = np.lexsort((idx, -p))  # highest first, ties by matrix order
            idx = np.sort(idx[order[: sel.k]])
        elif sel.preset == "pareto":
            idx = idx[pareto_front(p, m.costs[idx])]
        else:
            models = [axes.values["model"][i] for i in idx]
            best: dict[str, int] = {}
            for j, (mod, pj) in enumerate(zip(models, p, strict=True)):
                if mod not in best or pj > p[best[mod]]:
                    best[mod] = j
            idx = np.sort(idx[list(best.values())])
    return tuple(m.config_names[i] for i in idx)


def to_query(sel: Selection) -> dict[str, list[str] | str]:
    """The URL parameters of ``sel`` (defaults left out)."""
    out: dict[str, list[str] | str] = {url_key(a): list(v) for a, v in sel.filters.items() if v}
    if sel.preset != "all":
        out["preset"] = sel.preset
        if sel.preset == "top":
            out["top_k"] = str(sel.k)
    if sel.picked:
        out["configs"] = list(sel.picked)
    return out


def from_query(query: Mapping[str, Sequence[str] | str], axes: ConfigAxes) -> Selection:
    """The selection a URL's parameters describe (the inverse of :func:`to_query` on the axes of ``axes``)."""
    def many(key: str) -> tuple[str, ...]:
        v = query.get(key, ())
        return (v,) if isinstance(v, str) else tuple(v)
    filters = {a: many(url_key(a)) for a in axes.names if many(url_key(a))}
    preset = (many("preset") or ("all",))[-1]
    k_text = (many("top_k") or (str(DEFAULT_K),))[-1]
    try:
        k = int(k_text)
    except ValueError:
        raise InputError(f"top_k {k_text!r}: not a whole number") from None
    return Selection(filters, preset, k, many("configs"))


def unknown_values(axes: ConfigAxes, sel: Selection) -> list[str]:
    """``axis=value`` of each filter value that no configuration has (a stale link)."""
    out = []
    for a, vals in sel.filters.items():
        have = set(axes.values.get(a, ()))
        out += [f"{url_key(a)}={v}" for v in vals if v not in have]
    return out
