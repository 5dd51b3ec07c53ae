"""The BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005, "Counting your customers
the easy way: an alternative to the Pareto/NBD model", Marketing Science 24(2), 275-284).

The story, for each customer:

- while active, they buy at their own rate lambda (a Poisson process); the rates of the
  customers follow a gamma distribution with shape ``r`` and rate ``alpha``;
- after each purchase they drop out for good with their own probability p; the p of the
  customers follow a beta distribution with parameters ``a`` and ``b``.

:class:`BGNBD` fits (r, alpha, a, b) by maximum likelihood from each customer's (x, t_x, T)
(see :mod:`segmentation.clv.summary`) and answers the paper's questions: how many purchases a
new customer makes in t periods (eq. 9), how many a customer with a given history makes in the
next t periods (eq. 10), and the probability that they are still active (eq. 11).

For context only: on the CDNOW data (2,357 customers, weeks) the paper reports r = 0.243,
alpha = 4.414, a = 0.793, b = 2.426.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln, hyp2f1

from segmentation.clv._fitting import compressed, maximise, summary_columns
from segmentation.clv.summary import CLVDataError, CLVFitError

PARAMETER_NAMES: tuple[str, ...] = ("r", "alpha", "a", "b")


def log_likelihood(x, t_x, T, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """Each customer's BG/NBD log-likelihood (the paper's eq. 6, in logs).

    L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x)).
    The two terms are added in logs (``logaddexp``) so that long histories do not underflow;
    the second term is absent when x is 0 (no purchase after which to have dropped out).
    """
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    counts, where = np.unique(x, return_inverse=True)
    return _grouped_log_likelihood(counts, where.reshape(x.shape), t_x, T, r, alpha, a, b)


def _grouped_log_likelihood(
    counts: np.ndarray, where: np.ndarray, t_x: np.ndarray, T: np.ndarray, *params: float
) -> np.ndarray:
    """:func:`log_likelihood` with x given as its distinct values ``counts`` and each
    customer's place among them: the gamma functions of x are computed once per value."""
    r, alpha, a, b = params
    repeat = counts > 0
    # b + x - 1 is negative for x = 0 when b < 1: evaluate with x = 1 there, then drop.
    safe = np.where(repeat, counts, 1.0)
    common = gammaln(r + counts) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    active = (common + betaln(a, b + counts))[where] - (r + counts)[where] * np.log(alpha + T)
    dropped = np.where(repeat, common + betaln(a + 1, b + safe - 1), -np.inf)[where]
    dropped = dropped - (r + counts)[where] * np.log(alpha + t_x)
    return np.logaddexp(active, dropped)


def _check_summary(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
    if x.size < 2:
        raise CLVDataError(
            "the BG/NBD model needs many customers (hundreds at least) and got "
            f"{x.size}: fit it on the whole customer base."
        )
    if np.any(x != np.round(x)):
        raise CLVDataError("x must count repeat purchases (whole numbers 0, 1, 2, ...).")
    if np.any(t_x > T):
        raise CLVDataError(
            "some customers have t_x greater than T (a last purchase after the end of the "
            "observation): build the summary with customer_summary."
        )
    if not np.any(x > 0):
        raise CLVDataError(
            "no customer made a repeat purchase, so the model cannot learn how often "
            "customers buy: use a longer calibration period."
        )
    if np.all(T == 0):
        raise CLVDataError(
            "every customer was observed for no time at all (T = 0): choose an "
            "observation_end after the first purchases."
        )


class BGNBD:
    """The BG/NBD model, fitted by maximum likelihood.

    Attributes (after :meth:`fit`): ``params_`` (dict r, alpha, a, b), ``r_``, ``alpha_``,
    ``a_``, ``b_``, ``loglik_`` (the maximum total log-likelihood), ``converged_``,
    ``n_customers_``.

    Example
    -------
    Eight customers (a real fit wants thousands): repeat purchases x, the week of the last one
    t_x, and the weeks observed T.

    >>> model = BGNBD().fit(
    ...     [0, 1, 2, 0, 3, 1, 5, 0], [0, 3, 10, 0, 20, 2, 30, 0], [30, 30, 30, 25, 35, 40, 32, 28]
    ... )
    >>> round(float(model.probability_alive(x=1, t_x=2, T=40)), 2)
    0.11
    """

    def fit(self, summary, t_x=None, T=None) -> BGNBD:
        """Fit (r, alpha, a, b) to a summary frame (columns x, t_x, T) or to x, t_x, T arrays.

        The search runs over the logs of the four parameters, so each stays positive. It starts
        at r = a = b = 1 and alpha such that the mean rate r/alpha matches the customers'
        repeat purchases per unit of time.
        """
        args = () if t_x is None and T is None else (t_x, T)
        x, t_x, T = summary_columns(summary, ("x", "t_x", "T"), args)
        _check_summary(x, t_x, T)
        (ux, ut, uT), weights = compressed(x, t_x, T)
        counts, where = np.unique(ux, return_inverse=True)
        rate = x.sum() / max(T.sum(), 1e-9)
        start = np.log([1.0, 1.0 / max(rate, 1e-6), 1.0, 1.0])

        def negative(log_params: np.ndarray) -> float:
            loglik = _grouped_log_likelihood(counts, where, ut, uT, *np.exp(log_params))
            value = -float(np.sum(weights * loglik))
            return value if np.isfinite(value) else np.inf

        params, self.loglik_, self.converged_ = maximise(negative, start, "BG/NBD")
        self.params_ = dict(zip(PARAMETER_NAMES, (float(p) for p in params), strict=True))
        self.r_, self.alpha_, self.a_, self.b_ = params.tolist()
        self.n_customers_ = int(x.size)
        if np.any(np.abs(np.log(params)) > 14):
            warnings.warn(
                f"a BG/NBD parameter ran to the edge of the search ({self._described()}): the "
                "data cannot pin it down; use more customers or a longer period.",
                stacklevel=2,
            )
        return self

    def _described(self) -> str:
        return ", ".join(f"{k} = {v:.4g}" for k, v in self._fitted().items())

    def _fitted(self) -> dict[str, float]:
        if not hasattr(self, "params_"):
            raise CLVFitError("this BGNBD is not fitted yet: call fit(summary) first.")
        return self.params_

    def __repr__(self) -> str:
        return f"BGNBD({self._described()})" if hasattr(self, "params_") else "BGNBD()"

    def log_likelihood(self, x, t_x, T) -> np.ndarray:
        """Each customer's log-likelihood under the fitted parameters."""
        return log_likelihood(x, t_x, T, **self._fitted())

    def expected_purchases(self, t) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a new customer in t periods (eq. 9)."""
        r, alpha, a, b = self._fitted().values()
        t = np.asarray(t, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            hyp = hyp2f1(r, b, a + b - 1, t / (alpha + t))
            return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)

    def conditional_expected_purchases(self, t, x, t_x, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next t periods of a customer with
        that history (eq. 10). Broadcasts over all arguments."""
        r, alpha, a, b = self._fitted().values()
        t, x, t_x, T = (np.asarray(v, dtype=float) for v in (t, x, t_x, T))
        with np.errstate(divide="ignore", invalid="ignore"):
            hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
            future = (
                (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
            )
        return future * self.probability_alive(x, t_x, T)

    def probability_alive(self, x, t_x, T) -> np.ndarray:
        """P(active | x, t_x, T) (eq. 11); exactly 1 when x is 0 (in this model a customer can
        only drop out right after a repeat purchase)."""
        r, alpha, a, b = self._fitted().values()
        x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
        x_safe = np.where(x > 0, x, 1.0)
        # In logs: ((alpha+T)/(alpha+t_x))^(r+x) overflows for long-silent customers.
        log_odds = (
            np.log(a) - np.log(b + x_safe - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
        return np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700.0))), 1.0)

    def predict(self, summary: pd.DataFrame, t: float) -> pd.Series:
        """Expected purchases in the next ``t`` periods of each customer of a summary frame."""
        x, t_x, T = summary_columns(summary, ("x", "t_x", "T"), ())
        values = self.conditional_expected_purchases(t, x, t_x, T)
        return pd.Series(values, index=summary.index, name="predicted_purchases")
