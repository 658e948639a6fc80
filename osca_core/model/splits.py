"""Random train/test splits, the estimation budget C0 and bans on mixing: the trials an experiment runs on.

A :class:`Setting` says how strategies are trained and scored (see ``osca_core.analysis.experiments`` for the full
description): random splits (``train_fraction`` F, ``splits`` R, ``seed``; split r shuffles the union of the log's
train and test questions with ``numpy.random.default_rng([seed, r])`` and puts round(F * Q) of them, at least one
and at most Q - 1, in training), the estimation budget ``c0`` = M (the correct count among M of the n logged
samples drawn hypergeometrically with ``default_rng([seed, r, 1])``; M = n gives c exactly) and ``bans``
(``multi-model``, ``multi-temperature``, ``multi-variant``, ``multi-prompt``: configurations grouped by the banned
attributes, an allocation stays within one group; ``prompt`` is the configuration attribute that framework logs
give). :func:`trials` turns a setting into its R trials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.errors import InputError
from osca_core.model.outcomes import OutcomeMatrix

BANS = ("multi-model", "multi-temperature", "multi-variant", "multi-prompt")
_BAN_ATTR = {"multi-model": "model", "multi-temperature": "temperature", "multi-variant": "variant",
             "multi-prompt": "prompt"}  # prompt: the configuration attribute (framework logs' solver plan)
# -- settings and trials ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    """How strategies are trained and scored (see the module docstring). Invalid values raise InputError."""

    train_fraction: float | None = None
    splits: int = 1
    seed: int = 0
    c0: int | None = None
    bans: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        f = self.train_fraction
        if f is not None and not (0.0 < float(f) < 1.0):
            raise InputError(f"--train-fraction must lie strictly between 0 and 1 (got {f})")
        if int(self.splits) < 1:
            raise InputError(f"--splits must be at least 1 (got {self.splits})")
        if int(self.seed) < 0:
            raise InputError(f"--seed must be >= 0 (got {self.seed})")
        if self.c0 is not None and int(self.c0) < 1:
            raise InputError(f"--c0 must be at least 1 (got {self.c0})")
        bad = [b for b in self.bans if b not in BANS]
        if bad:
            raise InputError(f"--ban: unknown ban {bad[0]!r} (use {', '.join(BANS)})")
        if self.splits > 1 and f is None and self.c0 is None:
            raise InputError("--splits above 1 needs --train-fraction or --c0 (otherwise every split is the same)")
        object.__setattr__(self, "bans", tuple(sorted(set(self.bans), key=BANS.index)))

    @property
    def label(self) -> str:
        parts = [f"train fraction {self.train_fraction:g}, {self.splits} split(s), seed {self.seed}"
                 if self.train_fraction is not None else "release split"]
        if self.c0 is not None:
            parts.append(f"C0 = {self.c0}")
        if self.bans:
            parts.append("ban " + "+".join(self.bans))
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {"train_fraction": self.train_fraction, "splits": self.splits, "seed": self.seed,
                "c0": self.c0, "ban": list(self.bans)}


@dataclass(frozen=True, eq=False)
class Trial:
    """Split r of a setting: ``full`` holds the split and all counts (used for test scores); ``est`` the same split
    with the counts strategies learn from (subsampled to C0 per cell, else ``full`` itself)."""

    index: int
    full: OutcomeMatrix
    est: OutcomeMatrix


def split_masks(matrix: OutcomeMatrix, *, train_fraction: float, splits: int, seed: int
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """R random (train, test) masks over the union of the log's train and test questions (disjoint parts)."""
    pool = np.flatnonzero(matrix.train | matrix.test)
    if pool.size < 2:
        raise InputError(f"{matrix.name}: random splits need at least two questions")
    n_train = min(max(int(round(train_fraction * pool.size)), 1), pool.size - 1)
    out = []
    for r in range(splits):
        perm = np.random.default_rng([seed, r]).permutation(pool)
        train = np.zeros(len(matrix.question_ids), dtype=bool)
        test = np.zeros_like(train)
        train[perm[:n_train]] = True
        test[perm[n_train:]] = True
        out.append((train, test))
    return out


def subsample_counts(n: np.ndarray, c: np.ndarray, c0: int, *, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(M, c') per cell with c' ~ Hypergeometric(good=c, bad=n-c, draws=M): M of the n logged samples, drawn
    without replacement. Requires M <= n everywhere; with M = n, c' = c exactly."""
    n, c = np.asarray(n, np.int64), np.asarray(c, np.int64)
    draws = rng.hypergeometric(c, n - c, c0)
    return np.full_like(n, c0), np.where(n == c0, c, draws)


def check_c0(matrix: OutcomeMatrix, c0: int) -> None:
    """M larger than the samples drawn in some cell is an error naming the configuration."""
    nmin = matrix.n.min(axis=0)
    j = int(np.argmin(nmin))
    if c0 > nmin[j]:
        raise InputError(f"--c0 {c0} exceeds the samples drawn per question (n = {int(nmin[j])} for "
                         f"configuration {matrix.config_names[j]!r} in {matrix.name})")


def trials(matrix: OutcomeMatrix, setting: Setting) -> list[Trial]:
    """The R trials of a setting (same seed, same trials)."""
    if setting.c0 is not None:
        check_c0(matrix, setting.c0)
    if setting.train_fraction is None:
        masks = [(matrix.train, matrix.test)] * setting.splits
    else:
        masks = split_masks(matrix, train_fraction=setting.train_fraction, splits=setting.splits,
                            seed=setting.seed)
    out = []
    for r, (train, test) in enumerate(masks):
        full = matrix if setting.train_fraction is None else matrix.with_split(train, test)
        est = full
        if setting.c0 is not None:
            rng = np.random.default_rng([setting.seed, r, 1])
            est = full.with_counts(*subsample_counts(full.n, full.c, setting.c0, rng=rng))
        out.append(Trial(r, full, est))
    return out


def _ban_value(k, attr: str):
    """A configuration's value of a banned attribute: its field (model, temperature, variant), else its
    attribute (``prompt``; a configuration without it is in the group of those without it)."""
    return getattr(k, attr) if attr in ("model", "temperature", "variant") else k.attrs.get(attr)


def ban_groups(matrix: OutcomeMatrix, bans: Sequence[str]) -> list[tuple[int, ...]]:
    """Configuration indices grouped by the banned attributes (one group, all of them, without bans)."""
    groups: dict[tuple, list[int]] = {}
    for j, k in enumerate(matrix.configs):
        groups.setdefault(tuple(_ban_value(k, _BAN_ATTR[b]) for b in bans), []).append(j)
    return [tuple(g) for g in groups.values()]


def obeys_bans(matrix: OutcomeMatrix, counts: Sequence[int], bans: Sequence[str]) -> bool:
    """True when the configurations with k > 0 all lie in one group of :func:`ban_groups`."""
    used = {j for j, k in enumerate(counts) if k > 0}
    return any(used <= set(g) for g in ban_groups(matrix, bans))
