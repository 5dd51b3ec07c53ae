"""Notebook 7's exercise checks, by table: right answers in each natural form, typical wrong
answers, odd inputs, and the message each gets.

Oracles: exercise 7.1's recall is read off CONFUSION here, cell by cell (the Retail row: 30
found of 5 + 30 = 35, so 0.857...; the Retail column gives the precision 30/39, the diagonal
the accuracy 96/110). Exercise 7.2's channel is found by walking a depth-3 tree, fitted here
with scikit-learn alone on log(1 + spending), from its root to a leaf by its own arrays
(feature, threshold, children), and checked against sklearn's decision_path and predict.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

from segmentation.course import CONFUSION, NEW_SHOP
from segmentation.course.answers import CANNOT_READ
from segmentation.course.checks_classifiers import check_retail_recall, check_tree_channel
from segmentation.data.shipped import load_customers

RIGHT = "✅ Right."
WRONG = "❌ Not yet:"
UNANSWERED = "… Not answered yet:"

SPENDING = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]


def shown(feedback):
    return repr(feedback)


def cell(true, predicted):
    return int(CONFUSION.loc[true, predicted])


RECALL = cell("Retail", "Retail") / (cell("Retail", "Horeca") + cell("Retail", "Retail"))
PRECISION = cell("Retail", "Retail") / (cell("Horeca", "Retail") + cell("Retail", "Retail"))
ACCURACY = (cell("Horeca", "Horeca") + cell("Retail", "Retail")) / int(CONFUSION.to_numpy().sum())
HORECA_RECALL = cell("Horeca", "Horeca") / (cell("Horeca", "Horeca") + cell("Horeca", "Retail"))
MISSED = cell("Retail", "Horeca") / (cell("Retail", "Horeca") + cell("Retail", "Retail"))


def test_the_exercises_data_is_as_worked_by_hand():
    assert CONFUSION.to_numpy().tolist() == [[66, 9], [5, 30]]
    assert list(CONFUSION.index) == ["Horeca", "Retail"] == list(CONFUSION.columns)
    assert CONFUSION.index.name == "true" and CONFUSION.columns.name == "predicted"
    assert CONFUSION.to_numpy().sum() == 110
    assert (round(RECALL, 2), round(PRECISION, 2), round(ACCURACY, 2)) == (0.86, 0.77, 0.87)
    assert (round(HORECA_RECALL, 2), round(MISSED, 2)) == (0.88, 0.14)
    assert list(NEW_SHOP.columns) == SPENDING
    assert NEW_SHOP.iloc[0].tolist() == [9000, 3000, 26000, 1500, 1200, 1000]


# --------------------------------------------------------------------------------------------
# Exercise 7.1: the recall of Retail, 30/35 = 0.86
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        RECALL,
        round(RECALL, 2),
        0.86,
        0.857,
        0.8571,
        0.855,  # rounds to 0.86
        "0.86",
        " 0.857 ",
        np.float64(0.86),
        np.array(0.86),
        [0.86],
        (0.86,),
        np.array([0.86]),
        pd.Series([0.86]),
        pd.Series({"Retail": RECALL}),
        30 / 35,
    ],
    ids=repr,
)
def test_recall_right_in_every_form(answer):
    feedback = check_retail_recall(answer)
    assert shown(feedback).startswith(RIGHT), shown(feedback)
    assert "recall = 30/35 = 0.86" in feedback.message
    assert "the Retail row" in feedback.message


def test_recall_right_from_pandas_as_the_solution_computes_it():
    answer = CONFUSION.loc["Retail", "Retail"] / CONFUSION.loc["Retail"].sum()
    assert check_retail_recall(answer)


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (PRECISION, "that is the precision of Retail"),
        (0.77, "that is the precision of Retail"),
        ("0.77", "the Retail column"),
        (ACCURACY, "that is the accuracy"),
        (0.87, "that is the accuracy"),
        (HORECA_RECALL, "that is the recall of Horeca"),
        (0.88, "the task asks for Retail's"),
        (MISSED, "the share of Retail customers the model missed"),
        (0.14, "recall is the share it found"),
        (86, "not a percentage"),
        (85.7, "not a percentage"),
        ("86", "not a percentage"),
        ("86%", "not a percentage"),
        ("85.7 %", "not a percentage"),
        (30, "how many Retail customers were found"),
        (35, "how many customers are truly Retail"),
        # 30/35 = 0.857...: cut short or rounded to 1 decimal, each said; a value merely near
        # it is not a rounding of 30/35 and gets the plain hint
        (0.85, "cut short: round it to 2 decimals"),
        ("0.85", "cut short: round it to 2 decimals"),
        (0.8, "cut short: round it to 2 decimals"),
        (0.9, "give the share to 2 decimals"),
        (0.865, "take the Retail row"),
        (0.851, "take the Retail row"),
        (0.84, "take the Retail row"),
        (0.5, "take the Retail row"),
        (1, "take the Retail row"),
        (0, "take the Retail row"),
    ],
    ids=repr,
)
def test_recall_wrong_answers_get_what_went_wrong(answer, phrase):
    feedback = check_retail_recall(answer)
    assert shown(feedback).startswith(WRONG), shown(feedback)
    assert phrase in feedback.message, feedback.message


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (None, "your answer is None"),
        ({"recall": 0.86}, "got dict"),
        (CONFUSION, "not a table of 2 rows and 2 columns"),
        (pd.Series([True, False, True]), "count the True values"),
        ("thirty out of thirty-five", "got str"),
        ("0,86", "decimal comma"),
        (True, "got bool"),
        ([30, 35], "got list of 2 values"),
        ("%", "got str"),
    ],
    ids=repr,
)
def test_recall_odd_inputs_get_a_sentence(answer, phrase):
    feedback = check_retail_recall(answer)
    assert shown(feedback).startswith(WRONG), shown(feedback)
    assert phrase in feedback.message and CANNOT_READ not in feedback.message, feedback.message


def test_recall_unanswered():
    assert shown(check_retail_recall(...)).startswith(UNANSWERED)


# --------------------------------------------------------------------------------------------
# Exercise 7.2: the channel the depth-3 tree gives the new shop
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tree():
    """A depth-3 tree on log(1 + spending), fitted here with scikit-learn alone."""
    customers = load_customers()
    X = np.log1p(customers[SPENDING].to_numpy(dtype=float))
    return DecisionTreeClassifier(max_depth=3, random_state=0).fit(
        X, customers["Channel"].astype(str).to_numpy()
    )


@pytest.fixture(scope="module")
def walk(tree):
    """The new shop's way down the tree, by its arrays: (feature, threshold in m.u., went
    left) per test, and the leaf."""
    x = np.log1p(NEW_SHOP.to_numpy(dtype=float))[0]
    t, node, steps = tree.tree_, 0, []
    while t.children_left[node] != -1:
        feature, threshold = t.feature[node], t.threshold[node]
        left = x[feature] <= threshold
        steps.append((SPENDING[feature], float(np.expm1(threshold)), left))
        node = t.children_left[node] if left else t.children_right[node]
    return steps, node


@pytest.fixture(scope="module")
def channel(tree, walk):
    _, leaf = walk
    by_hand = str(tree.classes_[np.argmax(tree.tree_.value[leaf])])
    x = np.log1p(NEW_SHOP.to_numpy(dtype=float))
    assert tree.decision_path(x).indices[-1] == leaf == tree.apply(x)[0]
    assert str(tree.predict(x)[0]) == by_hand
    return by_hand


def test_the_walk_matches_the_printed_rules(walk, channel):
    # the notebook's rules: Detergents_Paper <= 1746, then Grocery > 24180: Retail
    steps, _ = walk
    assert [(name, round(amount), left) for name, amount, left in steps] == [
        ("Detergents_Paper", 1746, True),
        ("Grocery", 24180, False),
    ]
    assert channel == "Retail"


def forms(name, code):
    return [
        name,
        name.lower(),
        name.upper(),
        f" {name} ",
        f"{name}.",
        f"'{name}'",
        code,
        float(code),
        str(code),
        np.int64(code),
        [name],
        (name,),
        np.array([name]),
        np.array([name], dtype=object),
        pd.Series([name]),
        pd.Index([name]),
        np.array([code]),
        pd.Series([code]),
    ]


CODES = {"Horeca": 1, "Retail": 2}


@pytest.mark.parametrize("form", range(len(forms("Retail", 2))))
def test_tree_right_in_every_form(form, channel, walk):
    answer = forms(channel, CODES[channel])[form]
    feedback = check_tree_channel(answer)
    assert shown(feedback).startswith(RIGHT), (answer, shown(feedback))
    route = ", then ".join(
        f"{name} {NEW_SHOP.iloc[0][name]:,.0f} {'<=' if left else '>'} {amount:,.0f}"
        for name, amount, left in walk[0]
    )
    assert feedback.message == f"{route}: the leaf says {channel}."


def test_tree_right_with_the_trees_own_prediction(tree, channel):
    predicted = tree.predict(np.log1p(NEW_SHOP.to_numpy(dtype=float)))
    assert check_tree_channel(predicted)
    assert check_tree_channel(predicted[0])


@pytest.mark.parametrize("form", range(len(forms("Horeca", 1))))
def test_tree_the_other_channel_is_told_to_follow_the_rules(form, channel, walk):
    other = "Horeca" if channel == "Retail" else "Retail"
    answer = forms(other, CODES[other])[form]
    feedback = check_tree_channel(answer)
    assert shown(feedback).startswith(WRONG), (answer, shown(feedback))
    name, amount, left = walk[0][0]
    first = f"{name} {NEW_SHOP.iloc[0][name]:,.0f} {'<=' if left else '>'} {amount:,.0f}"
    assert "not only the first split" in feedback.message
    assert feedback.message.endswith(f"the new shop's route starts with {first}.")


@pytest.mark.parametrize(
    "answer, phrase",
    [
        (None, "your answer is None"),
        ({"Channel": "Retail"}, "got dict"),
        (NEW_SHOP, "not a table of 1 row and 6 columns"),
        (pd.Series([True, False]), "got Series of 2 values"),
        ("a retail shop", "got str 'a retail shop'"),
        ("Online", "got str 'Online'"),
        (3, "got int 3"),
        ("3", "got str '3'"),
        (2.5, "got float 2.5"),
        (0, "got int 0"),
        (True, "got bool True"),
        (np.True_, "got bool"),
        (["Retail", "Horeca"], "got list of 2 values"),
        ([], "got list of 0 values"),
        ("", "got str ''"),
    ],
    ids=repr,
)
def test_tree_odd_inputs_get_a_sentence(answer, phrase):
    feedback = check_tree_channel(answer)
    assert shown(feedback).startswith(WRONG), shown(feedback)
    assert 'one channel, "Horeca" or "Retail"' in feedback.message or answer is None
    assert phrase in feedback.message and CANNOT_READ not in feedback.message, feedback.message


def test_tree_unanswered():
    assert shown(check_tree_channel(...)).startswith(UNANSWERED)
