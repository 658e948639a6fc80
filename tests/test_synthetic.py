"""osca_core.data.synthetic: the seeded generative model behaves as documented (reproducible, OSCA-style names, a
50/50 split, temperature trading pass@1 for diversity, complementary model specialties per topic), and the
specialist instances are the trap they claim to be."""

from __future__ import annotations

import numpy as np
import pytest

from osca_core.data.synthetic import config_grid, demo_matrix, scale_rates, specialist_rates
from osca_core.errors import InputError
from osca_core.model.estimators import pass_at_k
from osca_core.model.outcomes import parse_config_name
from osca_core.optimize.curve import exhaustive, optimize_curve


def test_same_seed_same_matrix_other_seed_other_matrix():
    a, b, c = demo_matrix(seed=5), demo_matrix(seed=5), demo_matrix(seed=6)
    assert a.checksum == b.checksum and np.array_equal(a.c, b.c) and np.array_equal(a.train, b.train)
    assert a.checksum != c.checksum


def test_defaults_shape_flags_and_split():
    m = demo_matrix()
    assert m.shape == (200, 12) and m.name == "demo-synthetic"
    assert m.synthetic and m.source == "synthetic"
    assert (m.n == 20).all() and ((m.c >= 0) & (m.c <= m.n)).all()
    assert m.train.sum() == 100 and m.test.sum() == 100 and not (m.train & m.test).any()
    assert set(m.question_attrs) == {"topic", "difficulty"}
    assert set(m.question_attrs["topic"]) == {f"topic-{t}" for t in range(4)}
    assert demo_matrix(name="other", questions=31, configs=3, samples=7).shape == (31, 3)


def test_configuration_names_follow_the_osca_pattern():
    m = demo_matrix(configs=30)
    names = m.config_names
    assert len(set(names)) == 30
    assert names[:3] == ("alpha_0.2", "beta_0.2", "gamma_0.2")
    assert any(x.endswith("_cot") for x in names)
    for info in m.configs:
        again = parse_config_name(info.name)
        assert info.model in {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}
        assert info.temperature in {0.2, 0.5, 0.8, 1.1, 1.4} and again.temperature == info.temperature
        assert info.variant in {"", "cot"}
    # beyond the 24 greek letters, names stay unique
    grid = config_grid(300)
    assert len({g[3] for g in grid}) == 300 and any(g[3].startswith("alpha2_") for g in grid)


def test_temperature_trades_pass_at_1_for_diversity():
    m = demo_matrix(seed=1, questions=3000, configs=10, samples=20)  # two models x five temperatures
    n, c = m.n, m.c
    by = {(i.model, i.temperature): j for j, i in enumerate(m.configs)}
    for model in ("alpha", "beta"):
        cold, hot = by[(model, 0.2)], by[(model, 1.4)]
        p1 = [pass_at_k(n[:, j], c[:, j], 1).mean() for j in (cold, hot)]
        p20 = [pass_at_k(n[:, j], c[:, j], 20).mean() for j in (cold, hot)]
        assert p1[0] > p1[1] + 0.02  # colder: better single sample
        assert p20[1] > p20[0] + 0.02  # hotter: more distinct successes over 20 samples


def test_models_have_complementary_specialties():
    m = demo_matrix(seed=2, questions=4000, configs=12, clusters=4)
    topics = np.array(m.question_attrs["topic"])
    rate = m.c / m.n
    models = sorted({i.model for i in m.configs})
    best = set()
    for t in sorted(set(topics)):
        per_model = [rate[topics == t][:, [j for j, i in enumerate(m.configs) if i.model == mo]].mean()
                     for mo in models]
        best.add(models[int(np.argmax(per_model))])
    assert len(best) >= 2  # no single model is best on every topic


def test_bad_arguments_are_input_errors():
    for kw in ({"questions": 1}, {"configs": 0}, {"samples": 0}, {"clusters": 0}):
        with pytest.raises(InputError):
            demo_matrix(**kw)


def test_specialist_rates_shape_range_and_exact_zeros():
    p = specialist_rates(seed=3, clusters=4, per_cluster=3, generalists=2)
    assert p.shape == (12, 6)
    assert ((p >= 0) & (p <= 1)).all() and (p == 0).any()
    assert np.array_equal(p, specialist_rates(seed=3, clusters=4, per_cluster=3, generalists=2))


@pytest.mark.parametrize(("clusters", "generalist"), [(2, (0.5, 0.6)), (3, (0.45, 0.5)), (4, (0.35, 0.4))])
def test_specialist_instances_trap_single_sample_moves(clusters, generalist):
    """A generalist better than any specialist alone (p_g > p_spec / K) but worse K times over than one sample
    per specialist: greedy plus single-sample moves stops at the generalist; the default optimizer does not."""
    p = specialist_rates(seed=clusters, clusters=clusters, per_cluster=2, generalist=generalist,
                         specialist=(0.93, 0.97), leak=0.0, noise=0.0)
    k_opt, best = exhaustive(p, clusters)
    specialists = [j for j in range(p.shape[1]) if (p[:, j] == 0).any()]
    assert sorted(np.flatnonzero(k_opt).tolist()) == sorted(specialists)
    assert optimize_curve(p, [clusters], beam=1, max_move=1)[0].objective < best - 0.01
    assert optimize_curve(p, [clusters])[0].objective == pytest.approx(best, abs=1e-12)


def test_scale_rates_are_float32_count_fractions_reproducible_and_hotter_means_more_diverse():
    p = scale_rates(seed=3, questions=4000, configs=10, samples=20, chunk=512)
    assert p.dtype == np.float32 and p.shape == (4000, 10)
    assert np.array_equal(p, scale_rates(seed=3, questions=4000, configs=10, samples=20, chunk=512))
    assert not np.array_equal(p, scale_rates(seed=4, questions=4000, configs=10, samples=20, chunk=512))
    counts = p.astype(float) * 20
    assert np.allclose(counts, np.round(counts), atol=1e-4) and p.min() >= 0 and p.max() <= 1
    by = {(g[0], g[2]): j for j, g in enumerate(config_grid(10))}  # (model, temperature) -> column
    for model in (0, 1, 2):
        cold, hot = p[:, by[(model, 0.2)]], p[:, by[(model, 1.4)]]
        assert (hot > 0).mean() > (cold > 0).mean() + 0.02  # hotter: more questions solved at least once
        assert (cold == 1).mean() > (hot == 1).mean()  # colder: sharper, more questions always solved
    with pytest.raises(InputError):
        scale_rates(questions=0)
