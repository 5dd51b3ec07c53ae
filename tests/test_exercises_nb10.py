"""Notebook 10's exercise checks, by table: right answers in each natural form, typical wrong
answers, odd inputs, and the message each gets.

Oracles: exercise 10.1's PSI is worked by hand from the four bin shares, r = 0.25 each and
c = 0.10, 0.20, 0.30, 0.40: (c - r) ln(c / r) gives 0.1374 + 0.0112 + 0.0091 + 0.0705 =
0.228; the library's psi on values laid out with those shares in four bins (a second
implementation) agrees. Exercise 10.2's costs are worked from the policies' table (checked
here against its published columns, not the check's own arithmetic): incremental 100 x
0.120 + 100 x 0.043 + 0 = 16.3, the cheapest; on_alarm 6.5 + 9.9 + 6 = 22.4; monthly 4.8 +
10.1 + 12 = 26.9; quarterly 28.2; never 58.8.
"""

import numpy as np
import pandas as pd
import pytest

from segmentation.course import (
    POLICY_COST,
    PSI_BATCH_SHARES,
    PSI_REFERENCE_SHARES,
    check_cheapest_policy,
    check_psi_by_hand,
)
from segmentation.course.answers import CANNOT_READ

RIGHT = "✅ Right."
WRONG = "❌ Not yet:"
UNANSWERED = "… Not answered yet:"


def shown(feedback):
    return repr(feedback)


def test_the_psi_is_as_worked_by_hand_and_as_the_library_computes_it():
    from segmentation.monitor.drift import psi_against

    assert PSI_REFERENCE_SHARES == (0.25,) * 4 and PSI_BATCH_SHARES == (0.1, 0.2, 0.3, 0.4)
    terms = [-0.15 * np.log(0.4), -0.05 * np.log(0.8), 0.05 * np.log(1.2), 0.15 * np.log(1.6)]
    assert [round(t, 4) for t in terms] == [0.1374, 0.0112, 0.0091, 0.0705]
    assert round(sum(terms), 3) == 0.228
    # ten batch values in the bins cut at 1, 2, 3: one below 1, two, three, four above
    values = [0.5] + [1.5] * 2 + [2.5] * 3 + [3.5] * 4
    assert psi_against([1.0, 2.0, 3.0], PSI_REFERENCE_SHARES, values) == pytest.approx(sum(terms))


@pytest.mark.parametrize(
    "answer",
    [
        0.228,
        0.2282,  # more decimals than asked
        0.22823,  # the exact value, 0.228230...
        0.2279,  # rounds to 0.228
        0.2275,  # rounds half up to 0.228, as by hand
        0.2284,
        "0.228",
        " 0.228 ",
        np.float64(0.228),
        [0.228],
        np.array([0.228]),
        pd.Series([0.228]),
        pd.DataFrame({"psi": [0.228]}),
        "2.28e-1",
    ],
    ids=repr,
)
def test_psi_right_in_every_form(answer):
    message = shown(check_psi_by_hand(answer))
    assert message.startswith(RIGHT) and "0.228" in message and "moderate" in message, message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (-0.228, "sign is turned"),
        (0.23, "3 decimals, not 2"),
        (22.8, "not a percentage"),
        (0.099, "log10"),
        (0.106, "c × ln(c / r) only"),
        (0.122, "r × ln(r / c) only"),
        (-0.487, "logs alone"),
        (0.4, "add the four terms"),  # the sum of |c - r|
        (1e308, "add the four terms"),
        (0.25, "add the four terms"),  # the threshold, not the value
        (0.227, "add the four terms"),  # one unit off in the third decimal
        (0.229, "add the four terms"),
        (0.2286, "rounds to 0.229"),  # near the exact value, but not the asked answer
        (0.2285, "rounds to 0.229"),  # half up, as by hand (binary 0.22849999...)
        (0.2274, "rounds to 0.227"),
        (-0.2282, "sign is turned"),
    ],
    ids=repr,
)
def test_psi_wrong_answers_are_named(answer, phrase):
    message = shown(check_psi_by_hand(answer))
    assert message.startswith(WRONG) and phrase in message, message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (None, "None"),
        ({"psi": 0.228}, "one number"),
        ([0.137, 0.011, 0.009, 0.071], "add the four terms up"),  # the terms, not their sum
        (np.array([0.1, 0.2]), "add the four terms up"),
        (pd.Series([True, False]), "add the four terms up"),
        (pd.DataFrame({"a": [0.1, 0.2], "b": [0.3, 0.4]}), "one number"),
        ("0,228", "decimal"),
        ("moderate", "one number"),
        ("a small shift", "one number"),
        (True, "one number"),
    ],
    ids=repr,
)
def test_psi_odd_inputs_get_one_helpful_line(answer, phrase):
    message = shown(check_psi_by_hand(answer))
    assert message.startswith(WRONG) and phrase in message, message
    assert CANNOT_READ not in message and "\n" not in message


def test_psi_unanswered():
    assert shown(check_psi_by_hand(...)).startswith(UNANSWERED)


# --------------------------------------------------------------------------------------------
# Exercise 10.2: the policy with the lowest stated cost
# --------------------------------------------------------------------------------------------

#: The cost of each policy, worked by hand from the table below.
COSTS = {"never": 58.8, "monthly": 26.9, "quarterly": 28.2, "incremental": 16.3, "on_alarm": 22.4}


def test_the_table_gives_incremental_as_the_cheapest():
    from segmentation import compare_policies, simulate_stream

    assert POLICY_COST == {"J": 100.0, "churn": 100.0, "refit": 1.0}
    table = compare_policies(simulate_stream()).set_index("policy")
    # the published columns, one policy at a time, against the costs worked by hand
    for policy, cost in COSTS.items():
        row = table.loc[policy]
        total = 100 * (row["mean_J_ratio"] - 1) + 100 * row["mean_churn"] + row["refits"]
        assert round(total, 1) == cost, policy
    assert min(COSTS, key=COSTS.get) == "incremental"


@pytest.mark.parametrize(
    "answer",
    [
        "incremental",
        "Incremental",
        " INCREMENTAL ",
        "incremental.",
        "update incrementally",
        ["incremental"],
        ("incremental",),
        np.array(["incremental"]),
        pd.Series(["incremental"]),
        pd.Index(["incremental"]),
        pd.array(["incremental"], dtype="string"),
        pd.Series(COSTS).idxmin(),
        pd.Series(COSTS).sort_values().index[:1],
    ],
    ids=repr,
)
def test_policy_right_in_every_form(answer):
    message = shown(check_cheapest_policy(answer))
    assert message.startswith(RIGHT) and "16.3" in message and "on_alarm" in message, message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ("on_alarm", "on_alarm costs 6.5 + 9.9 + 6 = 22.4"),
        ("On alarm", "on_alarm costs"),
        ("retrain on alarm", "on_alarm costs"),
        ("monthly", "monthly costs 4.8 + 10.1 + 12 = 26.9"),
        ("every month", "monthly costs"),
        ("quarterly", "= 28.2"),
        ("every 3 months", "quarterly costs"),
        ("never", "= 58.8"),  # the least churn, the worst fit
        ("never retrain", "take the smallest"),
    ],
    ids=repr,
)
def test_policy_wrong_answers_are_named(answer, phrase):
    message = shown(check_cheapest_policy(answer))
    assert message.startswith(WRONG) and phrase in message, message


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (None, "None"),
        ({"policy": "incremental"}, "one policy's name"),
        (pd.Series(COSTS), "one value per policy"),
        (pd.DataFrame({"policy": ["incremental", "never"]}), "one policy's name"),
        (pd.Series([True, False]), "one policy's name"),
        ("the cheapest one", "not one of the five policies"),
        ("MiniBatchKMeans", "not a policy; answer with a policy's name as in the table"),
        # the method behind the incremental policy, not a name in the table
        ("partial_fit", "the method the incremental policy calls; answer with a policy's name"),
        ("partial fit", "the method the incremental policy calls"),
        ("Partial_Fit()", "the method the incremental policy calls"),
        (["partial_fit"], "the method the incremental policy calls"),
        ("inc", "not one of the five policies: never, monthly, quarterly, incremental"),
        ("incremental_kmeans", "not one of the five policies"),
        (3, "one policy's name"),
        (16.3, "one policy's name"),
        (["incremental", "on_alarm"], "one policy's name"),
    ],
    ids=repr,
)
def test_policy_odd_inputs_get_one_helpful_line(answer, phrase):
    message = shown(check_cheapest_policy(answer))
    assert message.startswith(WRONG) and phrase in message, message
    assert CANNOT_READ not in message and "\n" not in message
    assert "<" not in message


def test_policy_unanswered():
    assert shown(check_cheapest_policy(...)).startswith(UNANSWERED)
