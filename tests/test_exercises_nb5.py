"""The checks of notebook 5's exercises, as a table: right answers in every natural form,
typical wrong answers, odd inputs, and the message each gets.

The right answers come from an independent route: the nearest centre worked out with NumPy
from the model's centres and the customers' log spending, scaled by hand."""

import numpy as np
import pandas as pd
import pytest

from segmentation.course import checks_model
from segmentation.course.checks_model import (
    NEW_CUSTOMER,
    check_new_customer_segment,
    check_reloaded_segments,
)
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.model.pipeline import SegmentationModel

IDS = [10, 20, 30, 40]


def nearest(model, table, customers):
    """The nearest centre of each row of ``table``, scaling as the course does: log(1 + x),
    then by the mean and standard deviation of the training customers."""
    train = np.log1p(customers[list(SPENDING_COLUMNS)].to_numpy(dtype=float))
    values = np.log1p(table[list(SPENDING_COLUMNS)].to_numpy(dtype=float))
    scaled = (values - train.mean(axis=0)) / train.std(axis=0)
    return np.linalg.norm(scaled[:, None, :] - model.centres[None], axis=2).argmin(axis=1)


@pytest.fixture(scope="module")
def course(customers):
    model = SegmentationModel(k=3, evaluate=False).fit(customers)
    segment = int(nearest(model, pd.DataFrame([NEW_CUSTOMER]), customers)[0])
    chosen = customers[customers["id"].isin(IDS)]
    return model, segment, nearest(model, chosen, customers).tolist()


def verdict(feedback):
    return "right" if feedback else ("unanswered" if not feedback.answered else "wrong")


# --- exercise 5.1: the new customer's segment -----------------------------------------------


def test_the_new_customer_is_in_segment_1_by_hand(course):
    model, segment, _ = course
    assert segment == 1
    assert model.names[1] == "medium, detergents and grocery: mixed channels (61% Retail)"


NAME = "medium, detergents and grocery: mixed channels (61% Retail)"

RIGHT_5_1 = {
    "int": 1,
    "numpy int": np.int64(1),
    "numpy int32": np.int32(1),
    "float": 1.0,
    "numeric string": "1",
    "string with spaces": " 1 ",
    "segment 1": "Segment 1",
    "one-element list": [1],
    "one-element tuple": (1,),
    "one-element array": np.array([1]),
    "one-element Series": pd.Series([1], index=[7]),
    "the name": NAME,
    "the name in capitals": NAME.upper(),
    "the name, odd spacing": "  medium,detergents   and grocery :mixed channels(61% retail) ",
    "the name up to its colon": "Medium, Detergents and Grocery",
    "the name without its channel share": "medium, detergents and grocery: mixed channels",
    "the size word, the only medium segment": "medium",
    "the size word in capitals": "MEDIUM",
    "number and name, as the legends show them": f"1. {NAME}",
    "number and the start of the name": "Segment 1: medium",
    "number and name without a full stop": "1 medium",
    "the name in a list": [NAME],
    "predict's name column": pd.Series(pd.Categorical([NAME])),
}


@pytest.mark.parametrize("answer", RIGHT_5_1.values(), ids=RIGHT_5_1.keys())
@pytest.mark.parametrize("given", ["model", "path", "nothing"])
def test_5_1_accepts_the_right_segment_in_every_natural_form(course, tmp_path, answer, given):
    model = course[0]
    second = {
        "path": lambda: model.save(tmp_path / "model.json"),
        "model": lambda: model,
        "nothing": lambda: None,
    }[given]()
    feedback = check_new_customer_segment(answer, second)
    assert verdict(feedback) == "right", feedback
    assert repr(feedback).startswith("✅ Right. Segment 1, 'medium, detergents and grocery")
    assert "its centre is the nearest (distance 1.81 against 2.04, 4.03)" in feedback.message


def test_5_1_checks_against_the_students_own_model(customers, course, tmp_path):
    # A student who changed k to 4 at the top of the notebook: the solution's answer (that
    # model's segment, worked out by hand) is right, by number and by name, and the k = 3
    # model's segment is wrong, with that student's own distances.
    four = SegmentationModel(k=4, evaluate=False).fit(customers)
    by_hand = int(nearest(four, pd.DataFrame([NEW_CUSTOMER]), customers)[0])
    assert by_hand != course[1]
    for second in (four, four.save(tmp_path / "four.json")):
        for answer in (
            by_hand,
            four.names[by_hand],
            four.predict(pd.DataFrame([NEW_CUSTOMER]))["segment"],
        ):
            feedback = check_new_customer_segment(answer, second)
            assert verdict(feedback) == "right", feedback
            assert feedback.message.startswith(f"Segment {by_hand}, '{four.names[by_hand]}'")
        wrong = check_new_customer_segment(course[1], second)
        assert verdict(wrong) == "wrong"
        scaled = (np.log1p([NEW_CUSTOMER[c] for c in SPENDING_COLUMNS]) - four.mean) / four.scale
        distance = np.linalg.norm(scaled - four.centres[course[1]])
        assert f"segment 1 is at distance {distance:.2f} in your model (k = 4)" in wrong.message


def test_5_1_a_size_word_that_starts_two_names_says_so(customers):
    four = SegmentationModel(k=4, evaluate=False).fit(customers)
    medium = [j for j, name in enumerate(four.names) if name.startswith("medium")]
    assert len(medium) == 2  # k = 4 has two medium segments
    feedback = check_new_customer_segment("medium", four)
    assert verdict(feedback) == "wrong"
    assert (
        f"'medium' starts the names of segments {medium[0]}, {medium[1]}: give the number, "
        "or enough of the name to tell them apart"
    ) in feedback.message


WRONG_5_1 = [
    (
        "another segment",
        0,
        ("segment 0 is at distance 2.04 in your model (k = 3); another centre is nearer"),
    ),
    (
        "the large segment, by its total spending: near a border",
        "large",
        (
            "segment 0 is at distance 2.04 in your model (k = 3); another centre is nearer "
            "(1.81), so the customer sits near a border. Segments differ in what customers "
            "buy, not only in how much: use model.predict on a one-row table."
        ),
    ),
    (
        "a segment far away, of other totals",
        2,
        (
            "segment 2 is at distance 4.03 in your model (k = 3); another centre is nearer. "
            "Put the customer in a one-row table and use model.predict."
        ),
    ),
    (
        "another segment by name",
        "small, frozen and fresh: mostly Horeca (99%)",
        "segment 2 is at distance 4.03",
    ),
    ("another segment as text", "2", "segment 2 is at distance 4.03"),
    ("no such segment", 7, "there is no segment 7: answer with a segment number (0 to 2)"),
    ("negative", -1, "there is no segment -1"),
    ("not whole", 1.5, "1.5 is not whole"),
    (
        "a size word of no segment",
        "tiny",
        (
            "'tiny' is neither a segment number nor a "
            "segment's name: answer with the number (0 to 2), "
            "the name as model.names gives it, or its start, "
            "such as 'large, broad basket'."
        ),
    ),
    ("a word cut short", "med", "'med' is neither a segment number nor a segment's name"),
    ("words", "the second one", "is neither a segment number nor a segment's name"),
    ("the name with a word too many", f"{NAME} customers", "is neither a segment number"),
    (
        "number and name disagree",
        "2. medium",
        ("'2. medium' gives a number and a name of different segments: answer with one of them."),
    ),
    (
        "another model's name",
        "large, detergents and milk: mostly Retail (80%)",
        "is neither a segment number nor a segment's name",
    ),
    ("a very long text", "x" * 5000, "5,000 characters long"),
    (
        "two segments",
        [1, 2],
        ("answer with one segment: its number (0 to 2) or its name; got list of 2 values"),
    ),
    ("empty list", [], "got list of 0 values"),
    ("a bool", True, "got bool True"),
    ("a dict", {"segment": 1}, "got dict"),
    (
        "a whole table",
        pd.DataFrame({"Fresh": [1, 2], "Milk": [3, 4]}),
        "not a table of 2 rows and 2 columns",
    ),
    (
        "predict's whole result",
        "predict",
        ("the whole table that predict gives; answer with its segment: result['segment']"),
    ),
    ("a True/False Series", pd.Series([True, False, True]), "got Series of 3 values"),
    ("infinity", float("inf"), "answer with one segment"),
]


@pytest.mark.parametrize("case, answer, message", WRONG_5_1, ids=[w[0] for w in WRONG_5_1])
def test_5_1_says_what_is_off(course, case, answer, message):
    if isinstance(answer, str) and answer == "predict":
        answer = course[0].predict(pd.DataFrame([NEW_CUSTOMER]))
    feedback = check_new_customer_segment(answer, course[0])
    assert verdict(feedback) == "wrong"
    assert repr(feedback).startswith("❌ Not yet: ") and message in feedback.message
    assert len(feedback.message) < 250  # one line a student reads


@pytest.mark.parametrize(
    "second, message",
    [
        ("missing", "the saved model cannot be read: no such file."),
        (
            42,
            (
                "give your model as the second argument, as in the exercise: the model itself, or "
                "the path it was saved to."
            ),
        ),
        ("a table", "give your model as the second argument"),
    ],
)
def test_5_1_a_model_that_cannot_be_used_gets_a_message(customers, tmp_path, second, message):
    second = {"missing": tmp_path / "nowhere.json", "a table": customers}.get(second, second)
    feedback = check_new_customer_segment(1, second)
    assert verdict(feedback) == "wrong" and message in feedback.message


def test_5_1_the_large_answer_is_a_border_case_by_hand(customers, course):
    # Worked out apart from the check: the customer's distances to the centres, and the
    # segments' mean totals from the customers' own spending. The large segment (0) is
    # the second nearest, less than a quarter farther than the nearest (1), and its mean
    # total is the nearer one to the customer's 52,000 m.u.: the trap the message names.
    model = course[0]
    train = np.log1p(customers[list(SPENDING_COLUMNS)].to_numpy(dtype=float))
    scaled = (np.log1p([NEW_CUSTOMER[c] for c in SPENDING_COLUMNS]) - train.mean(0)) / train.std(0)
    distances = np.linalg.norm(model.centres - scaled, axis=1)
    assert distances.argmin() == 1 and distances[0] < checks_model.NEAR_BORDER * distances[1]
    labels = nearest(model, customers, customers)
    totals = customers[list(SPENDING_COLUMNS)].sum(axis=1).to_numpy()
    means = [totals[labels == j].mean() for j in range(3)]
    total = sum(NEW_CUSTOMER.values())
    assert total == 52_000 and abs(total - means[0]) < abs(total - means[1])
    feedback = check_new_customer_segment("large", model)
    assert f"distance {distances[0]:.2f}" in feedback.message
    assert f"nearer ({distances[1]:.2f}), so the customer sits near a border" in feedback.message


def test_5_1_without_a_model_says_it_checked_the_courses():
    # the student removed the second argument: the check can only use the course's model,
    # and says so instead of calling it "your model"
    feedback = check_new_customer_segment(0)
    assert verdict(feedback) == "wrong"
    assert (
        "segment 0 is at distance 2.04 in the course's k = 3 model (pass your model as the "
        "second argument)"
    ) in feedback.message
    assert "in your model" not in feedback.message


def test_5_1_unanswered(course):
    feedback = check_new_customer_segment(..., course[0])
    assert verdict(feedback) == "unanswered" and "replace the ..." in feedback.message
    assert "your answer is None" in check_new_customer_segment(None, course[0]).message
    assert verdict(check_new_customer_segment(model=course[0], answer=1)) == "right"


# --- exercise 5.2: segments from the saved and loaded model ---------------------------------


def test_the_four_customers_segments_by_hand(course):
    assert course[2] == [0, 1, 2, 2]


RIGHT_5_2 = {
    "list": [0, 1, 2, 2],
    "tuple": (0, 1, 2, 2),
    "array": np.array([0, 1, 2, 2]),
    "float array": np.array([0.0, 1.0, 2.0, 2.0]),
    "Series with the rows' index": pd.Series([0, 1, 2, 2], index=[9, 19, 29, 39]),
    "list of strings": ["0", "1", "2", "2"],
    "text with commas": "0, 1, 2, 2",
    "text in brackets": "[0 1 2 2]",
    "column of four rows": np.array([[0], [1], [2], [2]]),
    "numpy ints": [np.int64(v) for v in (0, 1, 2, 2)],
}


@pytest.mark.parametrize("answer", RIGHT_5_2.values(), ids=RIGHT_5_2.keys())
@pytest.mark.parametrize("given", ["path", "model", "nothing"])
def test_5_2_accepts_the_right_segments_in_every_natural_form(course, tmp_path, answer, given):
    model = course[0]
    second = {"path": model.save(tmp_path / "model.json"), "model": model, "nothing": None}[given]
    feedback = check_reloaded_segments(answer, second)
    assert verdict(feedback) == "right", feedback
    assert feedback.message.startswith(
        "The model you saved and loaded (k = 3) segments them so: id 10: 0. large, broad basket"
    )


def test_5_2_the_predicted_column_itself_is_right(course, customers, tmp_path):
    model = course[0]
    chosen = customers[customers["id"].isin(IDS)]
    assert check_reloaded_segments(
        model.predict(chosen)["segment"], str(model.save(tmp_path / "m.json"))
    )


def test_5_2_checks_against_the_model_the_student_saved(customers, tmp_path, course):
    # A student who chose k = 4, saved it and answers with that model's segments is right.
    four = SegmentationModel(k=4, evaluate=False).fit(customers)
    path = four.save(tmp_path / "model.json")
    chosen = customers[customers["id"].isin(IDS)]
    by_hand = nearest(four, chosen, customers).tolist()
    assert by_hand != course[2]
    feedback = check_reloaded_segments(by_hand, path)
    assert verdict(feedback) == "right" and "(k = 4)" in feedback.message
    # ... and the k = 3 answer is wrong for that student's model.
    assert verdict(check_reloaded_segments(course[2], path)) == "wrong"


WRONG_5_2 = [
    ("one wrong", [0, 1, 2, 0], "not for id 40. Select the customers with"),
    ("two wrong", [1, 1, 2, 1], "not for ids 10 and 40."),
    ("three wrong", [0, 0, 0, 1], "not for ids 20, 30 and 40."),
    (
        # k = 3 puts rows 10, 20, 30 and 40 all in segment 0: the answer may be a guess, so
        # the rows are named as a possibility only
        "rows, not ids, all the same segment",
        "rows",
        (
            "not for ids 20, 30 and 40. Your answer matches the customers in rows 10, 20, 30 "
            "and 40 (ids 11, 21, 31 and 41); if you took those, select by id instead"
        ),
    ),
    ("all zeros", [0, 0, 0, 0], "not for ids 20, 30 and 40. Your answer matches"),
    (
        "the ids themselves",
        [10, 20, 30, 40],
        (
            "10, 20, 30 and 40 are the customers' ids: answer with the segment of each "
            "(0 to 2), in the order of their ids."
        ),
    ),
    ("the ids as text", "10, 20, 30, 40", "are the customers' ids"),
    ("too few", [0, 1], "give 4 segment numbers, one per customer, not 2."),
    ("too many", [0, 1, 2, 2, 0], "not 5."),
    ("one number", 2, "not 1."),
    (
        "no such segment",
        [0, 1, 2, 9],
        "9 is not a segment number: the saved model has segments 0 to 2.",
    ),
    ("one number too big, four times", [9, 9, 9, 9], "9 is not a segment number:"),
    ("two numbers too big", [0, 12, 9, 2], "9 and 12 are not segment numbers:"),
    ("a negative number", [0, -1, 2, 2], "-1 is not a segment number:"),
    ("not whole", [0, 1, 2, 2.5], "segment numbers are whole numbers; got 0, 1, 2, 2.5."),
    ("words", "large medium small small", "every value must be a number"),
    ("a dict", {10: 0, 20: 1}, "got dict"),
    ("a bool", True, "got bool True"),
    ("a True/False Series", "bool series", "not 440."),
    (
        "predict's whole result",
        "predict",
        ("(its 'segment' column: result['segment']); got a table of 4 rows"),
    ),
    ("the customer table", "customers", "got a table of 440 rows and 9 columns"),
]


@pytest.mark.parametrize("case, answer, message", WRONG_5_2, ids=[w[0] for w in WRONG_5_2])
def test_5_2_says_what_is_off(course, customers, case, answer, message):
    model = course[0]
    made = {
        "rows": lambda: model.predict(customers.iloc[IDS])["segment"],
        "bool series": lambda: customers["Channel"] == "Retail",
        "predict": lambda: model.predict(customers[customers["id"].isin(IDS)]),
        "customers": lambda: customers,
    }
    if isinstance(answer, str) and answer in made:
        answer = made[answer]()
    feedback = check_reloaded_segments(answer, model)
    assert verdict(feedback) == "wrong"
    assert repr(feedback).startswith("❌ Not yet: ") and message in feedback.message


def test_5_2_rows_instead_of_ids_told_for_sure_when_the_rows_differ(customers, tmp_path):
    # With k = 4 the customers in rows 10, 20, 30 and 40 (by position) fall in different
    # segments, unlike the ids' customers: an answer equal to theirs can only come from
    # choosing by position, and is told so without a "maybe".
    four = SegmentationModel(k=4, evaluate=False).fit(customers)
    by_row = nearest(four, customers.iloc[IDS], customers).tolist()
    by_id = nearest(four, customers[customers["id"].isin(IDS)], customers).tolist()
    assert customers["id"].iloc[IDS].tolist() == [11, 21, 31, 41]
    assert len(set(by_row)) > 1 and by_row != by_id
    feedback = check_reloaded_segments(by_row, four.save(tmp_path / "four.json"))
    assert verdict(feedback) == "wrong"
    assert feedback.message == (
        "those are the customers in rows 10, 20, 30 and 40 (ids 11, 21, 31 and 41): select "
        "by id, customers[customers['id'].isin([10, 20, 30, 40])]."
    )


@pytest.mark.parametrize(
    "second, message",
    [
        (
            "missing",
            ("the saved model cannot be read: no such file. Save it again with model.save(path)"),
        ),
        ("damaged", "the saved model cannot be read: its checksum does not match"),
        (
            42,
            (
                "give your model as the second argument, as in the exercise: the model itself, or "
                "the path it was saved to."
            ),
        ),
    ],
)
def test_5_2_a_model_that_cannot_be_used_gets_a_message(course, tmp_path, second, message):
    if second == "missing":
        second = tmp_path / "nowhere.json"
    elif second == "damaged":
        second = course[0].save(tmp_path / "model.json")
        second.write_text(second.read_text().replace("broad basket", "best customers"))
    feedback = check_reloaded_segments([0, 1, 2, 2], second)
    assert verdict(feedback) == "wrong" and message in feedback.message


def test_5_2_unanswered(tmp_path):
    feedback = check_reloaded_segments(..., tmp_path / "not needed yet.json")
    assert verdict(feedback) == "unanswered"
    assert "your answer is None" in check_reloaded_segments(None, tmp_path / "x.json").message


def test_the_exercise_ids_are_those_the_notebook_asks_for():
    assert list(checks_model.EXERCISE_IDS) == IDS
