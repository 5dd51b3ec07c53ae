"""Notebook 11's exercise checks, by table: right answers in each natural form, typical wrong
answers, odd inputs, and the message each gets.

Oracles: exercise 11.1's factor is worked by hand, s / σ = sqrt(n / (n - 1)) with n = 440:
440 / 439 = 1.0022779, whose square root is 1.0011383 (1.0011383² = 1.0022779), 1.001138 to
6 decimals; a second implementation agrees: NumPy's sample and population standard
deviations of the course data's log spending (ddof=1 and ddof=0) have that ratio in every
column. Exercise 11.2's line is worked by hand from the two rows of the shipped benchmark
table (:data:`PEAK_MB`, read off the CSV file), and so are the usual slips, which must give
other whole numbers than the right answer.
"""

import math

import numpy as np
import pandas as pd
import pytest

from segmentation.course import (
    MEMORY_MB,
    MEMORY_SIZES,
    SCALE_DECIMALS,
    check_customers_in_memory,
    check_scale_factor,
)
from segmentation.course.answers import CANNOT_READ

RIGHT = "✅ Right."
WRONG = "❌ Not yet:"
UNANSWERED = "… Not answered yet:"


def shown(feedback):
    return repr(feedback)


# --------------------------------------------------------------------------------------------
# Exercise 11.1: sqrt(n / (n - 1)) for the course data
# --------------------------------------------------------------------------------------------


def test_the_factor_is_the_ratio_of_the_two_standard_deviations(customers):
    from segmentation.data.schema import SPENDING_COLUMNS

    assert len(customers) == 440 and SCALE_DECIMALS == 6
    assert round(440 / 439, 7) == 1.0022779 and round(1.0011383**2, 7) == 1.0022779
    logs = np.log1p(customers[list(SPENDING_COLUMNS)].to_numpy(float))
    ratio = logs.std(axis=0, ddof=1) / logs.std(axis=0, ddof=0)
    np.testing.assert_allclose(ratio, 1.0011383, atol=1e-7)
    assert np.round(ratio, 6).tolist() == [1.001138] * 6


def test_six_decimals_tell_n_from_its_neighbours():
    # sqrt(441 / 440) = 1.0011357 and sqrt(439 / 438) = 1.0011409, by hand as above: at 5
    # decimals all three are 1.00114, at 6 they differ
    values = [math.sqrt(m / (m - 1)) for m in (439, 440, 441)]
    assert len({round(v, 5) for v in values}) == 1
    assert [round(v, 6) for v in values] == [1.001141, 1.001138, 1.001136]


@pytest.mark.parametrize(
    "answer",
    [
        1.001138,
        1.0011383,  # more decimals than asked
        "1.001138",
        " 1.001138 ",
        np.float64(1.001138),
        [1.001138],
        (1.001138,),
        np.array([1.001138]),
        pd.Series([1.001138]),
        pd.DataFrame({"factor": [1.001138]}),
        "1.001138e0",
        math.sqrt(440 / 439),
    ],
    ids=repr,
)
def test_factor_right_in_every_form(answer):
    message = shown(check_scale_factor(answer))
    assert message.startswith(RIGHT) and "sqrt(440 / 439) = 1.001138" in message, message
    assert "0.11% smaller" in message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (1.00114, "6 decimals, not 5"),
        (1.0011, "6 decimals, not 4"),
        (1.001, "6 decimals, not 3"),
        (1, "not 1"),
        ("1.0", "not 1"),
        (0.998863, "turned over"),  # sqrt(439 / 440)
        (1.002278, "without the square root"),  # 440 / 439
        (0.997727, "(440 - 1) / 440"),  # 439 / 440
        (100.1138, "not a percentage"),
        (0.001138, "the factor minus 1"),
        (1.001136, "n = 440"),  # sqrt(441 / 440): n one too large
        (1.001141, "n = 440"),  # sqrt(439 / 438): n one too small
        (1.00116, "rounded standard deviations"),  # 1.4706 / 1.4689, off the 4-decimal table
        (1.00108, "rounded standard deviations"),  # 1.0806 / 1.0794
        (1.0023, "sqrt(n / (n - 1))"),
        (2, "sqrt(n / (n - 1))"),
        (-1.001138, "sqrt(n / (n - 1))"),
    ],
    ids=repr,
)
def test_factor_wrong_answers_are_named(answer, phrase):
    message = shown(check_scale_factor(answer))
    assert message.startswith(WRONG) and phrase in message, message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (None, "None"),
        ({"factor": 1.001138}, "one number"),
        ([1.001138, 1.001138], "one number"),  # one per column
        (np.array([1.0, 2.0]), "one number"),
        (pd.Series([True, False]), "one number"),
        (pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}), "one number"),
        ("1,001138", "decimal"),
        ("about one", "one number"),
        ("the square root of n over n minus 1", "one number"),
        (True, "one number"),
    ],
    ids=repr,
)
def test_factor_odd_inputs_get_one_helpful_line(answer, phrase):
    message = shown(check_scale_factor(answer))
    assert message.startswith(WRONG) and phrase in message, message
    assert CANNOT_READ not in message and "\n" not in message


def test_factor_unanswered():
    assert shown(check_scale_factor(...)).startswith(UNANSWERED)


# --------------------------------------------------------------------------------------------
# Exercise 11.2: customers within 32,000 MB, by the benchmark's course-engine line
# --------------------------------------------------------------------------------------------

#: The course engine's peak memory in the shipped table (benchmarks/results/spark_scale.csv).
PEAK_MB = {1_000_000: 287.64453125, 20_000_000: 2895.25390625}


def test_the_line_through_the_shipped_rows_reaches_32000_mb_at_232_million():
    from segmentation.viz.spark import scale_results

    table = scale_results()
    course = table[table["engine"] == "course"].set_index("customers")["peak_mb"]
    assert {n: course[n] for n in MEMORY_SIZES} == PEAK_MB and MEMORY_MB == 32_000
    # by hand: (2895.254 - 287.645) / 19 = 137.243 MB per million; 287.645 - 137.243 =
    # 150.402 MB at 0; (32,000 - 150.402) / 137.243 = 232.07 million: 232, down or nearest
    assert round((2895.25390625 - 287.64453125) / 19, 3) == 137.243
    assert round((32_000 - 150.402) / 137.243, 2) == 232.07


def test_the_usual_slips_give_other_whole_numbers_than_the_right_one():
    # by hand, with the line above: the fixed part left out, 32,000 / 137.243 = 233.16; the
    # 1,000,000 row in proportion, 32,000 / 287.645 = 111.25; the 20,000,000 row in
    # proportion, 32,000 / 2895.254 x 20 = 221.05. Rounded down or to the nearest, none is
    # 232, so the exercise tells the right method from each slip.
    right = {math.floor(232.07), round(232.07)}
    for slip in (32_000 / 137.243, 32_000 / 287.645, 32_000 / 2895.254 * 20):
        assert not {math.floor(slip), round(slip)} & right
    assert right == {232}


@pytest.mark.parametrize(
    "answer",
    [
        232,
        "232",
        " 232 ",
        232.0,
        np.int64(232),
        [232],
        np.array([232]),
        pd.Series([232]),
        232_000_000,  # customers, not millions
        "232000000",
        "232,000,000",
    ],
    ids=repr,
)
def test_memory_right_in_every_form(answer):
    message = shown(check_customers_in_memory(answer))
    assert message.startswith(RIGHT) and "232.1 million" in message, message
    assert "137 MB per million" in message and "from 150 MB" in message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (232.1, "round down to a whole number"),
        (232.07, "round down"),
        (233, "leaves out the fixed part"),  # 32,000 / 137.2 = 233.16, down or nearest
        (233.16, "leaves out the fixed part"),
        (234, "leaves out the fixed part"),  # 32,000 / 137 = 233.6, slope rounded first
        (111, "1,000,000-customer row in proportion"),  # 32,000 / 287.6 = 111.25
        (112, "1,000,000-customer row in proportion"),  # the same, rounded up
        (221, "20,000,000-customer row in proportion"),  # 32,000 / 2895.3 x 20 = 221.05
        (222, "20,000,000-customer row in proportion"),
        (237, "too many"),  # 32 GiB for 32,000 MB: (32,768 - 150.4) / 137.2 = 237.7
        (235, "too many"),
        (231, "too few"),
        (230, "too few"),
        (11, "too few"),  # 32,000 / 2895.3, millions of the 20M row left out
        (0, "too few"),
        (-232, "too few"),
    ],
    ids=repr,
)
def test_memory_wrong_answers_are_named(answer, phrase):
    message = shown(check_customers_in_memory(answer))
    assert message.startswith(WRONG) and phrase in message, message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (None, "None"),
        ({"millions": 232}, "one number"),
        ([232, 233], "one number"),
        (np.array([287.6, 2895.3]), "one number"),  # the two peaks
        (pd.Series([True, False]), "one number"),
        (pd.DataFrame({"a": [1, 2], "b": [3, 4]}), "one number"),
        ("232,1", "decimal"),
        ("about a hundred million", "one number"),
        ("many", "one number"),
        (True, "one number"),
    ],
    ids=repr,
)
def test_memory_odd_inputs_get_one_helpful_line(answer, phrase):
    message = shown(check_customers_in_memory(answer))
    assert message.startswith(WRONG) and phrase in message, message
    assert CANNOT_READ not in message and "\n" not in message


def test_memory_unanswered():
    assert shown(check_customers_in_memory(...)).startswith(UNANSWERED)
