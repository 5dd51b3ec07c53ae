"""The CLV models fitted to the course's own simulated logs, end to end: the generator's log,
cleaned, summarised by purchase days, fitted by maximum likelihood, gives back the parameters
it was generated with (the generator and the models are written independently)."""

import numpy as np
import pytest

from segmentation import (
    BGNBD,
    GammaGamma,
    TransactionParams,
    clean_transactions,
    customer_summary,
    simulate_transactions,
)

#: Stated tolerance: each BG/NBD parameter within 15% of the truth. The fit of 20,000
#: customers moves by a few percent from seed to seed, and counting purchase days (not the
#: generator's minutes) merges the rare two purchases of one day.
TOLERANCE = 0.15


@pytest.fixture(scope="module")
def simulated():
    params = TransactionParams(seasonality=0.0)  # the exact BG/NBD process
    simulated = simulate_transactions(20_000, seed=11, params=params)
    clean = clean_transactions(simulated.log)
    summary = customer_summary(clean.purchases, observation_end="2025-12-31")
    return params, simulated, summary


def test_bgnbd_recovers_the_generators_purchase_parameters(simulated):
    params, _, summary = simulated
    model = BGNBD().fit(summary)
    fitted = {name: getattr(model, f"{name}_") for name in ("r", "alpha", "a", "b")}
    for name, value in fitted.items():
        truth = getattr(params, name)
        assert abs(value / truth - 1) <= TOLERANCE, (name, value, truth)
    # and the population mean rate r / alpha (purchases per week) closer still
    assert fitted["r"] / fitted["alpha"] == pytest.approx(params.r / params.alpha, rel=0.05)


def test_every_simulated_customer_is_summarised(simulated):
    _, log, summary = simulated
    assert len(summary) == log.truth["Customer ID"].nunique() == 20_000
    assert (summary["x"] >= 0).all() and (summary["t_x"] <= summary["T"]).all()


def test_gamma_gamma_recovers_the_mean_order_value(simulated):
    params, _, summary = simulated
    model = GammaGamma().fit(summary)
    fitted_mean = model.p_ * model.gamma_ / (model.q_ - 1)
    true_mean = params.p_spend * params.gamma / (params.q - 1)
    # orders become whole quantities at catalogue prices, so values move a little: 5%
    assert fitted_mean == pytest.approx(true_mean, rel=0.05)
    assert np.isfinite([model.p_, model.q_, model.gamma_]).all()
