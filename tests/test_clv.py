"""Tests of segmentation.clv: the summaries on hand-made logs, the BG/NBD and gamma-gamma
likelihoods against numerical integration, the expectations against Monte Carlo simulation
of the model's story, and the errors for data the models cannot use."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from segmentation.clv._fitting import maximise
from segmentation.clv.bgnbd import BGNBD, log_likelihood
from segmentation.clv.gammagamma import GammaGamma
from segmentation.clv.gammagamma import log_likelihood as gg_log_likelihood
from segmentation.clv.summary import (
    CLVDataError,
    CLVFitError,
    calibration_holdout,
    customer_summary,
    historic_value,
)
from segmentation.clv.value import holdout_by_frequency, holdout_errors, predicted_value

PARAMS = {"r": 0.8, "alpha": 6.0, "a": 0.6, "b": 2.5}


def fitted(params=PARAMS) -> BGNBD:
    """A BGNBD holding given parameters (the formulas are tested, not the fit)."""
    model = BGNBD()
    model.params_ = dict(params)
    return model


def log(rows):
    frame = pd.DataFrame(rows, columns=["Customer ID", "Invoice", "InvoiceDate", "Amount"])
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"])
    return frame


# A: two invoices on 1 Jan (one occasion), 8 Jan, 22 Jan split in two invoices, 5 Feb (holdout).
# B: one purchase on 15 Jan. C: first buys in the holdout. A line without customer, one late.
HAND_LOG = log(
    [
        ("A", "1", "2024-01-01 09:00", 10.0),
        ("A", "2", "2024-01-01 17:30", 5.0),
        ("A", "3", "2024-01-08 10:00", 20.0),
        ("A", "4", "2024-01-22 08:00", 10.0),
        ("A", "5", "2024-01-22 15:00", 20.0),
        ("A", "6", "2024-02-05 12:00", 40.0),
        ("B", "7", "2024-01-15 11:00", 12.0),
        ("C", "8", "2024-02-01 11:00", 99.0),
        (None, "9", "2024-01-03 11:00", 50.0),
        ("B", "10", "2024-03-30 11:00", 70.0),
    ]
)


def test_summary_counts_purchase_days_by_hand():
    summary = customer_summary(HAND_LOG, "2024-01-28")
    assert list(summary.index) == ["A", "B"]
    a, b = summary.loc["A"], summary.loc["B"]
    assert (a["x"], a["t_x"], a["T"], a["monetary_value"]) == pytest.approx((2, 3, 27 / 7, 25))
    assert (b["x"], b["t_x"], b["T"], b["monetary_value"]) == pytest.approx((0, 0, 13 / 7, 0))
    days = customer_summary(HAND_LOG, "2024-01-28", time_unit="D")
    assert days.loc["A", "T"] == 27 and days.loc["A", "t_x"] == 21


def test_calibration_holdout_by_hand():
    frame = calibration_holdout(HAND_LOG, "2024-01-28", "2024-02-25")
    assert list(frame.index) == ["A", "B"]  # C first bought in the holdout
    assert frame["x_holdout"].tolist() == [1, 0]  # B's 30 March line is after the end
    assert frame["T_holdout"].tolist() == [4.0, 4.0]
    # The 28 days up to 28 Jan: A bought on 1, 8 and 22 Jan, B on 15 Jan.
    assert frame["x_previous"].tolist() == [3, 1]
    assert frame.loc["A", "x"] == 2


def test_historic_value_nets_cancellations():
    cancellations = log([("A", "C1", "2024-01-09", -8.0), ("B", "C2", "2024-04-01", -2.0)])
    value = historic_value(HAND_LOG, cancellations, as_of="2024-01-31")
    assert value.to_dict() == pytest.approx({"A": 65.0 - 8.0, "B": 12.0})
    assert historic_value(HAND_LOG).to_dict() == pytest.approx({"A": 105, "B": 82, "C": 99})


@pytest.mark.parametrize(
    "call, phrase",
    [
        (lambda: customer_summary(HAND_LOG, "2023-01-01"), "later observation_end"),
        (lambda: customer_summary(HAND_LOG, "2024-01-28", time_unit="M"), "weeks"),
        (lambda: customer_summary(HAND_LOG.drop(columns="Amount"), "2024-02-01"), "'Amount'"),
        (lambda: customer_summary(HAND_LOG, "not a date"), "not a date"),
        (lambda: calibration_holdout(HAND_LOG, "2024-02-01", "2024-01-01"), "not after"),
        (lambda: BGNBD().fit([3], [2.0], [5.0]), "many customers"),
        (lambda: BGNBD().fit([0, 0, 0], [0, 0, 0], [5, 6, 7]), "no customer made a repeat"),
        (lambda: BGNBD().fit([1, 2], [1.0, 2.0], [-5.0, 6.0]), "negative or missing"),
        (lambda: BGNBD().fit([1, 2], [9.0, 2.0], [5.0, 6.0]), "t_x greater than T"),
        (lambda: BGNBD().fit([1.5, 2], [1.0, 2.0], [5.0, 6.0]), "whole numbers"),
        (lambda: BGNBD().fit(pd.DataFrame({"x": [1]})), "no column 't_x'"),
        (lambda: BGNBD().probability_alive(1, 1, 2), "not fitted"),
        (lambda: GammaGamma().fit([0, 3], [0.0, 5.0]), "many customers with repeat"),
        (lambda: GammaGamma().fit([2, 3], [0.0, 5.0]), "positive amounts"),
    ],
)
def test_errors_say_what_to_do(call, phrase):
    with pytest.raises((CLVDataError, CLVFitError), match=phrase):
        call()


def test_fit_that_finds_no_finite_likelihood_says_so():
    with pytest.raises(CLVFitError, match="not finite"):
        maximise(lambda _: np.inf, np.zeros(2), "BG/NBD")


def _individual(x, t_x, T):
    """The likelihood of one customer given lambda and p (the paper's eq. 3)."""

    def likelihood(p, lam):
        value = (1 - p) ** x * lam**x * math.exp(-lam * T)
        if x > 0:
            value += p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * t_x)
        return value

    return likelihood


def _mix(function, params, x, t_x, T):
    """Integrate function(p, lam) times the gamma and beta densities (a second implementation
    of the BG/NBD integrals)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]

    # The densities written out with math (scipy.stats is slow per call in a double integral).
    log_norm = r * math.log(alpha) - math.lgamma(r) - (math.lgamma(a) + math.lgamma(b))
    log_norm += math.lgamma(a + b)

    def integrand(p, lam):
        if lam <= 0 or p <= 0 or p >= 1:
            return 0.0
        log_density = (r - 1) * math.log(lam) - alpha * lam
        log_density += (a - 1) * math.log(p) + (b - 1) * math.log1p(-p)
        return function(p, lam) * math.exp(log_norm + log_density)

    return integrate.dblquad(integrand, 0, np.inf, 0, 1, epsabs=0, epsrel=1e-8)[0]


@pytest.mark.parametrize(
    "params",
    [PARAMS, {"r": 2.0, "alpha": 3.0, "a": 1.7, "b": 0.7}],
)
@pytest.mark.parametrize("x, t_x, T", [(0, 0.0, 30.0), (1, 4.0, 10.0), (4, 20.0, 38.5)])
def test_bgnbd_likelihood_matches_numerical_integration(params, x, t_x, T):
    expected = _mix(_individual(x, t_x, T), params, x, t_x, T)
    assert np.exp(log_likelihood(x, t_x, T, **params)) == pytest.approx(expected, rel=1e-6)


def test_probability_alive_matches_numerical_integration():
    x, t_x, T = 3, 10.0, 40.0

    def alive(p, lam):
        return (1 - p) ** x * lam**x * math.exp(-lam * T)

    expected = _mix(alive, PARAMS, x, t_x, T) / _mix(_individual(x, t_x, T), PARAMS, x, t_x, T)
    assert fitted().probability_alive(x, t_x, T) == pytest.approx(expected, rel=1e-6)


def test_probability_alive_properties():
    model = fitted()
    assert np.all(model.probability_alive([0, 0], [0.0, 0.0], [1.0, 100.0]) == 1.0)
    later_ends = model.probability_alive(2, 10.0, np.linspace(10, 200, 50))
    assert np.all(np.diff(later_ends) < 0)
    later_last = model.probability_alive(2, np.linspace(0, 40, 50), 40.0)
    assert np.all(np.diff(later_last) > 0)
    assert model.probability_alive(3, 40.0, 40.0) < 1  # may have dropped out at the last one
    assert 0 < model.probability_alive(50, 1.0, 10_000.0) < 1e-6  # no overflow


def simulate_counts(params, t, n, rng):
    """X(t) of n new customers by the model's story: purchases at Poisson rate lambda; after
    each one, drop out with probability p, so the count stops at a geometric J."""
    lam = rng.gamma(params["r"], 1 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    return np.minimum(rng.poisson(lam * t), rng.geometric(p))


@pytest.mark.parametrize("t", [1.0, 12.0, 78.0])
def test_expected_purchases_match_simulation(t):
    counts = simulate_counts(PARAMS, t, 400_000, np.random.default_rng(17))
    error = counts.std() / np.sqrt(counts.size)
    # Four standard errors of the simulated mean.
    assert abs(fitted().expected_purchases(t) - counts.mean()) < 4 * error


def test_conditional_expectation_matches_simulation():
    """Draw (lambda, p) from the prior, weight each draw by the customer's likelihood of being
    alive (importance sampling), and simulate its next t periods."""
    rng = np.random.default_rng(7)
    x, t_x, T, t = 2, 30.0, 50.0, 20.0
    n = 1_000_000
    lam = rng.gamma(PARAMS["r"], 1 / PARAMS["alpha"], n)
    p = rng.beta(PARAMS["a"], PARAMS["b"], n)
    alive = (1 - p) ** x * lam**x * np.exp(-lam * T)
    dead = p * (1 - p) ** (x - 1) * lam**x * np.exp(-lam * t_x)
    future = np.minimum(rng.poisson(lam * t), rng.geometric(p))
    estimate = np.sum(alive * future) / np.sum(alive + dead)
    # The self-normalised estimate's standard error, by the delta method.
    w = (alive + dead) / np.sum(alive + dead)
    error = np.sqrt(np.sum(w**2 * (alive / (alive + dead) * future - estimate) ** 2))
    got = fitted().conditional_expected_purchases(t, x, t_x, T)
    assert abs(got - estimate) < 4 * error and error < 0.01 * estimate


def test_conditional_expectation_of_a_new_customer_is_the_unconditional_one():
    model = fitted()
    t = np.array([1.0, 10.0, 52.0])
    assert model.conditional_expected_purchases(t, 0, 0.0, 0.0) == pytest.approx(
        model.expected_purchases(t), rel=1e-10
    )


@pytest.mark.parametrize("x, m", [(1, 20.0), (4, 8.5), (12, 31.0)])
def test_gamma_gamma_likelihood_and_expectation_match_integration(x, m):
    p, q, gamma = 6.0, 3.5, 15.0

    def density(nu):  # the mean of x gamma(p, nu) amounts is gamma(px, nu x)
        return stats.gamma.pdf(m, p * x, scale=1 / (nu * x)) * stats.gamma.pdf(
            nu, q, scale=1 / gamma
        )

    total = integrate.quad(density, 0, np.inf, epsabs=0, epsrel=1e-10)[0]
    mean = integrate.quad(lambda nu: p / nu * density(nu), 0, np.inf, epsabs=0, epsrel=1e-10)[0]
    assert np.exp(gg_log_likelihood(x, m, p, q, gamma)) == pytest.approx(total, rel=1e-7)
    model = GammaGamma()
    model.params_ = {"p": p, "q": q, "gamma": gamma}
    assert model.conditional_expected_average_value(x, m) == pytest.approx(mean / total, rel=1e-7)
    assert model.conditional_expected_average_value(0, 123.0) == pytest.approx(p * gamma / (q - 1))


def test_gamma_gamma_refuses_an_infinite_mean():
    model = GammaGamma()
    model.params_ = {"p": 2.0, "q": 0.9, "gamma": 5.0}
    with pytest.raises(CLVFitError, match="not above 1"):
        model.conditional_expected_average_value(2, 10.0)


def _frame():
    return pd.DataFrame(
        {
            "x": [0, 2, 5, 9, 2],
            "t_x": [0.0, 10.0, 30.0, 39.0, 35.0],
            "T": [40.0, 40.0, 40.0, 40.0, 40.0],
            "monetary_value": [0.0, 20.0, 35.0, 10.0, 40.0],
            "x_holdout": [0, 1, 3, 4, 2],
            "T_holdout": [26.0] * 5,
            "x_previous": [1, 0, 2, 6, 1],
        },
        index=pd.Index(list("abcde"), name="Customer ID"),
    )


def test_predicted_value_without_discount_is_purchases_times_value():
    frame, model = _frame(), fitted()
    spend = GammaGamma()
    spend.params_ = {"p": 6.0, "q": 3.5, "gamma": 15.0}
    plain = predicted_value(model, spend, frame, horizon=26, discount_rate=0.0)
    purchases = model.conditional_expected_purchases(26, frame["x"], frame["t_x"], frame["T"])
    average = spend.conditional_expected_average_value(frame["x"], frame["monetary_value"])
    assert plain["predicted_value"].to_numpy() == pytest.approx(purchases * average, rel=1e-9)
    discounted = predicted_value(model, spend, frame, horizon=26, discount_rate=0.2)
    ratio = discounted["predicted_value"] / plain["predicted_value"]
    # Each period is discounted by between 1 and the last period's factor.
    assert np.all((ratio < 1) & (ratio > 1.2 ** (-26 / 52)))
    with pytest.raises(CLVDataError, match="yearly rate"):
        predicted_value(model, spend, frame, horizon=26, discount_rate=5)


def test_holdout_tables_by_hand():
    frame, model = _frame(), fitted()
    table = holdout_by_frequency(model, frame, max_x=5)
    assert table.index.tolist() == [0, 2, 5]  # 9 purchases join the "5 or more" row
    assert table["customers"].tolist() == [1, 2, 2]
    assert table["actual"].tolist() == [0.0, 1.5, 3.5]
    assert table["naive"].tolist() == [1.0, 0.5, 4.0]
    errors = holdout_errors(model, frame)
    assert errors.loc["naive", "MAE"] == pytest.approx((1 + 1 + 1 + 2 + 1) / 5)
    assert errors.loc["actual", "total"] == 10 and errors.loc["actual", "MAE"] == 0


def test_fit_from_a_summary_frame_equals_fit_from_arrays():
    rng = np.random.default_rng(3)
    T = rng.uniform(20, 60, 300)
    x = np.minimum(rng.poisson(rng.gamma(1.0, 0.1, 300) * T), rng.geometric(0.3, 300))
    t_x = np.where(x > 0, T * rng.uniform(0.2, 1.0, 300), 0.0)
    m = np.where(x > 0, rng.gamma(4.0, 5.0, 300), 0.0)
    frame = pd.DataFrame({"x": x, "t_x": t_x, "T": T, "monetary_value": m})
    from_frame, from_arrays = BGNBD().fit(frame), BGNBD().fit(x, t_x, T)
    assert from_frame.params_ == pytest.approx(from_arrays.params_, rel=1e-9)
    assert from_frame.n_customers_ == 300 and from_frame.converged_
    # The maximum beats the likelihood at nearby parameters.
    nearby = {k: v * 1.05 for k, v in from_frame.params_.items()}
    assert from_frame.loglik_ > log_likelihood(x, t_x, T, **nearby).sum()
    spend = GammaGamma().fit(frame)
    assert spend.n_customers_ == int((x > 0).sum())
    assert spend.params_ == pytest.approx(GammaGamma().fit(x, m).params_, rel=1e-9)
    predicted = spend.predict(frame)
    assert predicted.index.equals(frame.index) and np.all(predicted > 0)


def test_fit_warns_when_a_parameter_runs_away():
    """Nobody ever drops out (pure Poisson buying): a and b grow without bound."""
    rng = np.random.default_rng(4)
    T = rng.uniform(20, 60, 2000)
    x = rng.poisson(0.1 * T)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), 1), 0.0)
    with pytest.warns(UserWarning, match="edge of the search"):
        BGNBD().fit(x, t_x, T)
