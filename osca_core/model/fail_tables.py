"""Fail tables: per (question, configuration) the training all-fail probability of k = 0 .. K samples.

The training objective of an allocation k (``osca_core.model.extrapolation.train_pass``) is
F(k) = (1/Q) sum_q [1 - prod_s T[q, s, k_s]] with

    T[q, s, k] = (1 - c/n)^k                                  (k <= n: the plug-in power, Zhang et al. 2024)
               = f(k) = E[(1 - p)^k],  p ~ Beta(a', b')        (k > n: the Beta-binomial posterior predictive)
               = B(a', b' + k) / B(a', b') = prod_{j < k} (b' + j) / (a' + b' + j),

a' = a_s + c, b' = b_s + n - c, with the configuration's prior Beta(a_s, b_s). The predictive is built here in log
space as a cumulative sum of log((b' + j) / (a' + b' + j)) (no Beta function per entry: one log per step, stable for
any K), the plug-in as k log(1 - c/n), and the whole table is floored at ``floor`` (an exact 0, c = n within n,
becomes e^floor, so that a search carrying sums of logs can divide it out again). The values agree with
``extrapolation.train_fail`` to rounding (the tests check 1e-12); searches use the tables, reported objectives
are always recomputed by ``train_pass``.

Properties (tests): f(0) = 1; f decreases in k; f(k) >= (1 - E p)^k (Jensen); log f is convex in k (the ratio
(b' + j) / (a' + b' + j) rises with j), so the predictive part has diminishing returns; as a' + b' grows at a
fixed mean, f(k) tends to the plug-in power of that mean.

Layout: ``log_tables`` returns LT of shape (S, K + 1, R), so the column of one (configuration, count) is one
contiguous row of R values (the searches gather such rows); memory S (K + 1) R float64 values, bounded by the
caller (``limits.TABLE_BYTES_MAX``).
"""

from __future__ import annotations

import numpy as np


def log_predictive(a: np.ndarray, b: np.ndarray, kmax: int) -> np.ndarray:
    """log f(k) = log B(a, b + k) / B(a, b) for k = 0 .. kmax (last axis), a, b > 0 broadcasting arrays:
    cumulative sums of log((b + j) / (a + b + j))."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    j = np.arange(kmax, dtype=float)
    steps = np.log(b[..., None] + j) - np.log(a[..., None] + b[..., None] + j)
    out = np.zeros(a.shape + (kmax + 1,))
    np.cumsum(steps, axis=-1, out=out[..., 1:])
    return np.minimum(out, 0.0)


def _config_table(n: np.ndarray, c: np.ndarray, kmax: int, a: float, b: float, floor: float) -> np.ndarray:
    """(kmax + 1, R) log T[r, s, k] of one configuration's column of counts (n, c) (module docstring): the
    predictive once per distinct (n, c) of its cells."""
    k = np.arange(kmax + 1, dtype=float)
    (nu, cu), inv = np.unique(np.stack([n, c]), axis=1, return_inverse=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = np.log1p(-cu / nu)
        plug = np.where(k[None, :] == 0, 0.0, k[None, :] * lp[:, None])
    pred = log_predictive(a + cu, b + nu - cu, kmax)
    t = np.maximum(np.where(k[None, :] > nu[:, None], pred, plug), floor)  # (distinct cells, K + 1)
    return t[inv.ravel()].T


def log_tables(n: np.ndarray, c: np.ndarray, kmax: int, prior: tuple[np.ndarray, np.ndarray], *,
               floor: float = -300.0) -> np.ndarray:
    """LT (S, kmax + 1, R): log T[r, s, k] of the module docstring for training counts (n, c) of shape (R, S),
    n >= 1, and the configurations' prior (a, b) (length S), floored at ``floor``."""
    n, c = np.asarray(n, float), np.asarray(c, float)
    a, b = (np.asarray(x, float) for x in prior)
    r, s = n.shape
    out = np.empty((s, kmax + 1, r))
    for j in range(s):  # one configuration at a time; the predictive once per distinct (n, c) of its cells
        out[j] = _config_table(n[:, j], c[:, j], kmax, a[j], b[j], floor)
    return out


DENSE_COUNTS = 3  # LazyLogTables keeps the rows k = 0, 1, 2 of every configuration whole


class LazyLogTables:
    """``log_tables(n, c, kmax, prior, floor=floor).reshape(S (kmax + 1), R)`` without building it: indexing with
    an integer array of rows s (kmax + 1) + k gives those rows, bit for bit. The table is kept once per distinct
    (configuration, n, c) cell (a log with n = 10 has at most 11 per configuration: U x (kmax + 1) values, the same
    predictive and plug-in terms as ``log_tables``) with each cell's index, and a row is gathered from it when
    asked; so a wide log's tables cost U (K + 1) + R S values, not S (K + 1) R."""

    def __init__(self, n: np.ndarray, c: np.ndarray, kmax: int, prior: tuple[np.ndarray, np.ndarray], *,
                 floor: float = -300.0):
        n, c = np.asarray(n, np.int64), np.asarray(c, np.int64)
        a, b = (np.asarray(x, float) for x in prior)
        r, s = n.shape
        self.kmax, self.width = int(kmax), int(kmax) + 1
        self.shape = (s * self.width, r)
        base = int(n.max(initial=0)) + 1
        key = (np.arange(s, dtype=np.int64)[None, :] * base + n) * base + c
        u, idx = np.unique(key.ravel(), return_inverse=True)
        su, nu, cu = u // (base * base), ((u // base) % base).astype(float), (u % base).astype(float)
        k = np.arange(kmax + 1, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = np.log1p(-cu / nu)
            plug = np.where(k[None, :] == 0, 0.0, k[None, :] * lp[:, None])
        pred = log_predictive(a[su] + cu, b[su] + nu - cu, kmax)
        self.cells = np.maximum(np.where(k[None, :] > nu[:, None], pred, plug), floor).ravel()  # (U (K + 1),)
        self.first = np.ascontiguousarray(idx.reshape(r, s).T) * self.width  # (S, R): each cell's first entry
        self.cell_config, self.cell_index = su, idx
        self.starts = np.searchsorted(su, np.arange(s))  # each configuration's first cell (cells sorted by it)
        self._weights: tuple | None = None
        self.dense = min(DENSE_COUNTS, self.width)  # rows k < this kept whole: a search asks for them most
        kk = np.arange(self.dense)
        self.low = self.cells[self.first[:, None, :] + kk[None, :, None]].reshape(s * self.dense, r)

    def pure_fails(self, ks: np.ndarray, w: np.ndarray) -> np.ndarray:
        """(S,) sum_r w_r T[r, s, ks_s] for every configuration s: the weighted fail mass of the pure
        allocations, summed over each configuration's distinct cells with their total weight (equal to
        ``w @ exp(rows)`` up to rounding, without gathering S x R values)."""
        if self._weights is None or self._weights[0] is not w:
            s = self.shape[0] // self.width
            self._weights = (w, np.bincount(self.cell_index, weights=np.repeat(w, s), minlength=self.cell_config.size))
        at = np.arange(self.cell_config.size) * self.width + np.asarray(ks, np.int64)[self.cell_config]
        return np.add.reduceat(self._weights[1] * np.exp(self.cells[at]), self.starts)

    def __getitem__(self, rows) -> np.ndarray:
        s, k = np.divmod(np.asarray(rows, dtype=np.int64), self.width)
        small = k < self.dense
        if small.all():
            return self.low[s * self.dense + k]
        out = np.empty(k.shape + (self.shape[1],))
        out[small] = self.low[s[small] * self.dense + k[small]]
        big = ~small
        out[big] = self.cells[self.first[s[big]] + k[big][:, None]]
        return out
