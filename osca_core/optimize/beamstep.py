"""One step of the optimizer's beam over budgets (``osca_core.optimize.beam``), as a compiled kernel and its reference.

A beam holds B distinct allocations k_1 .. k_B of one budget (unit costs: each holds C samples), stored as their
weighted fail rows e_b = w * prod_s (1 - p_s)^{k_bs} (one value per merged question row; the fail mass of k_b is
sum e_b), counts, and a hash h_b = k_b . hs that identifies the allocation. A step to budget C + 1 scores every
child "k_b plus one sample of s" by its fail mass

    fail(b, s) = sum_r e_br (1 - p_rs)                (the B x S products e F1),

orders the B S children by (fail, b S + s) (a stable sort: earlier parents and configurations first among
equals), keeps the first child of each distinct hash h_b + hs_s, and carries the first ``n`` of those, in that
order, to the next budget with e' = e_b * (1 - p_s), k' = k_b + 1_s, h' = h_b + hs_s.

:func:`beam_steps_compiled` runs ``steps`` such steps in one call of a numba kernel (one pass over the children
keeping the best ``n`` distinct ones in insertion order: O(B S (r + n)) work, no sort, no Python-level work per
budget); :func:`beam_steps_reference` is the same computation in numpy (stable argsort and first occurrences),
the simple twin the tests compare it with. Both sum each fail mass over rows in order and multiply fail rows the
same way, so they give the same bits, ties included; :func:`beam_steps` runs whichever is cheaper for the process
(the kernel once loaded, see there), so which one ran never changes a result.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


def beam_steps_reference(E: np.ndarray, K: np.ndarray, H: np.ndarray, F1: np.ndarray, hs: np.ndarray, n: int,
                         steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``steps`` beam steps from the beam (E (B, r) fail rows, K (B, S) counts, H (B,) hashes); ``F1`` (r, S) =
    1 - p, ``hs`` (S,) configuration hashes, ``n`` beam width. Returns, per step t, the beam padded to ``n`` rows:
    Es (steps, n, r), Ks (steps, n, S), Hs (steps, n), fails (steps, n) and the rows held, size (steps,).

    The fail masses are summed over rows in order (``np.add.accumulate``), as the kernel sums them, so the two
    give the same bits."""
    r, s = F1.shape
    Es, Ks = np.zeros((steps, n, r)), np.zeros((steps, n, s), np.int64)
    Hs, Fs, size = np.zeros((steps, n), np.int64), np.zeros((steps, n)), np.zeros(steps, np.int64)
    F1T = np.ascontiguousarray(F1.T)
    for t in range(steps):
        fails = np.add.accumulate(E[:, None, :] * F1T[None], axis=2)[:, :, -1].ravel()
        order = np.argsort(fails, kind="stable")
        h = (H[:, None] + hs).ravel()[order]
        _, first = np.unique(h, return_index=True)
        pos = np.sort(first)[:n]
        i, j = np.divmod(order[pos], s)
        b = pos.size
        E, K, H = E[i] * F1T[j], K[i].copy(), h[pos]
        K[np.arange(b), j] += 1
        Es[t, :b], Ks[t, :b], Hs[t, :b], Fs[t, :b], size[t] = E, K, H, fails[order[pos]], b
    return Es, Ks, Hs, Fs, size


def _beam_steps_kernel(E0, K0, H0, F1, F1T, hs, n, steps):  # pragma: no cover - compiled by numba (coverage
    # cannot see inside); tested against beam_steps_reference
    r, s = F1.shape
    Es = np.zeros((steps, n, r))
    Ks = np.zeros((steps, n, s), np.int64)
    Hs = np.zeros((steps, n), np.int64)
    Fs = np.zeros((steps, n))
    size = np.zeros(steps, np.int64)
    ET = np.empty((r, max(n, E0.shape[0])))  # the beam's fail rows as columns: the products run along parents
    acc = np.empty((s, ET.shape[1]))
    lv = np.empty(n)  # the best distinct children so far, in order: fail, hash, child index b * S + s
    lh = np.empty(n, np.int64)
    lc = np.empty(n, np.int64)
    E, K, H, b0 = E0, K0, H0, E0.shape[0]
    for t in range(steps):
        m = 0
        for b in range(b0):
            for q in range(r):
                ET[q, b] = E[b, q]
        acc[:, :b0] = 0.0
        for q in range(r):  # fail masses, each summed over rows in order
            for j in range(s):
                f = F1[q, j]
                for b in range(b0):
                    acc[j, b] += ET[q, b] * f
        for b in range(b0):
            for j in range(s):
                v = acc[j, b]
                if m == n and v >= lv[m - 1]:
                    continue  # after the n-th best in (fail, index) order
                h = H[b] + hs[j]
                pos = -1
                for u in range(m):
                    if lh[u] == h:
                        pos = u
                        break
                if pos >= 0:
                    if lv[pos] <= v:
                        continue  # the same allocation came earlier in (fail, index) order
                    for u in range(pos, m - 1):
                        lv[u], lh[u], lc[u] = lv[u + 1], lh[u + 1], lc[u + 1]
                    m -= 1
                if m == n:
                    m -= 1  # the n-th drops out (v is below it)
                u = m
                while u > 0 and lv[u - 1] > v:
                    lv[u], lh[u], lc[u] = lv[u - 1], lh[u - 1], lc[u - 1]
                    u -= 1
                lv[u], lh[u], lc[u] = v, h, b * s + j
                m += 1
        for u in range(m):
            b, j = lc[u] // s, lc[u] % s
            for q in range(r):
                Es[t, u, q] = E[b, q] * F1T[j, q]
            for c in range(s):
                Ks[t, u, c] = K[b, c]
            Ks[t, u, j] += 1
            Hs[t, u] = lh[u]
            Fs[t, u] = lv[u]
        size[t] = m
        E, K, H, b0 = Es[t], Ks[t], Hs[t], m
    return Es, Ks, Hs, Fs, size


_LOAD_SECONDS = 0.5  # about what loading the compiled kernel costs a process (numba import and on-disk cache)
_lock = threading.Lock()
_compiled = None  # the kernel, once loaded
_unavailable = False  # numba is not installed or cannot compile here
_rent = 0.0  # seconds spent in the reference so far
_forced = False  # inside ``reference_only``


def warm() -> bool:
    """Load the compiled kernel now (numba's on-disk cache: about 0.4 s; compiling on a new machine: about 2 s);
    True when it is ready, False where numba is not installed or cannot compile. The dashboard calls it at
    start-up."""
    global _compiled, _unavailable
    with _lock:
        if _compiled is None and not _unavailable:
            try:
                import numba

                kernel = numba.njit(cache=True, nogil=True)(_beam_steps_kernel)
                kernel(np.ones((1, 1)), np.zeros((1, 1), np.int64), np.zeros(1, np.int64), np.ones((1, 1)),
                       np.ones((1, 1)), np.ones(1, np.int64), 1, 1)
            except Exception:  # noqa: BLE001  # pragma: no cover - no numba, or it cannot compile here: the twin
                _unavailable = True  # gives the same bits, only slower
                return False
            _compiled = kernel
    return _compiled is not None


def beam_steps_compiled(E: np.ndarray, K: np.ndarray, H: np.ndarray, F1: np.ndarray, hs: np.ndarray, n: int,
                        steps: int, *, F1T: np.ndarray | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`beam_steps_reference` in the compiled kernel (loaded first if needed); the same arguments and bits.
    ``F1T``: F1.T as a C-contiguous array, for callers that step many times on one model."""
    if not warm():  # pragma: no cover
        raise RuntimeError("the compiled beam step needs numba (pip install numba)")
    F1 = np.ascontiguousarray(F1, dtype=np.float64)
    F1T = np.ascontiguousarray(F1.T) if F1T is None else F1T
    return _compiled(np.ascontiguousarray(E, dtype=np.float64), np.ascontiguousarray(K, dtype=np.int64),
                     np.ascontiguousarray(H, dtype=np.int64), F1, F1T, np.ascontiguousarray(hs, dtype=np.int64),
                     int(n), int(steps))


@contextmanager
def reference_only() -> Iterator[None]:
    """Inside the block :func:`beam_steps` runs the numpy twin (benchmarks and tests compare the two; not for
    concurrent use)."""
    global _forced
    _forced = True
    try:
        yield
    finally:
        _forced = False


def beam_steps(E: np.ndarray, K: np.ndarray, H: np.ndarray, F1: np.ndarray, hs: np.ndarray, n: int,
               steps: int, *, F1T: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The beam steps, by the kernel once it is loaded and by the reference until then (the same bits either way).
    A process that has not loaded the kernel rents the reference until it has spent what loading costs, then loads
    it (ski rental: never more than twice the better choice in hindsight); so a one-shot command that sweeps a
    curve in milliseconds does not pay the 0.4 s of loading numba, and a long job soon runs compiled."""
    global _rent
    if _compiled is not None and not _forced:
        return beam_steps_compiled(E, K, H, F1, hs, n, steps, F1T=F1T)
    t0 = time.perf_counter()
    out = beam_steps_reference(E, K, H, F1, hs, n, steps)
    if not _forced:
        _rent += time.perf_counter() - t0
        if _rent >= _LOAD_SECONDS and not _unavailable:
            warm()
    return out
