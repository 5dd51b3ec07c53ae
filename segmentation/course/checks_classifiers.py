"""The checks of notebook 7's exercises: a class's recall read off a confusion matrix by hand,
and a new customer's Channel read off the decision tree's printed rules.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from segmentation.course import answers
from segmentation.course.answers import AnswerFormError, Feedback, checked
from segmentation.data.schema import CHANNELS, SPENDING_COLUMNS

#: Exercise 7.1: a confusion matrix of 110 test customers (rows: true, columns: predicted).
CONFUSION = pd.DataFrame(
    [[66, 9], [5, 30]],
    index=pd.Index(["Horeca", "Retail"], name="true"),
    columns=pd.Index(["Horeca", "Retail"], name="predicted"),
)

#: Exercise 7.2: a new customer's annual spending, to classify with the tree's rules.
NEW_SHOP = pd.DataFrame(
    [[9000, 3000, 26000, 1500, 1200, 1000]],
    columns=list(SPENDING_COLUMNS),
    index=pd.Index(["new shop"]),
)


def _share(table: pd.DataFrame, true: str, predicted: str, along: str) -> float:
    """A share of the confusion matrix: a cell over its row ("recall") or column sum."""
    cell = float(table.loc[true, predicted])
    total = table.loc[true].sum() if along == "recall" else table[predicted].sum()
    return cell / float(total)


@checked
def check_retail_recall(answer: Any) -> Feedback:
    """Exercise 7.1: the recall of Retail in :data:`CONFUSION`, as a share to 2 decimals.

    One number in any form (numeric text, a one-value list, array or Series); the typical
    slips (precision, accuracy, the other class's recall, a percentage, the count) are named.
    """
    text = answer.strip() if isinstance(answer, str) else ""
    if text.endswith("%") and answers.one_number(text[:-1]) is not None:  # "86%"
        return answers.wrong(_PERCENTAGE)
    given = answers.as_number(answer, "the recall as one number, such as 0.5")
    found, retail = CONFUSION.loc["Retail", "Retail"], CONFUSION.loc["Retail"].sum()
    exact = _share(CONFUSION, "Retail", "Retail", "recall")
    if answers.within_rounding(given, exact):
        return answers.right(
            f"Of the {retail} true Retail customers (the Retail row), the model found {found}: "
            f"recall = {found}/{retail} = {exact:.2f}."
        )
    return answers.wrong(_recall_slip(given, exact) or _RECALL_HINT)


_PERCENTAGE = "give the recall as a share between 0 and 1 (such as 0.5), not a percentage."

_RECALL_HINT = (
    "recall counts, among the customers truly of a class, the share predicted as that "
    "class: take the Retail row of the table."
)


def _recall_slip(given: float, exact: float) -> str | None:
    """What a wrong answer to exercise 7.1 most likely computed; None when nothing fits."""
    accuracy = np.trace(CONFUSION.to_numpy()) / CONFUSION.to_numpy().sum()
    slips = {
        _share(CONFUSION, "Retail", "Retail", "precision"): "that is the precision of Retail "
        "(the Retail column: of those predicted Retail, the share truly Retail); recall "
        "reads the Retail row",
        accuracy: "that is the accuracy (all customers predicted right); recall is about the "
        "Retail customers only",
        _share(CONFUSION, "Horeca", "Horeca", "recall"): "that is the recall of Horeca; the "
        "task asks for Retail's",
        CONFUSION.loc["Retail", "Horeca"] / CONFUSION.loc["Retail"].sum(): "that is the share "
        "of Retail customers the model missed; recall is the share it found",
    }
    for value, message in slips.items():
        if answers.within_rounding(given, value):
            return f"{message}."
    if 1 < given <= 100 and answers.within_rounding(given / 100, exact):
        return _PERCENTAGE
    if given == CONFUSION.loc["Retail", "Retail"]:
        return "that is how many Retail customers were found: divide by all true Retail customers."
    if given == CONFUSION.loc["Retail"].sum():
        return "that is how many customers are truly Retail: recall is the share of them found."
    # 30/35 is one division, so the only rounding slips are its digits cut short (0.8, 0.85)
    # or rounded to 1 decimal (0.9); a value merely near it (0.865) is not 30/35 at all
    if any(np.isclose(given, np.floor(exact * 10**d) / 10**d, rtol=0, atol=1e-9) for d in (1, 2)):
        return "close, but that share is cut short: round it to 2 decimals instead."
    if np.isclose(given, round(exact, 1), rtol=0, atol=1e-9):
        return "close, but give the share to 2 decimals, as the task asks."
    return None


@cache
def _tree() -> Any:
    """The course's depth-3 decision tree fitted on all the customers' Channel, as the notebook
    fits it."""
    from segmentation.classify.models import standard_classifiers
    from segmentation.data.shipped import load_customers

    customers = load_customers()
    estimator = standard_classifiers()["decision tree"].estimator
    return estimator.fit(customers[list(SPENDING_COLUMNS)], customers["Channel"].astype(str))


def _path(model: Any, customer: pd.DataFrame) -> list[str]:
    """The tests the customer passes on its way down the tree, in spending units."""
    tree = model[-1].tree_
    transformed = model[:-1].transform(customer)  # a table: the tree knows its columns
    inputs = np.asarray(transformed, dtype=float)
    nodes = model[-1].decision_path(transformed).indices[:-1]  # the leaf holds no test
    steps = []
    for node in nodes:
        feature, threshold = tree.feature[node], tree.threshold[node]
        point = np.zeros((1, len(SPENDING_COLUMNS)))
        point[0, feature] = threshold
        amount = float(model[:-1].inverse_transform(point)[0, feature])
        value = float(customer.iloc[0, feature])
        sign = "<=" if inputs[0, feature] <= threshold else ">"
        steps.append(f"{SPENDING_COLUMNS[feature]} {value:,.0f} {sign} {amount:,.0f}")
    return steps


def _channel(answer: Any) -> str:
    """The channel an answer names: "Retail" in any case, the file's code 2, or a prediction
    of one value (a list, array or Series)."""
    if isinstance(answer, pd.DataFrame):
        raise AnswerFormError(
            f'answer with one channel, "Horeca" or "Retail", not {answers.kind(answer)}.'
        )
    if isinstance(answer, (list, tuple, np.ndarray, pd.Series, pd.Index)):
        values = answers.leaves(answer)
        if len(values) != 1:
            raise AnswerFormError(
                f'answer with one channel, "Horeca" or "Retail"; got {answers.kind(answer)}.'
            )
        answer = values[0]
    if isinstance(answer, str):
        text = answers.normalised(answer.strip().strip(".!'\""))
        for name in CHANNELS.values():
            if text == name.lower():
                return name
    if (number := answers.one_number(answer)) is not None and number in CHANNELS:
        return CHANNELS[int(number)]
    raise AnswerFormError(
        f'answer with one channel, "Horeca" or "Retail"; got {answers.kind(answer)}.'
    )


@checked
def check_tree_channel(answer: Any) -> Feedback:
    """Exercise 7.2: the Channel the depth-3 tree gives :data:`NEW_SHOP`, read off its rules.

    The name in any letter case, the file's code (1 Horeca, 2 Retail), or the tree's own
    prediction (an array of one value) are accepted.
    """
    given = _channel(answer)
    model = _tree()
    predicted = str(model.predict(NEW_SHOP)[0])
    route = _path(model, NEW_SHOP)
    if given == predicted:
        return answers.right(f"{', then '.join(route)}: the leaf says {predicted}.")
    return answers.wrong(
        "follow the rules from the top to a leaf, one test per level, not only the first "
        f"split: the new shop's route starts with {route[0]}."
    )
