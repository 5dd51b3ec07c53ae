"""The gamma-gamma model of the value of a purchase (Fader, Hardie & Lee 2005, "RFM and CLV:
using iso-value curves for customer base analysis", Journal of Marketing Research 42(4); and
Fader & Hardie 2013, "The gamma-gamma model of monetary value").

The story: each purchase of a customer is worth a gamma(p, nu) amount; nu varies across
customers as a gamma(q, gamma). Given a customer's x repeat purchases with mean value m, the
best guess of their long-run mean value is a weighted average of the population mean
p*gamma/(q-1) and their own m, with more weight on m the more purchases they made.

The model ASSUMES that the value of a customer's purchases does not depend on how often they
buy. Check it before using the model: the correlation between ``x`` and ``monetary_value``
over customers with x > 0 should be close to 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaln

from segmentation.clv._fitting import compressed, maximise, summary_columns
from segmentation.clv.summary import CLVDataError, CLVFitError


def log_likelihood(x, mean_value, p: float, q: float, gamma: float) -> np.ndarray:
    """Each customer's gamma-gamma log-likelihood of their mean value m over x purchases:

    f(m | x) = G(px+q) / (G(px) G(q)) * gamma^q * m^(px-1) * x^(px) / (gamma + m x)^(px+q).
    """
    x, m = np.asarray(x, dtype=float), np.asarray(mean_value, dtype=float)
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + m * x)
    )


class GammaGamma:
    """The gamma-gamma model, fitted by maximum likelihood on customers with x > 0.

    Attributes (after :meth:`fit`): ``params_`` (dict p, q, gamma), ``p_``, ``q_``, ``gamma_``,
    ``loglik_``, ``converged_``, ``n_customers_`` (the repeat customers it was fitted on).
    """

    def fit(self, summary, mean_value=None) -> GammaGamma:
        """Fit (p, q, gamma) to a summary frame (columns x, monetary_value) or to x and
        mean_value arrays. Customers with x = 0 are left out (they have no repeat purchase)."""
        args = () if mean_value is None else (mean_value,)
        x, m = summary_columns(summary, ("x", "monetary_value"), args)
        repeat = x > 0
        if np.any(repeat & (m <= 0)):
            raise CLVDataError(
                "some customers with repeat purchases have a mean value of 0 or less: the "
                "gamma-gamma model needs positive amounts (use the cleaned purchases)."
            )
        if repeat.sum() < 2:
            raise CLVDataError(
                f"the gamma-gamma model needs many customers with repeat purchases and got "
                f"{int(repeat.sum())}: use a longer period or more customers."
            )
        (ux, um), counts = compressed(x[repeat], m[repeat])
        # Start from the moments: one purchase has mean p/nu; take p = 1 and q = 2, so the
        # population mean p*gamma/(q-1) equals the observed mean.
        start = np.log([1.0, 2.0, float(np.mean(m[repeat]))])

        def negative(log_params: np.ndarray) -> float:
            value = -float(np.sum(counts * log_likelihood(ux, um, *np.exp(log_params))))
            return value if np.isfinite(value) else np.inf

        params, self.loglik_, self.converged_ = maximise(negative, start, "gamma-gamma")
        self.params_ = dict(zip(("p", "q", "gamma"), (float(v) for v in params), strict=True))
        self.p_, self.q_, self.gamma_ = params.tolist()
        self.n_customers_ = int(repeat.sum())
        return self

    def _fitted(self) -> dict[str, float]:
        if not hasattr(self, "params_"):
            raise CLVFitError("this GammaGamma is not fitted yet: call fit(summary) first.")
        if self.params_["q"] <= 1:
            raise CLVFitError(
                f"the fitted q = {self.params_['q']:.3g} is not above 1, so the mean value of "
                "a purchase is infinite: the amounts have a very heavy tail; look for "
                "outliers (bulk orders) and set them aside."
            )
        return self.params_

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return "GammaGamma()"
        return "GammaGamma(" + ", ".join(f"{k} = {v:.4g}" for k, v in self.params_.items()) + ")"

    def population_mean_value(self) -> float:
        """The mean value of a purchase over all customers, p*gamma/(q-1)."""
        p, q, gamma = self._fitted().values()
        return p * gamma / (q - 1)

    def conditional_expected_average_value(self, x, mean_value) -> np.ndarray:
        """E[value of a purchase | x, m] = (p (gamma + m x)) / (p x + q - 1): the population
        mean for a customer with x = 0, moving towards their own mean m as x grows."""
        p, q, gamma = self._fitted().values()
        x, m = np.asarray(x, dtype=float), np.asarray(mean_value, dtype=float)
        m = np.where(x > 0, m, 0.0)
        return p * (gamma + m * x) / (p * x + q - 1)

    def predict(self, summary: pd.DataFrame) -> pd.Series:
        """The expected value of a future purchase of each customer of a summary frame."""
        x, m = summary_columns(summary, ("x", "monetary_value"), ())
        values = self.conditional_expected_average_value(x, m)
        return pd.Series(values, index=summary.index, name="expected_average_value")
