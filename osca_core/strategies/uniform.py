"""The ``uniform`` strategy's exact expected pass@C: each of C samples picks one of S configurations uniformly.

``uniform`` has no fixed allocation. Its counts are K ~ Multinomial(C, (1/S, ..., 1/S)) and we report, per question,
the exact expectation E[1 - prod_s f_s(K_s)], where f_s(k) = C(n-c, k) / C(n, k) is the chance that k samples of
configuration s all fail (the unbiased estimator; where k > n the Beta-binomial predictive under the prior
``prior`` = (a_s, b_s) fitted on training questions (``osca_core.model.extrapolation``; without a prior the legacy
plug-in r_s^k, r_s = 1 - c/n), flagged ``extrapolated``). No Monte-Carlo. Three exact evaluations, chosen per
budget:

1. **Dynamic program over configurations** (budgets up to ``DENSE_MAX``): given m samples left for the configurations
   s..S-1, K_s ~ Binomial(m, 1/(S-s)), so V_s(m) = sum_k Bin(k; m, 1/(S-s)) f_s(k) V_{s+1}(m-k), V_{S-1}(m) =
   f_{S-1}(m); the fail probability is V_0(C). O(S C^2 Q) for every m up to C.
2. **Closed form** when the samples left no configuration within its logged n: since f_s(k) = r_s^k for k > n_s and
   0 <= f, r^k <= 1, telescoping gives |E prod_s f_s(K_s) - E prod_s r_s^{K_s}| <= sum_s P(K_s <= n_s), and by the
   multinomial theorem E prod_s r_s^{K_s} = (mean_s r_s)^C. When that bound, sum_s BinomCDF(max_q n_qs; C, 1/S),
   is at most ``TAIL_TOL`` (1e-16, below double rounding of a probability) we return 1 - (mean_s r_qs)^C: O(S Q).
   This holds for the plug-in beyond n only: with a prior the windowed program (3) is used instead.
3. **Windowed dynamic program** otherwise: the recursion of (1), each binomial sum cut to mp +- t,
   t = L/3 + sqrt(L^2/9 + 2 L m p (1-p)), L = ln(1/WINDOW_TAIL), and at stage s only the m that the first s
   configurations leave with non-negligible probability (C minus a cut Binomial(C, s/S)). By Bernstein's
   inequality each cut tail has mass <= WINDOW_TAIL = 1e-18 and, as f and V lie in [0, 1], the total error is below
   4 S WINDOW_TAIL. O(S Q C^1.5) for all budgets up to C, O(S Q C) for one budget. Work above ``MAX_WORK``
   multiply-adds is refused with an InputError naming a budget that fits (the reason: minutes of CPU).

(1) is the reference: (2) and (3) are tested against it and against enumeration of every assignment.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy.stats import binom

from osca_core.errors import InputError
from osca_core.model.budgets import check_budgets
from osca_core.model.extrapolation import PriorLike, columns, eval_fail, fail_grid, resolve

DENSE_MAX = 256  # budgets up to this use the dense dynamic program (1): bit-for-bit the values published so far
TAIL_TOL = 1e-16
WINDOW_TAIL = 1e-18
MAX_WORK = 4e9  # multiply-adds of the windowed program (about a minute of CPU)


PMF_CACHE_MAX = 128  # budgets up to which the binomial tables of the dense program are cached (<= 130 KB each)


@lru_cache(maxsize=256)
def _pmf_table(cmax: int, left: int) -> np.ndarray:
    """Row m: Binomial(m, 1 / left) at k = 0..cmax (read-only; the same for every question set and prior)."""
    mk = np.arange(cmax + 1)
    out = binom.pmf(mk[None, :], mk[:, None], 1.0 / left)
    out.setflags(write=False)
    return out


def uniform_fail_dense(n: np.ndarray, c: np.ndarray, cmax: int, prior: PriorLike = None) -> np.ndarray:
    """(Q, cmax + 1) exact fail probabilities V_0(m), m = 0..cmax, by the dense dynamic program (1)."""
    q, s = n.shape
    ks = np.arange(cmax + 1, dtype=float)
    f = np.empty((s, q, cmax + 1))
    pr = resolve(prior) if cmax > np.asarray(n).min() else None
    fu, _, idx = fail_grid(n, c, ks, pr)  # once per distinct (configuration, n, c): the same terms, bit for bit
    for j in range(s):
        f[j] = fu[idx[:, j]]
    v = f[s - 1].copy()  # (Q, cmax+1): V_{S-1}(m) = f_{S-1}(m)
    for j in range(s - 2, -1, -1):
        new = np.empty_like(v)
        # row m: Binomial(m, 1 / (S - j)) at k = 0..m (one elementwise pmf call for every m: the same values as one
        # call per m, without scipy's per-call overhead, which dominated at hundreds of configurations; cached)
        table = _pmf_table(cmax, s - j) if cmax <= PMF_CACHE_MAX else _pmf_table.__wrapped__(cmax, s - j)
        for m in range(cmax + 1):
            w = table[m, : m + 1]  # k = 0..m samples to configuration j
            new[:, m] = (f[j][:, : m + 1] * v[:, m::-1]) @ w
        v = new
    return v


def tail_bound(n: np.ndarray, budget: int) -> float:
    """sum_s P(K_s <= max_q n_qs), K_s ~ Binomial(C, 1/S): bounds |fail - (mean_s r_s)^C| (module docstring, 2)."""
    s = n.shape[1]
    return float(np.sum(binom.cdf(n.max(axis=0), budget, 1.0 / s)))


def uniform_fail_closed(n: np.ndarray, c: np.ndarray, budgets: Sequence[int]) -> np.ndarray:
    """(Q, len(budgets)) (mean_s r_qs)^C, r = 1 - c/n: the fail probability within ``tail_bound`` (form 2)."""
    r = (1.0 - np.asarray(c) / np.asarray(n)).mean(axis=1)
    with np.errstate(under="ignore"):
        return r[:, None] ** np.asarray(budgets, dtype=float)[None, :]


def _window(m: int, p: float) -> tuple[int, int]:
    """[lo, hi] holding all but <= WINDOW_TAIL of Binomial(m, p) on each side (Bernstein's inequality)."""
    big_l = float(np.log(1.0 / WINDOW_TAIL))
    t = big_l / 3.0 + np.sqrt(big_l**2 / 9.0 + 2.0 * big_l * m * p * (1.0 - p))
    return max(0, int(np.floor(m * p - t))), min(m, int(np.ceil(m * p + t)))


def _windowed_plan(s: int, budgets: Sequence[int]) -> tuple[list[np.ndarray], float]:
    """The m needed at each stage and the multiply-adds per question of program (3).

    At stage j the first j configurations have used U ~ Binomial(C, j/S) of the C samples, so only m = C - U in
    C - window(C, j/S) matters (the rest has mass <= 2 WINDOW_TAIL); stage 0 is the budgets themselves.
    """
    cmax = max(budgets)
    need = []
    for j in range(s):
        mask = np.zeros(cmax + 1, dtype=bool)
        for b in budgets:
            lo, hi = _window(int(b), j / s)
            mask[b - hi : b - lo + 1] = True
        need.append(mask)
    work = 0.0
    for j in range(s - 1):
        for m in np.flatnonzero(need[j]):
            lo, hi = _window(int(m), 1.0 / (s - j))
            work += hi - lo + 1
    return need, work


def uniform_fail_windowed(n: np.ndarray, c: np.ndarray, budgets: Sequence[int], prior: PriorLike = None
                          ) -> np.ndarray:
    """(Q, len(budgets)) fail probabilities by the windowed dynamic program (3); InputError above MAX_WORK."""
    q, s = n.shape
    budgets = [int(b) for b in budgets]
    need, work = _windowed_plan(s, budgets)
    if work * q > MAX_WORK:
        fit = max(DENSE_MAX, int(max(budgets) * np.sqrt(MAX_WORK / (work * q))))
        raise InputError(f"uniform: the exact expectation at budget {max(budgets)} needs about {work * q:.1e} "
                         f"operations ({q} questions x {s} configurations); use budgets up to about {fit}")
    cmax = max(budgets)
    pr = resolve(prior) if cmax > n.min() else None

    def fail(j: int, ks: np.ndarray) -> np.ndarray:
        return eval_fail(n[:, j : j + 1], c[:, j : j + 1], ks[None, :].astype(float), columns(pr, slice(j, j + 1)))[0]

    idx = np.flatnonzero(need[s - 1])
    v = np.zeros((cmax + 1, q))  # rows m: V_j(m) per question (row gathers are contiguous)
    v[idx] = fail(s - 1, idx).T
    for j in range(s - 2, -1, -1):
        p = 1.0 / (s - j)
        ms = np.flatnonzero(need[j])
        win = np.array([_window(int(m), p) for m in ms]).reshape(-1, 2)
        width = int((win[:, 1] - win[:, 0]).max()) + 1 if ms.size else 0
        ks = win[:, :1] + np.arange(width)[None, :]  # (M, W): k = lo..lo+W-1; only k <= hi is used
        w = binom.pmf(np.minimum(ks, win[:, 1:]), ms[:, None], p)
        fj = fail(j, np.arange(int(win[:, 1].max()) + 1 if ms.size else 1)).T.copy()  # (K, Q)
        new = np.zeros((cmax + 1, q))
        for i, m in enumerate(ms):  # V_j(m) = sum_k w_k f_j(k) V_{j+1}(m - k), k = lo..hi
            lo, hi = int(win[i, 0]), int(win[i, 1])
            rev = v[m - hi : m - lo + 1][::-1]
            new[m] = w[i, : hi - lo + 1] @ (fj[lo : hi + 1] * rev)
        v = new
    return v[budgets].T


def uniform_fail(n: np.ndarray, c: np.ndarray, budgets: Sequence[int], *, prior: PriorLike = None
                 ) -> np.ndarray:
    """(Q, len(budgets)) exact probability that all C uniformly allocated samples fail, per question and budget,
    by the cheapest exact method for each budget (module docstring); ``prior`` for terms beyond n."""
    n, c = np.asarray(n, np.int64), np.asarray(c, np.int64)
    if n.ndim != 2 or n.shape != c.shape or n.shape[1] < 1:
        raise ValueError("uniform_fail needs (Q, S) arrays n and c of the same shape, S >= 1")
    budgets = check_budgets(budgets)
    out = np.empty((n.shape[0], len(budgets)))
    pr = resolve(prior) if max(budgets) > n.min() else None
    closed = [i for i, b in enumerate(budgets) if pr is None and b > DENSE_MAX and tail_bound(n, b) <= TAIL_TOL]
    if closed:
        out[:, closed] = uniform_fail_closed(n, c, [budgets[i] for i in closed])
    dense = [i for i, b in enumerate(budgets) if b <= DENSE_MAX]
    if dense:
        v = uniform_fail_dense(n, c, max(budgets[i] for i in dense), pr)
        out[:, dense] = v[:, [budgets[i] for i in dense]]
    rest = [i for i in range(len(budgets)) if i not in set(closed) | set(dense)]
    if rest:
        out[:, rest] = uniform_fail_windowed(n, c, [budgets[i] for i in rest], pr)
    return out


def uniform_expected_per_question(n: np.ndarray, c: np.ndarray, budgets: Sequence[int], *,
                                  prior: PriorLike = None) -> np.ndarray:
    """(Q, len(budgets)) exact expected pass@C of each question under ``uniform``: 1 - E prod_s f_s(K_s), clipped
    to [0, 1] (the sums of binomial weights can exceed 1 by a few ulps)."""
    return np.clip(1.0 - uniform_fail(n, c, budgets, prior=prior), 0.0, 1.0)


def uniform_question_values(n: np.ndarray, c: np.ndarray, budgets: Sequence[int], *, prior: PriorLike = None
                            ) -> tuple[np.ndarray, np.ndarray]:
    """The registry's per-question hook of ``uniform``: (Q, P) :func:`uniform_expected_per_question` and (P,)
    extrapolated flags (C above the smallest n)."""
    budgets = check_budgets(budgets)
    nmin = int(np.asarray(n).min())
    extra = np.array([b > nmin for b in budgets])
    return np.asarray(uniform_expected_per_question(n, c, budgets, prior=prior), float), extra


def uniform_expected(n: np.ndarray, c: np.ndarray, budgets: Sequence[int], *, prior: PriorLike = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Exact E[pass@C] of ``uniform``, averaged over questions: 1 - mean_q E prod_s f_s(K_s) (the mean of
    :func:`uniform_expected_per_question` up to rounding). Returns (values, extrapolated) per budget;
    extrapolated when C exceeds the smallest n (some K_s can exceed its n). ``prior``: the Beta(a_s, b_s) for
    terms beyond n (``extrapolation.priors(matrix)``, fitted on training questions; default: legacy plug-in)."""
    budgets = check_budgets(budgets)
    vals = 1.0 - uniform_fail(n, c, budgets, prior=prior).mean(axis=0)
    nmin = int(np.asarray(n).min())
    return vals, np.array([b > nmin for b in budgets])
