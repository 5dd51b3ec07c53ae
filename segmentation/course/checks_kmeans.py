"""The checks of notebook 3's exercises: one iteration of k-means by hand on :data:`TINY`
(the assignment, the new centres, the objective J).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from segmentation.cluster.steps import assign, objective, update_centres
from segmentation.course import answers
from segmentation.course.answers import AnswerFormError, Feedback, checked

#: Seven customers with two features, and two starting centres, for computing by hand. Each
#: customer is clearly nearer one centre than the other, so there is no tie to break.
TINY = np.array(
    [[1.0, 1.0], [1.5, 2.0], [3.0, 3.5], [5.0, 7.0], [3.5, 5.0], [4.5, 5.0], [3.5, 4.5]]
)
TINY_CENTRES = np.array([[1.0, 1.0], [5.0, 7.0]])


def _tiny_step() -> tuple[np.ndarray, np.ndarray]:
    """Exercises 3.1 and 3.2 worked out: the assignment to TINY_CENTRES, and the centres
    after one update."""
    labels = assign(TINY, TINY_CENTRES)
    return labels, update_centres(TINY, labels, TINY_CENTRES)


def _is_true_false(answer: Any) -> bool:
    try:
        return np.asarray(answer).dtype == bool
    except (TypeError, ValueError):  # ragged lists and other shapes NumPy cannot hold
        return False


def _members(labels: np.ndarray, j: int) -> list[int]:
    return np.flatnonzero(labels == j).tolist()


def _decimal_comma(answer: Any) -> bool:
    """True when a value is written as text with a comma ("10,71"): answers.one_number would read
    the comma as a thousands separator (1071), which is never what a value of a few units
    means here."""
    return any(isinstance(leaf, str) and "," in leaf for leaf in answers.leaves(answer))


def _rounded_right(given: Any, exact: Any, decimals: int = 2) -> bool:
    """True when each given value is the exact one written to at least ``decimals`` decimals:
    nearer to it than half a unit in that place, or, when the exact value lies on a half
    (4.125), either of its two roundings (4.13 half up, as by hand; 4.12 half to even, as
    NumPy rounds). 5.375 rounds to 5.38 both ways, so 5.37 is not right: stricter than
    :func:`answers.within_rounding`, which takes both neighbours of every half."""
    given, exact = np.asarray(given, dtype=float), np.asarray(exact, dtype=float)
    scale = 10.0**decimals
    near = np.abs(given - exact) < 0.5 / scale - 1e-9
    roundings = (np.floor(exact * scale + 0.5) / scale, np.round(exact, decimals))
    rounded = [np.isclose(given, r, rtol=0, atol=1e-9) for r in roundings]
    return bool(np.all(near | rounded[0] | rounded[1]))


def _groups_of_numbers(answer: Any) -> list[list[float]] | None:
    """The groups, when an answer splits numbers into one group per cluster (the customers of
    each cluster, [[0, 1, 2], [3, 4, 5, 6]], or cluster numbers split by cluster); else None."""
    if not isinstance(answer, (list, tuple)) or len(answer) != len(TINY_CENTRES):
        return None
    groups = []
    for group in answer:
        if not isinstance(group, (list, tuple, np.ndarray, pd.Series)) or (
            isinstance(group, np.ndarray) and group.ndim != 1
        ):
            return None
        numbers = [answers.one_number(value) for value in group]
        known = [n for n in numbers if n is not None]
        if len(known) < len(numbers):
            return None
        groups.append(sorted(known))
    return groups


@checked
def check_assignment(answer: Any) -> Feedback:
    """Exercise 3.1: the nearest of TINY_CENTRES for each customer of TINY: seven cluster
    numbers, 0 or 1, as a list, an array, a Series, a one-column table or numeric strings."""
    expected = assign(TINY, TINY_CENTRES)
    what = f"{len(TINY)} cluster numbers, 0 or 1, one per customer in order"
    if _is_true_false(answer):
        raise AnswerFormError(
            f"those are True/False values; answer with {what} "
            "(.astype(int) turns True/False into 1/0)."
        )
    groups = _groups_of_numbers(answer)
    values = [n for group in groups or [] for n in group]
    if values and max(values) > 1 and all(n >= 0 and n == round(n) for n in values):
        right = groups == [_members(expected, j) for j in range(len(TINY_CENTRES))]
        return answers.wrong(
            f"those {'are the right' if right else 'look like the'} customers of "
            f"each cluster; the task asks the other way round: {what} (the cluster "
            "of customer 0, then of customer 1, and so on)."
        )
    if groups is not None and len({len(group) for group in groups}) > 1:
        raise AnswerFormError(f"answer with {what}, in one flat list, not split into groups.")
    labels = answers.as_array(answer, expected.shape, what)
    if (labels == expected).all():
        return answers.right(
            f"Cluster 0 gets customers {_members(expected, 0)}, cluster 1 the rest; "
            "each customer is clearly nearer its own centre."
        )
    if (labels == expected + 1).all():
        return answers.wrong(
            "clusters are numbered from 0: the first centre (TINY_CENTRES[0]) is "
            "cluster 0 and the second cluster 1, as argmin numbers them."
        )
    nearest = (
        ((TINY[:, np.newaxis, :] - TINY_CENTRES[np.newaxis, :, :]) ** 2).sum(axis=2).min(axis=1)
    )
    if not np.isin(labels, (0, 1)).all() and (
        answers.within_rounding(labels, nearest, 2)
        or answers.within_rounding(labels, np.sqrt(nearest), 2)
    ):
        return answers.wrong(
            "those are the smallest distances themselves: min gives the smallest "
            "value in each row, argmin its position, which is the cluster number."
        )
    if not np.isin(labels, (0, 1)).all():
        return answers.wrong(
            "each value must be 0 (nearest TINY_CENTRES[0]) or 1 (nearest TINY_CENTRES[1])."
        )
    if (labels == 1 - expected).all():
        return answers.wrong(
            "every customer went to the farther centre: take the smallest distance "
            "(argmin, not argmax)."
        )
    wrong = np.flatnonzero(labels != expected).tolist()
    return answers.wrong(f"customers {wrong} (counting from 0) are nearer the other centre.")


@checked
def check_new_centres(answer: Any) -> Feedback:
    """Exercise 3.2: the centres after one update, from the assignment of exercise 3.1, as
    two rows [x, y] in any array form, or the four values in the order x, y, x, y. Values
    rounded correctly to 2 decimals are right (on a half, either way: 4.12 or 4.13 for
    4.125)."""
    labels, expected = _tiny_step()
    what = "the two new centres as two rows of two numbers, [[x, y], [x, y]]"
    if _is_true_false(answer):
        raise AnswerFormError(f"those are True/False values; answer with {what}.")
    if _decimal_comma(answer):
        raise AnswerFormError(answers.DECIMAL_POINT)
    centres = answers.as_array(answer, expected.shape, what)
    if _rounded_right(centres, expected):
        shown = " and ".join(f"({x:.3f}, {y:.3f})" for x, y in expected)
        return answers.right(f"The centres moved to {shown}.")
    if _rounded_right(centres[::-1], expected):
        return answers.wrong(
            "right centres, wrong order: row 0 is the centre of cluster 0 (the "
            f"customers {_members(labels, 0)})."
        )
    if _rounded_right(centres.T, expected):
        return answers.wrong(
            "you gave both x values first: each centre is [x, y], so give x and y "
            "of cluster 0, then x and y of cluster 1."
        )
    off = [j for j in range(len(expected)) if not _rounded_right(centres[j], expected[j])]
    if answers.within_rounding(centres, expected, 1):
        if np.allclose(centres, np.round(centres, 1)):
            return answers.wrong(
                "close, but not right to 2 decimals: if you gave 1 decimal, give 2; "
                "if you gave 2, check the arithmetic."
            )
        which = f"centre {off[0]} is" if len(off) == 1 else "both centres are"
        return answers.wrong(
            f"close, but {which} off in the second decimal: check the arithmetic and the rounding."
        )
    if any(answers.within_rounding(row, TINY.mean(axis=0), 2) for row in centres):
        return answers.wrong("that is the mean of all customers; take the mean of each cluster.")
    if answers.within_rounding(centres, TINY_CENTRES, 2):
        return answers.wrong(
            "those are the starting centres; move each to the mean of its cluster."
        )
    which = f"centre {off[0]} is not" if len(off) == 1 else "neither centre is"
    members = "; ".join(f"cluster {j} is customers {_members(labels, j)}" for j in off)
    return answers.wrong(f"{which} the mean of its cluster ({members}).")


@checked
def check_objective(answer: Any) -> Feedback:
    """Exercise 3.3: J for the new centres, with the assignment of exercise 3.1, as one number
    in any form. A value rounded to 2 decimals is right."""
    labels, centres = _tiny_step()
    squared = ((TINY - centres[labels]) ** 2).sum(axis=1)
    expected = objective(TINY, centres, labels)
    before = objective(TINY, TINY_CENTRES, labels)
    if _is_true_false(answer):
        raise AnswerFormError("those are True/False values; answer with one number, J.")
    if (
        isinstance(answer, tuple)
        and len(answer) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in answer)
    ):
        # J = 10,71 typed without quotes: Python makes the tuple (10, 71)
        raise AnswerFormError(
            f"Python reads {answer[0]},{answer[1]} as two numbers; {answers.DECIMAL_POINT}"
        )
    if _decimal_comma(answer):
        raise AnswerFormError(answers.DECIMAL_POINT)
    value = answers.as_number(answer, "one number, J")
    if answers.within_rounding(value, expected, 2):
        return answers.right(f"J = {expected:.3f}, down from {before:.3f} with the old centres.")
    if answers.within_rounding(value, np.sqrt(squared).sum(), 2):
        return answers.wrong("that sums distances; J sums squared distances.")
    if answers.within_rounding(value, before, 2):
        return answers.wrong("that is J for the old centres; use the new ones.")
    if answers.within_rounding(value, expected / len(TINY), 2):
        return answers.wrong("that is the mean of the squared distances; J is their sum.")
    if answers.within_rounding(value, expected / TINY.size, 2):
        # .mean() over the whole table of squared differences: 7 customers times 2 features
        return answers.wrong(
            f"that is the mean of the {TINY.size} squared differences (.mean() "
            "averages over every customer and feature); J is their sum: use .sum()."
        )
    for j in range(len(centres)):
        if answers.within_rounding(value, squared[labels == j].sum(), 2):
            return answers.wrong(f"that is cluster {j} alone; J adds up both clusters.")
    if answers.within_rounding(value, expected, 1):
        # 10.7 and 10.70 are the same number: the message covers both ways of getting there
        if value == round(value, 1):
            return answers.wrong(
                "close, but not right to 2 decimals: if you gave 1 decimal, give 2; "
                "if you gave 2, keep 3 decimals along the way and round only J."
            )
        return answers.wrong(
            "close, but off in the second decimal: keep 3 decimals along the way, "
            "round only J, and check the arithmetic."
        )
    return answers.wrong("sum, over customers, the squared distance to their own cluster's centre.")
