"""The checks of notebook 1's exercises (the scenario): total spending, the hand rule's
"large" line moved, and what kind of problem segmentation is.

Examples
--------
>>> check_problem_type("clustering")
✅ Right. The records carry no labels: the groups must be found in the data itself.
>>> check_problem_type(...)
… Not answered yet: replace the ... with your answer and run the cell again.
>>> bool(check_problem_type("regression"))
False
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
import pandas as pd

from segmentation.course import answers
from segmentation.course.answers import AnswerFormError, Feedback, checked
from segmentation.data.schema import LABEL_CODES, SPENDING_COLUMNS
from segmentation.data.shipped import load_customers
from segmentation.preprocessing.spending import HAND_THRESHOLDS, total_spending


@checked
def check_total_spending(answer: Any) -> Feedback:
    """Exercise 1.1: each customer's total spending over the six categories, as a Series (a
    table column), a NumPy array or a list, in the customers' order."""
    expected = total_spending(load_customers()).to_numpy()
    if isinstance(answer, pd.DataFrame) and answer.shape[1] > 1:
        raise AnswerFormError(
            f"that is {answers.kind(answer)}; add across each row with "
            ".sum(axis=1) to get one total per customer."
        )
    values = answers.as_array(
        answer,
        expected.shape,
        f"one total per customer ({len(expected)} numbers: add across each row with .sum(axis=1))",
    )
    if np.allclose(values, expected):
        return answers.right(f"Totals run from {expected.min():,.0f} to {expected.max():,.0f} m.u.")
    if np.allclose(np.sort(values), np.sort(expected)):
        return answers.wrong(
            "the totals are right but in another order: keep one total per customer "
            "in the customers' order (do not sort them)."
        )
    return answers.wrong(_what_totals_miss(values, expected, load_customers()))


def _what_totals_miss(values: np.ndarray, expected: np.ndarray, customers: pd.DataFrame) -> str:
    """Why totals differ from the sums of the six spending columns, told from how they
    differ: rounded, a mean, id or a label's code added, a constant offset, or otherwise."""
    for unit in (10, 100, 1_000, 10_000):
        if np.all(np.mod(values, unit) == 0) and np.all(np.abs(values - expected) <= unit / 2):
            return (
                f"those totals are rounded to the nearest {unit:,}; the task asks for the "
                "totals themselves: leave out the rounding."
            )
    if np.allclose(values, expected / len(SPENDING_COLUMNS)):
        return (
            "that is each customer's mean over the six spending columns, not the sum: use "
            ".sum(axis=1), not .mean(axis=1)."
        )
    # the columns a student may add by mistake: id (a number) and the labels' codes
    added = {"id": customers["id"].to_numpy(dtype=float)} | {
        column: customers[column]
        .map({name: code for code, name in codes.items()})
        .astype(float)
        .to_numpy()
        for column, codes in LABEL_CODES.items()
    }
    for size in range(1, len(added) + 1):
        for names in itertools.combinations(added, size):
            if np.allclose(values - expected, sum(added[name] for name in names)):
                shown = [name if name == "id" else f"the {name} code" for name in names]
                return (
                    f"your totals add {' and '.join(shown)} to the spending: sum only the "
                    "six spending columns, not id, Channel or Region."
                )
    extra = values - expected
    if np.ptp(extra) == 0:
        side = "larger" if extra[0] > 0 else "smaller"
        return (
            f"every total is {abs(extra[0]):,g} {side} than the sum of the six spending "
            "columns: add up those six, and nothing else."
        )
    if extra.mean() > 0:
        amount = f"{extra.mean():,.1f}" if extra.mean() < 1e9 else f"{extra.mean():.3g}"
        return (
            f"your totals are {amount} larger on average: sum only the six spending "
            f"columns ({', '.join(SPENDING_COLUMNS)}), and nothing else."
        )
    differ = int((~np.isclose(values, expected)).sum())
    return (
        f"{differ} of the {len(expected)} totals differ: sum the six spending columns "
        f"({', '.join(SPENDING_COLUMNS)}) of each customer."
    )


#: Exercise 1.2 moves the hand rule's "large" line here: the notebook prints the count at the
#: usual line (60,000 m.u.), so the exercise asks for one it does not print.
LOWER_LARGE_LINE = 50_000


@checked
def check_large_by_hand(answer: Any) -> Feedback:
    """Exercise 1.2: how many customers would be large if the hand rule's "large" line were
    moved down to LOWER_LARGE_LINE (a number in any form: 66, 66.0, "66", a one-value list
    or Series)."""
    customers = load_customers()
    total = total_spending(customers)
    line, usual = LOWER_LARGE_LINE, HAND_THRESHOLDS["large"]
    expected = int((total >= line).sum())
    given = answers.count_of(answer, "a number of customers")
    if given == expected:
        moved = expected - int((total >= usual).sum())
        return answers.right(
            f"{given} of {len(customers)} customers would be large at {line:,} m.u.: "
            f"moving the line by {usual - line:,} m.u. changes the grade of {moved} "
            "customers."
        )
    if given == int((total >= usual).sum()):
        return answers.wrong(
            f"that is the count at the usual line of {usual:,} m.u.; the task moves "
            f"the line down to {line:,}."
        )
    if given == len(customers) - expected:
        return answers.wrong(f"that counts the customers below {line:,}; count those at or above.")
    if given == int(((total >= line) & (total < usual)).sum()):
        return answers.wrong(
            f"that counts only the customers between {line:,} and {usual:,} m.u.; "
            f"those above {usual:,} are large too."
        )
    if given == int((total >= HAND_THRESHOLDS["medium"]).sum()):
        return answers.wrong(
            f"that counts every customer from {HAND_THRESHOLDS['medium']:,} m.u. "
            f"up (medium and large); large starts at {line:,} in this task."
        )
    if not 0 <= given <= len(customers):
        return answers.wrong(f"a number of customers lies between 0 and {len(customers)}.")
    return answers.wrong(f"count the customers whose total spending is at least {line:,} m.u.")


#: How an answer says clustering, names another kind of problem, or denies clustering.
_CLUSTERING = ("cluster", "unsupervised", "聚类", "无监督")
_OTHER_KINDS = (
    (r"semi\s*-?\s*supervised|半监督", "semi-supervised learning"),
    (r"supervised|监督", "supervised learning"),
    (r"classif|分类", "classification"),
    (r"regress|回归", "regression"),
)
_DENIAL = re.compile(
    r"\b(not|no|non|never|isn'?t|nor)\s*-?\s*(an?\s+|the\s+|really\s+|just\s+)?"
    r"(unsupervised|cluster)|(不是|不|非|没有)\s*(无监督|聚类)"
)
#: Another kind of problem ruled out ("clustering, not classification").
_NOT_OTHER = re.compile(
    r"\b(not|no|non|never|isn'?t|nor|rather than|instead of)\s*-?\s*"
    r"(an?\s+|the\s+)?(semi\s*-?\s*)?(supervised|classif|regress)\w*|"
    r"(不是|不|非|而非)\s*(半监督|监督|分类|回归)"
)
#: Labels said to be missing ("no labels", "unlabelled"); any other "label" says they exist.
_NO_LABELS = re.compile(
    r"\bun\s*-?\s*label|\b(no|without|not|non|never)\s*-?\s*(any\s+)?"
    r"label|label\w*\s*-?\s*(free|less|unknown|missing|absent)|"
    r"labels?\s+(are\s+)?(not|never)\b|(无|没有|没|不带)\s*(标签|标注)"
)


def _other_kinds(text: str) -> list[str]:
    """The kinds of problem other than clustering that a text names, in a fixed order."""
    found = []
    for pattern, name in _OTHER_KINDS:
        if re.search(pattern, text):
            found.append(name)
            text = re.sub(pattern, " ", text)  # "semi-supervised" is not "supervised" too
    return found


def _problem_text(answer: Any) -> str:
    """An answer to exercise 1.3 as lower-case text on one line, with the other spellings of
    "unsupervised" written as that word. Raises :class:`AnswerFormError` for an answer that is
    not text, or is empty."""
    if not isinstance(answer, str):
        raise AnswerFormError(
            "answer with the kind of problem as text in quotes: "
            f'answer = "..." with your words between the quotes; got '
            f"{answers.kind(answer)}."
        )
    text = " ".join(answer.lower().split())
    if not text:
        raise AnswerFormError('write your answer between the quotes: answer = "...".')
    # "non-supervised", "not supervised" and 非监督 are other spellings of unsupervised
    text = re.sub(r"\b(non|not)\s*-?\s*supervised", "unsupervised", text)
    return re.sub(r"(不是|非)监督", "无监督", text)


@checked
def check_problem_type(answer: Any) -> Feedback:
    """Exercise 1.3: what kind of machine-learning problem segmentation is, in a word or two
    ("clustering", "unsupervised learning", "聚类"). An answer that also names another kind,
    says it is *not* clustering, or says the records carry labels is not taken as clustering;
    one that rules another kind out ("clustering, not classification") is."""
    text = _problem_text(answer)
    if any(word in text for word in _CLUSTERING) and _DENIAL.search(text):
        return answers.wrong(
            "your answer says it is not clustering; decide, and answer with the one "
            "kind of problem it is."
        )
    if re.search(r"label|标签|标注", _NO_LABELS.sub(" ", text)):
        return answers.wrong(
            "your answer says the records carry labels, but nobody has labelled "
            "these customers: no record comes with its right segment."
        )
    ruled_out = _NOT_OTHER.search(text) is not None
    text = _NOT_OTHER.sub(" ", text)
    clustering = any(word in text for word in _CLUSTERING)
    # "unsupervised classification" is what some fields (remote sensing) call clustering
    synonym = re.search(r"unsupervised classif|无监督分类", text)
    others = _other_kinds(re.sub(r"unsupervised( classif\w*)?|无监督(分类)?", " ", text))
    if clustering and not others:
        return answers.right(
            ("'Unsupervised classification' is another name for clustering. " if synonym else "")
            + "The records carry no labels: the groups must "
            "be found in the data itself."
        )
    if clustering and others[0].endswith("supervised learning"):
        some = "a few " if others[0].startswith("semi") else ""
        return answers.wrong(
            f"'{others[0].split()[0]}' means learning from {some}labelled records, but "
            "nobody has labelled these customers: no record comes with its right "
            "segment."
        )
    if clustering:
        named = "clustering" if re.search(r"cluster|聚类", text) else "unsupervised learning"
        return answers.wrong(
            f"your answer names both {named} and {others[0]}; {others[0]} needs "
            "a known answer for each customer, which these records lack: answer with "
            "the one kind of problem it is."
        )
    if ruled_out and not others:
        return answers.wrong("say what kind of problem it is, rather than what it is not.")
    if others:
        which = "some customers" if others[0].startswith("semi") else "each customer"
        return answers.wrong(
            f"{others[0]} needs a known answer for {which}; customer records carry no such label."
        )
    if re.search(r"k[\s-]?means", text):
        return answers.wrong("k-means is a method; name the kind of problem it solves.")
    return answers.wrong("think about whether each customer comes with the right group attached.")
