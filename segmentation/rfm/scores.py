"""RFM scores (1 to 5, higher is better), the RFM code, and named segments."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The named segments, best first: the one order of tables and plots.
SEGMENT_ORDER: tuple[str, ...] = (
    "Champions",
    "Loyal customers",
    "Potential loyalists",
    "New customers",
    "Promising",
    "Need attention",
    "About to sleep",
    "At risk",
    "Can't lose them",
    "Hibernating",
    "Lost",
)

#: The segment grid, one line per R score (5 at the top), one entry per FM score 1..5.
#: Short keys keep the grid readable; ``_SHORT`` spells them out.
_GRID = """
R5: NEW POT POT CHA CHA
R4: PRO POT POT LOY LOY
R3: ABO ABO NEE LOY LOY
R2: HIB HIB RSK RSK CAN
R1: LOS LOS RSK RSK CAN
"""
_SHORT = {
    "CHA": "Champions",
    "LOY": "Loyal customers",
    "POT": "Potential loyalists",
    "NEW": "New customers",
    "PRO": "Promising",
    "NEE": "Need attention",
    "ABO": "About to sleep",
    "RSK": "At risk",
    "CAN": "Can't lose them",
    "HIB": "Hibernating",
    "LOS": "Lost",
}


def _segment_grid() -> dict[tuple[int, int], str]:
    grid = {}
    for line in _GRID.strip().splitlines():
        label, cells = line.split(":")
        for fm, key in enumerate(cells.split(), start=1):
            grid[(int(label[1:]), fm)] = _SHORT[key]
    return grid


#: (R score, FM score) -> segment name, for the 25 cells of the 5 x 5 grid.
SEGMENT_GRID: dict[tuple[int, int], str] = _segment_grid()


def score(values: pd.Series, bins: int = 5, higher_is_better: bool = True) -> pd.Series:
    """Quantile scores 1..``bins`` of ``values``, ``bins`` for the best.

    The tie rule: a group of equal values gets the score of its middle position. The values
    sorted from worst to best, a group holding positions ``lo`` to ``hi`` (of ``n``) scores
    ``1 + floor((lo + hi - 1) * bins / (2 n))``, in whole numbers. Without ties that is
    ``bins`` equal groups; equal values always share a score, whatever the order of the rows;
    no bin edge is ever duplicated (``pd.qcut`` fails when, say, half the customers bought
    once); and a group is never pushed to an end of the scale only for being tied (the
    customers of a log that all bought yesterday score 3 of 5, not 1). The price: with many
    ties a score may be skipped, and bins are not equally full. Values are rounded to cents
    first, so float noise cannot split a tie.

    >>> score(pd.Series([1, 1, 1, 1, 2, 3]), bins=3).tolist()
    [2, 2, 2, 2, 3, 3]
    >>> score(pd.Series([7, 7, 7]), bins=5).tolist()
    [3, 3, 3]
    """
    values = values.astype(float).round(2)
    if not higher_is_better:
        values = -values
    n = max(len(values), 1)
    lo = values.rank(method="min").to_numpy()
    hi = values.rank(method="max").to_numpy()
    twice_middle = (lo + hi).astype(np.int64)  # exact: ranks are whole numbers
    scores = 1 + ((twice_middle - 1) * bins) // (2 * n)
    return pd.Series(scores, index=values.index, name=values.name)


def rfm_scores(rfm: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """The R, F and M scores (1..``bins``; higher = more recent, more frequent, spent more),
    the FM score, and the RFM code.

    The tie rule: customers with equal values (rounded to cents) always get the same score,
    whatever the order of the rows: the score of the group's middle position. Sorted from
    worst to best (for recency, from the longest silence up), a group holding positions
    ``lo`` to ``hi`` of ``n`` scores ``1 + floor((lo + hi - 1) * bins / (2 n))``. So with
    many ties, such as half the customers who bought once, the whole group takes the score
    of its middle member; a score may then be skipped and the fifths are not equally full,
    but no tied group is pushed to an end of the scale for being tied. (The helper that
    scores one column is :func:`score`.) ``FM`` is the mean of F and M,
    rounded half up (F=3, M=4 gives 4): the second axis of the segment grid. ``code`` is
    the three scores as a string, ``"545"`` for R=5, F=4, M=5.
    """
    scores = pd.DataFrame(
        {
            "R": score(rfm["recency"], bins, higher_is_better=False),
            "F": score(rfm["frequency"], bins),
            "M": score(rfm["monetary"], bins),
        },
        index=rfm.index,
    )
    scores["FM"] = (scores["F"] + scores["M"] + 1) // 2
    scores["code"] = scores["R"].astype(str) + scores["F"].astype(str) + scores["M"].astype(str)
    return scores


def rfm_segments(scores: pd.DataFrame) -> pd.Series:
    """The named segment of each customer from their R and FM scores (5 bins).

    The eleven names are the ones marketing practice widely uses (Putler's RFM guide and many
    tutorials and tools name them so). There is no one standard layout of their cells; this
    one is the course's, in the spirit of the common R x F grids (Champions at R 5 and
    FM 4-5, New customers at R 5 and FM 1, Hibernating at R 2 and FM 1-2, ...), with F
    replaced by the FM score and the oldest, smallest corner (R 1, FM 1-2) named Lost. The
    whole grid is :data:`SEGMENT_GRID`; ``plot_segment_map`` draws it.

    Returns an ordered categorical Series (categories :data:`SEGMENT_ORDER`, best first).
    """
    if not scores.empty and (scores[["R", "FM"]].to_numpy().max() > 5):
        raise ValueError("The segment grid is for scores 1 to 5: compute them with bins=5.")
    lookup = np.zeros((6, 6), dtype=np.int8)
    for (r, fm), name in SEGMENT_GRID.items():
        lookup[r, fm] = SEGMENT_ORDER.index(name)
    codes = lookup[scores["R"].to_numpy(dtype=int), scores["FM"].to_numpy(dtype=int)]
    names = pd.Categorical.from_codes(codes, categories=list(SEGMENT_ORDER), ordered=True)
    return pd.Series(names, index=scores.index, name="segment")


def segment_sizes(segments: pd.Series) -> pd.DataFrame:
    """Customers and share of customers in each named segment, in the canonical order."""
    counts = segments.value_counts(sort=False).reindex(list(SEGMENT_ORDER), fill_value=0)
    total = max(int(counts.sum()), 1)
    table = pd.DataFrame({"customers": counts, "share": (counts / total).round(3)})
    table.index.name = "segment"
    return table
