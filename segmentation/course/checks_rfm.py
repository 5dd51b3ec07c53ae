"""The checks of notebook 8's exercises: one customer's recency, frequency and monetary value
worked by hand from their invoices, and the named segment of an RFM code read off the grid.
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from segmentation.course import answers
from segmentation.course.answers import AnswerFormError, Feedback, checked

#: Exercise 8.1: the customer whose invoices the notebook lists, and the reference date.
RFM_CUSTOMER = "10136"
RFM_AS_OF = "2026-01-01"

#: Exercise 8.2: the RFM code of a customer (R 3, F 2, M 5).
RFM_CODE = "325"

_RFM_NAMES = ("recency", "frequency", "monetary")
_RFM_KEYS = {
    "r": "recency",
    "recency": "recency",
    "f": "frequency",
    "frequency": "frequency",
    "m": "monetary",
    "monetary": "monetary",
    "monetary value": "monetary",
}
_THREE = "three numbers: recency (days), frequency (invoices) and monetary (m.u.)"


@cache
def _invoices() -> pd.DataFrame:
    """The exercise customer's purchase and cancellation invoices, one row each (date and
    amount), read straight from the cleaned shipped log with pandas."""
    from segmentation.transactions.cleaning import clean_transactions
    from segmentation.transactions.shipped import load_transactions

    clean = clean_transactions(load_transactions("wholesale"))
    frames = []
    for frame, cancelled in ((clean.purchases, False), (clean.cancellations, True)):
        mine = frame[frame["Customer ID"] == RFM_CUSTOMER]
        per_invoice = mine.groupby("Invoice").agg(
            date=("InvoiceDate", "min"), amount=("Amount", "sum")
        )
        frames.append(per_invoice.assign(cancellation=cancelled))
    return pd.concat(frames).sort_values("date")


def _truth() -> dict[str, float]:
    """Recency, frequency and monetary of :data:`RFM_CUSTOMER` as of :data:`RFM_AS_OF`, and
    the values of the usual slips."""
    invoices = _invoices()
    bought = invoices[~invoices["cancellation"]]
    as_of = pd.Timestamp(RFM_AS_OF)
    last_any = invoices["date"].max().normalize()
    return {
        "recency": float((as_of - bought["date"].max().normalize()).days),
        # as_of minus the purchase's clock time: 60 days 04:33, whose .days is one short
        "recency_clock": float((as_of - bought["date"].max()).days),
        "frequency": float(len(bought)),
        "monetary": round(float(invoices["amount"].sum()), 2),
        "gross": round(float(bought["amount"].sum()), 2),
        "recency_any": float((as_of - last_any).days),
        "invoices_all": float(len(invoices)),
    }


def _split_text(answer: Any) -> Any:
    """Three numbers written as one text ("61, 4, 45447.8", "61 4 45447.8", "[61; 4; 45,447.8]")
    as a list of three texts; any other answer as it is. A comma followed by a digit is left
    alone (45,447.8 groups thousands), unless the text has no spaces at all ("61,4,45447.8")."""
    if not isinstance(answer, str):
        return answer
    text = answer.strip().strip("[]()").strip()
    parts = re.split(r",?\s+|;", text) if re.search(r"[\s;]", text) else text.split(",")
    parts = [p.strip(",") for p in parts if p.strip(",")]
    if len(parts) == 3 and all(answers.one_number(p) is not None for p in parts):
        return parts
    return answer


def _three_numbers(answer: Any) -> np.ndarray:
    """Recency, frequency and monetary from three numbers in order (list, tuple, array,
    Series, a one-row table or a text of three numbers) or from a dict or Series labelled by
    name or by R, F, M."""
    answer = _split_text(answer)
    if isinstance(answer, (pd.Series, np.ndarray)) and np.asarray(answer).dtype == bool:
        raise AnswerFormError(f"that is a True/False value per row; answer with {_THREE}.")
    if isinstance(answer, pd.DataFrame):
        if len(answer) != 1:
            raise AnswerFormError(f"answer with {_THREE}, not {answers.kind(answer)}.")
        answer = answer.iloc[0]
    labelled = None
    if isinstance(answer, dict):
        labelled = answer
    elif isinstance(answer, pd.Series) and all(isinstance(k, str) for k in answer.index):
        labelled = answer.to_dict()
    if labelled is not None:
        keys = {_RFM_KEYS.get(answers.normalised(str(k))): v for k, v in labelled.items()}
        if set(keys) != set(_RFM_NAMES) or len(labelled) != 3:
            raise AnswerFormError(
                f"label the three values recency, frequency and monetary (or R, F, M); got "
                f"{', '.join(map(str, list(labelled)[:4]))}."
            )
        answer = [keys[name] for name in _RFM_NAMES]
    return answers.as_array(answer, (3,), _THREE)


@checked
def check_rfm_by_hand(answer: Any) -> Feedback:
    """Exercise 8.1: (recency, frequency, monetary) of :data:`RFM_CUSTOMER` as of
    :data:`RFM_AS_OF`: whole days, distinct purchase invoices, net spending (to the nearest
    m.u. or closer).

    Three numbers in order (list, tuple, array, Series, or one text such as "61, 4, 45447.8"),
    or labelled (a dict or Series with the keys recency/frequency/monetary or R/F/M); each
    slip is named: the right values in another order, scores 1-5 instead of values, and the
    usual slips of each value.
    """
    values = _three_numbers(answer)
    truth = _truth()
    if (message := _form_slip(values, truth)) is not None:
        return answers.wrong(message)
    recency, frequency, monetary = values
    problems = []
    if recency != truth["recency"]:
        problems.append(_recency_slip(recency, truth))
    if frequency != truth["frequency"]:
        problems.append(_frequency_slip(frequency, truth))
    if not answers.within_rounding(monetary, truth["monetary"], decimals=0):
        problems.append(_monetary_slip(monetary, truth))
    if problems:
        return answers.wrong("; ".join(problems) + ".")
    return answers.right(
        f"Last purchase {truth['recency']:.0f} days before {RFM_AS_OF}, "
        f"{truth['frequency']:.0f} purchase invoices, and {truth['monetary']:,.2f} m.u. "
        "net: the purchases minus the cancellation."
    )


def _is_right(values: np.ndarray | tuple, truth: dict[str, float]) -> bool:
    recency, frequency, monetary = values
    return (
        recency == truth["recency"]
        and frequency == truth["frequency"]
        and answers.within_rounding(monetary, truth["monetary"], decimals=0)
    )


def _form_slip(values: np.ndarray, truth: dict[str, float]) -> str | None:
    """The message for right values in another order, or for scores given instead of
    values; None for any other answer."""
    if _is_right(values, truth):
        return None
    if any(_is_right(order, truth) for order in itertools.permutations(values)):
        return (
            "those are the right three values in another order: give recency (days), "
            "frequency (invoices) and monetary (m.u.), in that order (R, F, M)."
        )
    if all(v in (1, 2, 3, 4, 5) for v in values):
        return (
            "those look like scores from 1 to 5; the task asks for the values themselves: "
            "recency in days, frequency in invoices and monetary in m.u."
        )
    return None


def _recency_slip(given: float, truth: dict[str, float]) -> str:
    causes = []
    if given == truth["recency_any"]:
        causes.append("counting from the cancellation (not a purchase)")
    if given == truth["recency_clock"]:
        causes.append(
            "subtracting clock times (.days drops the hours left after an evening purchase)"
        )
    if causes:
        return (
            f"recency {given:g} comes from {' or from '.join(causes)}: count calendar days "
            f"from the date of the last purchase to {RFM_AS_OF}"
        )
    if given == truth["recency"] - 1:
        return "recency is one day short: count the days up to the reference date itself"
    if given == truth["recency"] + 1:
        return "recency is one day too many: 2025-12-31 is 1 day before 2026-01-01"
    return "recency is off: the whole days from the last purchase day to 2026-01-01"


def _frequency_slip(given: float, truth: dict[str, float]) -> str:
    if given == truth["invoices_all"]:
        return "frequency counts purchase invoices only, not the cancellation (C...)"
    return "frequency is off: count the distinct purchase invoices"


def _monetary_slip(given: float, truth: dict[str, float]) -> str:
    if answers.within_rounding(given, truth["gross"], decimals=0):
        return "monetary is net spending: subtract the cancelled amount"
    if answers.within_rounding(given, truth["monetary"] / truth["frequency"], decimals=0):
        return "monetary is the total net spending, not the mean per invoice"
    if given == np.trunc(truth["monetary"]):
        return (
            "monetary has its cents cut off, not rounded: round to the nearest m.u. (.5 and "
            "more rounds up), or give the cents"
        )
    return "monetary is off: add the purchase invoices and the (negative) cancellation"


def _segment_name(answer: Any) -> str:
    """The segment an answer names, in any letter case and with any apostrophe; a
    one-value list, array or Series is read as its value."""
    from segmentation.rfm.scores import SEGMENT_ORDER

    if isinstance(answer, (list, tuple, np.ndarray, pd.Series, pd.Index, pd.Categorical)):
        values = answers.leaves(list(answer))
        if len(values) == 1:
            answer = values[0]
    if not isinstance(answer, str):
        raise AnswerFormError(
            f'answer with one segment name, such as "Champions"; got {answers.kind(answer)}.'
        )
    text = answers.normalised(answer.strip().strip('.!"').replace("’", "'"))
    for name in SEGMENT_ORDER:
        if text in (answers.normalised(name), answers.normalised(name.replace("'", ""))):
            return name
    raise AnswerFormError(
        f"{answers.kind(answer)} is not one of the eleven segment names: copy one from the "
        "sizes table or the segment map."
    )


@checked
def check_segment_of_code(answer: Any) -> Feedback:
    """Exercise 8.2: the named segment of a customer with the RFM code :data:`RFM_CODE`.

    The name in any letter case (with or without the apostrophe of "Can't lose them"), or
    a one-value list or Series; the typical slips (F instead of FM, FM rounded down, R and
    FM swapped) are named.
    """
    from segmentation.rfm.scores import SEGMENT_GRID

    given = _segment_name(answer)
    r, f, m = (int(c) for c in RFM_CODE)
    fm = int(np.floor((f + m) / 2 + 0.5))
    expected = SEGMENT_GRID[(r, fm)]
    if given == expected:
        return answers.right(
            f"R = {r}, FM = ({f} + {m}) / 2 = {(f + m) / 2:g}, rounded half up to {fm}: "
            f"the cell R{r}, FM{fm} of the grid is {expected}."
        )
    slips = {
        SEGMENT_GRID[(r, (f + m) // 2)]: "FM is the mean of F and M rounded half UP",
        SEGMENT_GRID[(r, f)]: "the grid's second axis is FM, the mean of F and M, not F alone",
        SEGMENT_GRID[(fm, r)]: "R is the map's horizontal axis and FM its vertical one, not "
        "the reverse",
    }
    slips.pop(expected, None)
    hint = slips.get(
        given, "find the cell of R (horizontal axis) and FM (vertical axis) on the segment map"
    )
    return answers.wrong(f"{hint} (the code is R, F, M in that order).")
