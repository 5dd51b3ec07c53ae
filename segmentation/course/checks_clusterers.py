"""The checks of notebook 6's exercises: the k-prototypes distance by hand, the mode update
by hand, and an eps for DBSCAN that separates the two moons.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from segmentation.cluster.kprototypes import column_modes, matching_distance
from segmentation.course import answers
from segmentation.course.answers import AnswerFormError, Feedback, checked
from segmentation.data.schema import CHANNELS, REGIONS

#: Exercise 6.1: a customer and a prototype, two scaled numbers and two categories each.
TWO_ROWS = pd.DataFrame(
    {
        "Milk": [0.4, 1.0],
        "Grocery": [-1.2, -0.2],
        "Channel": ["Retail", "Horeca"],
        "Region": ["Lisbon", "Lisbon"],
    },
    index=pd.Index(["customer", "prototype"]),
)
#: The weight of one categorical mismatch in exercise 6.1.
GAMMA = 0.6

#: Exercise 6.2: the Channel and Region of the seven customers of one cluster (no tie).
CLUSTER = pd.DataFrame(
    {
        "Channel": ["Horeca", "Retail", "Retail", "Horeca", "Retail", "Retail", "Horeca"],
        "Region": ["Other", "Lisbon", "Oporto", "Lisbon", "Lisbon", "Other", "Lisbon"],
    }
)

#: Exercise 6.3: DBSCAN's min_samples on the two moons (two features: 2 x 2), and the ARI
#: with the true moons from which a partition counts as finding them.
MOONS_MIN_SAMPLES = 4
MOONS_ARI = 0.95


def _distance_parts() -> tuple[float, int]:
    """Exercise 6.1 worked out: the squared numeric distance and the number of mismatches."""
    numbers = TWO_ROWS[["Milk", "Grocery"]].to_numpy()
    squared = float(((numbers[0] - numbers[1]) ** 2).sum())
    categories = TWO_ROWS[["Channel", "Region"]].to_numpy()
    return squared, int(matching_distance(categories[:1], categories[1:])[0, 0])


@checked
def check_prototype_distance(answer: Any) -> Feedback:
    """Exercise 6.1: the k-prototypes distance from the customer of :data:`TWO_ROWS` to the
    prototype, with ``gamma`` = :data:`GAMMA`, to 2 decimals. One number in any form
    (numeric text, a one-value list, array or Series, as notebook 3's checks take it); a
    value near it but not right to 2 decimals is told to round to 2 decimals."""
    given = answers.as_number(answer, "the distance as one number, such as 1.23")
    squared, mismatches = _distance_parts()
    exact = squared + GAMMA * mismatches
    said = (
        f"the squared numeric distance is {squared:.2f} and {mismatches} of the two categories "
        f"differ{'s' * (mismatches == 1)}, so the distance is {squared:.2f} + {GAMMA} x "
        f"{mismatches} = {exact:.2f}"
    )
    if answers.within_rounding(given, exact):
        return answers.right(f"{said[0].upper()}{said[1:]}.")
    slips = {
        squared: "that is the numeric part alone: add gamma times the number of categories "
        "that differ",
        GAMMA * mismatches: "that is the categorical part alone: add the squared differences "
        "of the two numbers",
        squared + mismatches: "one mismatch adds gamma (0.6), not 1",
        squared + 2 * GAMMA: "count only the categories that differ: both rows are in Lisbon",
        np.sqrt(squared) + GAMMA * mismatches: "k-prototypes adds the squared numeric "
        "distance, as k-means does: no square root",
        np.sqrt(exact): "that is the square root of the distance: k-prototypes adds squares",
    }
    for value, message in slips.items():
        if answers.within_rounding(given, value):
            return answers.wrong(f"{message}.")
    rounding = _rounding_slip(given, exact)
    if rounding:
        return answers.wrong(rounding)
    return answers.wrong(
        "square the difference of each number and add them up, then add gamma once for each "
        "category (Channel, Region) whose value differs."
    )


def _rounding_slip(given: float, exact: float) -> str | None:
    """What is wrong with a value near ``exact`` that is not it to 2 decimals: rounded to
    fewer decimals (2 or 2.0 for 1.96), cut short (1.9), or off by one in the second decimal
    (1.95, 1.97); None for any other value."""
    shorter = [round(exact, 0), round(exact, 1), np.floor(exact * 10) / 10]
    if any(np.isclose(given, value, rtol=0, atol=1e-9) for value in shorter):
        return (
            f"close, but give the distance to 2 decimals, as the task asks: {given:g} has "
            "fewer. Round the exact value to 2 decimals, without cutting it short."
        )
    if abs(given - exact) <= 0.01 + 1e-9:
        return (
            "close, but off by one in the second decimal: round the exact value to 2 "
            "decimals only at the end, and check the arithmetic."
        )
    return None


#: Each category of Channel and Region, as :func:`answers.normalised` writes it.
_CATEGORY = {answers.normalised(v): ("Channel", v) for v in CHANNELS.values()} | {
    answers.normalised(v): ("Region", v) for v in REGIONS.values()
}
_WORDS = re.compile(r"[^\s,;/|()\[\]'\"]+")
#: Words that join the two names in a text answer ("Retail and Lisbon").
_JOINING = {"and", "&", "+", "in"}


def _items(answer: Any) -> tuple[list[Any], list[str | None]]:
    """The values an answer gives, each with the column it is given for (None when the answer
    does not say): a dict or Series keyed by Channel and Region says it."""
    if isinstance(answer, str):
        return [w for w in _WORDS.findall(answer) if w.lower() not in _JOINING], []
    if isinstance(answer, pd.Series) and all(
        isinstance(v, str) and answers.normalised(v) in _CATEGORY for v in answer.index
    ):
        # CLUSTER["Channel"].value_counts(): the categories in the index, counts as values
        raise AnswerFormError(
            "those are the counts of each value; the mode is the value with the largest "
            "count: .idxmax() gives it."
        )
    if isinstance(answer, dict):
        columns = {answers.normalised(str(key)): key for key in answer}
        if not set(columns) <= {"channel", "region"}:
            raise AnswerFormError(
                "answer with a list such as ['Retail', 'Other'], or a dict keyed by "
                f"'Channel' and 'Region'; got {answers.kind(answer)}."
            )
        return list(answer.values()), [c.capitalize() for c in columns]
    return answers.leaves(answer), []


def _categories(answer: Any) -> dict[str, list[str]]:
    """The Channel and Region values an answer names: a list, array, Series, a one-row table,
    a dict keyed by column, or text such as "Retail, Lisbon"; each column's values in the
    order given."""
    if isinstance(answer, pd.DataFrame):
        if len(answer) != 1:
            raise AnswerFormError(
                f"that is a table of {len(answer)} rows; answer with one Channel and one "
                "Region, such as ['Retail', 'Other'] (.mode() gives more rows on a tie)."
            )
        answer = answer.iloc[0]
    items, keys = _items(answer)
    named: dict[str, list[str]] = {"Channel": [], "Region": []}
    for i, item in enumerate(items):
        if not isinstance(item, str):
            codes = answers.one_number(item) is not None
            raise AnswerFormError(
                "answer with the names of the categories, such as ['Retail', 'Other']"
                + (", not codes or numbers (a mean of codes is no category)" if codes else "")
                + f"; got {'None' if item is None else answers.kind(item)} among the values."
            )
        column, value = _CATEGORY.get(answers.normalised(item), (None, None))
        if column is None or value is None:
            raise AnswerFormError(
                "answer with a Channel (Horeca or Retail) and a Region (Lisbon, Oporto or "
                f"Other); {answers.kind(item)} is neither."
            )
        if keys and keys[i] != column:
            raise AnswerFormError(f"{value} is a {column}, not a {keys[i]}.")
        named[column].append(value)
    return named


@checked
def check_cluster_mode(answer: Any) -> Feedback:
    """Exercise 6.2: the prototype of :data:`CLUSTER` after the mode update: its Channel and
    its Region, by name in any letter case and either order (a list, tuple, array, Series,
    the one-row table of ``.mode()``, a dict keyed by column, or text such as
    "Retail, Lisbon")."""
    named = _categories(answer)
    if any(len(values) != 1 for values in named.values()):
        given = "; ".join(f"{c}: {', '.join(v) or 'none'}" for c, v in named.items())
        raise AnswerFormError(
            f"answer with exactly one Channel and one Region (got {given}): the prototype "
            "holds one value per column."
        )
    modes = dict(zip(CLUSTER.columns, column_modes(CLUSTER.to_numpy()), strict=True))
    counts = {c: CLUSTER[c].value_counts() for c in CLUSTER.columns}
    off = [c for c in CLUSTER.columns if named[c][0] != modes[c]]
    if not off:
        said = " and ".join(f"{modes[c]} ({counts[c][modes[c]]} of 7)" for c in CLUSTER.columns)
        return answers.right(f"The most common values of the cluster: {said}.")
    told = "; ".join(
        f"{named[c][0]} has {counts[c].get(named[c][0], 0)} of the 7 customers, "
        f"{modes[c]} {counts[c][modes[c]]}"
        for c in off
    )
    return answers.wrong(f"count within this cluster: {told}. The mode is the most common value.")


def _moons_result(eps: float) -> tuple[int, float, float]:
    """DBSCAN on the standardised moons: clusters found, share of noise, ARI with the moons."""
    from sklearn.cluster import DBSCAN
    from sklearn.metrics import adjusted_rand_score

    from segmentation.course.toy_data import moons
    from segmentation.preprocessing.spending import scaled

    points, truth = moons()
    X = scaled(points, "none")
    labels = DBSCAN(eps=eps, min_samples=MOONS_MIN_SAMPLES).fit_predict(X)
    clusters = len(set(labels.tolist()) - {-1})
    return clusters, float(np.mean(labels == -1)), float(adjusted_rand_score(truth, labels))


@checked
def check_moons_eps(answer: Any) -> Feedback:
    """Exercise 6.3: an eps with which DBSCAN (``min_samples`` = 4) finds the two moons of the
    standardised :func:`~segmentation.course.toy_data.moons`: right when the ARI with the true
    moons is at least :data:`MOONS_ARI`. Any eps that does it is right."""
    eps = answers.as_number(answer, "eps as one number, such as 0.5")
    if eps <= 0:
        raise AnswerFormError(f"eps is a distance: a number above 0, not {eps:g}.")
    clusters, noise, ari = _moons_result(eps)
    found = (
        f"eps = {eps:g}: {clusters} cluster{'s' * (clusters != 1)}, "
        f"{noise:.0%} noise, ARI {ari:.2f} with the true moons"
    )
    if ari >= MOONS_ARI:
        return answers.right(f"{found}: DBSCAN follows each moon, bends and all.")
    if clusters <= 1 and noise < 0.5:
        return answers.wrong(f"{found}: eps reaches across the gap between the moons; try smaller.")
    return answers.wrong(
        f"{found}: the neighbourhoods are too small to link each moon into one; try a larger "
        "eps, above nearly all of the k-distance curve, so that nearly every point is a core "
        "point."
    )
