"""The checks of notebook 5's exercises: the segment of a new customer, and the segments of
four customers as a saved and reloaded model gives them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from segmentation.course import answers
from segmentation.course.answers import AnswerFormError, Feedback, checked
from segmentation.data.shipped import load_customers

if TYPE_CHECKING:  # the model and scikit-learn are imported when a check needs them
    from segmentation.model.pipeline import SegmentationModel

#: The new customer of exercise 5.1 (annual spending, m.u.).
NEW_CUSTOMER = {
    "Fresh": 2_000,
    "Milk": 12_000,
    "Grocery": 25_000,
    "Frozen": 500,
    "Detergents_Paper": 11_000,
    "Delicassen": 1_500,
}


def _course_model() -> SegmentationModel:
    """The model of notebook 5: k = 3 on the course data, seed 0."""
    from segmentation.model.pipeline import SegmentationModel

    return SegmentationModel(k=3, random_state=0, evaluate=False).fit(load_customers())


def _name_words(text: str) -> list[str]:
    """The words and numbers of a segment's name in lower case, punctuation and spacing
    aside: "Medium,detergents  and grocery :mixed" gives medium, detergents, and, grocery,
    mixed."""
    return re.findall(r"[^\W_]+", text.lower())


def _named_segments(text: str, names: list[str]) -> list[int]:
    """The segments a text may name: the one whose whole name it is, or else every one whose
    name starts with its words ("medium", "medium, detergents and grocery: mixed channels")."""
    words = _name_words(text)
    if not words:
        return []
    named = [_name_words(name) for name in names]
    whole = [j for j, name in enumerate(named) if name == words]
    return whole or [j for j, name in enumerate(named) if name[: len(words)] == words]


def _segment_by_name(text: str, names: list[str]) -> int | None:
    """The one segment a text names, also as the legends write it ("1. medium, ..."); None
    when it names none. Raises :class:`AnswerFormError` when it fits several, or when its
    number and its name disagree."""
    shown = text.strip() if len(text.strip()) <= 60 else f"{text.strip()[:60]}…"
    numbered = re.match(r"\s*(?:segment\s*)?(\d+)(?:\s*[.:)]\s*|\s+)(\D.*)$", text, re.IGNORECASE)
    if numbered and _named_segments(numbered[2], names):
        number, found = int(numbered[1]), _named_segments(numbered[2], names)
        if found != [number]:
            raise AnswerFormError(
                f"{shown!r} gives a number and a name of different segments: "
                "answer with one of them."
            )
        return number
    found = _named_segments(text, names)
    if len(found) > 1:
        raise AnswerFormError(
            f"{shown!r} starts the names of segments "
            f"{', '.join(map(str, found))}: give the number, or enough of "
            "the name to tell them apart (see model.names)."
        )
    return found[0] if found else None


def _segment_number(answer: Any, names: list[str]) -> int:
    """The segment an answer gives: its number (1, "1", 1.0, "segment 1", or one value in a
    list, array or Series) or its name, whole or its start. Raises :class:`AnswerFormError`
    for anything else."""
    what = f"one segment: its number (0 to {len(names) - 1}) or its name"
    if isinstance(answer, pd.DataFrame) and "segment" in answer:
        raise AnswerFormError(
            "that is the whole table that predict gives; answer with its "
            "segment: result['segment']."
        )
    leaves = answers.leaves(answer)
    if len(leaves) != 1:
        raise AnswerFormError(f"answer with {what}; got {answers.kind(answer)}.")
    value = leaves[0]
    if isinstance(value, str):
        named = _segment_by_name(value, names)
        if named is not None:
            return named
        value = re.sub(r"^\s*segment\s*", "", value, flags=re.IGNORECASE)
        if answers.one_number(value) is None:
            text = leaves[0].strip()
            shown = text if len(text) <= 60 else f"{text[:60]}…"
            example = names[0].split(":")[0]
            raise AnswerFormError(
                f"{shown!r} is neither a segment number nor a segment's name: "
                f"answer with the number (0 to {len(names) - 1}), the name "
                f"as model.names gives it, or its start, such as "
                f"{example!r}."
            )
    number = answers.as_whole_number(value, what)
    if not 0 <= number < len(names):
        raise AnswerFormError(
            f"there is no segment {number}: answer with a segment number "
            f"(0 to {len(names) - 1}) or its name."
        )
    return number


@checked
def check_new_customer_segment(answer: Any, model: Any = None) -> Feedback:
    """Exercise 5.1: the segment the student's model gives :data:`NEW_CUSTOMER`.

    ``model`` is the model the student fitted (the notebook passes ``model``), or the path it
    was saved to, so that a student who chose another k is checked against that model; the
    course's k = 3 model when it is not given. The answer: the segment's number in any
    natural form (1, "1", 1.0, "segment 1", a one-value list, array or Series) or its name in
    any letter case and spacing, whole or its start when only one name starts so ("medium",
    or the name without its channel share).
    """
    course = model is None
    model = _saved_model(model)
    result = model.predict(pd.DataFrame([NEW_CUSTOMER]))
    right = int(result["segment"].iloc[0])
    given = _segment_number(answer, model.names)
    distances = result[[f"distance_{j}" for j in range(len(model.segments))]].iloc[0].to_numpy()
    if given == right:
        others = ", ".join(f"{d:.2f}" for j, d in enumerate(distances) if j != right)
        nearest = (
            f"its centre is the nearest (distance {distances[right]:.2f} against {others})"
            if others
            else "the only segment"
        )
        return answers.right(f"Segment {right}, '{model.names[right]}': {nearest}.")
    return answers.wrong(_not_the_nearest(model, given, right, distances, course))


#: A wrong segment whose centre is at most this many times as far from the customer as the
#: nearest centre is close: the customer sits near the border between the two (exercise
#: 5.1's customer is 1.13 times as far from the large segment's centre as from its own).
NEAR_BORDER = 1.25


def _not_the_nearest(
    model: Any, given: int, right: int, distances: np.ndarray, course: bool
) -> str:
    """What a wrong segment for :data:`NEW_CUSTOMER` is told: how far its centre is, whether
    the customer sits near a border, and, when the customer's total spending is nearer that
    segment's mean total than the right one's, that segments are not only about how much."""
    where = (
        "in the course's k = 3 model (pass your model as the second argument)"
        if course
        else f"in your model (k = {len(model.segments)})"
    )
    message = f"segment {given} is at distance {distances[given]:.2f} {where}; another centre"
    if distances[given] <= NEAR_BORDER * distances[right]:
        message += f" is nearer ({distances[right]:.2f}), so the customer sits near a border."
    else:
        message += " is nearer."
    total = sum(NEW_CUSTOMER.values())
    means = [segment.mean_total for segment in model.segments]
    if abs(total - means[given]) < abs(total - means[right]):
        return (
            f"{message} Segments differ in what customers buy, not only in how much: "
            "use model.predict on a one-row table."
        )
    return f"{message} Put the customer in a one-row table and use model.predict."


#: The customers of exercise 5.2, by id.
EXERCISE_IDS = (10, 20, 30, 40)


def _saved_model(model: Any) -> SegmentationModel:
    """The student's model: the model itself or the path of its file (the course's k = 3
    model when none is given)."""
    import os

    from segmentation.model.file_checks import ModelFileError
    from segmentation.model.persistence import load_model
    from segmentation.model.pipeline import SegmentationModel

    if model is None:
        return _course_model()
    if isinstance(model, SegmentationModel):
        return model
    if isinstance(model, (str, os.PathLike)):
        try:
            return load_model(model)
        except ModelFileError as exc:
            raise AnswerFormError(
                f"the saved model cannot be read: {exc.problems[0]} Save it "
                "again with model.save(path), then run this cell."
            ) from None
    raise AnswerFormError(
        "give your model as the second argument, as in the exercise: the "
        "model itself, or the path it was saved to."
    )


def _segment_list(answer: Any, count: int) -> list[float]:
    """``count`` numbers from a list, tuple, array, Series or text ("0, 1, 2, 2")."""
    what = f"{count} segment numbers, one per customer, in the order of their ids"
    if isinstance(answer, str):
        answer = [part for part in re.split(r"[\s,;]+", answer.strip(" []()")) if part]
    if isinstance(answer, pd.DataFrame):
        hint = " (its 'segment' column: result['segment'])" if "segment" in answer else ""
        raise AnswerFormError(f"answer with {what}{hint}; got {answers.kind(answer)}.")
    container = (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)
    if not isinstance(answer, container) and answers.one_number(answer) is None:
        raise AnswerFormError(f"answer with {what}; got {answers.kind(answer)}.")
    leaves = answers.leaves(answer)
    if len(leaves) != count:
        raise AnswerFormError(f"give {count} segment numbers, one per customer, not {len(leaves)}.")
    return answers.as_array(leaves, (count,), what).tolist()


@checked
def check_reloaded_segments(answer: Any, model: Any = None) -> Feedback:
    """Exercise 5.2: the segments of the customers with ids :data:`EXERCISE_IDS`, as the
    model the student saved gives them.

    ``model`` is that model, or the path it was saved to (the notebook passes ``path``), so
    that a student who saved a model with another k is checked against it. The answer: four
    whole numbers as a list, tuple, array, Series, or text such as "0, 1, 2, 2".
    """
    model = _saved_model(model)
    customers = load_customers().set_index("id")
    right = model.predict(customers.loc[list(EXERCISE_IDS)])["segment"].tolist()
    given = _segment_list(answer, len(EXERCISE_IDS))
    if any(g != round(g) for g in given):
        raise AnswerFormError(
            f"segment numbers are whole numbers; got {', '.join(f'{g:g}' for g in given)}."
        )
    if any(not 0 <= g < len(model.segments) for g in given):
        return answers.wrong(_not_segments(given, len(model.segments)))
    whole = [int(g) for g in given]
    if whole == right:
        names = "; ".join(
            f"id {i}: {s}. {model.names[s]}" for i, s in zip(EXERCISE_IDS, right, strict=True)
        )
        return answers.right(
            f"The model you saved and loaded (k = {len(model.segments)}) segments them so: {names}."
        )
    rows = customers.iloc[list(EXERCISE_IDS)]
    by_row = model.predict(rows)["segment"].tolist()
    return answers.wrong(_segments_off(whole, right, by_row, rows.index.tolist()))


def _listed(items: Any) -> str:
    """Items as a sentence writes them: "10", "10 and 20", "10, 20 and 30"."""
    items = [str(item) for item in items]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _not_segments(given: list[float], k: int) -> str:
    """What four numbers that are not all segment numbers are told (the ids themselves, say)."""
    if given == list(EXERCISE_IDS):
        return (
            f"{_listed(EXERCISE_IDS)} are the customers' ids: answer with the segment of "
            f"each (0 to {k - 1}), in the order of their ids."
        )
    bad = sorted({g for g in given if not 0 <= g < k})
    verb = "is not a segment number" if len(bad) == 1 else "are not segment numbers"
    return f"{_listed(f'{g:g}' for g in bad)} {verb}: the saved model has segments 0 to {k - 1}."


def _segments_off(given: list[int], right: list[int], by_row: list[int], row_ids: list[int]) -> str:
    """What wrong segments for :data:`EXERCISE_IDS` are told. Answers that match the
    customers in rows 10, 20, 30 and 40 (chosen by position, not by id) are told so for sure
    only when those rows' segments are not all the same: [0, 0, 0, 0] may as well be a guess."""
    rows = f"rows {_listed(EXERCISE_IDS)} (ids {_listed(row_ids)})"
    select = f"customers[customers['id'].isin([{', '.join(map(str, EXERCISE_IDS))}])]"
    if given == by_row and len(set(by_row)) > 1:
        return f"those are the customers in {rows}: select by id, {select}."
    wrong = [i for i, g, r in zip(EXERCISE_IDS, given, right, strict=True) if g != r]
    ids = f"id {wrong[0]}" if len(wrong) == 1 else f"ids {_listed(wrong)}"
    if given == by_row:
        return (
            f"not for {ids}. Your answer matches the customers in {rows}; if you took "
            f"those, select by id instead: {select}."
        )
    return (
        f"not for {ids}. Select the customers with customers[customers['id'].isin([...])] "
        "and use the loaded model's predict."
    )
