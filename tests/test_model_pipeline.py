"""The segmentation model as a scikit-learn estimator: its fitted Pipeline (log, the one
scaler, k-means) against NumPy and scikit-learn worked independently, the same pipeline
rebuilt from a file, clone, score, and GridSearchCV choosing k with the silhouette."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans as ReferenceKMeans
from sklearn.exceptions import NotFittedError
from sklearn.metrics import silhouette_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from segmentation.cluster.kmeans import KMeans
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import load_customers
from segmentation.model.evaluation import silhouette_scorer
from segmentation.model.persistence import load_model
from segmentation.model.pipeline import SegmentationModel

FEATURES = list(SPENDING_COLUMNS)


@pytest.fixture(scope="module")
def customers():
    return load_customers()


@pytest.fixture(scope="module")
def model(customers):
    return SegmentationModel(k=3).fit(customers)


def log_scaled(train, table=None):
    """The course's features worked out in NumPy: log(1 + x), then the training customers'
    mean subtracted and their standard deviation divided out."""
    logs = np.log1p(train[FEATURES].to_numpy(dtype=float))
    other = logs if table is None else np.log1p(table[FEATURES].to_numpy(dtype=float))
    return (other - logs.mean(axis=0)) / logs.std(axis=0)


# --- the fitted pipeline -------------------------------------------------------------------------


def test_the_pipeline_is_log_then_the_one_scaler_then_kmeans(model, customers):
    steps = model.pipeline_.named_steps
    assert isinstance(model.pipeline_, Pipeline) and list(steps) == ["log", "scale", "kmeans"]
    assert isinstance(steps["log"], FunctionTransformer) and steps["log"].func is np.log1p
    assert isinstance(steps["scale"], StandardScaler) and isinstance(steps["kmeans"], KMeans)
    logs = np.log1p(customers[FEATURES].to_numpy(dtype=float))
    np.testing.assert_allclose(steps["scale"].mean_, logs.mean(axis=0))
    np.testing.assert_allclose(steps["scale"].scale_, logs.std(axis=0))
    assert list(steps["scale"].feature_names_in_) == FEATURES
    np.testing.assert_allclose(model.mean, logs.mean(axis=0))
    np.testing.assert_allclose(
        model.pipeline_[:-1].transform(customers[FEATURES]), log_scaled(customers)
    )


def test_without_the_log_the_first_step_passes_the_amounts_through(customers):
    model = SegmentationModel(k=2, transform="none", evaluate=False).fit(customers)
    assert model.pipeline_.named_steps["log"] == "passthrough"
    amounts = customers[FEATURES].to_numpy(dtype=float)
    np.testing.assert_allclose(model.scale, amounts.std(axis=0))


def test_the_centres_are_numbered_and_each_is_the_mean_of_its_customers(model, customers):
    X = log_scaled(customers)
    labels = model.pipeline_.predict(customers[FEATURES])
    totals = customers[FEATURES].sum(axis=1).to_numpy()
    means = [totals[labels == j].mean() for j in range(3)]
    assert means == sorted(means, reverse=True)  # segment 0 spends most
    for j in range(3):  # a k-means fixed point, in the scaled space
        np.testing.assert_allclose(model.centres[j], X[labels == j].mean(axis=0), atol=1e-12)
    np.testing.assert_array_equal(labels, model.predict(customers)["segment"])
    np.testing.assert_array_equal(labels, model.segment_of(customers))


def test_the_distances_are_the_kmeans_steps_transform(model, customers):
    X = log_scaled(customers)
    by_hand = np.linalg.norm(X[:, None, :] - model.centres[None, :, :], axis=2)
    predicted = model.predict(customers).filter(like="distance_").to_numpy()
    np.testing.assert_allclose(predicted, by_hand, atol=1e-9)
    np.testing.assert_array_equal(predicted, model.pipeline_.transform(customers[FEATURES]))


def test_a_near_constant_column_is_left_unscaled():
    # Fresh: 5 and 5 + 1e-13 m.u. StandardScaler alone would divide by that spread (5e-14:
    # it is not within the rounding of 5), making noise the largest distance of all; the model
    # leaves it unscaled, as StandardScaler leaves a constant column.
    fresh = [5.0, 5.0 + 1e-13] * 2
    table = pd.DataFrame({c: fresh for c in FEATURES}).assign(Milk=[1.0, 1.0, 900.0, 900.0])
    alone = StandardScaler().fit(table[FEATURES]).scale_
    assert 0 < alone[0] < 1e-12
    model = SegmentationModel(k=2, transform="none", evaluate=False).fit(table)
    assert model.scale[0] == 1.0 and model.scale[1] == pytest.approx(449.5)
    assert model.segment_of(table).tolist() == [1, 1, 0, 0]
    constant = SegmentationModel(k=2, evaluate=False).fit(table.assign(Grocery=7.0))
    assert constant.scale[2] == 1.0 == StandardScaler().fit(np.full((4, 1), 7.0)).scale_[0]


# --- the file ------------------------------------------------------------------------------------


def test_a_loaded_model_rebuilds_the_same_pipeline(model, customers, tmp_path):
    loaded = load_model(model.save(tmp_path / "m.json"))
    scaler, fitted = loaded.pipeline_.named_steps["scale"], model.pipeline_.named_steps["scale"]
    for attribute in ("mean_", "scale_", "feature_names_in_"):
        np.testing.assert_array_equal(getattr(scaler, attribute), getattr(fitted, attribute))
    np.testing.assert_allclose(scaler.var_, fitted.var_, rtol=1e-15)  # scale squared
    assert scaler.n_features_in_ == 6 and scaler.n_samples_seen_ == 440
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "fitted without feature names" from any step
        np.testing.assert_array_equal(
            loaded.pipeline_.transform(customers[FEATURES]),
            model.pipeline_.transform(customers[FEATURES]),
        )
    pd.testing.assert_frame_equal(loaded.predict(customers), model.predict(customers))
    assert loaded.get_params() == {**model.get_params(), "features": tuple(FEATURES)}


# --- scikit-learn's tools ------------------------------------------------------------------------


def test_clone_gives_an_unfitted_twin_with_the_same_settings(model, customers):
    twin = clone(model)
    assert twin is not model and twin.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        twin.predict(customers)
    with pytest.raises(NotFittedError):
        _ = twin.names
    assert twin.fit(customers).to_json() == model.to_json()


def test_set_params_then_fit_changes_the_model(customers):
    model = SegmentationModel(evaluate=False).set_params(k=4, transform="none")
    assert model.fit(customers).k == 4 and len(model.centres) == 4
    assert model.evaluation is None


def test_score_is_minus_j_of_the_nearest_centres(model, customers):
    # J worked out in NumPy: each customer's squared distance to the nearest centre, added up.
    X = log_scaled(customers)
    squared = ((X[:, None, :] - model.centres[None, :, :]) ** 2).sum(axis=2)
    assert model.score(customers) == pytest.approx(-squared.min(axis=1).sum())
    assert model.score(customers) == pytest.approx(-model.evaluation.J)
    some = customers.iloc[::7]
    assert model.score(some) == pytest.approx(-squared[::7].min(axis=1).sum())


def test_evaluating_on_the_training_data_repeats_the_fits_evaluation(model, customers):
    assert model.evaluate_on(customers) == model.evaluation


def test_the_silhouette_scorer_is_scikit_learns_silhouette(model, customers):
    X = log_scaled(customers)
    labels = ReferenceKMeans(3, n_init=10, random_state=0).fit(X).predict(X)
    ours = model.predict(customers)["segment"].to_numpy()
    # The course's k-means and scikit-learn's find nearly the same segments here; the scorer
    # gives the silhouette of the model's own segments.
    assert silhouette_scorer(model, customers) == pytest.approx(silhouette_score(X, ours))
    assert silhouette_scorer(model, customers) == pytest.approx(
        silhouette_score(X, labels), abs=0.01
    )
    one = SegmentationModel(k=1, evaluate=False).fit(customers)
    assert np.isnan(silhouette_scorer(one, customers))  # not defined for one segment


def oracle_silhouettes(customers, ks, cv):
    """The mean silhouette over the folds, per k, without our code: for each fold, scale by
    the training part (log, then StandardScaler), fit scikit-learn's KMeans there, and measure
    scikit-learn's silhouette of the held-out part's predicted segments."""
    logs = np.log1p(customers[FEATURES].to_numpy(dtype=float))
    means = {}
    for k in ks:
        scores = []
        for train, test in cv.split(logs):
            scaler = StandardScaler().fit(logs[train])
            kmeans = ReferenceKMeans(k, n_init=10, random_state=0)
            kmeans.fit(scaler.transform(logs[train]))
            held_out = scaler.transform(logs[test])
            scores.append(silhouette_score(held_out, kmeans.predict(held_out)))
        means[k] = float(np.mean(scores))
    return means


@pytest.mark.parametrize("algorithm", ["course", "scikit-learn"])
def test_grid_search_picks_the_k_of_the_best_silhouette(customers, algorithm):
    ks = [2, 3, 4, 5]
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        SegmentationModel(algorithm=algorithm, evaluate=False),
        {"k": ks},
        scoring=silhouette_scorer,
        cv=cv,
    ).fit(customers)
    oracle = oracle_silhouettes(customers, ks, cv)
    best = max(oracle, key=oracle.get)
    ranked = sorted(oracle.values(), reverse=True)
    assert ranked[0] - ranked[1] > 0.02  # a clear winner, not a tie decided by rounding
    assert search.best_params_ == {"k": best}
    scores = search.cv_results_["mean_test_score"]
    if algorithm == "scikit-learn":  # the same k-means: the same numbers
        np.testing.assert_allclose(scores, [oracle[k] for k in ks], atol=1e-9)
    else:  # another k-means may end in another local optimum at larger k
        np.testing.assert_allclose(scores, [oracle[k] for k in ks], atol=0.03)
    assert search.best_estimator_.k == best and len(search.best_estimator_.centres) == best


# --- settings changed after fit take effect at the next fit, as in scikit-learn ---------------

#: A new value for each setting, and what the file records it under.
CHANGED_SETTINGS = [
    ({"transform": "none"}, "transform", "log"),
    ({"features": ["Milk"]}, "features", FEATURES),
    ({"features": ["Fresh", "Milk"], "transform": "none"}, "features", FEATURES),
    ({"algorithm": "scikit-learn"}, "kmeans.algorithm", "course"),
    ({"random_state": 7}, "kmeans.random_state", 0),
    ({"n_init": 3}, "kmeans.n_init", 10),
    ({"k": 5}, "kmeans.k", 3),
]


def field(data, where):
    for key in where.split("."):
        data = data[key]
    return data


@pytest.mark.parametrize("change, where, fitted", CHANGED_SETTINGS)
def test_set_params_after_fit_changes_nothing_until_the_next_fit(
    customers, tmp_path, change, where, fitted
):
    model = SegmentationModel(k=3, evaluate=False).fit(customers)
    segments = model.predict(customers)["segment"].to_numpy()
    text = model.to_json()
    model.set_params(**change)
    assert model.to_json() == text  # the file is the fitted model's, settings and numbers
    assert field(model.to_dict(), where) == fitted
    np.testing.assert_array_equal(model.predict(customers)["segment"], segments)
    np.testing.assert_array_equal(
        load_model(model.save(tmp_path / "m.json")).segment_of(customers), segments
    )
    assert model.get_params()[next(iter(change))] == change[next(iter(change))]
    model.fit(customers)  # now the new settings hold
    assert field(model.to_dict(), where) != fitted


def test_the_evaluation_refits_with_the_fitted_algorithm_and_seed(customers):
    fitted = SegmentationModel(k=3, evaluate=False).fit(customers)
    expected = fitted.evaluate_on(customers)
    fitted.set_params(algorithm="scikit-learn", random_state=99, n_init=1)
    assert fitted.evaluate_on(customers) == expected
    fresh = SegmentationModel(k=3, evaluate=False).fit(customers)
    assert fresh.evaluate_on(customers) == expected  # the oracle: a model never changed


def test_the_fitted_settings_come_back_from_a_file(model, tmp_path):
    loaded = load_model(model.save(tmp_path / "m.json"))
    for name in ("features_in_", "transform_", "algorithm_", "random_state_", "n_init_"):
        assert getattr(loaded, name) == getattr(model, name)
    assert loaded.features_in_ == tuple(FEATURES) and loaded.transform_ == "log"


def test_a_failed_refit_leaves_the_last_fit_whole(customers):
    model = SegmentationModel(k=3, evaluate=False).fit(customers)
    text = model.to_json()
    model.set_params(k=3, random_state=5, algorithm="scikit-learn")
    # 3 distinct customers pass the first count, but scikit-learn's k-means puts the first
    # two in one group: the refit fails only after the clustering.
    near = pd.DataFrame(
        [[1000, 1, 1, 1, 1, 1], [1000.0000001, 1, 1, 1, 1, 1]] + [[5000, 1, 1, 1, 1, 1]] * 2,
        columns=FEATURES,
    )
    with pytest.raises(ValueError, match="k-means found only 2 distinct groups"):
        model.fit(near)
    assert model.to_json() == text
    assert model.algorithm_ == "course" and model.random_state_ == 0


# --- names of features in every natural form --------------------------------------------------


@pytest.mark.parametrize(
    "features",
    [
        ["Milk", "Fresh"],
        ("Milk", "Fresh"),
        np.array(["Milk", "Fresh"]),
        [np.str_("Milk"), np.str_("Fresh")],
        pd.Index(["Milk", "Fresh"]),
        pd.Series(["Milk", "Fresh"]),
    ],
    ids=["list", "tuple", "array", "np.str_", "Index", "Series"],
)
def test_feature_names_in_any_natural_form_fit_the_same_model(customers, features):
    reference = SegmentationModel(k=3, features=["Milk", "Fresh"], evaluate=False).fit(customers)
    model = SegmentationModel(k=3, features=features, evaluate=False).fit(customers)
    assert model.features_in_ == ("Milk", "Fresh")
    assert all(type(f) is str for f in model.features_in_)
    assert model.to_json() == reference.to_json()


@pytest.mark.parametrize(
    "features, phrase",
    [
        ("Milk", "not one name on its own: write ['Milk']"),
        (np.str_("Milk"), "not one name on its own"),
        (b"Milk", "not one name on its own"),
        (None, "got None"),
        (5, "got 5"),
        ([], "got none"),
        (["Milk", "Wine"], "got Milk, Wine"),
        ([1, 2], "got 1, 2"),
        (["Milk", np.str_("Milk")], "got Milk, Milk"),
    ],
)
def test_features_that_are_no_list_of_categories_are_refused_in_words(customers, features, phrase):
    with pytest.raises(ValueError) as refused:
        SegmentationModel(k=2, features=features, evaluate=False).fit(customers)
    message = str(refused.value)
    assert message.startswith("features must be distinct spending categories from Fresh, Milk")
    assert phrase in message


def test_the_report_and_the_predictions_file_follow_the_fit_not_later_settings(customers, tmp_path):
    from segmentation.data.output import write_predictions
    from segmentation.report.html import build_report

    model = SegmentationModel(k=3, evaluate=False).fit(customers)
    before_report = build_report(model, customers)
    before = tmp_path / "before.csv"
    with before.open("wb") as out:
        write_predictions(model, customers, out)
    model.set_params(k=2, transform="none", features=["Milk"])
    after = tmp_path / "after.csv"
    with after.open("wb") as out:
        counts = write_predictions(model, customers, out)
    assert after.read_bytes() == before.read_bytes()
    assert len(counts) == 3 and counts.sum() == len(customers)
    assert build_report(model, customers) == before_report


@pytest.mark.parametrize("transform", ["log", "none"])
def test_features_of_gives_the_bits_of_the_steps_own_transform(customers, tmp_path, transform):
    rng = np.random.default_rng(5)
    table = customers[FEATURES].copy()
    table["Delicassen"] = 7.0  # a constant column: left unscaled
    table.iloc[:5, 0] = 0.0
    fitted = SegmentationModel(k=3, transform=transform, evaluate=False).fit(table)
    path = tmp_path / "model.json"
    fitted.save(path)
    batch = pd.DataFrame(rng.lognormal(7, 2, (500, 6)).round(2), columns=FEATURES)
    for model in (fitted, load_model(path)):
        # scikit-learn's own transform of each step, on the table with its feature names
        expected = batch[FEATURES]
        for _, step in model.pipeline_.steps[:-1]:
            expected = expected if step == "passthrough" else step.transform(expected)
        assert np.array_equal(model.features_of(batch), np.asarray(expected))
        assert model.features_of(batch).tobytes() == np.ascontiguousarray(expected).tobytes()
