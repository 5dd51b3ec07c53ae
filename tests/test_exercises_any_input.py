"""Every exercise check answers anything a student may type with a verdict, never a traceback.

The per-notebook table tests say which answers are right and what each wrong one is told; this
file throws odd and random values at every check and asks only that a verdict comes back.
"""

import math
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import segmentation.course as course
from segmentation.course.answers import CANNOT_READ, Feedback

CHECKS = sorted(name for name in course.__all__ if name.startswith("check_"))

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
    check = getattr(course, check_name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning printed in the notebook is noise too
        result = check(answer)
    assert isinstance(result, Feedback), (check_name, answer, result)
    assert result.message and isinstance(result.message, str)
    assert len(repr(result)) < 600, "a message a student can read"
    assert CANNOT_READ not in result.message, "an answer the check did not foresee"
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
    from segmentation.cluster.choosing import scan_k

    table = scan_k(scaled, range(1, 5), n_init=2)
    assert course.check_k_choice(k=3, reason="business", table=table)
    assert course.check_k_choice(k=2, reason="silhouette", table=table)
    wrong = course.check_k_choice(3, reason="x", tabel=table)
    assert not wrong and "call it as in the exercise" in wrong.message


def _self_holding_list():
    a = [1]
    a.append(a)
    return a


class _IterRaises(list):
    def __iter__(self):
        raise RuntimeError("no iterating")


def _hostile_class(method):
    """A class whose ``method`` raises (dunder methods are looked up on the class)."""

    def _raise(self, *args):
        raise RuntimeError(f"hostile {method}\nsecond line")

    return type(f"Hostile_{method.strip('_')}", (), {method: _raise})()


class _StrRaises(Exception):
    def __str__(self):
        raise RuntimeError("no str")


class _RaisesUnprintable:
    """Its conversion to a number raises an exception that cannot be printed."""

    def __float__(self):
        raise _StrRaises()

    __int__ = __index__ = __float__


HOSTILE = {
    "matrix": np.matrix([[1, 2]]),
    "matrix 440": np.matrix(np.ones((1, 440))),
    "masked": np.ma.masked_array([0, 0, 0, 1, 1, 1, 1], mask=[0, 0, 0, 0, 0, 0, 1]),
    "masked 66": np.ma.masked_array([66], mask=[True]),
    "masked scalar": np.ma.masked,
    "self-holding list": _self_holding_list(),
    "list whose __iter__ raises": _IterRaises([1, 2]),
    **{
        f"object whose {m} raises": _hostile_class(m)
        for m in ("__eq__", "__len__", "__array__", "__float__", "__str__", "__repr__", "__iter__")
    },
    "exception that cannot be printed": _RaisesUnprintable(),
    "Int64 array with NA": pd.array([3, None], dtype="Int64"),
    "string array": pd.array(["Milk", "Grocery"], dtype="string"),
    "Categorical": pd.Categorical(["a", "b", "a"]),
    "Series of Categorical": pd.Series(pd.Categorical(["Milk"])),
    "multi-line repr": pd.Series([1, 2, 3], name="x\ny"),
    "digits, 100,000": "9" * 100_000,
    "digits with commas, 100,000": "9," * 50_000,
    "words, 100,000": "Milk " * 20_000,
    "list of a long string": ["Milk " * 20_000],
    "control characters": "\x1b[2J\r\n\u2028" * 10,
}


@pytest.mark.parametrize("check_name", CHECKS)
@pytest.mark.parametrize("answer", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_answers_get_a_short_one_line_verdict_quickly(check_name, answer):
    check = getattr(course, check_name)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = check(answer)
    took = time.perf_counter() - start
    assert isinstance(result, Feedback), (check_name, result)
    shown = repr(result)
    assert "\n" not in shown and "\r" not in shown and "\x1b" not in shown and "\u2028" not in shown
    assert len(shown) < 600
    assert took < 1.0, f"{check_name} took {took:.2f} s"


@pytest.mark.parametrize(
    "check_name", ["check_large_by_hand", "check_total_spending", "check_k_choice"]
)
def test_a_masked_value_is_not_an_answer(check_name):
    result = getattr(course, check_name)(np.ma.masked_array([66], mask=[True]))
    assert not result and "masked" in result.message


def test_a_long_text_answer_is_refused_before_reading():
    result = course.check_strongest_pair("Milk " * 80_000)
    assert not result and "400,000 characters long" in result.message


def test_a_self_holding_list_is_named():
    result = course.check_large_by_hand(_self_holding_list())
    assert not result and "holds itself" in result.message


def test_an_exception_that_cannot_be_printed_still_gives_a_sentence():
    result = course.check_large_by_hand(_RaisesUnprintable())
    assert isinstance(result, Feedback) and not result
