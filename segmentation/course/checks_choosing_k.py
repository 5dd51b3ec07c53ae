"""The checks of notebook 4's exercises: a choice of k with its reason, and the feature that
weighs most in the distances when spending is not scaled.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from segmentation.cluster.choosing import best_silhouette, elbow
from segmentation.course import answers
from segmentation.course.answers import AnswerFormError, Feedback, checked
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import load_customers
from segmentation.preprocessing.spending import spending

#: The one word that names each reason for a choice of k, in lower case, with the Chinese names
#: notebook 4 gives. Free text is not read: reading it proved unreliable (right reasons
#: rejected, wrong ones accepted), while one word from a stated list is read the same by all.
_K_REASON_WORDS = {
    "elbow": "elbow",
    "肘部": "elbow",
    "肘部法则": "elbow",
    "silhouette": "silhouette",
    "轮廓系数": "silhouette",
    "轮廓": "silhouette",
    "business": "business",
    "业务": "business",
}
_K_REASONS = ("elbow", "silhouette", "business")
#: Around the word: spaces, quotes, brackets and punctuation, Western or Chinese.
_AROUND_A_WORD = " \u3000\t\r\n.,;:!?'\"`()[]{}<>。，；：！？、“”‘’（）《》"
_NAME_THE_REASON = (
    'name the reason with one word: "elbow", "silhouette" or "business" (or, '
    'for both guides, the list ["elbow", "silhouette"]). Your sentence is a '
    "fine note for yourself; the check reads the word."
)


def _k_reasons(reason: Any) -> list[str] | None:
    """The reasons named, in the order of :data:`_K_REASONS`: one word, or a list or tuple of
    words; None for text that is not one of the words (it is not judged)."""
    items = list(reason) if isinstance(reason, (list, tuple)) else [reason]
    if not items or not all(isinstance(item, str) for item in items):
        raise AnswerFormError(
            'write the reason as one word in quotes, such as reason = "elbow"; '
            f"got {answers.kind(reason)}."
        )
    named = {_K_REASON_WORDS.get(item.strip(_AROUND_A_WORD).lower()) for item in items}
    return None if None in named else [name for name in _K_REASONS if name in named]


def _k_table(table: Any) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame) or not {"k", "J", "silhouette"} <= set(table):
        raise AnswerFormError(
            "pass the table of J and silhouettes made above as the third "
            "argument: check_k_choice(k, reason, table)."
        )
    return table


def _k_facts(table: pd.DataFrame, number: int) -> tuple[dict[str, int | None], dict[str, str]]:
    """The k each reason supports (None when the table is too short to tell) and what the
    table or the scenario shows, as a sentence (the silhouette's compared with ``number``)."""
    from segmentation.preprocessing.spending import (
        GRADES,  # the scenario's grades: one segment for each
    )

    grades = len(GRADES)
    supports: dict[str, int | None] = {"business": grades}
    facts = {
        "business": f"the business asked for {grades} grades "
        f"({', '.join(reversed(GRADES))}), which means k = {grades}"
    }
    for name, guide in (("elbow", elbow), ("silhouette", best_silhouette)):
        try:
            supports[name] = guide(table)
        except ValueError as exc:
            supports[name], facts[name] = None, str(exc).rstrip(".")
    if (best := supports["elbow"]) is not None:
        facts["elbow"] = f"J bends most sharply at k = {best}"
    silhouette = table.dropna(subset=["silhouette"]).set_index("k")["silhouette"]
    if (best := supports["silhouette"]) is not None:
        against = (
            ""
            if number == best
            else f", against {silhouette[number]:.3f} at k = {number}"
            if number in silhouette.index
            else f"; none at k = {number} in the table"
        )
        facts["silhouette"] = (
            f"the silhouette is highest at k = {best} ({silhouette[best]:.3f}{against})"
        )
    return supports, facts


def _k_nobody_chose(table: pd.DataFrame, number: int, shown: list[str]) -> str:
    """What the table shows about a k that no guide and not the business points to."""
    if number == 1:
        return " k = 1 puts every customer in one segment: no segmentation at all."
    said = [
        "J always falls as k grows, so a larger k always has a lower J: that alone chooses nothing"
    ]
    if "silhouette" not in shown:
        silhouette = table.dropna(subset=["silhouette"]).set_index("k")["silhouette"]
        best = silhouette.idxmax()
        said.append(
            f"the silhouette at k = {number} is {silhouette[number]:.3f}, against "
            f"{silhouette[best]:.3f} at k = {best}"
            if number in silhouette.index
            else f"the table stops at k = {table['k'].max()}"
        )
    return f" Nothing in the table points to k = {number} either: {'; and '.join(said)}."


def _k_and_reason(k: Any, reason: Any) -> tuple[Any, Any]:
    """``k`` and ``reason`` as given, or both from ``k`` when it holds both, as
    ``(3, "business")`` or ``(3, ["elbow", "silhouette"])`` (and no reason is given apart)."""
    if (
        reason is ...
        and isinstance(k, (tuple, list))
        and len(k) == 2
        and (
            isinstance(k[1], str)
            or (isinstance(k[1], (list, tuple)) and k[1] and all(isinstance(r, str) for r in k[1]))
        )
    ):
        k, reason = k
    return k, reason


def _k_not_following(
    number: int,
    right: list[str],
    wrong: list[str],
    supports: dict[str, int | None],
    facts: dict[str, str],
    table: pd.DataFrame,
) -> Feedback:
    """What to say when ``number`` does not follow from the reasons in ``wrong`` (the reasons
    in ``right`` hold), from what :func:`_k_facts` found."""
    if {None} == {supports[n] for n in wrong}:
        return answers.wrong(
            "the table is too short to check that: " + "; and ".join(facts[n] for n in wrong) + "."
        )
    # a reason's k set against the student's, where its fact does not already do it
    against = {"elbow": f", not at {number}", "business": f", not {number}"}
    shown = "; and ".join(facts[n] + against.get(n, "") * (supports[n] is not None) for n in wrong)
    if right:
        held = " and ".join(facts[n] for n in right)
        return answers.wrong(f"half right: {held}, but {shown}: keep only the words that hold.")
    head = f"k = {number} does not follow from {' and '.join(f'the {n}' for n in wrong)}"
    tail = (
        _k_nobody_chose(table, number, wrong)
        if number not in supports.values() and None not in supports.values()
        else ""
    )
    return answers.wrong(f"{head}: {shown}.{tail}")


def _k_following(
    number: int, right: list[str], supports: dict[str, int | None], facts: dict[str, str]
) -> Feedback:
    """What to say when ``number`` follows from every reason named (``right``)."""
    if "business" in right:
        price = [facts[n] for n in ("elbow", "silhouette") if supports[n] not in (number, None)]
        return answers.right(
            f"The business asked for {number} grades, and k = {number} gives it "
            f"{number} segments, one for each treatment"
            + (f", at a price: {' and '.join(price)}." if price else ".")
        )
    grades = supports["business"]
    closing = (
        f" It also gives the {grades} segments the business asked for."
        if number == grades
        else f" The business asked for {grades} grades, though: the course goes on with "
        f"k = {grades}."
    )
    guides = " and ".join(facts[n] for n in right)
    return answers.right(
        f"{guides[0].upper()}{guides[1:]}: the split the data itself supports best.{closing}"
    )


@checked
def check_k_choice(k: Any, reason: Any = ..., table: Any = None) -> Feedback:
    """Exercise 4.1: a k and the reason for it, named with one word ("elbow", "silhouette" or
    "business", any letter case; the Chinese 肘部, 轮廓系数 or 业务), read against ``table``
    (from :func:`segmentation.cluster.choosing.scan_k`).

    Right: the k where J bends most sharply ("elbow"), where the silhouette is highest
    ("silhouette"), or k = 3 because the business asked for three grades ("business",
    notebook 1). Where both guides point to the same k, a list of both words is right too.
    Any other text gets the list of words, without a verdict: free text is not read. ``k``
    may be any whole number (3, "3", 3.0) or hold both, as ``(3, "business")``.
    """
    k, reason = _k_and_reason(k, reason)
    number = answers.as_whole_number(k, "k as a whole number, such as 4")
    if number < 1:
        raise AnswerFormError(f"k counts segments: a whole number from 1 up, not {number}.")
    if reason is ... or reason is None:
        return Feedback(
            False,
            f"k = {number} is there; now name the reason with one word: "
            'reason = "elbow", "silhouette" or "business".',
            answered=False,
        )
    reasons, table = _k_reasons(reason), _k_table(table)
    if reasons is None:
        return Feedback(False, _NAME_THE_REASON, answered=False)
    supports, facts = _k_facts(table, number)
    right = [n for n in reasons if supports[n] == number]
    wrong = [n for n in reasons if supports[n] != number]
    if wrong:
        return _k_not_following(number, right, wrong, supports, facts, table)
    return _k_following(number, right, supports, facts)


def _number_instead_of_a_name(number: float, raw: pd.DataFrame) -> str:
    """What to say to a number given where a column's name is asked for."""
    if number in range(len(SPENDING_COLUMNS)):
        return (
            f"{number:g} is a position, not a name (.argmax() gives positions, counting "
            "from 0); .idxmax() gives the column's name: answer with the name."
        )
    spreads = np.concatenate([raw.std().to_numpy(), raw.var().to_numpy()])
    if np.isclose(number, spreads, rtol=1e-3).any():
        return "that is the spread itself; .idxmax() gives its column: answer with its name."
    return (
        "answer with the name of one spending column, one of "
        f"{', '.join(SPENDING_COLUMNS)}, not a number."
    )


@checked
def check_dominant_feature(answer: Any) -> Feedback:
    """Exercise 4.2: the spending column that weighs most in the distances between customers
    when spending is not scaled: the one that spreads widest. A name in any letter case or
    spacing, or an alias ("Delicatessen")."""
    raw = spending(load_customers())
    spread, share = raw.std(), raw.var() / raw.var().sum()
    if isinstance(answer, pd.Series) and answer.dtype.kind in "fiu":
        if len(answer) == 1 and str(answer.index[0]) in SPENDING_COLUMNS:
            raise AnswerFormError(
                "that is a spread with its column's name in the index "
                "(.nlargest(1) keeps both); answer with the name alone: "
                ".idxmax()."
            )
        if len(answer) > 1:
            raise AnswerFormError(
                "that is one number per column; answer with the name of the "
                "column whose number is largest (.idxmax())."
            )
    leaves = answers.leaves(answer)
    number = answers.one_number(leaves[0]) if len(leaves) == 1 else None
    if number is not None:
        raise AnswerFormError(_number_instead_of_a_name(number, raw))
    column = answers.column_name(leaves[0]) if len(leaves) == 1 else None
    if column is None:
        raise AnswerFormError(
            "answer with the name of one spending column, one of "
            f"{', '.join(SPENDING_COLUMNS)}; got {answers.kind(answer)}."
        )
    if column == spread.idxmax():
        # The mean squared distance between two customers is twice the sum of the variances,
        # so a column's share of the variance is its share of that distance.
        return answers.right(
            f"{column} has the largest spread (standard deviation "
            f"{spread[column]:,.0f} m.u.) and {share[column]:.0%} of the raw variance: "
            f"on average {share[column]:.0%} of the squared distance between two "
            "customers comes from it alone, so it weighs most unless the features "
            "are scaled."
        )
    return answers.wrong(
        f"{column} has standard deviation {spread[column]:,.0f} m.u. "
        f"({share[column]:.0%} of the raw variance); another column spreads wider."
    )
