"""Notebook 4's exercise checks, by table: right answers in each natural form, typical wrong
answers, odd inputs, and the message each gets.

Exercise 4.1 names its reason with one word ("elbow", "silhouette" or "business"): free text
is not read, and gets the list of words, without a verdict. The table of J and silhouettes
here is made up, so that the guides disagree (J bends most sharply at k = 2, the silhouette is
highest at k = 3) and each word can be told apart. The course's own table, where both guides
say k = 2 and the business says k = 3, gets every k from 1 to 11 with every choice of words
(the verdict and the facts of the message set against a hand-read oracle), and the sentences
students wrote in two runs of the notebook, each of which must now get the list of words."""

import itertools

import numpy as np
import pandas as pd
import pytest

from segmentation.cluster.choosing import scan_k
from segmentation.course.checks_choosing_k import check_dominant_feature, check_k_choice
from segmentation.data.shipped import load_customers
from segmentation.preprocessing.spending import spending

#: Worked by hand: the second difference of J is largest at k = 2 (60 - 10 = 50), and the
#: silhouette peaks at k = 3 (0.5).
TABLE = pd.DataFrame(
    {"k": [1, 2, 3, 4, 5], "J": [100.0, 40, 30, 25, 22], "silhouette": [np.nan, 0.3, 0.5, 0.4, 0.2]}
)

NAME_THE_REASON = 'name the reason with one word: "elbow", "silhouette" or "business"'


def verdict(feedback):
    """'right', 'wrong' or 'unanswered', read from what the student sees."""
    shown = repr(feedback)
    if shown.startswith("✅ Right."):
        assert feedback and feedback.answered
        return "right"
    if shown.startswith("❌ Not yet:"):
        assert not feedback and feedback.answered
        return "wrong"
    assert shown.startswith("… Not answered yet") and not feedback and not feedback.answered
    return "unanswered"


# --- Exercise 4.1: a k and the word for its reason ------------------------------------------


@pytest.mark.parametrize(
    ("k", "reason", "expected", "phrase"),
    [
        # right: each word at the k it supports, k and the word in every natural form
        (2, "elbow", "right", "J bends most sharply at k = 2: the split"),
        (np.int64(2), "Elbow", "right", "J bends most sharply at k = 2"),
        ("2", " ELBOW ", "right", "The business asked for 3 grades, though"),
        (2.0, "elbow.", "right", "J bends most sharply at k = 2"),
        (2, '"elbow"', "right", "J bends most sharply at k = 2"),
        (2, "肘部", "right", "J bends most sharply at k = 2"),
        (2, "肘部法则", "right", "J bends most sharply at k = 2"),
        (3, "silhouette", "right", "silhouette is highest at k = 3 (0.500)"),
        (3.0, "Silhouette!", "right", "It also gives the 3 segments the business asked for"),
        (3, "轮廓系数", "right", "silhouette is highest at k = 3"),
        (3, "轮廓。", "right", "silhouette is highest at k = 3"),
        (" 3 ", "business", "right", "k = 3 gives it 3 segments, one for each treatment"),
        (np.float64(3.0), "BUSINESS", "right", "at a price: J bends most sharply at k = 2."),
        (3, "业务", "right", "one for each treatment"),
        (pd.Series([3]), "silhouette", "right", "silhouette is highest at k = 3"),
        (np.array([3]), ["silhouette", "business"], "right", "The business asked for 3 grades"),
        (3, ("Business",), "right", "The business asked for 3 grades"),
        (np.str_("3"), np.str_("business"), "right", "The business asked for 3 grades"),
        # one word that holds and one that does not: half right is not right
        (
            3,
            ["elbow", "silhouette"],
            "wrong",
            "half right: the silhouette is highest at k = 3 (0.500), but J bends most sharply at "
            "k = 2, not at 3: keep only the words that hold",
        ),
        # wrong: a k with a word that points elsewhere; the message says what the table shows
        (
            3,
            "elbow",
            "wrong",
            "k = 3 does not follow from the elbow: J bends most sharply at k = 2, not at 3.",
        ),
        (
            2,
            "silhouette",
            "wrong",
            "the silhouette is highest at k = 3 (0.500, against 0.300 at k = 2)",
        ),
        (
            2,
            "business",
            "wrong",
            "the business asked for 3 grades (large, medium, small), which means k = 3, not 2",
        ),
        (5, "silhouette", "wrong", "k = 5 does not follow from the silhouette"),
        (
            4,
            ["elbow", "silhouette"],
            "wrong",
            "from the elbow and the silhouette: J bends most sharply at k = 2, not at 4; and the "
            "silhouette is highest at k = 3 (0.500, against 0.400 at k = 4)",
        ),
        # free text is not judged: it gets the list of words
        (3, "the silhouette is highest", "unanswered", NAME_THE_REASON),
        (2, "the elbow", "unanswered", NAME_THE_REASON),
        (3, "elbow and silhouette", "unanswered", 'the list ["elbow", "silhouette"]'),
        (3, "elbow, business", "unanswered", "the check reads the word"),
        (3, ["elbow", "the business wants 3"], "unanswered", NAME_THE_REASON),
        (3, "ellbow", "unanswered", NAME_THE_REASON),
        (3, "", "unanswered", NAME_THE_REASON),
        (3, "   ", "unanswered", NAME_THE_REASON),
        (3, "because", "unanswered", "Your sentence is a fine note for yourself"),
        # odd forms of k
        (True, "elbow", "wrong", "k as a whole number, such as 4; got bool True"),
        ({"k": 3}, "business", "wrong", "got dict"),
        ([1, 2, 3], "business", "wrong", "got list of 3 values"),
        (pd.DataFrame({"k": [2, 3]}), "business", "wrong", "not a table of 2 rows"),
        ("three", "business", "wrong", "k as a whole number"),
        ("3 because of the business", ..., "wrong", "k as a whole number"),
        (3.5, "elbow", "wrong", "3.5 is not whole"),
        (0, "elbow", "wrong", "k counts segments"),
        (-3, "business", "wrong", "k counts segments: a whole number from 1 up, not -3"),
        (float("nan"), "elbow", "wrong", "k as a whole number"),
        # odd forms of the word
        (
            3,
            3,
            "wrong",
            'write the reason as one word in quotes, such as reason = "elbow"; got int 3',
        ),
        (3, {"why": "business"}, "wrong", "write the reason as one word in quotes"),
        (3, pd.DataFrame({"why": ["business"]}), "wrong", "write the reason as one word"),
        (3, pd.Series(["business"]), "wrong", "write the reason as one word"),
        (3, b"business", "wrong", "got bytes"),
        (3, [], "wrong", "got list of 0 values"),
        (3, ["business", 3], "wrong", "write the reason as one word"),
        # unanswered
        (..., ..., "unanswered", "replace the ..."),
        (None, "business", "wrong", "your answer is None"),
        (3, ..., "unanswered", 'now name the reason with one word: reason = "elbow"'),
        (2, None, "unanswered", "now name the reason with one word"),
    ],
)
def test_check_k_choice(k, reason, expected, phrase):
    feedback = check_k_choice(k, reason, TABLE)
    assert verdict(feedback) == expected, feedback
    assert phrase in feedback.message, feedback


@pytest.mark.parametrize(
    "answer", [(3, "business"), [2, "elbow"], ("3", "silhouette"), (3, ["silhouette"])]
)
def test_check_k_choice_takes_k_and_reason_together(answer):
    assert verdict(check_k_choice(answer, ..., TABLE)) == "right"
    assert verdict(check_k_choice(answer, table=TABLE)) == "right"
    assert verdict(check_k_choice(k=answer, table=TABLE)) == "right"


def test_check_k_choice_by_keyword():
    assert verdict(check_k_choice(k=3, reason="business", table=TABLE)) == "right"
    assert verdict(check_k_choice(k=2, reason="silhouette", table=TABLE)) == "wrong"
    wrong = check_k_choice(3, reason="business", tabel=TABLE)
    assert verdict(wrong) == "wrong" and "call it as in the exercise" in wrong.message


@pytest.mark.parametrize("table", [None, "table", TABLE[["k", "J"]], TABLE.to_dict()])
def test_check_k_choice_asks_for_the_table(table):
    feedback = check_k_choice(3, "business", table)
    assert verdict(feedback) == "wrong" and "check_k_choice(k, reason, table)" in feedback.message


# --- on the course's own table --------------------------------------------------------------


@pytest.fixture(scope="module")
def course_table(scaled):
    return scan_k(scaled, range(1, 11), random_state=0, n_init=10)


#: The course's table read by hand (notebook 4's stored output): J bends most sharply at k = 2,
#: the silhouette is highest at k = 2, and the business asked for three grades.
POINTS_TO = {"elbow": 2, "silhouette": 2, "business": 3}
SILHOUETTE = {
    2: "0.290",
    3: "0.259",
    4: "0.188",
    5: "0.196",
    6: "0.201",
    7: "0.191",
    8: "0.171",
    9: "0.172",
    10: "0.161",
}
#: What each word's message must say, read off that table by hand.
FACT = {
    "elbow": "J bends most sharply at k = 2",
    "silhouette": "silhouette is highest at k = 2 (0.290",
    "business": "the business asked for 3 grades (large, medium, small), which means k = 3",
}
FACT_WHEN_RIGHT = FACT | {
    "business": "The business asked for 3 grades, and k = 3 gives it 3 segments"
}
#: What a message says when it claims that a word points to a k.
CLAIM = {
    "elbow": "J bends most sharply at k = {}",
    "silhouette": "silhouette is highest at k = {} (",
    "business": "which means k = {}",
}
WORD_CHOICES = [
    list(words)
    for n in (1, 2, 3)
    for words in itertools.combinations(["elbow", "silhouette", "business"], n)
]


@pytest.mark.parametrize("words", WORD_CHOICES, ids="+".join)
@pytest.mark.parametrize("k", range(1, 12))
def test_check_k_choice_never_contradicts_itself(course_table, k, words):
    """Every k from 1 to 11 with every choice of words: right exactly when every word points
    to k; a wrong answer is told, for each word, the k it points to and never that it points
    to the student's k; a k that nothing points to is told what the table shows of it."""
    feedback = check_k_choice(k, words, course_table)
    message = feedback.message
    holds = [w for w in words if POINTS_TO[w] == k]
    fails = [w for w in words if POINTS_TO[w] != k]
    assert verdict(feedback) == ("wrong" if fails else "right"), feedback
    for word in words:
        assert (FACT if fails else FACT_WHEN_RIGHT)[word] in message, (word, feedback)
    if fails:
        for word in fails:  # never "this word points to your k" beside "not yet"
            assert CLAIM[word].format(k) not in message, (word, feedback)
        assert ("half right" in message) == bool(holds)
    else:
        assert " not " not in message and "half right" not in message
    if fails and not holds and k not in POINTS_TO.values():
        if k == 1:
            assert "k = 1 puts every customer in one segment" in message
        else:
            assert "J always falls as k grows" in message
            assert (
                (
                    k == 11
                    and (
                        "the table stops at k = 10" in message
                        or "(0.290; none at k = 11 in the table)" in message
                    )
                )
                or f"the silhouette at k = {k} is {SILHOUETTE[k]}" in message
                or f"0.290, against {SILHOUETTE[k]} at k = {k}" in message
            )
    if k == 3 and words == ["business"]:
        assert message == (
            "The business asked for 3 grades, and k = 3 gives it 3 segments, one for each "
            "treatment, at a price: J bends most sharply at k = 2 and the silhouette is "
            "highest at k = 2 (0.290, against 0.259 at k = 3)."
        )


@pytest.mark.parametrize(
    ("k", "reason", "expected", "phrase"),
    [
        # the solutions of the notebook, and the other right answer
        (3, "business", "right", "one for each treatment, at a price"),
        (
            2,
            ["elbow", "silhouette"],
            "right",
            "J bends most sharply at k = 2 and the silhouette is highest at k = 2 (0.290): the "
            "split the data itself supports best. The business asked for 3 grades, though: the "
            "course goes on with k = 3.",
        ),
        (2, "elbow", "right", "The business asked for 3 grades, though"),
        (2, "silhouette", "right", "The silhouette is highest at k = 2 (0.290)"),
        # the lead's examples
        (
            3,
            "silhouette",
            "wrong",
            "k = 3 does not follow from the silhouette: the silhouette is highest at k = 2 "
            "(0.290, against 0.259 at k = 3).",
        ),
        (3, "elbow", "wrong", "J bends most sharply at k = 2, not at 3."),
        (2, "business", "wrong", "which means k = 3, not 2."),
        (
            10,
            "elbow",
            "wrong",
            "Nothing in the table points to k = 10 either: J always falls as k grows",
        ),
        (10, "business", "wrong", "the silhouette at k = 10 is 0.161, against 0.290 at k = 2"),
        (10, "silhouette", "wrong", "(0.290, against 0.161 at k = 10). Nothing in the table"),
        (4, "business", "wrong", "the silhouette at k = 4 is 0.188"),
        (11, "elbow", "wrong", "the table stops at k = 10"),
        (1, "silhouette", "wrong", "k = 1 puts every customer in one segment"),
        (
            2,
            ["elbow", "business"],
            "wrong",
            "half right: J bends most sharply at k = 2, but the business asked for 3 grades",
        ),
    ],
)
def test_check_k_choice_on_the_course_table(course_table, k, reason, expected, phrase):
    """On the course's data both guides say k = 2 and the business says k = 3 (notebook 4's
    stored table, read by hand: silhouettes 0.290 at k = 2, 0.259 at k = 3, 0.161 at k = 10)."""
    feedback = check_k_choice(k, reason, course_table)
    assert verdict(feedback) == expected, feedback
    assert phrase in feedback.message, feedback


#: Sentences students wrote as the reason in two runs of notebook 4 (with the k each chose),
#: right ones and wrong ones alike. Each now gets the list of words, not a verdict.
STUDENT_SENTENCES = [
    (10, "lowest J"),
    (3, "J is lowest at 3"),
    (2, "because J is the lowest"),
    (10, "J is the lowest at k = 10"),
    (5, "the silhouette goes up from 4 to 6"),
    (2, "the silhouette is above 0.5"),
    (3, "the elbow is at 3"),
    (3, "the silhouette is highest at 3"),
    (3, "J bends most sharply at 3"),
    (2, "the elbow and the silhouette both point to 2"),
    (2, "the silhouette is highest at k=2 (0.290)"),
    (2, "J bends most sharply at 2"),
    (3, "the sales team wants large, medium and small customers"),
    (3, "business needs 3 grades"),
    (3, "the scenario asks for three segments"),
    (3, "because the client wants 3 groups"),
    (3, "业务需要三个等级"),
    (3, "business, even though the elbow says 2"),
    (3, "not the elbow, the business"),
    (2, "the elbow, not the business"),
    (2, "elbow and silhouette"),
    (3, "the elbow is not clear so I follow the business"),
    (2, "the business asked for two"),
    (3, "the business asked for three, and the silhouette is highest at 3"),
    (3, "k = 3 finds the key accounts"),
    (2, "biggest drop in J"),
    (2, "elbow method"),
    (2, "highest average silhouette score"),
    (3, "large medium small"),
    (3, "The elbow and silhouette both say 2, but the business wants three grades, so 3"),
    (2, "both guides say 2 even though the business wants 3"),
    (2, "knee of the curve"),
    (3, "silhouette is not highest at 3 but business wants 3"),
    (2, "the elbow says 3"),
    (3, "the elbow says 2 so I pick 3"),
    (2, "silhouette 0.29 is the best"),
    (2, "the data has two natural groups, retail and horeca"),
    (2, "J is lowest at 2"),
    (3, "the elbow, since after 3 J falls slowly"),
    (2, "the silhouette is highest at 3"),
    (2, "the silhouette score of 0.29 is strong"),
    (3, "the silhouette is 0.7 at k = 3"),
    (2, "the elbow is at k = 2, where J = 1500"),
    (3, "the business wants 4 grades"),
    (3, "the business asked for four grades"),
    (3, "the boss said so"),
    (3, "three grades"),
    (3, "grades"),
    (2, "retail vs horeca"),
    (2, "轮廓系数最高"),
    (2, "sillhouette"),
    (3, "business (not elbow, not silhouette)"),
    (2, "the silhouette isn't highest at 2"),
    (3, "both guides only advise; I go with the business"),
    (2, "both guides agree"),
    (2, "the guides"),
    (3, "the elbow is weak so the business"),
    (3, "J falls slowly after 3"),
    (2, "after k = 2 the curve flattens"),
    (2, "gap statistic"),
    (4, "the elbow is at 4"),
    (3, "best separated clusters"),
    (2, "Because the elbow is at k=2."),
    (2, "max silhouette"),
    (3, "3 segments = 3 grades (small, medium, large)"),
    (2, "the inertia curve bends at 2"),
    (2, "elbow + silhouette"),
    (2, "elbow/silhouette"),
    (3, "business requirement"),
    (3, "three grades (the silhouette at 3 is 0.259, still weak)"),
    (3, "the business asked for three grades: large, medium and small customers"),
    (3, "the business does not matter to me"),
    (3, "I asked my teacher"),
    (2, "the silhouette is lowest at 2"),
    (2, "not the elbow, and the business wants 3"),
    (3, "the silhouette is bad, so whatever"),
    (1, "lowest J-bend... no, elbow"),
    (3, "the company wants three tiers of customers"),
    (4, "the sales department wants 4 groups"),
    (3, "gives the key accounts the sales team wants"),
    (3, ["business", "three grades"]),
]


def test_the_students_sentences_are_many():
    assert len(STUDENT_SENTENCES) >= 60


@pytest.mark.parametrize(("k", "reason"), STUDENT_SENTENCES)
def test_a_sentence_gets_the_list_of_words_not_a_verdict(course_table, k, reason):
    feedback = check_k_choice(k, reason, course_table)
    assert verdict(feedback) == "unanswered", feedback
    assert feedback.message.startswith(NAME_THE_REASON), feedback
    assert (
        "your sentence is a fine note for yourself; the check reads the word"
        in feedback.message.lower()
    )


@pytest.mark.parametrize(
    ("table", "k", "reason", "expected", "phrase"),
    [
        # no silhouette at all: every value missing, or k = 1 alone
        (
            lambda t: t.assign(silhouette=np.nan),
            2,
            "silhouette",
            "wrong",
            "the table is too short to check that: the table has no silhouette",
        ),
        (
            lambda t: t.head(1),
            2,
            "elbow",
            "wrong",
            "an elbow needs J for at least three values of k in a row; the table has it for k = 1",
        ),
        # two rows: a silhouette (k = 2) but no elbow, which needs three points in a row
        (
            lambda t: t.head(2),
            2,
            "elbow",
            "wrong",
            "the table has it for k = 1, 2. Make it with scan_k(X, range(1, 11))",
        ),
        (lambda t: t.head(2), 2, "silhouette", "right", "silhouette is highest at k = 2"),
        (lambda t: t.head(2), 2, ["elbow", "silhouette"], "wrong", "too short to check that"),
        # the business needs no table; the price is left out when the table cannot tell it
        (lambda t: t.head(1), 3, "business", "right", "one for each treatment."),
        (
            lambda t: t.assign(silhouette=np.nan),
            3,
            "business",
            "right",
            "at a price: J bends most sharply at k = 2.",
        ),
        (
            lambda t: t.assign(silhouette=np.nan),
            5,
            "business",
            "wrong",
            "which means k = 3, not 5.",
        ),
        # rows out of order, or k = 1..10 with gaps: read by k, and a gap has no elbow
        (lambda t: t.sort_values("J"), 2, "elbow", "right", "J bends most sharply at k = 2"),
        (lambda t: t.iloc[[0, 1, 4, 9]], 2, "elbow", "wrong", "k = 1, 2, 5, 10"),
        (lambda t: t.round(3), 2, "silhouette", "right", "0.290"),
    ],
)
def test_check_k_choice_on_tables_too_short_to_tell(
    course_table, table, k, reason, expected, phrase
):
    feedback = check_k_choice(k, reason, table(course_table))
    assert verdict(feedback) == expected, feedback
    assert phrase in feedback.message, feedback


# --- Exercise 4.2: the column that weighs most in raw distances -----------------------------


def test_fresh_holds_about_45_percent_of_the_raw_variance():
    """The figure the check quotes, by a second route: the mean squared distance over all
    pairs of customers, and Fresh's part of it."""
    raw = spending(load_customers()).to_numpy()
    pair_sq = (raw[:, None, :] - raw[None, :, :]) ** 2  # 440 x 440 x 6
    per_column = pair_sq.sum(axis=(0, 1))
    assert round(100 * per_column[0] / per_column.sum()) == 45
    assert per_column.argmax() == 0  # Fresh


@pytest.mark.parametrize(
    ("answer", "expected", "phrase"),
    [
        ("Fresh", "right", "standard deviation 12,647 m.u.) and 45% of the raw variance"),
        ("fresh", "right", "weighs most unless the features are scaled"),
        ("  FRESH ", "right", "45% of the squared distance between two customers"),
        (np.str_("Fresh"), "right", "largest spread"),
        (["Fresh"], "right", "largest spread"),
        (pd.Index(["Fresh"]), "right", "largest spread"),
        (pd.Series(["Fresh"]), "right", "largest spread"),
        (
            "Milk",
            "wrong",
            "Milk has standard deviation 7,380 m.u. (15% of the raw variance); "
            "another column spreads wider",
        ),
        ("grocery", "wrong", "Grocery has standard deviation 9,503 m.u."),
        ("Delicatessen", "wrong", "Delicassen has standard deviation 2,820 m.u."),
        ("detergents paper", "wrong", "Detergents_Paper has standard deviation"),
        ("Detergents-Paper", "wrong", "Detergents_Paper has standard deviation"),
        ("Channel", "wrong", "one of Fresh, Milk, Grocery"),
        # .argmax() gives a position, not a name
        (np.int64(0), "wrong", "0 is a position, not a name (.argmax() gives positions"),
        (0, "wrong", ".idxmax() gives the column's name"),
        ("2", "wrong", "2 is a position, not a name"),
        (np.array([0]), "wrong", "0 is a position"),
        (
            6,
            "wrong",
            "one of Fresh, Milk, Grocery, Frozen, Detergents_Paper, Delicassen, not a number",
        ),  # no column has position 6
        ("the one with the largest spread", "wrong", "name of one spending column"),
        (["Fresh", "Milk", "Grocery"], "wrong", "got list of 3 values"),
        ({"Fresh": 1}, "wrong", "got dict"),
        (True, "wrong", "got bool True"),
        # a spread is not a name: .max() and .nlargest(1) keep the number
        (12647, "wrong", "that is the spread itself; .idxmax() gives its column"),
        ("12,647", "wrong", "that is the spread itself"),
        (np.float64(12647.328865076892), "wrong", "that is the spread itself"),
        (1.6e8, "wrong", "that is the spread itself"),  # the variance, rounded
        (3.7, "wrong", "answer with the name of one spending column, one of Fresh"),
        (-1, "wrong", "not a number"),
        (pd.DataFrame({"column": ["Fresh", "Milk"]}), "wrong", "a table of 2 rows"),
        (None, "wrong", "your answer is None"),
        (..., "unanswered", "replace the ..."),
    ],
)
def test_check_dominant_feature(answer, expected, phrase):
    feedback = check_dominant_feature(answer)
    assert verdict(feedback) == expected, feedback
    assert phrase in feedback.message, feedback


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        # the spread of every column, not yet reduced to the name of the largest
        (lambda s: s.std(), "one number per column"),
        (lambda s: s.var(), "one number per column"),
        # what a student tried (second run): the largest spread, with its name in the index
        (lambda s: s.std().nlargest(1), "that is a spread with its column's name in the index"),
        (lambda s: s.std().nsmallest(1), "answer with the name alone: .idxmax()"),
        (lambda s: s.std().sort_values().tail(1), "answer with the name alone"),
        # and the spread itself, or its position
        (lambda s: s.std().max(), "that is the spread itself; .idxmax() gives its column"),
        (lambda s: s.var().max(), "that is the spread itself"),
        (lambda s: s.std().argmax(), "0 is a position, not a name"),
        # the right answers reached in other ways
        (lambda s: s.std().nlargest(1).index, "largest spread"),
        (lambda s: s.std().nlargest(1).index[0], "largest spread"),
        (lambda s: s.var().idxmax(), "largest spread"),
        (lambda s: s.columns[s.std().argmax()], "largest spread"),
    ],
)
def test_check_dominant_feature_explains_what_a_spread_is(answer, phrase):
    feedback = check_dominant_feature(answer(spending(load_customers())))
    assert phrase in feedback.message, feedback
    assert verdict(feedback) == ("right" if phrase == "largest spread" else "wrong"), feedback
    assert "np.float64" not in feedback.message and "12647.3" not in feedback.message
