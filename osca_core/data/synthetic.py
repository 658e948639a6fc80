"""Synthetic outcome matrices: a documented, seeded generative model (offline demos, scale benchmarks, tests).

``demo_matrix`` draws an OSCA-like log. Questions fall into topic clusters and vary in difficulty; sampling
configurations ``<model>_<temperature>[_cot]`` belong to models with different base strengths and complementary
specialties (each topic has a home model that is strong there and weaker elsewhere; the ``cot`` variant shifts
those specialties per topic). For question q in topic t(q) and configuration s = (model m, variant v,
temperature T):

    l_qs = a_m + spec[m, t(q)] + var[m, v, t(q)] + e_qm + u_qs - d_q        (logit ability minus difficulty)
    p_qs = sigmoid(kappa(T) l_qs - 0.4 T),   kappa(T) = 2.2 / (1 + 1.5 T)

with a_m ~ N(0, 0.5^2) (base strength), spec = +1.2 on the home topics of m and -0.6 elsewhere plus N(0, 0.3^2),
var = 0 for the plain variant and N(0.15, 0.5^2) for ``cot``, e_qm ~ N(0, 0.8^2) (question-model affinity, shared
by a model's configurations), u_qs ~ N(0, 0.35^2), d_q ~ N(1.0, 1.5^2). Low temperature sharpens p toward 0 or 1
(high pass@1 on what the configuration can solve, little diversity); high temperature flattens it (lower pass@1,
but hard questions get a chance: pass@k keeps rising with k). Counts are c_qs ~ Binomial(samples, p_qs); a
seeded random half of the questions is the training split, the rest the test split.

``scale_rates`` draws the training pass rates c/n of the same model for very large cases (10^5 questions x 10^3
configurations) in chunks of questions, as float32 with int32 counts per chunk, so no (Q, S) float64 or int64
array is ever built (the scale benchmark's input; the OutcomeMatrix of ``demo_matrix`` would hold 2 x 8 bytes per
cell).

``specialist_rates`` builds small pass-rate matrices with complementary specialists, the instances on which
moving one sample at a time gets stuck (tests of the optimizer).
"""

from __future__ import annotations

import numpy as np

from osca_core.errors import InputError
from osca_core.model.outcomes import OutcomeMatrix, parse_config_name

_GREEK = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
          "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega")
# a model's configurations in the order they are handed out: temperatures spread first, then the cot variant
_SLOTS = tuple((v, t) for v in ("", "cot") for t in (0.2, 0.8, 1.4, 0.5, 1.1))


def config_grid(configs: int) -> list[tuple[int, str, float, str]]:
    """(model index, variant, temperature, name) of ``configs`` configurations: handed out round-robin over
    M = max(2, ceil(configs / 10), round(sqrt(configs))) models, each with up to 10 (variant, temperature) slots."""
    m = max(2, -(-configs // len(_SLOTS)), round(configs**0.5))
    out = []
    for i in range(configs):
        model, (variant, temp) = i % m, _SLOTS[i // m]
        base = _GREEK[model % len(_GREEK)] + (str(model // len(_GREEK) + 1) if model >= len(_GREEK) else "")
        out.append((model, variant, temp, f"{base}_{temp:g}" + (f"_{variant}" if variant else "")))
    return out


def scale_rates(*, seed: int = 0, questions: int = 100_000, configs: int = 1000, samples: int = 20,
                clusters: int = 4, chunk: int = 4096) -> np.ndarray:
    """Training pass rates c/n (float32, shape (questions, configs)) of the generative model of the module
    docstring, drawn ``chunk`` questions at a time (counts c ~ Binomial(samples, p) as int32 per chunk): the
    scale benchmark's input. Same seed, same rates; not the same draws as ``demo_matrix`` (no split: every
    question is a training question). Memory: 4 bytes per cell plus one chunk's float64 temporaries."""
    if questions < 1 or configs < 1 or samples < 1 or clusters < 1 or chunk < 1:
        raise InputError(f"scale: need questions, configs, samples, clusters, chunk >= 1 "
                         f"(got {questions}, {configs}, {samples}, {clusters}, {chunk})")
    rng = np.random.default_rng(seed)
    grid = config_grid(configs)
    n_models = max(g[0] for g in grid) + 1
    strength = rng.normal(0.0, 0.5, size=n_models)
    home = rng.permutation(max(clusters, n_models))[:clusters] % n_models
    spec = np.where(np.arange(n_models)[:, None] == home[None, :], 1.2, -0.6)
    spec = spec + rng.normal(0.0, 0.3, size=(n_models, clusters))
    cot = rng.normal(0.15, 0.5, size=(n_models, clusters))
    model = np.array([g[0] for g in grid])
    is_cot = np.array([g[1] == "cot" for g in grid])
    temp = np.array([g[2] for g in grid])
    kappa = (2.2 / (1.0 + 1.5 * temp))[None, :]
    base = strength[model][None, :]
    out = np.empty((questions, configs), np.float32)
    for lo in range(0, questions, chunk):
        q = min(chunk, questions - lo)
        topic = rng.integers(0, clusters, size=q)
        difficulty = rng.normal(1.0, 1.5, size=q)
        affinity = rng.normal(0.0, 0.8, size=(q, n_models))
        logit = (base + spec[model][:, topic].T + np.where(is_cot[None, :], cot[model][:, topic].T, 0.0)
                 + affinity[:, model] + rng.normal(0.0, 0.35, size=(q, configs)) - difficulty[:, None])
        p = 0.5 * (1.0 + np.tanh(0.5 * (logit * kappa - 0.4 * temp[None, :])))
        c = rng.binomial(samples, p).astype(np.int32)
        out[lo : lo + q] = c / samples
    return out


def store_demo(store, *, name: str = "demo-synthetic", replace: bool = False, surface: str = "cli",
               **kwargs) -> object:
    """Store :func:`demo_matrix` (``kwargs``: seed, questions, configs) as dataset ``name``, under the rule of
    imports: an existing dataset of that name is replaced only with ``replace`` (else the one refusal,
    :func:`osca_core.data.store.refuse_existing`, with ``surface``'s hint). Returns the stored DatasetInfo."""
    from osca_core.data.store import refuse_existing

    m = demo_matrix(**kwargs)  # its own refusals (too few questions) first
    if not replace:
        refuse_existing(name, {d.name for d in store.list_datasets()}, surface=surface)
    return store.save_matrix(m, name=name, replace=replace)


def demo_matrix(*, seed: int = 0, questions: int = 200, configs: int = 12, samples: int = 20, clusters: int = 4,
                name: str = "demo-synthetic") -> OutcomeMatrix:
    """A synthetic OSCA log from the generative model of the module docstring (same seed, same matrix).

    ``questions`` >= 2 (half train, half test), 1 <= ``configs`` <= 10 * number of models, ``samples`` >= 1
    per cell, ``clusters`` >= 1 topics. Marked ``synthetic=True``, ``source="synthetic"``; question attributes
    ``topic`` and ``difficulty``.
    """
    if questions < 2 or configs < 1 or samples < 1 or clusters < 1:
        raise InputError(f"demo: need questions >= 2, configs >= 1, samples >= 1, clusters >= 1 "
                         f"(got {questions}, {configs}, {samples}, {clusters})")
    rng = np.random.default_rng(seed)
    grid = config_grid(configs)
    n_models = max(g[0] for g in grid) + 1
    topic = rng.integers(0, clusters, size=questions)
    difficulty = rng.normal(1.0, 1.5, size=questions)
    strength = rng.normal(0.0, 0.5, size=n_models)
    home = rng.permutation(max(clusters, n_models))[:clusters] % n_models  # home model of each topic
    spec = np.where(np.arange(n_models)[:, None] == home[None, :], 1.2, -0.6)
    spec = spec + rng.normal(0.0, 0.3, size=(n_models, clusters))
    cot = rng.normal(0.15, 0.5, size=(n_models, clusters))
    affinity = rng.normal(0.0, 0.8, size=(questions, n_models))
    model = np.array([g[0] for g in grid])
    is_cot = np.array([g[1] == "cot" for g in grid])
    temp = np.array([g[2] for g in grid])
    logit = (strength[model][None, :] + spec[model][:, topic].T + np.where(is_cot[None, :], cot[model][:, topic].T, 0.0)
             + affinity[:, model] + rng.normal(0.0, 0.35, size=(questions, configs)) - difficulty[:, None])
    z = logit * (2.2 / (1.0 + 1.5 * temp))[None, :] - 0.4 * temp[None, :]
    p = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid without overflow warnings
    c = rng.binomial(samples, p)
    train = np.zeros(questions, bool)
    train[rng.permutation(questions)[: questions // 2]] = True
    return OutcomeMatrix(
        name=name,
        question_ids=tuple(f"syn-{i:05d}" for i in range(questions)),
        configs=tuple(parse_config_name(g[3]) for g in grid),
        n=np.full((questions, configs), samples, dtype=np.int64), c=c.astype(np.int64),
        train=train, test=~train, source="synthetic", synthetic=True,
        question_attrs={"topic": tuple(f"topic-{t}" for t in topic),
                        "difficulty": tuple(round(float(d), 3) for d in difficulty)},
    )


def specialist_rates(*, seed: int = 0, clusters: int = 3, per_cluster: int = 2, generalists: int = 1,
                     specialist: tuple[float, float] = (0.8, 0.99), generalist: tuple[float, float] = (0.3, 0.6),
                     leak: float = 0.1, noise: float = 0.05) -> np.ndarray:
    """Pass rates (clusters * per_cluster, generalists + clusters) with complementary specialists.

    Each cluster has one specialist (p ~ U(specialist) on its questions, on the others 0 or U(0, leak) with
    probability 1/2 each); generalists have p ~ U(generalist) everywhere; every entry gets N(0, noise^2) jitter,
    clipped to [0, 1]; columns are shuffled. With strong specialists the best allocation of C = clusters samples
    is one per specialist, while greedy picks generalists and no single-sample move away from them helps.
    """
    rng = np.random.default_rng(seed)
    q = clusters * per_cluster
    p = np.zeros((q, generalists + clusters))
    for g in range(generalists):
        p[:, g] = rng.uniform(*generalist) + rng.normal(0.0, noise, q)
    for j in range(clusters):
        mine = np.zeros(q, bool)
        mine[j * per_cluster : (j + 1) * per_cluster] = True
        col = np.where(rng.random(q) < 0.5, 0.0, rng.uniform(0.0, leak, q))
        col[mine] = rng.uniform(*specialist) + rng.normal(0.0, noise, per_cluster)
        p[:, generalists + j] = col
    return np.clip(p, 0.0, 1.0)[:, rng.permutation(p.shape[1])]
