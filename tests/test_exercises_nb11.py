"""Notebook 11's exercise checks, by table: right answers in each natural form, typical wrong
answers, odd inputs, and the message each gets.

Oracles: exercise 11.1's factor is worked by hand, s / σ = sqrt(n / (n - 1)) with n = 440:
440 / 439 = 1.0022779, whose square root is 1.0011383 (1.0011383² = 1.0022779), 1.00114 to
5 decimals; a second implementation agrees: NumPy's sample and population standard
deviations of the course data's log spending (ddof=1 and ddof=0) have that ratio in every
column. Exercise 11.2's line is worked by hand from the two rows of the shipped benchmark
table (:data:`PEAK_MB`, read off the CSV file).
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

    assert len(customers) == 440 and SCALE_DECIMALS == 5
    assert round(440 / 439, 7) == 1.0022779 and round(1.0011383**2, 7) == 1.0022779
    logs = np.log1p(customers[list(SPENDING_COLUMNS)].to_numpy(float))
    ratio = logs.std(axis=0, ddof=1) / logs.std(axis=0, ddof=0)
    np.testing.assert_allclose(ratio, 1.0011383, atol=1e-7)
    assert np.round(ratio, 5).tolist() == [1.00114] * 6


@pytest.mark.parametrize(
    "answer",
    [
        1.00114,
        1.0011383,  # more decimals than asked
        "1.00114",
        " 1.00114 ",
        np.float64(1.00114),
        [1.00114],
        (1.00114,),
        np.array([1.00114]),
        pd.Series([1.00114]),
        pd.DataFrame({"factor": [1.00114]}),
        "1.00114e0",
        math.sqrt(440 / 439),
    ],
    ids=repr,
)
def test_factor_right_in_every_form(answer):
    message = shown(check_scale_factor(answer))
    assert message.startswith(RIGHT) and "sqrt(440 / 439) = 1.00114" in message, message
    assert "0.11% smaller" in message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (1.0011, "5 decimals, not 4"),
        (1.001, "5 decimals, not 3"),
        (1, "not 1"),
        ("1.0", "not 1"),
        (0.99886, "turned over"),  # sqrt(439 / 440)
        (1.00228, "without the square root"),  # 440 / 439
        (0.99773, "(440 - 1) / 440"),  # 439 / 440
        (100.114, "not a percentage"),
        (0.00114, "the factor minus 1"),
        (1.00113, "sqrt(n / (n - 1))"),  # one unit off in the fifth decimal
        (1.0023, "sqrt(n / (n - 1))"),
        (2, "sqrt(n / (n - 1))"),
        (-1.00114, "sqrt(n / (n - 1))"),
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
        ({"factor": 1.00114}, "one number"),
        ([1.00114, 1.00114], "one number"),  # one per column
        (np.array([1.0, 2.0]), "one number"),
        (pd.Series([True, False]), "one number"),
        (pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}), "one number"),
        ("1,00114", "decimal"),
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
# Exercise 11.2: customers within 16,000 MB, by the benchmark's course-engine line
# --------------------------------------------------------------------------------------------

#: The course engine's peak memory in the shipped table (benchmarks/results/spark_scale.csv).
PEAK_MB = {1_000_000: 251.96484375, 5_000_000: 839.45703125}


def test_the_line_through_the_shipped_rows_reaches_16000_mb_at_108_million():
    from segmentation.viz.spark import scale_results

    table = scale_results()
    course = table[table["engine"] == "course"].set_index("customers")["peak_mb"]
    assert {n: course[n] for n in MEMORY_SIZES} == PEAK_MB and MEMORY_MB == 16_000
    # by hand: (839.457 - 251.965) / 4 = 146.873 MB per million; 251.965 - 146.873 = 105.092
    # MB at 0; (16,000 - 105.092) / 146.873 = 108.22 million
    assert round((839.45703125 - 251.96484375) / 4, 3) == 146.873
    assert round((16_000 - 105.092) / 146.873, 2) == 108.22


@pytest.mark.parametrize(
    "answer",
    [
        108,
        "108",
        " 108 ",
        108.0,
        np.int64(108),
        [108],
        np.array([108]),
        pd.Series([108]),
        108_000_000,  # customers, not millions
        "108000000",
        "108,000,000",
    ],
    ids=repr,
)
def test_memory_right_in_every_form(answer):
    message = shown(check_customers_in_memory(answer))
    assert message.startswith(RIGHT) and "108.2 million" in message, message
    assert "147 MB per million" in message and "from 105 MB" in message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (108.2, "round down to a whole number"),
        (108.22, "round down"),
        (64, "1,000,000-customer row in proportion"),  # 16,000 / 252
        (95, "5,000,000-customer row in proportion"),  # 16,000 / 839.5 x 5
        (110, "too many"),  # 16 GiB, 16,384 MB, for 16,000
        (109, "too many"),
        (107, "too few"),
        (19, "too few"),  # 16,000 / 839.5, millions of the 5M row left out
        (0, "too few"),
        (-108, "too few"),
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
        ({"millions": 108}, "one number"),
        ([108, 109], "one number"),
        (np.array([252.0, 839.5]), "one number"),  # the two peaks
        (pd.Series([True, False]), "one number"),
        (pd.DataFrame({"a": [1, 2], "b": [3, 4]}), "one number"),
        ("108,2", "decimal"),
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
