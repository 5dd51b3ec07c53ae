"""The segmentation model: fitting the whole path, names from the data, evaluation, the JSON
file (and every way of refusing a bad one), and prediction on new customers."""

import json
import os
import stat

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, silhouette_score

from segmentation import model as model_module
from segmentation.data import course_data_path, load_customers
from segmentation.model import (
    FORMAT_VERSION,
    RETAIL_CATEGORIES,
    ModelFileError,
    ModelInputError,
    SegmentationModel,
    _checksum,
    load_model,
    write_atomically,
)
from segmentation.reader import CustomerFileError, CustomerFileWarning
from segmentation.schema import SPENDING_COLUMNS


@pytest.fixture(scope="module")
def customers():
    return load_customers()


@pytest.fixture(scope="module")
def fitted(customers):
    return SegmentationModel.fit(customers, k=3)


@pytest.fixture
def saved(fitted, tmp_path):
    return fitted.save(tmp_path / "model.json")


def scaled(customers):
    values = np.log1p(customers[list(SPENDING_COLUMNS)].to_numpy(dtype=float))
    return (values - values.mean(axis=0)) / values.std(axis=0)


# --- fitting and naming ----------------------------------------------------------------------


def test_the_path_is_log_then_scale_then_kmeans(fitted, customers):
    X = scaled(customers)
    assert np.allclose(fitted.features_of(customers), X)
    labels = fitted.predict(customers)["segment"].to_numpy()
    # Each centre is the mean of its customers: a k-means fixed point in the scaled space.
    for j in range(3):
        assert np.allclose(fitted.centres[j], X[labels == j].mean(axis=0))
    assert fitted.evaluation.sizes == tuple(np.bincount(labels))


def test_segments_are_numbered_and_sized_by_total_spending(fitted, customers):
    labels = fitted.predict(customers)["segment"].to_numpy()
    totals = customers[list(SPENDING_COLUMNS)].sum(axis=1).to_numpy()
    means = [totals[labels == j].mean() for j in range(3)]
    assert means == sorted(means, reverse=True)
    assert [s.size for s in fitted.segments] == ["large", "medium", "small"]
    assert [s.mean_total for s in fitted.segments] == pytest.approx(means)
    assert [s.customers for s in fitted.segments] == list(np.bincount(labels))


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_names_say_what_each_segment_buys_most_and_agree_with_the_channels(customers, k):
    model = SegmentationModel.fit(customers, k=k, evaluate=False)
    labels = model.predict(customers)["segment"].to_numpy()
    spending = customers[list(SPENDING_COLUMNS)].to_numpy(dtype=float)
    overall_share = spending.sum(axis=0) / spending.sum()
    assert len(set(model.names)) == k
    for segment in model.segments:
        members = spending[labels == segment.number]
        share = members.sum(axis=0) / members.sum()
        index = dict(zip(SPENDING_COLUMNS, share / overall_share))
        # The named categories are the segment's largest shares relative to everyone's.
        assert segment.buys_most[0] == max(index, key=index.get)
        assert all(index[c] > 1 for c in segment.buys_most)
        retail = np.mean(customers["Channel"].to_numpy()[labels == segment.number] == "Retail")
        assert segment.kind == ("retail-like" if retail > 0.5 else "horeca-like"), (segment, retail)
        assert segment.name.startswith(f"{segment.size}, ") and segment.name.endswith(segment.kind)
        assert segment.strategy


def test_kind_is_measured_on_retail_categories(customers):
    grocery_only = SegmentationModel.fit(customers, k=2, features=["Grocery", "Milk"],
                                         evaluate=False)
    assert {s.kind for s in grocery_only.segments} == {"retail-like"}
    fresh_only = SegmentationModel.fit(customers, k=2, features=["Fresh"], evaluate=False)
    assert {s.kind for s in fresh_only.segments} == {"horeca-like"}
    assert set(RETAIL_CATEGORIES) <= set(SPENDING_COLUMNS)


def test_course_and_scikit_learn_kmeans_find_the_same_segments(customers, fitted):
    other = SegmentationModel.fit(customers, k=3, algorithm="scikit-learn", evaluate=False)
    a = fitted.predict(customers)["segment"]
    b = other.predict(customers)["segment"]
    assert adjusted_rand_score(a, b) > 0.9
    assert other.names == fitted.names


def test_fitting_again_gives_the_same_model(customers, fitted):
    again = SegmentationModel.fit(customers, k=3)
    assert again.to_json() == fitted.to_json()


@pytest.mark.parametrize("kwargs, message", [
    ({"k": 0}, "k must be a whole number from 1 to the number of customers (440)"),
    ({"k": 441}, "k must be"),
    ({"k": 2.5}, "k must be"),
    ({"features": ["Fresh", "Wine"]}, "features must be distinct spending categories"),
    ({"features": ["Fresh", "Fresh"]}, "features must be distinct"),
    ({"transform": "sqrt"}, "transform must be one of log, none"),
    ({"algorithm": "magic"}, "algorithm must be one of course, scikit-learn"),
])
def test_bad_settings_are_refused_with_a_message(customers, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SegmentationModel.fit(customers, **{"k": 3, **kwargs})


# --- evaluation ----------------------------------------------------------------------------------


def test_evaluation_measures_what_it_says(fitted, customers):
    evaluation = fitted.evaluation
    X = scaled(customers)
    labels = fitted.predict(customers)["segment"].to_numpy()
    assert evaluation.J == pytest.approx(((X - fitted.centres[labels]) ** 2).sum())
    assert evaluation.silhouette == pytest.approx(silhouette_score(X, labels))
    assert evaluation.channel_ari == pytest.approx(
        adjusted_rand_score(customers["Channel"], labels))
    assert 0.5 < evaluation.stability_min <= evaluation.stability <= 1
    assert evaluation.customers == 440 and evaluation.seeds == 10
    table = evaluation.table()
    assert list(table["measure"]) == ["J", "silhouette", "segment sizes",
                                      "agreement with Channel (ARI)",
                                      "stability across seeds (ARI)"]


def test_evaluation_without_channel_or_with_one_segment(customers):
    no_channel = customers.drop(columns=["Channel", "Region"])
    model = SegmentationModel.fit(no_channel, k=3)
    assert model.evaluation.channel_ari is None
    one = SegmentationModel.fit(customers, k=1)
    assert one.evaluation.silhouette is None and one.names == ["all, " + one.names[0][5:]]
    assert "n/a" in one.evaluation.table().to_string()


# --- prediction ----------------------------------------------------------------------------------


def test_prediction_gives_segment_name_and_distance_to_every_centre(fitted, customers):
    new = customers.iloc[[0, 10, 200]]
    result = fitted.predict(new)
    assert list(result.columns) == ["id", "segment", "name", "distance_0", "distance_1",
                                    "distance_2"]
    X = scaled(customers)[[0, 10, 200]]
    expected = np.linalg.norm(X[:, None, :] - fitted.centres[None, :, :], axis=2)
    assert np.allclose(result[["distance_0", "distance_1", "distance_2"]], expected)
    assert (result["segment"].to_numpy() == expected.argmin(axis=1)).all()
    assert list(result["name"]) == [fitted.names[j] for j in result["segment"]]
    assert list(result["id"]) == [1, 11, 201]


def test_new_customers_typed_in_need_only_the_spending(fitted):
    typed = pd.DataFrame({"Fresh": [500, 30000], "Milk": [9000, 1500], "Grocery": [20000, 2000],
                          "Frozen": [300, 6000], "Detergents_Paper": [9000, 200],
                          "Delicassen": [800, 1200]})
    result = fitted.predict(typed)
    assert "id" not in result and len(result) == 2
    assert fitted.segments[result["segment"][0]].kind == "retail-like"
    assert fitted.segments[result["segment"][1]].kind == "horeca-like"


@pytest.mark.parametrize("change, message", [
    (lambda t: t.drop(columns=["Milk"]), "has no column Milk"),
    (lambda t: t.assign(Milk=["1,234", 5]), "row 0, column Milk: '1,234' is not a spending"),
    (lambda t: t.assign(Frozen=[1, -5]), "row 1, column Frozen: -5 is not a spending"),
    (lambda t: t.assign(Fresh=[np.nan, 1]), "row 0, column Fresh: nan is not a spending"),
    (lambda t: t.iloc[:0], "holds no customers"),
])
def test_bad_customers_are_refused_naming_row_and_column(fitted, change, message):
    typed = pd.DataFrame({c: [100, 200] for c in SPENDING_COLUMNS})
    with pytest.raises(ModelInputError, match=message):
        fitted.predict(change(typed))


def test_predict_csv_goes_through_the_checked_reader(fitted, write_file):
    good = write_file("Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n"
                      "500,9000,20000,300,9000,800\n")
    with pytest.warns(CustomerFileWarning) as notes:
        assert len(fitted.predict_csv(good)) == 1
    assert ["no Channel column" in str(n.message) for n in notes] == [True, False]
    bad = write_file("Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n"
                     "500,9000,lots,300,9000,800\n", name="bad.csv")
    with pytest.raises(CustomerFileError, match="row 2, column Grocery: 'lots'"):
        fitted.predict_csv(bad)
    assert fitted.predict_csv(course_data_path())["segment"].value_counts().sort_index().tolist() \
        == list(fitted.evaluation.sizes)


# --- the file ------------------------------------------------------------------------------------


def test_saved_model_is_readable_json_and_loads_to_the_same_model(fitted, saved, customers):
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("{\n  \"format\": \"customer-segmentation model\"")
    data = json.loads(text)
    assert data["format_version"] == FORMAT_VERSION
    assert data["features"] == list(SPENDING_COLUMNS) and data["transform"] == "log"
    assert len(data["kmeans"]["centres"]) == 3 and len(data["scaling"]["mean"]) == 6
    assert data["segments"][0]["name"] == fitted.names[0]
    assert len(data["training_data"]["data_sha256"]) == 64
    assert data["library_version"] == "0.1.0"
    loaded = load_model(saved)
    assert loaded.to_json() == text
    pd.testing.assert_frame_equal(loaded.predict(customers), fitted.predict(customers))


def test_training_checksum_depends_on_the_data_not_the_file(customers, write_file):
    shuffled_columns = customers[["Milk", "Fresh", *SPENDING_COLUMNS[2:], "Channel"]]
    path = write_file(shuffled_columns.to_csv(index=False))
    from segmentation.reader import read_customer_csv

    with pytest.warns(CustomerFileWarning, match="no Region column"):
        again = read_customer_csv(path)
    a = SegmentationModel.fit(customers, k=2, evaluate=False).training["data_sha256"]
    b = SegmentationModel.fit(again, k=2, evaluate=False).training["data_sha256"]
    c = SegmentationModel.fit(customers.iloc[1:], k=2, evaluate=False).training["data_sha256"]
    assert a == b != c


def rewrite(path, change, *, keep_checksum=True):
    """Change a saved model's data; with keep_checksum, as if the change were consistent."""
    data = json.loads(path.read_text())
    change(data)
    if keep_checksum:
        data["checksum"] = _checksum({k: v for k, v in data.items() if k != "checksum"})
    path.write_text(json.dumps(data, indent=2))


def test_a_hand_edited_file_is_refused(saved):
    rewrite(saved, lambda d: d["segments"][0].update(name="our best customers"),
            keep_checksum=False)
    with pytest.raises(ModelFileError) as refused:
        load_model(saved)
    message = str(refused.value)
    assert message.startswith(f"{saved} cannot be used as a segmentation model:")
    assert "checksum does not match" in message and "Fit and save the model again" in message


def test_a_newer_format_is_refused_saying_to_upgrade(saved):
    rewrite(saved, lambda d: d.update(format_version=FORMAT_VERSION + 1, library_version="9.0"))
    with pytest.raises(ModelFileError, match=r"(?s)format 2 model \(written by customer-segmentation "
                                             r"9.0\).*Upgrade the course package"):
        load_model(saved)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["kmeans"]["centres"][1].pop(), "kmeans.centres\" must be a list of k rows of 6"),
    (lambda d: d["kmeans"].update(k=4), "\"kmeans.k\" (4) must equal the number of centres (3)"),
    (lambda d: d["scaling"]["scale"].__setitem__(2, 0), "\"scaling.scale\" must be positive"),
    (lambda d: d["features"].__setitem__(0, "Wine"), "\"features\" must be distinct names"),
    (lambda d: d.update(transform="sqrt"), "\"transform\" must be one of log, none"),
    (lambda d: d["segments"].pop(), "one segment per centre (3), not 2"),
    (lambda d: d["segments"][1].update(name=d["segments"][0]["name"]), "names must differ"),
    (lambda d: d["segments"][2].pop("strategy"), "segment 2 must have exactly the fields"),
    (lambda d: d.pop("scaling"), "field \"scaling\" is missing"),
    (lambda d: d["kmeans"].update(algorithm="magic"), "kmeans.algorithm\" must be one of"),
    (lambda d: d.update(evaluation={"J": 1}), "\"evaluation\" must be null or have exactly"),
    (lambda d: d.update(format_version="1"), "its format_version is '1'"),
])
def test_an_inconsistent_file_is_refused_saying_what_is_wrong(saved, change, message):
    rewrite(saved, change)
    with pytest.raises(ModelFileError) as refused:
        load_model(saved)
    assert message in str(refused.value)


@pytest.mark.parametrize("content, message", [
    (b"", "not valid JSON: Expecting value at line 1, column 1"),
    (b'{"format": "customer-segmentation model", "format_', "not valid JSON"),
    (b'[1, 2, 3]', "it is JSON, but not a model file"),
    (b'{"name": "something else"}', "it is JSON, but not a model file"),
    (b"Channel,Region,Fresh\n1,1,5\n", "not valid JSON"),
    (b"\x80\x04\x95pickle", "the file is not text"),
])
def test_files_that_are_not_models_are_refused(write_file, content, message):
    path = write_file(content, name="model.json")
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_missing_files_and_folders_are_refused(tmp_path):
    with pytest.raises(ModelFileError, match="(?s)no such file.*segmentation fit DATA.csv"):
        load_model(tmp_path / "nowhere.json")
    with pytest.raises(ModelFileError, match="this is a folder"):
        load_model(tmp_path)


def test_saving_is_all_or_nothing(tmp_path, monkeypatch):
    target = tmp_path / "out.json"

    def fail(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_module.os, "replace", fail)
    with pytest.raises(OSError):
        write_atomically(target, b"{}")
    assert list(tmp_path.iterdir()) == []


def test_saved_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "out.json", b"{}")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "out.json").stat().st_mode) == 0o644
