"""The checks of notebook 11's exercises: the factor that turns Spark's sample standard
deviation scaling into the course's population one, worked by hand for the course data, and
how many customers fit in a machine's memory by the benchmark's measured peak memory.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from segmentation.course import answers
from segmentation.course.answers import Feedback, checked

#: Exercise 11.1: the decimals the scale factor is rounded to.
SCALE_DECIMALS = 6

#: Exercise 11.2: the memory of the machine, in MB (as the benchmark's ``peak_mb``), and the
#: two sizes of the benchmark's table (its smallest and largest) through which the course
#: engine's peak memory is extended in a straight line. The machine's size is chosen so that
#: the usual slips (the fixed part left out, one row scaled in proportion) give other whole
#: numbers than the right answer, rounded down or to the nearest.
MEMORY_MB = 32_000
MEMORY_SIZES = (1_000_000, 20_000_000)

_FACTOR = f"one number: the factor, rounded to {SCALE_DECIMALS} decimals"
_MILLIONS = "one number: how many million customers, rounded down to a whole number"


@cache
def _customers() -> int:
    from segmentation.data.shipped import load_customers

    return len(load_customers())


@checked
def check_scale_factor(answer: Any) -> Feedback:
    """Exercise 11.1: sqrt(n / (n - 1)) for the course's n = 440 customers, rounded to
    :data:`SCALE_DECIMALS` decimals: what Spark's scaled values (divided by the sample
    standard deviation) are multiplied by to equal the course's (divided by the population
    one). A number, a numeric text or a one-value list, array or Series; the usual slips are
    named: the factor turned over, the square root left out, fewer decimals, a percentage."""
    given = answers.single_number(answer, _FACTOR)
    n = _customers()
    right = math.sqrt(n / (n - 1))
    if answers.within_rounding(given, right, decimals=SCALE_DECIMALS):
        return answers.right(
            f"sqrt({n} / {n - 1}) = {right:.{SCALE_DECIMALS}f}. Spark's sample standard "
            f"deviation is that much larger than the course's, so its scaled values are "
            f"{100 * (1 - 1 / right):.2f}% smaller; fit_spark multiplies them by this factor."
        )
    if given == 1:
        return answers.wrong(
            "close, but the factor is not 1: s divides by n - 1 and σ by n, so s is a little "
            f"larger. Work out s / σ and round it to {SCALE_DECIMALS} decimals."
        )
    for decimals in range(1, SCALE_DECIMALS):
        if given == round(given, decimals) and answers.within_rounding(given, right, decimals):
            return answers.wrong(f"nearly: round to {SCALE_DECIMALS} decimals, not {decimals}.")
    slips = {
        "turned over": (1 / right, f"that is sqrt(({n} - 1) / {n}), the factor turned over: "),
        "no root": (right**2, f"that is {n} / {n - 1}, without the square root: "),
        "no root, turned over": (1 / right**2, f"that is ({n} - 1) / {n}: "),
    }
    for value, message in slips.values():
        if answers.within_rounding(given, value, decimals=SCALE_DECIMALS):
            return answers.wrong(
                message + "the sample standard deviation is the larger, by sqrt(n / (n - 1))."
            )
    if answers.within_rounding(given / 100, right, decimals=SCALE_DECIMALS):
        return answers.wrong(
            "a factor is a plain number, not a percentage: do not multiply by 100."
        )
    if answers.within_rounding(given, right - 1, decimals=SCALE_DECIMALS):
        return answers.wrong("that is how much larger, the factor minus 1; give the factor.")
    if abs(given - right) < 1e-4:  # n off by one, or a ratio of values rounded to 4 decimals
        return answers.wrong(
            f"close, but not exact: work it out from n = {n}, the number of customers, not "
            "from rounded standard deviations."
        )
    return answers.wrong(
        f"the factor is sqrt(n / (n - 1)) with n the number of customers of the course data; "
        f"round it to {SCALE_DECIMALS} decimals."
    )


@cache
def memory_line() -> tuple[float, float]:
    """The course engine's peak memory in the shipped benchmark table as a straight line
    through the rows of :data:`MEMORY_SIZES`: (MB per million customers, MB at 0)."""
    from segmentation.viz.spark import scale_results

    table = scale_results()
    course = table[table["engine"] == "course"].set_index("customers")["peak_mb"]
    small, large = (float(course.loc[n]) for n in MEMORY_SIZES)
    slope = (large - small) / ((MEMORY_SIZES[1] - MEMORY_SIZES[0]) / 1e6)
    return slope, small - slope * MEMORY_SIZES[0] / 1e6


def _slip(given: float, value: float) -> bool:
    """Whether ``given`` is ``value`` rounded down, up or to the nearest (from intermediate
    values rounded on the way)."""
    return abs(given - value) < 1


@checked
def check_customers_in_memory(answer: Any) -> Feedback:
    """Exercise 11.2: the most customers, in whole millions (rounded down), whose course
    fit stays within :data:`MEMORY_MB` by the course engine's peak memory in the shipped
    benchmark table, extended in a straight line through the rows of :data:`MEMORY_SIZES`.
    A number of millions (or of customers, 50,000,000 for 50), a numeric text or a
    one-value list, array or Series. The usual slips are named, rounded down or to the
    nearest million: the fixed part left out (memory in proportion to the slope alone), or
    one row scaled in proportion."""
    given = answers.single_number(answer, _MILLIONS)
    slope, base = memory_line()
    exact = (MEMORY_MB - base) / slope
    if given >= 1e5 and given == round(given):  # customers, not millions
        given = given / 1e6
    within = f"{MEMORY_MB:,} MB"
    if given in (math.floor(exact), round(exact)):
        return answers.right(
            f"The line rises {slope:,.0f} MB per million customers from {base:,.0f} MB, so "
            f"{within} hold about {exact:.1f} million customers. Beyond that one machine needs "
            "more memory, or the data are split across machines: Spark."
        )
    if given != round(given) and abs(given - exact) < 0.5:
        return answers.wrong(
            f"about right: round down to a whole number of millions ({_MILLIONS})."
        )
    if _slip(given, MEMORY_MB / slope):
        return answers.wrong(
            f"that divides {within} by the slope alone and leaves out the fixed part "
            f"(the line's value at 0 customers, {base:,.0f} MB): subtract it first."
        )
    for size in MEMORY_SIZES:  # in proportion to one row, as if memory had no fixed part
        millions = size / 1e6
        if _slip(given, MEMORY_MB / (base + slope * millions) * millions):
            return answers.wrong(
                f"that scales the {size:,}-customer row in proportion; but part of the peak "
                "is fixed (Python and its libraries): draw the line through both rows and "
                f"solve for {within}."
            )
    if given > exact:
        return answers.wrong(
            f"too many: at that size the line is above {within}. Take the slope per million "
            "between the two rows, and the value at 0 customers, then solve for the memory."
        )
    return answers.wrong(
        f"too few: the line reaches {within} later. Take the slope per million between the "
        "two rows, and the value at 0 customers, then solve for the memory."
    )
