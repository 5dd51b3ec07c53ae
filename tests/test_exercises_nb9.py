"""Notebook 9's exercise checks, by table: right answers in each natural form, typical wrong
answers, odd inputs, and the message each gets.

Oracles: exercise 9.1's fences are worked by hand from the quartiles of log(1 + Fresh),
Q1 = 8.048 and Q3 = 9.737 (asserted here against pandas' quantile, a second path): IQR =
1.689, so the fences are 8.048 - 2.533 = 5.52 and 9.737 + 2.533 = 12.27; every Fresh value
below 5.52 is one of the report's 16 Fresh outliers (a property). Exercise 9.2's imputer is
read off the study table: at MNAR 20% the iterative imputer moves the fewest customers
(11.9%), KNN next (12.7%), the mean and the median about 23%.
"""

import numpy as np
import pandas as pd
import pytest

from segmentation.course import FENCE_COLUMN, IMPUTER_CASE
from segmentation.course.answers import CANNOT_READ
from segmentation.course.checks_quality import check_fewest_moved, check_tukey_fences

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
        ([5.5, 12.3], "np.quantile"),  # rounded to 1 decimal: not what was asked
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
# Exercise 9.2: the imputer that moves the fewest customers at MNAR 20%
# --------------------------------------------------------------------------------------------


def test_the_study_table_gives_the_iterative_imputer():
    from segmentation import imputation_study, load_customers

    assert IMPUTER_CASE == ("MNAR", 0.2)
    table = imputation_study(load_customers(), shares=(0.2,), mechanisms=("MNAR",))
    moved = table.set_index("imputer")["moved"]
    assert moved.idxmin() == "iterative"
    # the simple fills move about twice as many customers as the two that use other columns
    assert min(moved["mean"], moved["median"]) > 1.5 * max(moved["KNN"], moved["iterative"])


@pytest.mark.parametrize(
    "answer",
    [
        "iterative",
        "Iterative",
        " ITERATIVE ",
        "IterativeImputer",
        "iterative imputer",
        "iterative-imputer",
        "MICE",
        ["iterative"],
        np.array(["iterative"]),
        pd.Series(["iterative"]),
    ],
    ids=repr,
)
def test_imputer_right_in_every_form(answer):
    assert shown(check_fewest_moved(answer)).startswith(RIGHT)


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ("KNN", "KNN moves 12.7%"),
        ("k-nearest neighbours", "KNN moves"),
        ("KNNImputer", "KNN moves"),
        ("mean", "mean moves"),
        ("Median", "median moves"),
        ("SimpleImputer", "mean or the median"),
    ],
    ids=repr,
)
def test_imputer_wrong_answers_are_named(answer, phrase):
    message = shown(check_fewest_moved(answer))
    assert message.startswith(WRONG) and phrase in message, message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (None, "None"),
        ({"imputer": "iterative"}, "one imputer's name"),
        (pd.DataFrame({"imputer": ["iterative", "KNN"]}), "one imputer's name"),
        (pd.Series([True, False]), "one imputer's name"),
        ("the one that uses the other columns", "not one of the four imputers"),
        (3, "one imputer's name"),
        (["iterative", "KNN"], "one imputer's name"),
    ],
    ids=repr,
)
def test_imputer_odd_inputs_get_one_helpful_line(answer, phrase):
    message = shown(check_fewest_moved(answer))
    assert message.startswith(WRONG) and phrase in message, message
    assert CANNOT_READ not in message and "\n" not in message


def test_imputer_unanswered():
    assert shown(check_fewest_moved(...)).startswith(UNANSWERED)
