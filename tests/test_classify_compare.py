"""The classifier comparison: nested cross-validation against a loop written out by hand, the
majority baseline against the class shares, the caller's models untouched, seeds that repeat,
and every bad input refused with a message that says what to do."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.validation import check_is_fitted

from segmentation.classify.compare import PARAMETERS, compare_classifiers, fewest_for_cv
from segmentation.classify.models import (
    FOREST_GRID,
    FULL_FOREST_GRID,
    ClassifierSpec,
    standard_classifiers,
)
from segmentation.preprocessing.spending import spending

TREE_GRID = {"max_depth": [1, 2, 3]}


def small_models():
    return {
        "majority": (DummyClassifier(strategy="most_frequent"), None),
        "tuned tree": (DecisionTreeClassifier(random_state=0), TREE_GRID),
    }


@pytest.fixture(scope="module")
def course(customers):
    return spending(customers), customers["Channel"]


@pytest.fixture(scope="module")
def found(course):
    return compare_classifiers(*course, small_models(), cv=5, random_state=0)


def hand_scores(truth, guess):
    """Accuracy, F1 (macro) and balanced accuracy counted by hand from the predictions."""
    truth, guess = np.asarray(truth), np.asarray(guess)
    f1s, recalls = [], []
    for label in np.unique(truth):
        hits = np.sum((guess == label) & (truth == label))
        precision = hits / max(np.sum(guess == label), 1)
        recall = hits / np.sum(truth == label)
        f1s.append(0.0 if hits == 0 else 2 * precision * recall / (precision + recall))
        recalls.append(recall)
    return {
        "accuracy": np.mean(truth == guess),
        "F1 (macro)": np.mean(f1s),
        "balanced accuracy": np.mean(recalls),
    }


def test_nested_scores_equal_a_loop_written_out_by_hand(course, found):
    X, y = course
    outer = StratifiedKFold(5, shuffle=True, random_state=0)
    per_fold, chosen = [], []
    for train, test in outer.split(X, y):
        search = GridSearchCV(
            DecisionTreeClassifier(random_state=0), TREE_GRID, cv=5, scoring="f1_macro"
        )
        search.fit(X.iloc[train], y.iloc[train])
        chosen.append(search.best_params_["max_depth"])
        per_fold.append(hand_scores(y.iloc[test], search.predict(X.iloc[test])))
    expected = pd.DataFrame(per_fold)
    row = found.table.loc["tuned tree"]
    for metric in expected:
        assert row[f"{metric} mean"] == pytest.approx(expected[metric].mean())
        assert row[f"{metric} std"] == pytest.approx(expected[metric].std(ddof=0))
    usual = max(set(chosen), key=chosen.count)
    assert row[PARAMETERS] == f"max_depth={usual} ({chosen.count(usual)} of 5 folds)"
    tidy = found.folds.query("model == 'tuned tree' and metric == 'accuracy'")
    assert tidy["value"].tolist() == pytest.approx(expected["accuracy"].tolist())


def test_the_majority_baseline_scores_the_share_of_the_larger_class(found):
    row = found.table.loc["majority"]
    assert row["accuracy mean"] == pytest.approx(298 / 440)  # Horeca: 298 of the 440
    assert row["balanced accuracy mean"] == pytest.approx(0.5)
    horeca_f1 = 2 * (298 / 440) / (1 + 298 / 440)  # precision = share, recall = 1
    assert row["F1 (macro) mean"] == pytest.approx(horeca_f1 / 2, abs=0.005)
    assert row[PARAMETERS] == ""


def test_folds_are_tidy_and_the_best_model_has_the_highest_mean_f1(found):
    assert list(found.folds.columns) == ["model", "fold", "metric", "value"]
    assert len(found.folds) == 2 * 5 * 3
    assert found.folds.groupby(["model", "metric"]).size().eq(5).all()
    assert found.best_name == "tuned tree"
    assert found.table.loc["tuned tree", "F1 (macro) mean"] > 0.85


def test_fit_best_tunes_on_all_the_data_and_leaves_the_models_unfitted(course, found):
    X, y = course
    best = found.fit_best(X, y)
    search = GridSearchCV(
        DecisionTreeClassifier(random_state=0), TREE_GRID, cv=5, scoring="f1_macro"
    ).fit(X, y)
    assert best.get_params()["max_depth"] == search.best_params_["max_depth"]
    assert (best.predict(X) == search.predict(X)).all()
    with pytest.raises(NotFittedError):
        check_is_fitted(found.models["tuned tree"].estimator)


def test_the_same_seed_gives_the_same_tables_and_another_seed_other_folds(course, found):
    again = compare_classifiers(*course, small_models(), cv=5, random_state=0)
    pd.testing.assert_frame_equal(again.table, found.table)
    pd.testing.assert_frame_equal(again.folds, found.folds)
    other = compare_classifiers(*course, small_models(), cv=5, random_state=1)
    assert not np.allclose(other.folds["value"], found.folds["value"])


def test_progress_says_each_model_once_and_how_much_it_fits(course):
    said = []
    compare_classifiers(*course, small_models(), cv=3, progress=said.append)
    assert said == [
        "majority: 3 folds",
        "tuned tree: 3 folds, each tuning 3 settings by 3-fold grid search",
    ]


def test_plain_arrays_and_bare_estimators_are_accepted(course):
    X, y = course
    found = compare_classifiers(
        X.to_numpy(), y.to_numpy(), {"tree": DecisionTreeClassifier(random_state=0)}, cv=3
    )
    assert found.best_name == "tree"
    assert 0.8 < found.table.loc["tree", "accuracy mean"] <= 1


def test_standard_classifiers_are_seeded_log_pipelines_in_the_lesson_order():
    models = standard_classifiers(random_state=7)
    assert list(models) == [
        "majority",
        "logistic regression",
        "decision tree",
        "random forest",
        "gradient boosting",
    ]
    for name, spec in models.items():
        assert isinstance(spec, ClassifierSpec)
        log = spec.estimator.steps[0][1]
        assert log.func is np.log1p, name
        seeds = [v for k, v in spec.estimator.get_params().items() if k.endswith("random_state")]
        assert all(seed == 7 for seed in seeds), name
    assert [n for n, _ in models["logistic regression"].estimator.steps] == [
        "log",
        "scale",
        "model",
    ]
    assert models["decision tree"].estimator[-1].max_depth == 3
    assert models["random forest"].param_grid == FOREST_GRID
    assert standard_classifiers(full_grid=True)["random forest"].param_grid == FULL_FOREST_GRID
    for spec in standard_classifiers().values():  # every grid names real parameters
        clone(spec.estimator).set_params(**{k: v[0] for k, v in (spec.param_grid or {}).items()})


def test_editing_a_returned_grid_leaves_the_next_call_alone():
    standard_classifiers()["random forest"].param_grid["model__max_depth"].append(99)
    assert 99 not in standard_classifiers()["random forest"].param_grid["model__max_depth"]


@pytest.mark.slow
def test_every_standard_model_beats_the_baseline_on_the_course_data(course):
    found = compare_classifiers(*course)
    f1 = found.table["F1 (macro) mean"]
    assert f1.idxmin() == "majority"
    assert (f1.drop("majority") > 0.85).all()
    assert found.best_name in found.table.index


def bad(**change):
    X = pd.DataFrame({"Milk": np.arange(20.0), "Grocery": np.arange(20.0) ** 2})
    y = pd.Series(["Horeca"] * 12 + ["Retail"] * 8)
    case = {"X": X, "y": y, "cv": 5, **change}
    return case


@pytest.mark.parametrize(
    ("case", "phrase"),
    [
        (bad(y=None), "y is missing"),
        (bad(y=pd.Series(["Horeca"] * 19 + [None])), "1 missing label(s): drop those rows"),
        (bad(y=pd.Series(["Horeca"] * 20)), "one class only ('Horeca')"),
        (bad(y=pd.Series(["Horeca"] * 17 + ["Retail"] * 3)), "class 'Retail' for cv=5: it has 3"),
        (bad(y=pd.Series(["Horeca"] * 17 + ["Retail"] * 3)), "needs at least 7 of every class"),
        (bad(y=pd.Series(["Horeca"] * 14 + ["Retail"] * 6)), "lower cv to 4 or gather more"),
        (bad(y=pd.Series(["Horeca"] * 17 + ["Retail"] * 3)), "(cv + 2); gather more of that"),
        (bad(X=pd.DataFrame({"Milk": [1.0, 2.0, 3.0]}), y=["a", "b", "a"]), "3 rows, fewer"),
        (bad(X=pd.DataFrame({"Milk": np.arange(20.0), "Region": ["Lisbon"] * 20})), "Region"),
        (bad(X=pd.DataFrame({"Milk": [np.nan] + [1.0] * 19})), "NaN or infinity"),
        (bad(X=np.arange(20.0)), "X.reshape(-1, 1)"),
        (bad(y=pd.Series(["a", "b"] * 5)), "one label per row of X"),
        (bad(cv=1), "at least 2"),
        (bad(cv=True), "at least 2"),
        (bad(X=-np.ones((20, 2))), "negative"),
    ],
)
def test_bad_inputs_are_refused_with_what_to_do(case, phrase):
    with pytest.raises(ValueError) as error:
        compare_classifiers(case["X"], case["y"], cv=case["cv"])
    assert phrase in str(error.value)


@pytest.mark.parametrize("cv", range(2, 11))
def test_cv_plus_two_is_the_fewest_that_keeps_cv_of_a_class_in_every_training_part(cv):
    # The oracle: scikit-learn's own outer folds, for several seeds and class mixes.
    def fewest_kept(n, other, seed):
        y = np.array([0] * n + [1] * other)
        folds = StratifiedKFold(cv, shuffle=True, random_state=seed).split(y.reshape(-1, 1), y)
        return min(int((y[train] == 0).sum()) for train, _ in folds)

    for n in range(cv, 3 * cv):
        kept = min(fewest_kept(n, other, seed) for other in (n, 3 * n + 1) for seed in range(3))
        assert (kept >= cv) == (n >= fewest_for_cv(cv)), (n, kept)


@pytest.mark.parametrize("cv", [2, 3])
def test_tiny_data_at_the_bound_is_compared_and_one_fewer_is_refused(cv):
    # The standard models with their grids: the inner grid search runs on each training part.
    rng = np.random.default_rng(cv)
    n = fewest_for_cv(cv)
    X = pd.DataFrame(rng.integers(1, 1000, size=(2 * n, 2)).astype(float), columns=["a", "b"])
    y = np.array(["Horeca"] * n + ["Retail"] * n)
    found = compare_classifiers(X, y, cv=cv)
    assert len(found.folds) == len(found.table) * cv * 3  # every model, fold and metric
    with pytest.raises(ValueError, match=f"class 'Horeca' for cv={cv}: it has {n - 1}, and"):
        compare_classifiers(X.iloc[1:], y[1:], cv=cv)
    with pytest.raises(ValueError, match=f"class 'Retail' for cv={cv}: it has {n - 1}, and"):
        compare_classifiers(X.iloc[:-1], y[:-1], cv=cv)


@pytest.mark.parametrize(
    ("models", "phrase"),
    [
        ({}, "non-empty dict"),
        ([DummyClassifier()], "non-empty dict"),
        ({"x": ("tree", None)}, "not a classifier"),
        ({"x": (DummyClassifier(), [1, 2])}, "dict of parameter name"),
    ],
)
def test_bad_models_are_refused_with_an_example(models, phrase):
    X = pd.DataFrame({"Milk": np.arange(20.0)})
    with pytest.raises(TypeError) as error:
        compare_classifiers(X, ["a", "b"] * 10, models)
    assert phrase in str(error.value)
