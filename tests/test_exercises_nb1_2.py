"""The exercise checks of notebooks 1 and 2, each tried with a table of answers: right answers
in every natural form, typical wrong answers, and odd inputs, with the message each gets.

The right answers are worked out here with plain NumPy, pandas and SciPy on the raw columns,
not with the course's own feature functions that the checks use.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from segmentation import exercises
from segmentation.data import load_customers

COLUMNS = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
RIGHT, WRONG, UNANSWERED = "✅ Right.", "❌ Not yet:", "… Not answered yet"


class Data:
    """The course data and the answers to the six exercises, worked out independently."""

    def __init__(self):
        self.customers = load_customers()
        self.raw = self.customers[COLUMNS].to_numpy(dtype=float)
        self.total = pd.Series(self.raw.sum(axis=1), index=self.customers.index)
        self.large = int(np.count_nonzero(self.raw.sum(axis=1) >= 60_000))
        skew = stats.skew(self.raw, axis=0, bias=False)
        self.skew = pd.Series(skew, index=COLUMNS)
        corr = np.corrcoef(self.raw, rowvar=False)
        np.fill_diagonal(corr, -np.inf)
        i, j = np.unravel_index(np.argmax(corr), corr.shape)
        self.pair = (COLUMNS[i], COLUMNS[j])
        self.corr = pd.DataFrame(np.corrcoef(self.raw, rowvar=False), index=COLUMNS,
                                 columns=COLUMNS)
        logs = np.log1p(self.raw)
        q1, q3 = np.percentile(logs, [25, 75], axis=0)
        self.flags = pd.DataFrame((logs < q1 - 1.5 * (q3 - q1)) | (logs > q3 + 1.5 * (q3 - q1)),
                                  columns=COLUMNS)
        self.outlier_customers = int(self.flags.any(axis=1).sum())


@pytest.fixture(scope="module")
def data():
    return Data()


def test_the_independent_answers_are_the_hand_checked_ones(data):
    """What the tables below rely on, as read off the data once by hand."""
    assert data.large == 42 and data.outlier_customers == 42
    assert data.skew.idxmax() == "Delicassen"
    assert set(data.pair) == {"Grocery", "Detergents_Paper"}
    assert int(data.flags.to_numpy().sum()) == 48


def verdict(feedback):
    shown = repr(feedback)
    assert "Traceback" not in shown and "\n" not in shown, "one line, never a traceback"
    return shown


def case(check, answer, expected, phrase="", id=None):
    return pytest.param(check, answer, expected, phrase, id=id)


def run(data, check, answer, expected, phrase):
    given = answer(data) if callable(answer) else answer
    shown = verdict(check(given))
    assert shown.startswith(expected), shown
    assert phrase in shown, shown


# --- Exercise 1.1: total spending per customer ----------------------------------------------

total = exercises.check_total_spending

TOTAL_CASES = [
    case(total, lambda d: d.total, RIGHT, "904 to 199,891", "Series"),
    case(total, lambda d: d.customers[COLUMNS].sum(axis=1), RIGHT, id="the notebook's way"),
    case(total, lambda d: d.total.to_numpy(), RIGHT, id="array"),
    case(total, lambda d: d.total.tolist(), RIGHT, id="list"),
    case(total, lambda d: d.total.astype(int).to_numpy(), RIGHT, id="whole numbers"),
    case(total, lambda d: d.customers.assign(t=d.total)["t"], RIGHT, id="a table's column"),
    case(total, lambda d: d.total.to_frame("total"), RIGHT, id="a one-column table"),
    case(total, lambda d: d.total.to_numpy()[:, None], RIGHT, id="a column array"),
    case(total, lambda d: d.total + d.customers["id"], WRONG, "not id, Channel or Region",
         "id summed too"),
    case(total, lambda d: d.total - d.customers["Fresh"], WRONG, "sum the six spending columns",
         "a column left out"),
    case(total, lambda d: d.total.sort_values(), WRONG, "in another order", "sorted"),
    case(total, lambda d: d.total[:10], WRONG, "got 10 values", "ten customers"),
    case(total, lambda d: d.customers[COLUMNS].sum(), WRONG, "got 6 values", "summed per column"),
    case(total, lambda d: d.customers[COLUMNS], WRONG, ".sum(axis=1)", "the table unsummed"),
    case(total, lambda d: float(d.total.sum()), WRONG, "got 1 value", "one grand total"),
    case(total, np.full(440, 1e300), WRONG, "1e+300 larger on average", "huge numbers"),
    case(total, lambda d: np.where(d.total > 60_000, np.inf, d.total), WRONG,
         "every value must be a number", "infinite values"),
    case(total, None, WRONG, id="None"),
    case(total, {"total": 1}, WRONG, "got dict", "dict"),
    case(total, True, WRONG, "one total per customer", "bool"),
    case(total, math.nan, WRONG, "one total per customer", "NaN"),
    case(total, "the sum of each row", WRONG, "got str", "words"),
    case(total, lambda d: d.total > 60_000, WRONG, "every value must be a number", "bool Series"),
]


@pytest.mark.parametrize(("check", "answer", "expected", "phrase"), TOTAL_CASES)
def test_check_total_spending(data, check, answer, expected, phrase):
    run(data, check, answer, expected, phrase)


# --- Exercise 1.2: how many are large by hand -----------------------------------------------

large = exercises.check_large_by_hand

LARGE_CASES = [
    case(large, lambda d: d.large, RIGHT, "42 of 440", "int"),
    case(large, lambda d: np.int64(d.large), RIGHT, id="np.int64"),
    case(large, lambda d: (d.total >= 60_000).sum(), RIGHT, id="a summed bool Series"),
    case(large, 42.0, RIGHT, id="42.0"),
    case(large, "42", RIGHT, id="'42'"),
    case(large, " 42 ", RIGHT, id="' 42 '"),
    case(large, [42], RIGHT, id="one-value list"),
    case(large, pd.Series([42]), RIGHT, id="one-value Series"),
    case(large, np.array([42.0]), RIGHT, id="one-value array"),
    case(large, lambda d: d.total >= 60_000, WRONG, "count the True values with .sum()",
         "an unsummed bool Series"),
    case(large, 250, WRONG, "medium and large together", "medium and large"),
    case(large, 398, WRONG, "below 60,000", "the others"),
    case(large, 208, WRONG, "number of medium customers", "medium only"),
    case(large, 190, WRONG, "number of small customers", "small only"),
    case(large, 41, WRONG, "at least 60,000", "off by one"),
    case(large, 42.5, WRONG, "42.5 is not whole", "not whole"),
    case(large, -3, WRONG, "between 0 and 440", "negative"),
    case(large, 1e300, WRONG, "between 0 and 440", "huge float"),
    case(large, 10**400, WRONG, "answer with a number of customers", "too large for a float"),
    case(large, None, WRONG, id="None"),
    case(large, {"large": 42}, WRONG, "got dict", "dict"),
    case(large, lambda d: d.customers, WRONG, "not a table of 440 rows", "DataFrame"),
    case(large, True, WRONG, "got bool", "bool"),
    case(large, math.nan, WRONG, "got float nan", "NaN"),
    case(large, "forty-two", WRONG, "got str", "words"),
]


@pytest.mark.parametrize(("check", "answer", "expected", "phrase"), LARGE_CASES)
def test_check_large_by_hand(data, check, answer, expected, phrase):
    run(data, check, answer, expected, phrase)


# --- Exercise 1.3: what kind of problem -----------------------------------------------------

kind = exercises.check_problem_type
NO_LABEL = "carry no labels"

KIND_CASES = [
    case(kind, "clustering", RIGHT, NO_LABEL, "clustering"),
    case(kind, "Clustering", RIGHT, NO_LABEL, "Clustering"),
    case(kind, "  CLUSTERING ", RIGHT, NO_LABEL, "capitals and spaces"),
    case(kind, "unsupervised learning", RIGHT, NO_LABEL, "unsupervised learning"),
    case(kind, "聚类", RIGHT, NO_LABEL, "聚类"),
    case(kind, "a clustering problem", RIGHT, NO_LABEL, "a clustering problem"),
    case(kind, "cluster analysis", RIGHT, NO_LABEL, "cluster analysis"),
    case(kind, "clustering (no labels)", RIGHT, NO_LABEL, "a reason with 'no' in it"),
    case(kind, "not clustering, classification", WRONG, "says it is not clustering",
         "not clustering, classification"),
    case(kind, "It is not a clustering problem", WRONG, "not clustering", "not a clustering"),
    case(kind, "non-clustering", WRONG, "not clustering", "non-clustering"),
    case(kind, "不是聚类", WRONG, "not clustering", "不是聚类"),
    case(kind, "clustering or classification", WRONG, "another kind", "two kinds"),
    case(kind, "semi-supervised clustering", WRONG, "another kind", "semi-supervised"),
    case(kind, "classification", WRONG, "no such label", "classification"),
    case(kind, "Supervised learning", WRONG, "no such label", "supervised"),
    case(kind, "regression", WRONG, "no such label", "regression"),
    case(kind, "not classification", WRONG, "rather than what it is not", "only a denial"),
    case(kind, "k-means", WRONG, "k-means is a method", "the method"),
    case(kind, "segmentation", WRONG, "right group attached", "the question again"),
    case(kind, "", WRONG, "between the quotes", "empty"),
    case(kind, None, WRONG, id="None"),
    case(kind, {"kind": "clustering"}, WRONG, "as a string", "dict"),
    case(kind, ["clustering"], WRONG, "as a string", "list"),
    case(kind, True, WRONG, "as a string", "bool"),
    case(kind, math.nan, WRONG, "as a string", "NaN"),
    case(kind, 3, WRONG, "as a string", "number"),
]


@pytest.mark.parametrize(("check", "answer", "expected", "phrase"), KIND_CASES)
def test_check_problem_type(data, check, answer, expected, phrase):
    run(data, check, answer, expected, phrase)


# --- Exercise 2.1: the most skewed column ---------------------------------------------------

skewed = exercises.check_most_skewed
ONE_NAME = "answer with one column name"

SKEW_CASES = [
    case(skewed, lambda d: d.skew.idxmax(), RIGHT, "skewness 11.2", "idxmax"),
    case(skewed, lambda d: d.customers[COLUMNS].skew().idxmax(), RIGHT, id="pandas idxmax"),
    case(skewed, "Delicassen", RIGHT, id="the name"),
    case(skewed, "delicassen", RIGHT, id="lower case"),
    case(skewed, " DELICASSEN ", RIGHT, id="capitals and spaces"),
    case(skewed, "Delicatessen", RIGHT, id="the usual spelling"),
    case(skewed, ["Delicassen"], RIGHT, id="one-name list"),
    case(skewed, pd.Series(["Delicassen"]), RIGHT, id="one-name Series"),
    case(skewed, np.array(["Delicassen"]), RIGHT, id="one-name array"),
    case(skewed, lambda d: d.skew.nlargest(1).index, RIGHT, id="nlargest(1).index"),
    case(skewed, lambda d: d.skew.nlargest(1), RIGHT, id="nlargest(1)"),
    case(skewed, "Fresh", WRONG, "Fresh has skewness 2.6", "Fresh"),
    case(skewed, "frozen", WRONG, "Frozen has skewness 5.9", "frozen"),
    case(skewed, "detergents paper", WRONG, "Detergents_Paper has skewness", "spaced name"),
    case(skewed, "Channel", WRONG, ONE_NAME, "a label column"),
    case(skewed, lambda d: d.skew, WRONG, ".idxmax()", "the whole skewness Series"),
    case(skewed, ["Fresh", "Milk"], WRONG, ONE_NAME, "two names"),
    case(skewed, None, WRONG, id="None"),
    case(skewed, {"Delicassen": 11.2}, WRONG, ONE_NAME, "dict"),
    case(skewed, lambda d: d.customers, WRONG, "a table of 440 rows", "DataFrame"),
    case(skewed, True, WRONG, ONE_NAME, "bool"),
    case(skewed, math.nan, WRONG, ONE_NAME, "NaN"),
    case(skewed, 11.15, WRONG, ONE_NAME, "the skewness instead of the name"),
    case(skewed, "the delicatessen column", WRONG, ONE_NAME, "words"),
]


@pytest.mark.parametrize(("check", "answer", "expected", "phrase"), SKEW_CASES)
def test_check_most_skewed(data, check, answer, expected, phrase):
    run(data, check, answer, expected, phrase)


# --- Exercise 2.2: the most correlated pair -------------------------------------------------

pair = exercises.check_strongest_pair
TWO_NAMES = "answer with two column names"


def stacked(d):
    return d.corr.where(~np.eye(len(COLUMNS), dtype=bool)).stack()


PAIR_CASES = [
    case(pair, lambda d: d.pair, RIGHT, "correlation 0.92", "tuple"),
    case(pair, lambda d: stacked(d).idxmax(), RIGHT, id="stack().idxmax()"),
    case(pair, lambda d: stacked(d).nlargest(1), RIGHT, id="stack().nlargest(1)"),
    case(pair, lambda d: stacked(d).nlargest(2), RIGHT, id="the pair both ways"),
    case(pair, lambda d: stacked(d).nlargest(1).index, RIGHT, id="a MultiIndex"),
    case(pair, ("Detergents_Paper", "Grocery"), RIGHT, id="other order"),
    case(pair, ["grocery", "DETERGENTS_PAPER"], RIGHT, id="list, any case"),
    case(pair, {"Grocery", "Detergents_Paper"}, RIGHT, id="set"),
    case(pair, np.array(["Grocery", "Detergents_Paper"]), RIGHT, id="array"),
    case(pair, pd.Series(["Grocery", "Detergents_Paper"]), RIGHT, id="Series"),
    case(pair, ("Grocery", "Detergents_Paper", 0.92), RIGHT, id="with the correlation"),
    case(pair, "Grocery and Detergents_Paper", RIGHT, id="a sentence"),
    case(pair, "grocery / detergents paper", RIGHT, id="a slash and spaces"),
    case(pair, "Grocery-Detergents_Paper", RIGHT, id="a hyphen"),
    case(pair, ("Milk", "Grocery"), WRONG, "Grocery and Milk have correlation 0.73", "second"),
    case(pair, "Fresh and Frozen", WRONG, "Fresh and Frozen have correlation 0.35", "text"),
    case(pair, ("Milk", "Milk"), WRONG, "with itself", "one column twice"),
    case(pair, "Milk", WRONG, "got 1: Milk", "one name"),
    case(pair, ("Grocery", "Detergents_Paper", "Milk"), WRONG, "got 3", "three names"),
    case(pair, ("Grocery", "Channel"), WRONG, "'Channel' is not a spending column", "label"),
    case(pair, lambda d: stacked(d), WRONG, "one correlation per pair", "every pair"),
    case(pair, lambda d: d.corr, WRONG, ".stack().idxmax()", "the correlation table"),
    case(pair, None, WRONG, id="None"),
    case(pair, {"Grocery": "Detergents_Paper"}, WRONG, "got dict", "dict"),
    case(pair, True, WRONG, TWO_NAMES, "bool"),
    case(pair, math.nan, WRONG, TWO_NAMES, "NaN"),
    case(pair, 0.92, WRONG, TWO_NAMES, "the correlation only"),
    case(pair, "the two that move together", WRONG, TWO_NAMES, "words"),
    case(pair, [True, False], WRONG, TWO_NAMES, "bools"),
]


@pytest.mark.parametrize(("check", "answer", "expected", "phrase"), PAIR_CASES)
def test_check_strongest_pair(data, check, answer, expected, phrase):
    run(data, check, answer, expected, phrase)


# --- Exercise 2.3: customers with an outlier ------------------------------------------------

outliers = exercises.check_outlier_customers
PER_CUSTOMER = ".any(axis=1)"

OUTLIER_CASES = [
    case(outliers, lambda d: d.outlier_customers, RIGHT, "42 customers", "int"),
    case(outliers, lambda d: d.flags.any(axis=1).sum(), RIGHT, id="np.int64"),
    case(outliers, 42.0, RIGHT, id="42.0"),
    case(outliers, "42", RIGHT, id="'42'"),
    case(outliers, [42], RIGHT, id="one-value list"),
    case(outliers, pd.Series([42]), RIGHT, id="one-value Series"),
    case(outliers, lambda d: d.flags, WRONG, "then count the customers with .sum()",
         "the flags table"),
    case(outliers, lambda d: d.flags.to_numpy(), WRONG, PER_CUSTOMER, "the flags as an array"),
    case(outliers, lambda d: d.flags.any(axis=1), WRONG, "count the True values with .sum()",
         "one flag per customer"),
    case(outliers, lambda d: d.flags.sum(), WRONG, PER_CUSTOMER, "counts per column"),
    case(outliers, lambda d: d.flags.any(), WRONG, PER_CUSTOMER, "any() per column"),
    case(outliers, 48, WRONG, "counts outlying values", "values, not customers"),
    case(outliers, 108, WRONG, "raw scale", "raw spending"),
    case(outliers, 41, WRONG, "iqr_outliers on the log spending", "off by one"),
    case(outliers, 441, WRONG, "between 0 and 440", "more than there are"),
    case(outliers, 1e300, WRONG, "between 0 and 440", "huge"),
    case(outliers, 4.2, WRONG, "not whole", "not whole"),
    case(outliers, None, WRONG, id="None"),
    case(outliers, {"n": 42}, WRONG, "got dict", "dict"),
    case(outliers, lambda d: d.customers, WRONG, "not a table of 440 rows", "DataFrame"),
    case(outliers, True, WRONG, "got bool", "bool"),
    case(outliers, math.nan, WRONG, "got float nan", "NaN"),
    case(outliers, "about forty", WRONG, "got str", "words"),
]


@pytest.mark.parametrize(("check", "answer", "expected", "phrase"), OUTLIER_CASES)
def test_check_outlier_customers(data, check, answer, expected, phrase):
    run(data, check, answer, expected, phrase)


def test_raw_scale_outliers_are_the_108_the_check_names(data):
    """The raw-scale count the check recognises, worked out independently."""
    q1, q3 = np.percentile(data.raw, [25, 75], axis=0)
    flags = (data.raw < q1 - 1.5 * (q3 - q1)) | (data.raw > q3 + 1.5 * (q3 - q1))
    assert int(flags.any(axis=1).sum()) == 108


@pytest.mark.parametrize("check", [total, large, kind, skewed, pair, outliers])
def test_a_right_answer_is_true_and_a_wrong_one_false(data, check):
    right = {total: data.total, large: data.large, kind: "clustering",
             skewed: "Delicassen", pair: data.pair, outliers: data.outlier_customers}[check]
    assert check(right) and check(right).answered
    wrong = check("not an answer")
    assert not wrong and wrong.answered
