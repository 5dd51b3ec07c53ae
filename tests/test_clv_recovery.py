"""Parameter recovery: populations simulated here, by the models' own stories (not by the
course's generator), are fitted, and the estimates must land near the truth.

Tolerances: each parameter within its relative tolerance of the truth, and the truth inside
the 99.9% likelihood-ratio confidence region of the fit (2 (LL_max - LL_true) below the
chi-square quantile with as many degrees of freedom as parameters). Measured over six seeds on
20,000 customers: BG/NBD errors up to 7% (b), gamma-gamma up to 1.5% for q but 16% for p and
gamma, which trade off along a ridge (their ratio sets the typical spend; the data pins it far
better than either). The tolerances are about twice the largest error seen.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from segmentation.clv.bgnbd import BGNBD
from segmentation.clv.gammagamma import GammaGamma
from segmentation.clv.gammagamma import log_likelihood as gg_log_likelihood

TRUE_BGNBD = {"r": 0.8, "alpha": 6.0, "a": 0.6, "b": 2.5}
BGNBD_TOLERANCE = {"r": 0.15, "alpha": 0.15, "a": 0.15, "b": 0.15}
TRUE_GG = {"p": 6.0, "q": 3.5, "gamma": 15.0}
GG_TOLERANCE = {"p": 0.3, "q": 0.05, "gamma": 0.3}


def simulate_bgnbd(params, n, rng):
    """(x, t_x, T) of n customers observed for 26 to 78 weeks after their first purchase.

    While active a customer buys at Poisson rate lambda; after each purchase they drop out with
    probability p, so they make J ~ geometric(p) purchases at most: x = min(N(T), J). Given
    N(T) = N purchases in (0, T], their times are N uniform points, so the x-th one is T times
    a beta(x, N - x + 1) draw.
    """
    lam = rng.gamma(params["r"], 1 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    T = rng.uniform(26, 78, n)
    N = rng.poisson(lam * T)
    x = np.minimum(N, rng.geometric(p))
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(N - x + 1, 1)), 0.0)
    return x, t_x, T


def simulate_gamma_gamma(params, n, rng):
    """(x, mean value) of n repeat customers: nu ~ gamma(q, gamma); each of x purchases is
    worth gamma(p, nu), so their mean is gamma(p x, nu x)."""
    x = 1 + rng.poisson(3.0, n)
    nu = rng.gamma(params["q"], 1 / params["gamma"], n)
    return x, rng.gamma(params["p"] * x, 1 / (nu * x))


def assert_recovered(fitted, truth, tolerance, loglik_true, loglik_max):
    for name, value in truth.items():
        assert fitted[name] == pytest.approx(value, rel=tolerance[name]), name
    assert 2 * (loglik_max - loglik_true) < stats.chi2.ppf(0.999, df=len(truth))


def test_bgnbd_recovers_simulated_parameters():
    x, t_x, T = simulate_bgnbd(TRUE_BGNBD, 20_000, np.random.default_rng(2005))
    model = BGNBD().fit(x, t_x, T)
    assert model.converged_
    truth = BGNBD()
    truth.params_ = TRUE_BGNBD
    loglik_true = truth.log_likelihood(x, t_x, T).sum()
    assert_recovered(model.params_, TRUE_BGNBD, BGNBD_TOLERANCE, loglik_true, model.loglik_)
    # The fitted model also predicts the population's purchase counts.
    assert model.expected_purchases(52.0) == pytest.approx(truth.expected_purchases(52.0), rel=0.05)


def test_gamma_gamma_recovers_simulated_parameters():
    x, m = simulate_gamma_gamma(TRUE_GG, 20_000, np.random.default_rng(2013))
    model = GammaGamma().fit(x, m)
    assert model.converged_ and model.n_customers_ == 20_000
    loglik_true = gg_log_likelihood(x, m, **TRUE_GG).sum()
    # The typical spend p * gamma / (q - 1) is pinned down much better than p or gamma.
    mean = model.population_mean_value()
    assert mean == pytest.approx(6.0 * 15.0 / 2.5, rel=0.03)
    assert_recovered(model.params_, TRUE_GG, GG_TOLERANCE, loglik_true, model.loglik_)
