"""Notebook 9's exercise checks, by table: right answers in each natural form, typical wrong
answers, odd inputs, and the message each gets.

Oracles: exercise 9.1's fences are worked by hand from the quartiles of log(1 + Fresh),
Q1 = 8.048 and Q3 = 9.737 (asserted here against pandas' quantile, a second path): IQR =
1.689, so the fences are 8.048 - 2.533 = 5.52 and 9.737 + 2.533 = 12.27; every Fresh value
below 5.52 is one of the report's 16 Fresh outliers (a property). Exercise 9.2's imputer is
computed from the study table a second way (one imputer at a time, not a pivot): at 20%
hidden, ten seeds, the mean's share moved grows the most from MCAR to MNAR (9.52% to 24.89%,
15.4 points), the median's 12.75 points (written 12.8: halves round up), KNN's 9.9, the
iterative imputer's 3.7.
"""

import numpy as np
import pandas as pd
import pytest

from segmentation.course import FENCE_COLUMN, IMPUTER_CASE
from segmentation.course.answers import CANNOT_READ
from segmentation.course.checks_quality import (
    STUDY_SEEDS,
    check_mnar_growth,
    check_tukey_fences,
)

RIGHT = "✅ Right."
WRONG = "❌ Not yet:"
UNANSWERED = "… Not answered yet:"

LOW, HIGH = 5.52, 12.27


def shown(feedback):
    return repr(feedback)


def test_the_fences_are_as_worked_by_hand():
    from segmentation import load_customers, quality_report

    customers = load_customers()
    logged = np.log1p(customers[FENCE_COLUMN])
    q1, q3 = logged.quantile(0.25), logged.quantile(0.75)
    assert (round(q1, 3), round(q3, 3)) == (8.048, 9.737)
    assert (round(q1 - 1.5 * (q3 - q1), 2), round(q3 + 1.5 * (q3 - q1), 2)) == (LOW, HIGH)
    report = quality_report(customers).table().set_index("column")
    assert int((logged < LOW).sum()) == report.loc[FENCE_COLUMN, "outliers"] == 16
    assert int((logged > HIGH).sum()) == 0


@pytest.mark.parametrize(
    "answer",
    [
        [5.52, 12.27],
        (5.52, 12.27),
        [5.515, 12.270],  # more decimals than asked
        np.array([5.52, 12.27]),
        pd.Series([5.52, 12.27]),
        ["5.52", "12.27"],
        "5.52, 12.27",
        "(5.52 12.27)",
        {"low": 5.52, "high": 12.27},
        {"Upper": 12.27, "lower": 5.52},
        pd.Series({"lower fence": 5.52, "upper fence": 12.27}),
        [[5.52, 12.27]],
    ],
    ids=repr,
)
def test_fences_right_in_every_form(answer):
    assert shown(check_tukey_fences(answer)).startswith(RIGHT)


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ([12.27, 5.52], "swapped"),
        ([2.40, 5.33], "log10"),  # the fences of log10(1 + x)
        ([-17581.25, 37642.75], "spending itself"),  # the raw scale
        ([2.98, 14.80], "3 IQR"),
        ([8.05, 9.74], "quartiles"),
        ([5.52, 13.0], "lower fence is right"),
        ([5.0, 12.27], "upper fence is right"),
        ([1.0, 2.0], "np.quantile"),
        ([5.51, 12.27], "log(1 + x)"),  # np.log instead of np.log1p
        ([5.5, 12.3], "2 decimals"),  # rounded to 1 decimal: not what was asked
        ([247, 213253], "log scale"),  # the right fences turned back into m.u.
        ([247.45, 213253.15], "log scale"),
        ([5.4, 12.3], "np.quantile"),  # off by more than one decimal's rounding
    ],
    ids=repr,
)
def test_fences_wrong_answers_are_named(answer, phrase):
    message = shown(check_tukey_fences(answer))
    assert message.startswith(WRONG) and phrase in message, message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (None, "None"),
        ({"a": 1, "b": 2}, "label the two fences"),
        ({"low": 5.52}, "label the two fences"),
        (pd.DataFrame({"low": [5.52, 1.0], "high": [12.27, 2.0]}), "two numbers"),
        (pd.Series([True, False]), "True/False"),
        ("the lower and the upper fence", "two numbers"),
        (5.52, "two numbers"),
        ([5.52, 12.27, 3.0], "two numbers"),
        (["low", "high"], "number"),
    ],
    ids=repr,
)
def test_fences_odd_inputs_get_one_helpful_line(answer, phrase):
    message = shown(check_tukey_fences(answer))
    assert message.startswith(WRONG) and phrase in message, message
    assert CANNOT_READ not in message and "\n" not in message


def test_fences_unanswered():
    assert shown(check_tukey_fences(...)).startswith(UNANSWERED)


# --------------------------------------------------------------------------------------------
# Exercise 9.2: the imputer whose share moved grows the most from MCAR to MNAR at 20% hidden
# --------------------------------------------------------------------------------------------


def test_the_study_table_gives_the_mean():
    from segmentation import imputation_study, load_customers

    assert IMPUTER_CASE == ("MNAR", 0.2) and STUDY_SEEDS == tuple(range(10))
    table = imputation_study(
        load_customers(), shares=(0.2,), mechanisms=("MCAR", "MNAR"), seeds=range(10)
    )
    moved = table.set_index(["imputer", "mechanism"])["moved"]
    # a second path to the growth: one imputer at a time, not a pivot
    growth = {name: moved[name, "MNAR"] - moved[name, "MCAR"] for name in IMPUTERS}
    assert max(growth, key=growth.get) == "mean"
    # every imputer moves more customers under MNAR, the iterative one the least more
    assert all(value > 0 for value in growth.values())
    assert min(growth, key=growth.get) == "iterative"


IMPUTERS = ("mean", "median", "KNN", "iterative")


@pytest.mark.parametrize(
    "answer",
    [
        "mean",
        "Mean",
        " MEAN ",
        "column mean",
        "mean.",
        ["mean"],
        ("mean",),
        np.array(["mean"]),
        pd.Series(["mean"]),
        pd.array(["mean"], dtype="string"),  # what .values[:1] of a string column gives
        pd.Series(["median", "mean"], dtype="string").sort_values().values[:1],
        pd.Index(["mean"]),
    ],
    ids=repr,
)
def test_imputer_right_in_every_form(answer):
    message = shown(check_mnar_growth(answer))
    assert message.startswith(RIGHT) and "15.4 points" in message, message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ("median", "median grows by 12.8 points (12.2% to 25.0%)"),  # half rounded up
        ("KNN", "KNN grows by 9.9 points"),
        ("k-nearest neighbours", "KNN grows by"),
        ("KNNImputer", "KNN grows by"),
        ("iterative", "iterative grows by 3.7 points"),  # the smallest growth, not the largest
        ("IterativeImputer", "MNAR minus MCAR"),
        ("SimpleImputer", "mean or the median"),
    ],
    ids=repr,
)
def test_imputer_wrong_answers_are_named(answer, phrase):
    message = shown(check_mnar_growth(answer))
    assert message.startswith(WRONG) and phrase in message, message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (None, "None"),
        ({"imputer": "mean"}, "one imputer's name"),
        (pd.DataFrame({"imputer": ["mean", "KNN"]}), "one imputer's name"),
        (pd.Series([True, False]), "one imputer's name"),
        ("the one that uses the other columns", "not one of the four imputers"),
        (3, "one imputer's name"),
        (0.154, "one imputer's name"),
        (["mean", "KNN"], "one imputer's name"),
        (pd.array(["mean", "KNN"], dtype="string"), "list of 2 values"),
    ],
    ids=repr,
)
def test_imputer_odd_inputs_get_one_helpful_line(answer, phrase):
    message = shown(check_mnar_growth(answer))
    assert message.startswith(WRONG) and phrase in message, message
    assert CANNOT_READ not in message and "\n" not in message
    assert "<" not in message  # never a raw repr such as <StringArray>


def test_imputer_unanswered():
    assert shown(check_mnar_growth(...)).startswith(UNANSWERED)
