"""The checks of notebook 10's exercises: a population stability index worked by hand from
given bin shares, and the retraining policy with the lowest stated cost on the simulated year.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from segmentation.course import answers
from segmentation.course.answers import AnswerFormError, Feedback, checked

#: Exercise 10.1: the share of the reference customers and of a new batch in each of four bins.
PSI_REFERENCE_SHARES = (0.25, 0.25, 0.25, 0.25)
PSI_BATCH_SHARES = (0.10, 0.20, 0.30, 0.40)

#: Exercise 10.2: the cost of a policy over the year is POLICY_COST["J"] per unit of mean J
#: ratio above 1, plus POLICY_COST["churn"] per unit of mean churn, plus POLICY_COST["refit"]
#: per refit: one point per percent of fit lost, one per percent of customers moved each month,
#: one per refit.
POLICY_COST = {"J": 100.0, "churn": 100.0, "refit": 1.0}

_PSI = "one number: the PSI, rounded to 3 decimals"

#: Each policy's name as a student may write it, normalised (see answers.normalised).
_POLICY_NAMES = {
    "never": "never",
    "never retrain": "never",
    "no retraining": "never",
    "monthly": "monthly",
    "every month": "monthly",
    "retrain every month": "monthly",
    "quarterly": "quarterly",
    "every quarter": "quarterly",
    "every 3 months": "quarterly",
    "every three months": "quarterly",
    "retrain every quarter": "quarterly",
    "incremental": "incremental",
    "incrementally": "incremental",
    "update incrementally": "incremental",
    "on alarm": "on_alarm",
    "onalarm": "on_alarm",
    "retrain on alarm": "on_alarm",
    "when a monitor fires": "on_alarm",
}

#: Names that are not a policy of the table, and what each is instead.
_NOT_POLICIES = {
    "partial fit": "partial_fit is the method the incremental policy calls",
    "partial fit()": "partial_fit is the method the incremental policy calls",
    "minibatchkmeans": "MiniBatchKMeans is scikit-learn's incremental k-means, not a policy",
}


def _rounded(value: float, decimals: int) -> Decimal:
    """``value`` as written (its shortest repr) rounded half up to ``decimals`` places, as
    by hand: 0.2285 gives 0.229, where ``round`` sees the binary 0.22849999... and gives
    0.228."""
    unit = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(unit, rounding=ROUND_HALF_UP)


def _rounds_to(given: float, exact: float, decimals: int) -> bool:
    """True when ``given`` rounds to what ``exact`` rounds to at ``decimals`` places: the
    exact value and every value that rounds to the asked answer (0.2275 to 0.2284999 for
    0.228), not a neighbour (0.2286 rounds to 0.229)."""
    if not abs(given - exact) < 1:  # far off (or huge, which Decimal cannot quantize)
        return False
    return _rounded(given, decimals) == _rounded(exact, decimals)


def _psi_parts() -> dict[str, float]:
    """The right PSI of the given shares, and what the usual slips give."""
    r, c = np.array(PSI_REFERENCE_SHARES), np.array(PSI_BATCH_SHARES)
    return {
        "right": float((c - r) @ np.log(c / r)),
        "log10": float((c - r) @ np.log10(c / r)),
        "batch half": float(c @ np.log(c / r)),
        "reference half": float(r @ np.log(r / c)),
        "logs only": float(np.log(c / r).sum()),
    }


@checked
def check_psi_by_hand(answer: Any) -> Feedback:
    """Exercise 10.1: the PSI of :data:`PSI_BATCH_SHARES` against
    :data:`PSI_REFERENCE_SHARES`, sum over bins of (c - r) ln(c / r), rounded to 3 decimals.

    A number, a numeric text ("0.228") or a one-value list, array or Series, that rounds to
    0.228 at 3 decimals (so the exact 0.22823... too); the usual slips are named: the sign
    turned, log10 for the natural log, one half of the sum only, the logs without the
    weights, 2 decimals, a value that rounds to a neighbour, a percentage.
    """
    given = answers.single_number(answer, _PSI, ": add the four terms up")
    parts = _psi_parts()
    right = parts["right"]
    if _rounds_to(given, right, decimals=3):
        return answers.right(
            f"PSI = {right:.3f}: above {0.1} and at most {0.25}, a moderate shift by the "
            "usual reading; the monitor, which fires above 0.25, stays quiet."
        )
    if _rounds_to(-given, right, decimals=3):
        return answers.wrong(
            "the sign is turned: each term is (c − r) × ln(c / r), batch minus reference in "
            "both, so that every term is positive or 0."
        )
    if given == round(given, 2) and answers.within_rounding(given, right, decimals=2):
        return answers.wrong("nearly: round to 3 decimals, not 2.")
    if given != round(given, 3) and abs(given - right) < 10.0**-3:
        return answers.wrong(
            f"nearly, but {given:g} rounds to {_rounded(given, 3)} at 3 decimals: keep every "
            "decimal of the four terms and round only their sum."
        )
    if answers.within_rounding(given / 100, right, decimals=3):
        return answers.wrong("a PSI is a plain number, not a percentage: do not multiply by 100.")
    slips = {
        "log10": "that uses log10; PSI uses the natural log, np.log",
        "batch half": "that is the sum of c × ln(c / r) only; the terms are (c − r) × ln(c / r)",
        "reference half": (
            "that is the sum of r × ln(r / c) only; the terms are (c − r) × ln(c / r)"
        ),
        "logs only": "that adds the logs alone; weigh each ln(c / r) by (c − r)",
    }
    for name, message in slips.items():
        if answers.within_rounding(given, parts[name], decimals=3):
            return answers.wrong(message + ".")
    return answers.wrong(
        "for each bin take (c − r) × ln(c / r), with r the reference's share and c the "
        "batch's, and add the four terms; round to 3 decimals."
    )


@cache
def _policy_costs() -> pd.DataFrame:
    """The policies' table on the notebook's stream (``simulate_stream()``, seed 0) with the
    three parts of :data:`POLICY_COST` and their sum, in the table's order."""
    from segmentation.monitor.policies import compare_policies
    from segmentation.monitor.stream import simulate_stream

    table = compare_policies(simulate_stream()).set_index("policy")
    parts = pd.DataFrame(
        {
            "fit": POLICY_COST["J"] * (table["mean_J_ratio"] - 1),
            "churn": POLICY_COST["churn"] * table["mean_churn"],
            "refits": POLICY_COST["refit"] * table["refits"],
        }
    )
    return parts.assign(cost=parts.sum(axis=1))


def _policy_name(answer: Any) -> str:
    """The policy an answer names, in any letter case; a one-value list, array, Index or
    Series is read as its value."""
    if (
        isinstance(answer, pd.Series)
        and len(answer) > 1
        and not pd.api.types.is_numeric_dtype(answer.index)
    ):
        raise AnswerFormError(
            "that is one value per policy; answer with the name of the cheapest, e.g. "
            "costs.idxmin()."
        )
    extension = isinstance(answer, pd.api.extensions.ExtensionArray)
    values = answers.leaves(list(answer) if extension else answer)
    if len(values) != 1 or not isinstance(values[0], str):
        raise AnswerFormError(
            f'answer with one policy\'s name, such as "never"; got {answers.kind(answer)}.'
        )
    name = answers.normalised(values[0].strip(" .!\"'`"))
    if name in _NOT_POLICIES:
        raise AnswerFormError(
            f"{_NOT_POLICIES[name]}; answer with a policy's name as in the table: never, "
            "monthly, quarterly, incremental or on_alarm."
        )
    policy = _POLICY_NAMES.get(name)
    if policy is None:
        raise AnswerFormError(
            f"{answers.kind(values[0])} is not one of the five policies: never, monthly, "
            "quarterly, incremental or on_alarm."
        )
    return policy


@checked
def check_cheapest_policy(answer: Any) -> Feedback:
    """Exercise 10.2: the policy of the notebook's table with the lowest cost by
    :data:`POLICY_COST`. A name in any letter case ("incremental", "On alarm", "on_alarm",
    "every month", ...), or a one-value list, array, Index or Series."""
    given = _policy_name(answer)
    costs = _policy_costs()
    best = str(costs["cost"].idxmin())

    def cost(name: str) -> str:
        row = costs.loc[name]
        return (
            f"{name} costs {row['fit']:.1f} + {row['churn']:.1f} + {row['refits']:.0f} = "
            f"{row['cost']:.1f}"
        )

    if given == best:
        runner_up = costs["cost"].drop(best).idxmin()
        return answers.right(f"{cost(best)}; the next cheapest, {cost(runner_up)}.")
    return answers.wrong(
        f"{cost(given)} (fit + churn + refits); work out the cost of every policy and take "
        "the smallest."
    )
