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

import segmentation.course as course
from segmentation.course.answers import DECIMAL_POINT
from segmentation.data.shipped import load_customers

COLUMNS = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]
RIGHT, WRONG, UNANSWERED = "✅ Right.", "❌ Not yet:", "… Not answered yet"


def strongest(values):
    """The most correlated pair of columns of an array, and the correlation table."""
    corr = np.corrcoef(values, rowvar=False)
    off = np.where(np.eye(len(COLUMNS), dtype=bool), -np.inf, corr)
    i, j = np.unravel_index(np.argmax(off), off.shape)
    return (COLUMNS[i], COLUMNS[j]), pd.DataFrame(corr, index=COLUMNS, columns=COLUMNS)


class Data:
    """The course data and the answers to the six exercises, worked out independently."""

    def __init__(self):
        self.customers = load_customers()
        self.raw = self.customers[COLUMNS].to_numpy(dtype=float)
        self.total = pd.Series(self.raw.sum(axis=1), index=self.customers.index)
        self.large = int(np.count_nonzero(self.raw.sum(axis=1) >= 60_000))
        self.large_at_50k = int(np.count_nonzero(self.raw.sum(axis=1) >= 50_000))
        skew = stats.skew(self.raw, axis=0, bias=False)
        self.skew = pd.Series(skew, index=COLUMNS)
        oporto = self.raw[(self.customers["Region"] == "Oporto").to_numpy()]
        self.oporto_skew = pd.Series(stats.skew(oporto, axis=0, bias=False), index=COLUMNS)
        self.oporto_log_skew = pd.Series(
            stats.skew(np.log1p(oporto), axis=0, bias=False), index=COLUMNS
        )
        self.all_pair, self.corr = strongest(self.raw)
        horeca = self.raw[(self.customers["Channel"] == "Horeca").to_numpy()]
        self.pair, self.horeca_corr = strongest(np.log1p(horeca))
        self.horeca_raw_pair, _ = strongest(horeca)
        logs = np.log1p(self.raw)
        q1, q3 = np.percentile(logs, [25, 75], axis=0)
        self.flags = pd.DataFrame(
            (logs < q1 - 1.5 * (q3 - q1)) | (logs > q3 + 1.5 * (q3 - q1)), columns=COLUMNS
        )
        self.outlier_customers = int(self.flags.any(axis=1).sum())


@pytest.fixture(scope="module")
def data():
    return Data()


def test_the_independent_answers_are_the_hand_checked_ones(data):
    """What the tables below rely on, as read off the data once by hand."""
    assert data.large == 42 and data.large_at_50k == 66 and data.outlier_customers == 42
    assert data.skew.idxmax() == "Delicassen"
    assert data.oporto_skew.idxmax() == "Frozen"
    assert data.oporto_skew.rank(ascending=False)["Grocery"] == 2
    assert data.oporto_log_skew.abs().idxmax() == "Fresh"
    assert set(data.all_pair) == {"Grocery", "Detergents_Paper"}
    assert set(data.pair) == {"Milk", "Grocery"}
    assert set(data.horeca_raw_pair) == {"Milk", "Delicassen"}
    assert int(data.flags.to_numpy().sum()) == 48
    # the numbers the messages below quote
    assert data.oporto_skew.round(2)[["Frozen", "Grocery", "Milk"]].tolist() == [5.49, 3.64, 1.80]
    assert round(data.oporto_log_skew["Fresh"], 2) == -2.21
    pairs = data.horeca_corr.where(np.triu(np.ones((6, 6), dtype=bool), 1)).stack().dropna()
    ranked = pairs.abs().sort_values(ascending=False).index.map(frozenset).tolist()
    assert len(ranked) == 15
    assert ranked.index(frozenset({"Grocery", "Detergents_Paper"})) + 1 == 2
    assert ranked.index(frozenset({"Fresh", "Frozen"})) + 1 == 4
    assert ranked.index(frozenset({"Milk", "Frozen"})) + 1 == 10
    assert round(pairs[("Milk", "Grocery")], 2) == 0.60


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

total = course.check_total_spending

TOTAL_CASES = [
    case(total, lambda d: d.total, RIGHT, "904 to 199,891", "Series"),
    case(total, lambda d: d.customers[COLUMNS].sum(axis=1), RIGHT, id="the notebook's way"),
    case(total, lambda d: d.total.to_numpy(), RIGHT, id="array"),
    case(total, lambda d: d.total.tolist(), RIGHT, id="list"),
    case(total, lambda d: d.total.astype(int).to_numpy(), RIGHT, id="whole numbers"),
    case(total, lambda d: d.customers.assign(t=d.total)["t"], RIGHT, id="a table's column"),
    case(total, lambda d: d.total.to_frame("total"), RIGHT, id="a one-column table"),
    case(total, lambda d: d.total.to_numpy()[:, None], RIGHT, id="a column array"),
    case(total, lambda d: d.total.astype(str).tolist(), RIGHT, id="numeric strings"),
    case(
        total,
        lambda d: d.total + d.customers["id"],
        WRONG,
        "not id, Channel or Region",
        "id summed too",
    ),
    case(
        total,
        lambda d: d.total + d.customers["id"],
        WRONG,
        "your totals add id to",
        "id summed too, named",
    ),
    case(
        total,
        lambda d: d.customers.select_dtypes("number").sum(axis=1),
        WRONG,
        "your totals add id to",
        "every number column summed",
    ),
    case(
        total,
        lambda d: d.total + d.customers["Channel"].map({"Horeca": 1, "Retail": 2}).astype(int),
        WRONG,
        "add the Channel code",
        "the Channel code summed",
    ),
    case(
        total,
        lambda d: (
            d.total
            + d.customers["id"]
            + d.customers["Region"].map({"Lisbon": 1, "Oporto": 2, "Other": 3}).astype(int)
        ),
        WRONG,
        "add id and the Region code",
        "id and the Region code summed",
    ),
    case(
        total,
        lambda d: d.total.round(-2),
        WRONG,
        "rounded to the nearest 100",
        "rounded to hundreds",
    ),
    case(
        total,
        lambda d: d.total.round(-3),
        WRONG,
        "rounded to the nearest 1,000",
        "rounded to thousands",
    ),
    case(
        total,
        lambda d: d.total + 1,
        WRONG,
        "every total is 1 larger than the sum",
        "one added to each",
    ),
    case(
        total,
        lambda d: d.customers[COLUMNS].mean(axis=1),
        WRONG,
        "mean over the six spending columns, not the sum",
        "the mean of each row",
    ),
    case(
        total,
        lambda d: d.total - d.customers["Fresh"],
        WRONG,
        "sum the six spending columns",
        "a column left out",
    ),
    case(
        total,
        lambda d: d.total - d.customers["Fresh"],
        WRONG,
        "440 of the 440 totals differ",
        "a column left out: how many differ",
    ),
    case(total, lambda d: d.total.sort_values(), WRONG, "in another order", "sorted"),
    case(total, lambda d: d.total[:10], WRONG, "got 10 values", "ten customers"),
    case(total, lambda d: d.customers[COLUMNS].sum(), WRONG, "got 6 values", "summed per column"),
    case(total, lambda d: d.customers[COLUMNS], WRONG, ".sum(axis=1)", "the table unsummed"),
    case(total, lambda d: float(d.total.sum()), WRONG, "got 1 value", "one grand total"),
    case(total, np.full(440, 1e300), WRONG, "1e+300 larger", "huge numbers"),
    case(
        total,
        lambda d: np.where(d.total > 60_000, np.inf, d.total),
        WRONG,
        "every value must be a number",
        "infinite values",
    ),
    case(total, None, WRONG, "your answer is None", "None"),
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

large = course.check_large_by_hand

LARGE_CASES = [
    case(large, lambda d: d.large_at_50k, RIGHT, "66 of 440", "int"),
    case(large, lambda d: d.large_at_50k, RIGHT, "changes the grade of 24", "says what moved"),
    case(large, lambda d: np.int64(d.large_at_50k), RIGHT, id="np.int64"),
    case(large, lambda d: (d.total >= 50_000).sum(), RIGHT, id="a summed bool Series"),
    case(large, 66.0, RIGHT, id="66.0"),
    case(large, "66", RIGHT, id="'66'"),
    case(large, " 66 ", RIGHT, id="' 66 '"),
    case(large, [66], RIGHT, id="one-value list"),
    case(large, pd.Series([66]), RIGHT, id="one-value Series"),
    case(large, np.array([66.0]), RIGHT, id="one-value array"),
    case(
        large,
        lambda d: d.total >= 50_000,
        WRONG,
        "count the True values with .sum()",
        "an unsummed bool Series",
    ),
    case(
        large,
        lambda d: (d.total >= 50_000).tolist(),
        WRONG,
        "count the True values",
        "a list of True/False",
    ),
    case(
        large,
        lambda d: d.customers[d.total >= 50_000],
        WRONG,
        "count its rows with len",
        "the large customers' table",
    ),
    case(
        large,
        lambda d: d.customers["id"][d.total >= 50_000].tolist(),
        WRONG,
        "a list of values; answer with a number of customers: count them",
        "their ids",
    ),
    case(large, 42, WRONG, "the usual line of 60,000", "the count printed above"),
    case(large, 24, WRONG, "between 50,000 and 60,000", "only the newly large"),
    case(large, 374, WRONG, "below 50,000", "the others"),
    case(large, 250, WRONG, "medium and large", "from 25,000 up"),
    case(large, 65, WRONG, "at least 50,000", "off by one"),
    case(large, 66.5, WRONG, "66.5 is not whole", "not whole"),
    case(
        large,
        "66,0",
        WRONG,
        "'66,0' has a decimal comma: write decimals with a point",
        "a decimal comma",
    ),
    case(large, "1,234", WRONG, "between 0 and 440", "a thousands separator is no comma"),
    case(large, [42, 66], WRONG, "that is 2 numbers; answer with one", "two candidates"),
    case(
        large,
        lambda d: d.customers.assign(
            grade=np.select([d.total >= 60_000, d.total >= 25_000], ["large", "medium"], "small")
        )["grade"].value_counts(),
        WRONG,
        "one count per group",
        "value_counts of the grades",
    ),
    case(
        large,
        lambda d: (d.total >= 50_000).value_counts(),
        WRONG,
        "one count per group",
        "value_counts of True/False",
    ),
    case(large, lambda d: (d.total >= 50_000).mean(), WRONG, "a share, not a count", "the share"),
    case(large, -3, WRONG, "between 0 and 440", "negative"),
    case(large, 1e300, WRONG, "between 0 and 440", "huge float"),
    case(large, 10**400, WRONG, "answer with a number of customers", "too large for a float"),
    case(large, None, WRONG, "your answer is None", "None"),
    case(large, {"large": 66}, WRONG, "got dict", "dict"),
    case(large, lambda d: d.customers, WRONG, "that is a table", "DataFrame"),
    case(large, True, WRONG, "got bool", "bool"),
    case(large, math.nan, WRONG, "got float nan", "NaN"),
    case(large, "sixty-six", WRONG, "got str", "words"),
]


@pytest.mark.parametrize(("check", "answer", "expected", "phrase"), LARGE_CASES)
def test_check_large_by_hand(data, check, answer, expected, phrase):
    run(data, check, answer, expected, phrase)


# --- Exercise 1.3: what kind of problem -----------------------------------------------------

kind = course.check_problem_type
NO_LABEL = "carry no labels"

KIND_CASES = [
    case(kind, "clustering", RIGHT, NO_LABEL, "clustering"),
    case(kind, "Clustering", RIGHT, NO_LABEL, "Clustering"),
    case(kind, "  CLUSTERING ", RIGHT, NO_LABEL, "capitals and spaces"),
    case(kind, "unsupervised learning", RIGHT, NO_LABEL, "unsupervised learning"),
    case(kind, "non-supervised learning", RIGHT, NO_LABEL, "non-supervised"),
    case(kind, "Non supervised", RIGHT, NO_LABEL, "non supervised"),
    case(
        kind,
        "unsupervised classification",
        RIGHT,
        "another name for clustering",
        "unsupervised classification",
    ),
    case(kind, "聚类", RIGHT, NO_LABEL, "聚类"),
    case(kind, "非监督学习", RIGHT, NO_LABEL, "非监督学习"),
    case(kind, "无监督分类", RIGHT, "another name for clustering", "无监督分类"),
    case(kind, "a clustering problem", RIGHT, NO_LABEL, "a clustering problem"),
    case(kind, "cluster analysis", RIGHT, NO_LABEL, "cluster analysis"),
    case(kind, "clustering (no labels)", RIGHT, NO_LABEL, "a reason with 'no' in it"),
    case(kind, "clustering of unlabelled data", RIGHT, NO_LABEL, "unlabelled"),
    case(kind, "无标签聚类", RIGHT, NO_LABEL, "无标签聚类"),
    case(kind, "clustering, not classification", RIGHT, NO_LABEL, "classification ruled out"),
    case(kind, "clustering rather than regression", RIGHT, NO_LABEL, "regression ruled out"),
    case(kind, "不是分类，是聚类", RIGHT, NO_LABEL, "分类 ruled out"),
    case(kind, "not supervised", RIGHT, NO_LABEL, "not supervised, as non-supervised"),
    case(kind, "Not supervised learning", RIGHT, NO_LABEL, "not supervised learning"),
    case(kind, "labelled clustering", WRONG, "says the records carry labels", "labelled"),
    case(kind, "labeled clustering", WRONG, "says the records carry labels", "labeled"),
    case(kind, "clustering with labels", WRONG, "says the records carry labels", "with labels"),
    case(kind, "有标签的聚类", WRONG, "says the records carry labels", "有标签"),
    case(
        kind,
        "supervised clustering",
        WRONG,
        "'supervised' means learning from labelled",
        "supervised clustering",
    ),
    case(
        kind,
        "unsupervised regression",
        WRONG,
        "names both unsupervised learning and regression",
        "never says clustering",
    ),
    case(
        kind,
        "not clustering, classification",
        WRONG,
        "says it is not clustering",
        "not clustering, classification",
    ),
    case(kind, "It is not a clustering problem", WRONG, "not clustering", "not a clustering"),
    case(kind, "non-clustering", WRONG, "not clustering", "non-clustering"),
    case(kind, "not unsupervised", WRONG, "not clustering", "not unsupervised"),
    case(kind, "不是聚类", WRONG, "not clustering", "不是聚类"),
    case(kind, "不是非监督", WRONG, "not clustering", "不是非监督"),
    case(
        kind,
        "clustering or classification",
        WRONG,
        "names both clustering and classification",
        "two kinds",
    ),
    case(
        kind,
        "unsupervised classification or regression",
        WRONG,
        "and regression",
        "a synonym and another kind",
    ),
    case(
        kind, "semi-supervised clustering", WRONG, "from a few labelled records", "semi-supervised"
    ),
    case(kind, "classification", WRONG, "no such label", "classification"),
    case(kind, "Supervised learning", WRONG, "no such label", "supervised"),
    case(kind, "supervised classification", WRONG, "no such label", "supervised classification"),
    case(kind, "regression", WRONG, "no such label", "regression"),
    case(kind, "not classification", WRONG, "rather than what it is not", "only a denial"),
    case(kind, "k-means", WRONG, "k-means is a method", "the method"),
    case(kind, "segmentation", WRONG, "right group attached", "the question again"),
    case(kind, "", WRONG, "between the quotes", "empty"),
    case(kind, None, WRONG, "your answer is None", "None"),
    case(kind, {"kind": "clustering"}, WRONG, "as text in quotes", "dict"),
    case(kind, ["clustering"], WRONG, "as text in quotes", "list"),
    case(kind, True, WRONG, "as text in quotes", "bool"),
    case(kind, math.nan, WRONG, "as text in quotes", "NaN"),
    case(kind, 3, WRONG, "as text in quotes", "number"),
]


@pytest.mark.parametrize("answer", [3, "", ["clustering"]])
def test_check_problem_type_gives_no_wrong_answer_as_an_example(answer):
    """A form message shows where to write, not a kind of problem (once it showed
    "regression", a wrong answer, as the example)."""
    message = course.check_problem_type(answer).message.lower()
    assert not any(kind in message for kind in ("regression", "classification", "cluster"))


@pytest.mark.parametrize(("check", "answer", "expected", "phrase"), KIND_CASES)
def test_check_problem_type(data, check, answer, expected, phrase):
    run(data, check, answer, expected, phrase)


# --- Exercise 2.1: the most skewed column ---------------------------------------------------

skewed = course.check_most_skewed
ONE_NAME = "answer with one column name"

OPORTO = "among the customers of Oporto (raw values)"

SKEW_CASES = [
    case(skewed, lambda d: d.oporto_skew.idxmax(), RIGHT, "skewness 5.49", "idxmax"),
    case(skewed, "Frozen", RIGHT, "60,869 m.u.", "the name"),
    case(
        skewed,
        lambda d: d.customers[d.customers["Region"] == "Oporto"][COLUMNS].skew().idxmax(),
        RIGHT,
        id="pandas idxmax",
    ),
    case(skewed, "frozen", RIGHT, id="lower case"),
    case(skewed, " FROZEN ", RIGHT, id="capitals and spaces"),
    case(skewed, "Frozen.", RIGHT, id="a full stop"),
    case(skewed, "'Frozen'", RIGHT, id="quotes inside the string"),
    case(skewed, "冷冻类", RIGHT, id="the field table's Chinese name"),
    case(skewed, ["Frozen"], RIGHT, id="one-name list"),
    case(skewed, pd.Series(["Frozen"]), RIGHT, id="one-name Series"),
    case(skewed, np.array(["Frozen"]), RIGHT, id="one-name array"),
    case(skewed, lambda d: d.oporto_skew.nlargest(1).index, RIGHT, id="nlargest(1).index"),
    case(skewed, lambda d: d.oporto_skew.nlargest(1), RIGHT, id="nlargest(1)"),
    case(skewed, ("Frozen", 5.49), RIGHT, "skewness 5.49", "with its skewness"),
    case(skewed, (5.49, "frozen"), RIGHT, id="with its skewness first"),
    case(skewed, ["Frozen", "5.49"], RIGHT, id="with its skewness as text"),
    case(skewed, "Frozen (5.49)", RIGHT, id="a text with its skewness"),
    case(
        skewed,
        lambda d: ("Frozen", d.oporto_skew["Frozen"]),
        RIGHT,
        id="with the computed skewness",
    ),
    case(
        skewed,
        ("Frozen", 5.5),
        WRONG,
        "Frozen is the right column, but its skewness",
        "a skewness to 1 decimal",
    ),
    case(skewed, ("Frozen", 2.0), WRONG, "is 5.49, not 2.0", "a wrong skewness"),
    case(skewed, ("Frozen", "5,49"), WRONG, "decimals with a point", "a decimal comma"),
    case(skewed, "Frozen, 5,49", WRONG, "decimals with a point", "a decimal comma in a text"),
    case(skewed, ("Grocery", 3.64), WRONG, "the second largest", "the runner-up with its own"),
    case(skewed, ("Frozen", True), WRONG, ONE_NAME, "a name and a bool"),
    case(skewed, "Delicassen", WRONG, "over all 440 customers", "all customers' answer"),
    case(skewed, "Delicatessen", WRONG, "the 47 customers of Oporto only", "the usual spelling"),
    case(skewed, "熟食类", WRONG, "over all 440 customers", "all customers', in Chinese"),
    case(
        skewed,
        "Grocery",
        WRONG,
        f"Grocery has skewness 3.64 {OPORTO}, the second largest",
        "the runner-up",
    ),
    case(skewed, "Milk", WRONG, "Milk has skewness 1.80", "Milk"),
    case(skewed, "Milk", WRONG, "the 5th largest of the six", "Milk's rank"),
    case(skewed, "Fresh", WRONG, "the smallest of the six", "the least skewed"),
    case(
        skewed,
        "Fresh",
        WRONG,
        "-2.21, the largest in size, but the task asks for the raw",
        "the log scale's leader",
    ),
    case(skewed, "detergents paper", WRONG, "Detergents_Paper has skewness", "spaced name"),
    case(skewed, "Channel", WRONG, ONE_NAME, "a label column"),
    case(skewed, lambda d: d.oporto_skew, WRONG, ".idxmax()", "the whole skewness Series"),
    case(skewed, ["Fresh", "Milk"], WRONG, ONE_NAME, "two names"),
    case(skewed, None, WRONG, "your answer is None", "None"),
    case(skewed, {"Frozen": 5.5}, WRONG, ONE_NAME, "dict"),
    case(skewed, lambda d: d.customers, WRONG, "a table of 440 rows", "DataFrame"),
    case(skewed, True, WRONG, ONE_NAME, "bool"),
    case(skewed, math.nan, WRONG, ONE_NAME, "NaN"),
    case(skewed, 5.49, WRONG, ONE_NAME, "the skewness instead of the name"),
    case(skewed, "the frozen column", WRONG, ONE_NAME, "words"),
]


@pytest.mark.parametrize(("check", "answer", "expected", "phrase"), SKEW_CASES)
def test_check_most_skewed(data, check, answer, expected, phrase):
    run(data, check, answer, expected, phrase)


# --- Exercise 2.2: the most correlated pair -------------------------------------------------

pair = course.check_strongest_pair
TWO_NAMES = "answer with two column names"


def stacked(d):
    return d.horeca_corr.where(~np.eye(len(COLUMNS), dtype=bool)).stack()


HORECA = "among the 298 Horeca customers (log spending)"
NOT_NAMES = "in quotes"

PAIR_CASES = [
    case(pair, lambda d: d.pair, RIGHT, f"correlation 0.60 {HORECA}", "tuple"),
    case(pair, lambda d: stacked(d).idxmax(), RIGHT, id="stack().idxmax()"),
    case(pair, lambda d: stacked(d).nlargest(1), RIGHT, id="stack().nlargest(1)"),
    case(pair, lambda d: stacked(d).nlargest(2), RIGHT, id="the pair both ways"),
    case(pair, lambda d: stacked(d).nlargest(1).index, RIGHT, id="a MultiIndex"),
    case(pair, ("Grocery", "Milk"), RIGHT, id="other order"),
    case(pair, ["milk", "GROCERY"], RIGHT, id="list, any case"),
    case(pair, {"Grocery", "Milk"}, RIGHT, id="set"),
    case(pair, np.array(["Milk", "Grocery"]), RIGHT, id="array"),
    case(pair, pd.Series(["Milk", "Grocery"]), RIGHT, id="Series"),
    case(pair, ("Milk", "Grocery", 0.60), RIGHT, id="with the correlation"),
    case(pair, ("Milk", "Grocery", "0.60"), RIGHT, id="with the correlation as text"),
    case(pair, ("Milk", "Grocery", 0.6), RIGHT, id="the correlation to 1 decimal"),
    case(
        pair,
        lambda d: ("Milk", "Grocery", d.horeca_corr.loc["Milk", "Grocery"]),
        RIGHT,
        id="with the computed correlation",
    ),
    case(
        pair,
        lambda d: pd.Series(
            {
                "column": "Milk",
                "with": "Grocery",
                "correlation": d.horeca_corr.loc["Milk", "Grocery"],
            }
        ),
        RIGHT,
        id="a row of strongest_correlations",
    ),
    case(pair, "Milk and Grocery", RIGHT, id="a sentence"),
    case(pair, "Milk and Grocery (0.60)", RIGHT, id="a sentence with the correlation"),
    case(pair, "grocery / milk", RIGHT, id="a slash"),
    case(pair, "Milk-Grocery", RIGHT, id="a hyphen"),
    case(pair, "奶制品和杂货", RIGHT, id="the Chinese names"),
    case(
        pair,
        ("Milk", "Grocery", 0.5),
        WRONG,
        "the right pair, but their correlation",
        "a wrong correlation",
    ),
    case(pair, ("Milk", "Grocery", "0.5"), WRONG, "is 0.60, not 0.5", "a wrong one as text"),
    case(
        pair, ("Grocery", "Detergents_Paper"), WRONG, "lead over all customers", "the printed pair"
    ),
    case(
        pair,
        ("Grocery", "Detergents_Paper"),
        WRONG,
        "0.57, the second strongest of the 15",
        "the printed pair's rank",
    ),
    case(
        pair,
        ("Grocery", "Detergents_Paper", 0.92),
        WRONG,
        "lead over all customers",
        "the printed pair with its correlation",
    ),
    case(
        pair,
        ("Grocery", "Detergents_Paper", "0.92"),
        WRONG,
        "lead over all customers",
        "the printed pair with its correlation as text",
    ),
    case(pair, ("Milk", "Delicassen"), WRONG, "lead on the raw spending", "raw, not log"),
    case(
        pair,
        "Fresh and Frozen",
        WRONG,
        f"Fresh and Frozen have correlation 0.38 {HORECA}, the 4th strongest of the 15 pairs",
        "text",
    ),
    case(pair, ("Milk", "Frozen"), WRONG, "the 10th strongest", "a weak pair"),
    case(pair, ("Milk", "Milk"), WRONG, "with itself", "one column twice"),
    case(pair, ("Grocery", "Grocery", "Milk"), WRONG, "Grocery appears twice", "a name twice"),
    case(pair, "Milk", WRONG, "got 1 column name: Milk", "one name"),
    case(pair, ("Grocery", "Milk", "Fresh"), WRONG, "got 3 column names", "three names"),
    case(pair, ("Milk", "Grocery", 0.6, 0.7), WRONG, "at most one number", "two numbers"),
    case(
        pair,
        ("Milk", "Grocery", "0,60"),
        WRONG,
        "'0,60' has a decimal comma: write decimals with a point",
        "a decimal comma",
    ),
    case(
        pair,
        "Milk and Grocery, 0,60",
        WRONG,
        "'0,60' has a decimal comma",
        "a decimal comma in a text",
    ),
    case(pair, ("Grocery", "Channel"), WRONG, "'Channel' is not a spending column", "label"),
    case(
        pair,
        "Grocery and Detergent",
        WRONG,
        "'Detergent' is not a spending column",
        "a misspelt name in a text",
    ),
    case(pair, "not Grocery and Detergents_Paper", WRONG, "says 'not'", "a denial"),
    case(pair, ("Milk", 5), WRONG, "5 is not a column name", "a name and a number"),
    case(pair, (2, 4), WRONG, "2 and 4 are not column names", "two numbers"),
    case(pair, ("Grocery", None), WRONG, "None is not a column name", "a name and None"),
    case(pair, [True, False], WRONG, "True and False are not column names", "bools"),
    case(pair, lambda d: stacked(d), WRONG, "one correlation per pair", "every pair"),
    case(pair, lambda d: d.horeca_corr, WRONG, ".stack().idxmax()", "the correlation table"),
    case(pair, None, WRONG, "your answer is None", "None"),
    case(pair, {"Milk": "Grocery"}, WRONG, "got dict", "dict"),
    case(pair, True, WRONG, NOT_NAMES, "bool"),
    case(pair, math.nan, WRONG, NOT_NAMES, "NaN"),
    case(pair, 0.60, WRONG, "0.6 is not a column name", "the correlation only"),
    case(pair, "the two that move together", WRONG, "names no spending column", "words"),
]


@pytest.mark.parametrize(("check", "answer", "expected", "phrase"), PAIR_CASES)
def test_check_strongest_pair(data, check, answer, expected, phrase):
    run(data, check, answer, expected, phrase)


# --- Exercise 2.3: customers with an outlier ------------------------------------------------

outliers = course.check_outlier_customers
PER_CUSTOMER = ".any(axis=1)"

OUTLIER_CASES = [
    case(outliers, lambda d: d.outlier_customers, RIGHT, "42 customers", "int"),
    case(outliers, lambda d: d.flags.any(axis=1).sum(), RIGHT, id="np.int64"),
    case(outliers, 42.0, RIGHT, id="42.0"),
    case(outliers, "42", RIGHT, id="'42'"),
    case(outliers, [42], RIGHT, id="one-value list"),
    case(outliers, pd.Series([42]), RIGHT, id="one-value Series"),
    case(
        outliers,
        lambda d: d.flags,
        WRONG,
        "then count the customers with .sum()",
        "the flags table",
    ),
    case(outliers, lambda d: d.flags.to_numpy(), WRONG, PER_CUSTOMER, "the flags as an array"),
    case(
        outliers,
        lambda d: d.flags.any(axis=1),
        WRONG,
        "count the True values with .sum()",
        "one flag per customer",
    ),
    case(outliers, lambda d: d.flags.sum(), WRONG, PER_CUSTOMER, "counts per column"),
    case(outliers, lambda d: d.flags.any(), WRONG, PER_CUSTOMER, "any() per column"),
    case(outliers, 48, WRONG, "counts outlying values", "values, not customers"),
    case(
        outliers,
        lambda d: d.flags.any(axis=0).sum(),
        WRONG,
        "counts columns, not customers",
        "columns with an outlier",
    ),
    case(
        outliers,
        lambda d: d.flags.any().sum(),
        WRONG,
        ".any(axis=1) asks per customer",
        "any() per column, counted",
    ),
    case(
        outliers, lambda d: d.flags.any(axis=1).mean(), WRONG, "a share, not a count", "the share"
    ),
    case(outliers, "42,0", WRONG, "decimals with a point", "a decimal comma"),
    case(outliers, 108, WRONG, "raw scale", "raw spending"),
    case(outliers, 41, WRONG, "iqr_outliers on the log spending", "off by one"),
    case(outliers, 441, WRONG, "between 0 and 440", "more than there are"),
    case(outliers, 1e300, WRONG, "between 0 and 440", "huge"),
    case(outliers, 4.2, WRONG, "not whole", "not whole"),
    case(outliers, None, WRONG, "your answer is None", "None"),
    case(outliers, {"n": 42}, WRONG, "got dict", "dict"),
    case(
        outliers,
        lambda d: d.customers[d.flags.any(axis=1).to_numpy()],
        WRONG,
        "that is a table; answer with a number of customers: count its rows with len(...).",
        "the outlying customers' table",
    ),
    case(
        outliers,
        lambda d: d.customers["id"][d.flags.any(axis=1).to_numpy()].tolist(),
        WRONG,
        "that is a list of values; answer with a number of customers: count them",
        "their ids",
    ),
    case(outliers, lambda d: d.customers, WRONG, "that is a table", "DataFrame"),
    case(outliers, True, WRONG, "got bool", "bool"),
    case(outliers, math.nan, WRONG, "got float nan", "NaN"),
    case(outliers, "about forty", WRONG, "got str", "words"),
]


@pytest.mark.parametrize(("check", "answer", "expected", "phrase"), OUTLIER_CASES)
def test_check_outlier_customers(data, check, answer, expected, phrase):
    run(data, check, answer, expected, phrase)


@pytest.mark.parametrize(
    ("check", "things", "count"),
    [
        (large, lambda d: d.customers[d.total >= 50_000], 66),
        (large, lambda d: d.customers["id"][d.total >= 50_000].tolist(), 66),
        (outliers, lambda d: d.customers[d.flags.any(axis=1).to_numpy()], 42),
        (outliers, lambda d: d.customers["id"][d.flags.any(axis=1).to_numpy()], 42),
    ],
    ids=["1.2 table", "1.2 ids", "2.3 table", "2.3 ids"],
)
def test_a_count_exercise_does_not_give_its_count_away(data, check, things, count):
    """The things to count, handed in uncounted, are told how to count them, not how many
    there are."""
    message = check(things(data)).message
    assert "len(...)" in message and str(count) not in message


def test_raw_scale_outliers_are_the_108_the_check_names(data):
    """The raw-scale count the check recognises, worked out independently."""
    q1, q3 = np.percentile(data.raw, [25, 75], axis=0)
    flags = (data.raw < q1 - 1.5 * (q3 - q1)) | (data.raw > q3 + 1.5 * (q3 - q1))
    assert int(flags.any(axis=1).sum()) == 108


@pytest.mark.parametrize("check", [total, large, kind, skewed, pair, outliers])
def test_a_right_answer_is_true_and_a_wrong_one_false(data, check):
    right = {
        total: data.total,
        large: data.large_at_50k,
        kind: "clustering",
        skewed: "Frozen",
        pair: data.pair,
        outliers: data.outlier_customers,
    }[check]
    assert check(right) and check(right).answered
    wrong = check("not an answer")
    assert not wrong and wrong.answered


@pytest.mark.parametrize(
    ("check", "answer"),
    [
        (large, "66,0"),
        (pair, ("Milk", "Grocery", "0,60")),
        (pair, "Milk and Grocery (0,60)"),
        (skewed, ("Frozen", "5,49")),
        (outliers, ["42,0"]),
        (total, ["1,5"] * 440),
        (course.check_objective, "10,71"),
        (course.check_new_centres, [["1,83", "2,17"], ["4,13", "5,38"]]),
    ],
    ids=["1.2", "2.2", "2.2 text", "2.1", "2.3", "1.1", "3.3", "3.2"],
)
def test_a_decimal_comma_gets_the_same_hint_in_every_check(check, answer):
    """A number refused for its decimal comma is told, in every check alike, to write
    decimals with a point (the course reads "10,71" as no number, not as 1071 or 10.71)."""
    message = check(answer).message
    assert DECIMAL_POINT in message, message
