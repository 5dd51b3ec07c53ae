"""Notebook 8's exercise checks, by table: right answers in each natural form, typical wrong
answers, odd inputs, and the message each gets.

Oracles: exercise 8.1's recency, frequency and monetary are worked by hand from the
customer's invoices (listed in the notebook and asserted here): last purchase 2025-11-01, so
29 + 31 + 1 = 61 days to 2026-01-01; 4 purchase invoices; 11,875.00 + 11,383.20 + 13,541.60
+ 17,296.00 - 8,648.00 = 45,447.80 m.u. net. The library's rfm_table, a second path, must
agree. Exercise 8.2's segment is read off the grid by hand: code 325 has FM = (2 + 5) / 2 =
3.5, rounded half up to 4, and the cell R 3, FM 4 of the course's grid is Loyal customers.
"""

import numpy as np
import pandas as pd
import pytest

from segmentation.course import RFM_AS_OF, RFM_CODE, RFM_CUSTOMER
from segmentation.course.answers import CANNOT_READ
from segmentation.course.checks_rfm import _invoices, check_rfm_by_hand, check_segment_of_code

RIGHT = "✅ Right."
WRONG = "❌ Not yet:"
UNANSWERED = "… Not answered yet:"

RECENCY, FREQUENCY, MONETARY = 61, 4, 45447.8
GROSS = 54095.8  # the four purchase invoices without the cancellation


def shown(feedback):
    return repr(feedback)


def test_the_exercise_customer_is_as_worked_by_hand():
    assert (RFM_CUSTOMER, RFM_AS_OF, RFM_CODE) == ("10136", "2026-01-01", "325")
    invoices = _invoices()
    assert invoices.index.tolist() == ["495882", "505451", "511022", "516475", "C516482"]
    assert invoices["amount"].round(2).tolist() == [11875.0, 11383.2, 13541.6, 17296.0, -8648.0]
    assert invoices["date"].dt.strftime("%Y-%m-%d").tolist()[-2:] == ["2025-11-01", "2025-11-02"]


def test_the_library_agrees_with_the_hand_worked_values():
    from segmentation import clean_transactions, load_transactions, rfm_table

    rfm = rfm_table(clean_transactions(load_transactions("wholesale")), as_of=RFM_AS_OF)
    row = rfm.loc[RFM_CUSTOMER]
    assert (row["recency"], row["frequency"]) == (RECENCY, FREQUENCY)
    assert row["monetary"] == pytest.approx(MONETARY, abs=0.005)
    assert check_rfm_by_hand(row[["recency", "frequency", "monetary"]])
    assert check_rfm_by_hand(rfm.loc[[RFM_CUSTOMER]])


# --------------------------------------------------------------------------------------------
# Exercise 8.1: recency, frequency and monetary of customer 10136
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        [61, 4, 45447.8],
        (61, 4, 45447.80),
        [61, 4, 45448],  # to the nearest m.u.
        [61.0, 4.0, 45447.5],
        np.array([61, 4, 45447.8]),
        pd.Series([61, 4, 45447.8]),
        ["61", "4", "45447.80"],
        ["61", "4", "45,447.80"],
        [[61, 4, 45447.8]],
        "61, 4, 45447.8",  # one text of three numbers
        "61 4 45447.8",
        "61,4,45447.8",
        "[61; 4; 45,447.80]",
        {"recency": 61, "frequency": 4, "monetary": 45447.8},
        {"R": 61, "F": 4, "M": 45447.8},
        {"m": 45447.8, "r": 61, "f": 4},  # any order when labelled
        pd.Series({"recency": 61, "frequency": 4, "monetary": 45447.8}),
        pd.DataFrame({"recency": [61], "frequency": [4], "monetary": [45447.8]}),
    ],
    ids=repr,
)
def test_rfm_right_in_every_form(answer):
    feedback = check_rfm_by_hand(answer)
    assert shown(feedback).startswith(RIGHT), shown(feedback)
    assert "61 days" in feedback.message and "45,447.80 m.u." in feedback.message


@pytest.mark.parametrize(
    "answer, phrases",
    [
        # 60 days: from the cancellation, or from the purchase's clock time (60 days 04:33)
        ([60, 4, MONETARY], ["from the cancellation", "clock times", "calendar days"]),
        ([62, 4, MONETARY], ["one day too many"]),
        ([30, 4, MONETARY], ["recency is off"]),
        ([RECENCY, 5, MONETARY], ["not the cancellation (C...)"]),
        ([RECENCY, 34, MONETARY], ["count the distinct purchase invoices"]),
        ([RECENCY, 4, GROSS], ["subtract the cancelled amount"]),
        ([RECENCY, 4, MONETARY / 4], ["not the mean per invoice"]),
        ([RECENCY, 4, 45000], ["monetary is off"]),
        ([RECENCY, 4, 45446], ["monetary is off"]),  # 1.8 m.u. short: not a rounding
        ([RECENCY, 4, 45447], ["cents cut off, not rounded"]),  # truncated, not rounded
        ([62, 4, 45447], ["one day too many", "cents cut off"]),
        ([60, 5, GROSS], ["from the cancellation", "not the cancellation", "subtract"]),
        ([MONETARY, 4, RECENCY], ["in another order", "R, F, M"]),  # order swapped
        ([FREQUENCY, RECENCY, MONETARY], ["in another order", "R, F, M"]),
        ("4, 61, 45447.8", ["in another order"]),
        ([2, 1, 3], ["look like scores from 1 to 5"]),  # scores, not values
        ([5, 4, 5], ["look like scores from 1 to 5"]),
    ],
    ids=repr,
)
def test_rfm_wrong_answers_get_what_went_wrong(answer, phrases):
    feedback = check_rfm_by_hand(answer)
    assert shown(feedback).startswith(WRONG), shown(feedback)
    for phrase in phrases:
        assert phrase in feedback.message, feedback.message


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (None, "your answer is None"),
        ({"a": 1, "b": 2, "c": 3}, "label the three values"),
        ({"recency": 61, "frequency": 4}, "label the three values"),
        (pd.DataFrame({"recency": [61, 62], "frequency": [4, 4]}), "not a table of 2 rows"),
        (pd.Series([True, False, True]), "True/False value per row"),
        ("sixty-one days, four invoices", "got str"),
        ("61, 4", "got str"),
        (61, "got 1 value"),
        ([61, 4], "got 2 values"),
        ([61, 4, 45447.8, 0], "got 4 values"),
        ([61, 4, "lots"], "every value must be a number"),
        (["61", "4", "45447,80"], "decimal comma"),
        (True, "three numbers"),
    ],
    ids=repr,
)
def test_rfm_odd_inputs_get_a_sentence(answer, phrase):
    feedback = check_rfm_by_hand(answer)
    assert shown(feedback).startswith(WRONG), shown(feedback)
    assert phrase in feedback.message and CANNOT_READ not in feedback.message, feedback.message


def test_rfm_unanswered():
    assert shown(check_rfm_by_hand(...)).startswith(UNANSWERED)


# --------------------------------------------------------------------------------------------
# Exercise 8.2: the segment of RFM code 325
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "Loyal customers",
        "loyal customers",
        "LOYAL CUSTOMERS",
        " Loyal customers. ",
        "loyal_customers",
        "Loyal-customers",
        ["Loyal customers"],
        ("Loyal customers",),
        np.array(["Loyal customers"]),
        pd.Series(["Loyal customers"]),
        pd.Categorical(["Loyal customers"]),
    ],
    ids=repr,
)
def test_segment_right_in_every_form(answer):
    feedback = check_segment_of_code(answer)
    assert shown(feedback).startswith(RIGHT), shown(feedback)
    assert "rounded half up to 4" in feedback.message
    assert feedback.message.endswith("is Loyal customers.")


def test_segment_right_from_the_library_grid():
    from segmentation import SEGMENT_GRID, rfm_segments

    assert check_segment_of_code(SEGMENT_GRID[(3, 4)])
    # the library's own scoring of a customer whose scores are R 3, F 2, M 5
    scores = pd.DataFrame({"R": [3], "F": [2], "M": [5]})
    scores["FM"] = (scores["F"] + scores["M"] + 1) // 2
    assert check_segment_of_code(rfm_segments(scores))


@pytest.mark.parametrize(
    "answer, phrase",
    [
        ("Need attention", "rounded half UP"),  # FM rounded down to 3
        ("About to sleep", "not F alone"),  # F = 2 as the second axis
        ("Potential loyalists", "not the reverse"),  # R and FM swapped: R 4, FM 3
        ("Champions", "find the cell of R"),
        ("Can't lose them", "find the cell of R"),
        ("cant lose them", "find the cell of R"),
        ("Can’t lose them", "find the cell of R"),
    ],
    ids=repr,
)
def test_segment_wrong_answers_get_what_went_wrong(answer, phrase):
    feedback = check_segment_of_code(answer)
    assert shown(feedback).startswith(WRONG), shown(feedback)
    assert phrase in feedback.message and "R, F, M in that order" in feedback.message


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (None, "your answer is None"),
        ({"segment": "Loyal customers"}, "got dict"),
        (pd.DataFrame({"segment": ["Loyal customers", "Lost"]}), "got a table of 2 rows"),
        (pd.Series([True, False]), "got Series of 2 values"),
        ("the loyal ones, I think", "not one of the eleven segment names"),
        (4, "got int 4"),
        (["Loyal customers", "Lost"], "got list of 2 values"),
        ("", "not one of the eleven segment names"),
    ],
    ids=repr,
)
def test_segment_odd_inputs_get_a_sentence(answer, phrase):
    feedback = check_segment_of_code(answer)
    assert shown(feedback).startswith(WRONG), shown(feedback)
    assert phrase in feedback.message and CANNOT_READ not in feedback.message, feedback.message


def test_segment_unanswered():
    assert shown(check_segment_of_code(...)).startswith(UNANSWERED)
