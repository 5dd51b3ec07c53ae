"""Every exercise check answers anything a student may type with a verdict, never a traceback.

The per-notebook table tests say which answers are right and what each wrong one is told; this
file throws odd and random values at every check and asks only that a verdict comes back.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segmentation import exercises
from segmentation.exercises import Feedback

CHECKS = sorted(name for name in dir(exercises) if name.startswith("check_"))

ODD = [
    0,
    -1,
    1.5,
    float("nan"),
    float("inf"),
    -float("inf"),
    10**400,
    1e308,
    True,
    False,
    "",
    " ",
    "1",
    "one",
    "None",
    "\x1b[31mred",
    "x" * 5000,
    b"bytes",
    [],
    [[]],
    [1, "a"],
    (None,),
    {},
    {"a": 1},
    {1, 2},
    np.array([]),
    np.array([np.nan]),
    np.array(["a", "b"]),
    np.zeros((3, 3, 3)),
    np.array([1 + 2j]),
    pd.Series(dtype=float),
    pd.Series([True, False]),
    pd.DataFrame(),
    pd.DataFrame({"a": [1, 2]}),
    pd.NA,
    pd.NaT,
    object(),
    print,
    np.float64("nan"),
    slice(1, 2),
    range(7),
    3 + 4j,
    np.int64(2**62),
    np.datetime64("2026-01-01"),
    [[0, 1], np.zeros((2, 2))],
    [np.zeros(3), [1, 2]],
]

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=8) | st.tuples(inner, inner),
    max_leaves=20,
)


def verdict(check_name, answer):
    check = getattr(exercises, check_name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning printed in the notebook is noise too
        result = check(answer)
    assert isinstance(result, Feedback), (check_name, answer, result)
    assert result.message and isinstance(result.message, str)
    assert len(repr(result)) < 600, "a message a student can read"
    assert exercises.CANNOT_READ not in result.message, "an answer the check did not foresee"
    return result


@pytest.mark.parametrize("check_name", CHECKS)
@pytest.mark.parametrize("answer", ODD, ids=lambda a: type(a).__name__)
def test_odd_answers_get_a_message(check_name, answer):
    result = verdict(check_name, answer)
    if not (isinstance(answer, float) and math.isnan(answer)):
        assert "Traceback" not in repr(result)


@pytest.mark.parametrize("check_name", CHECKS)
@given(answer=values)
def test_random_answers_get_a_message(check_name, answer):
    verdict(check_name, answer)


@pytest.mark.parametrize("check_name", CHECKS)
def test_an_unanswered_exercise_says_so(check_name):
    result = verdict(check_name, ...)
    assert not result.answered and not result


def test_checks_can_be_called_by_keyword(scaled):
    from segmentation.selection import scan_k

    table = scan_k(scaled, range(1, 5), n_init=2)
    assert exercises.check_k_choice(k=3, reason="business", table=table)
    assert exercises.check_k_choice(k=2, reason="silhouette", table=table)
    wrong = exercises.check_k_choice(3, reason="x", tabel=table)
    assert not wrong and "call it as in the exercise" in wrong.message
