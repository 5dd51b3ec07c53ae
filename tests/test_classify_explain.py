"""The explanation helpers on made-up data where one feature decides the class: each must
find it (and a tree its threshold, in amounts), checked against values computed by hand."""

import itertools
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from segmentation.classify.explain import (
    impurity_importance_table,
    permutation_importance_table,
    plot_partial_dependence,
    shap_values,
    tree_rules,
)
from segmentation.classify.models import standard_classifiers

FEATURES = ["Fresh", "Milk", "Grocery"]
CUT = 5000.0  # Grocery above this is Retail, by construction


@pytest.fixture(scope="module")
def data():
    """300 made-up customers, skewed amounts; Grocery alone decides the class, with a gap
    around CUT so that the threshold a tree finds is known to lie in it."""
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.lognormal(8, 1, size=(300, 3)).round(), columns=FEATURES)
    X = X[(X["Grocery"] - CUT).abs() > 500].reset_index(drop=True)
    y = pd.Series(np.where(X["Grocery"] > CUT, "Retail", "Horeca"), name="Channel")
    return X, y


def standard(name, data):
    return standard_classifiers()[name].estimator.fit(*data)


def test_the_tree_rules_name_the_deciding_feature_with_its_threshold_in_amounts(data):
    X = data[0]
    rules = tree_rules(standard("decision tree", data), FEATURES)
    first = rules.splitlines()[0]
    assert first.startswith("|--- Grocery <= ")
    threshold = float(first.split("<=")[1])
    below = X.loc[X["Grocery"] < CUT, "Grocery"].max()
    above = X.loc[X["Grocery"] > CUT, "Grocery"].min()
    assert below <= threshold < above  # in amounts, not log(1 + amount) (about 8.5)
    assert "class: Retail" in rules and "class: Horeca" in rules


def test_a_bare_tree_keeps_its_own_thresholds():
    tree = DecisionTreeClassifier(max_depth=1).fit([[1.0], [3.0]], ["a", "b"])
    assert tree_rules(tree, ["x"], decimals=1).splitlines()[0] == "|--- x <= 2.0"


def test_permutation_importance_puts_the_deciding_feature_first(data):
    X, y = data
    table = permutation_importance_table(standard("random forest", data), X, y)
    assert table.index.tolist()[0] == "Grocery"
    assert list(table.columns) == ["importance", "std"]
    assert table["importance"].is_monotonic_decreasing
    # shuffled, Grocery is a coin weighted by the class shares: accuracy falls to about
    # p² + (1 - p)² from 1
    p = (y == "Retail").mean()
    assert table.loc["Grocery", "importance"] == pytest.approx(1 - p**2 - (1 - p) ** 2, abs=0.1)
    assert table.drop("Grocery")["importance"].abs().max() < 0.02


def test_permutation_importance_repeats_with_its_seed(data):
    X, y = data
    model = LogisticRegression().fit(np.log1p(X), y)
    first = permutation_importance_table(model, np.log1p(X), y, random_state=4, n_repeats=3)
    again = permutation_importance_table(model, np.log1p(X), y, random_state=4, n_repeats=3)
    pd.testing.assert_frame_equal(first, again)


def test_impurity_importance_of_a_tree_that_splits_on_one_feature_is_all_on_it(data):
    X, y = data
    tree = DecisionTreeClassifier(max_depth=1).fit(X, y)
    table = impurity_importance_table(tree, FEATURES)
    assert table["importance"].tolist() == [1.0, 0.0, 0.0]
    assert table.index[0] == "Grocery"
    forest = impurity_importance_table(standard("random forest", data), FEATURES)
    assert forest["importance"].sum() == pytest.approx(1)


def test_partial_dependence_draws_the_mean_probability_computed_by_hand(data):
    X = data[0]
    model = standard("random forest", data)
    figure = plot_partial_dependence(model, X, ["Grocery", "Milk"])
    drawn = [ax for ax in figure.axes if ax.lines]
    assert [ax.get_xlabel() for ax in drawn] == ["Grocery", "Milk"]
    assert drawn[0].get_ylabel() == "probability of Retail"
    line = drawn[0].lines[0]
    for x, shown in list(zip(line.get_xdata(), line.get_ydata(), strict=True))[::20]:
        everyone_at_x = X.assign(Grocery=x)
        assert shown == pytest.approx(model.predict_proba(everyone_at_x)[:, 1].mean())
    grocery = pd.Series(line.get_ydata(), index=line.get_xdata())
    assert grocery[grocery.index < 4000].max() < 0.2 < 0.8 < grocery[grocery.index > 6000].min()


def test_partial_dependence_panels_sit_in_one_row_each_named_with_one_probability_label(data):
    """Four panels in one short Axes, as the notebook draws them: a grid of rows there would
    squeeze the panels until their labels hide or run into each other."""
    import matplotlib.pyplot as plt

    X = data[0]
    model = standard("decision tree", data)
    _, ax = plt.subplots(figsize=(13, 3.2))
    figure = plot_partial_dependence(model, X, [*FEATURES, "Milk"], ax=ax)
    figure.canvas.draw()
    panels = [axes for axes in figure.axes if axes.lines]
    assert [axes.get_xlabel() for axes in panels] == ["Fresh", "Milk", "Grocery", "Milk"]
    assert [axes.get_ylabel() for axes in panels] == ["probability of Retail", "", "", ""]
    boxes = [axes.get_position() for axes in panels]
    assert len({round(box.y0, 6) for box in boxes}) == 1  # one row
    assert all(left.x1 < right.x0 for left, right in itertools.pairwise(boxes))
    renderer = figure.canvas.get_renderer()
    labels = [axes.xaxis.label for axes in panels]
    assert all(label.get_visible() for label in labels)
    extents = [label.get_window_extent(renderer) for label in labels]
    assert all(a.x1 < b.x0 for a, b in itertools.pairwise(extents))
    plt.close(figure)


@pytest.mark.parametrize(
    ("features", "target", "phrase"),
    [(["Dairy"], None, "no column 'Dairy'"), (["Milk"], "Hotel", "not a class of the model")],
)
def test_partial_dependence_refuses_what_the_model_does_not_have(data, features, target, phrase):
    model = DecisionTreeClassifier(max_depth=1).fit(*data)
    with pytest.raises(ValueError, match=phrase):
        plot_partial_dependence(model, data[0], features, target=target)


def test_shap_values_of_a_forest_add_up_to_its_probabilities(data):
    X = data[0]
    model = standard("random forest", data)
    explanation = shap_values(model, X.head(20))
    assert explanation.shape == (20, 3)
    assert explanation.feature_names == FEATURES
    np.testing.assert_array_equal(explanation.data, X.head(20).to_numpy())  # amounts
    total = explanation.values.sum(axis=1) + explanation.base_values
    np.testing.assert_allclose(total, model.predict_proba(X.head(20))[:, 1], atol=1e-6)
    mean_push = np.abs(explanation.values).mean(axis=0)
    assert FEATURES[int(np.argmax(mean_push))] == "Grocery"


def test_shap_values_of_gradient_boosting_add_up_to_its_log_odds(data):
    X, y = data
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    explanation = shap_values(model, X.head(10))
    total = explanation.values.sum(axis=1) + explanation.base_values
    np.testing.assert_allclose(total, model.decision_function(X.head(10)), atol=1e-5)


@pytest.mark.parametrize(
    ("call", "phrase"),
    [
        (lambda m: impurity_importance_table(m, FEATURES), "use permutation_importance_table"),
        (lambda m: tree_rules(m, FEATURES), "not a fitted decision tree"),
    ],
)
def test_a_model_without_trees_is_refused_with_what_to_use(data, call, phrase):
    model = LogisticRegression().fit(*data)
    with pytest.raises(TypeError, match=phrase):
        call(model)


def test_feature_names_must_match_the_model(data):
    tree = DecisionTreeClassifier(max_depth=1).fit(*data)
    with pytest.raises(ValueError, match="name the model's 3 features"):
        tree_rules(tree, "Grocery")


def test_the_explanations_import_shap_only_when_asked():
    code = "import sys, segmentation.classify.explain; print('shap' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
