"""A Spark model's file: it says "spark", keeps drift monitoring's summary (equal to the
course's), and predict_spark reads and writes URIs and never replaces what Spark did not
write.

The oracles are the course's own code: ``np.quantile`` for the cut points, and
:func:`segmentation.monitor.drift.training_summary` computed in memory on the same customers
with the Spark model's own scaling and centres.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest_spark import spark_fixture  # noqa: F401 (the shared session: spark)

from segmentation.data.problems import CustomerFileError
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import course_data_path, load_customers
from segmentation.model.file_checks import checksum
from segmentation.model.persistence import load_model
from segmentation.model.pipeline import SegmentationModel
from segmentation.monitor.drift import PSI_BINS, training_summary
from segmentation.spark.pipeline import SparkOutputError, fit_spark, predict_spark
from segmentation.spark.summary import decile_cuts, decile_positions

FEATURES = list(SPENDING_COLUMNS)


# --- the deciles, without Spark -----------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 7, 9, 10, 11, 19, 101, 440, 999, 1_000_003])
def test_the_cut_points_are_numpys_bit_for_bit(n):
    rng = np.random.default_rng(n)
    # Whole amounts with many ties (zeros, repeats), as spending is.
    values = np.sort(np.where(rng.random(n) < 0.2, 0, rng.integers(0, 60, n) ** 3)).astype(float)
    below, above, weight = decile_positions(n)
    expected = np.quantile(np.log1p(values), np.linspace(0.0, 1.0, PSI_BINS + 1))[1:-1]
    got = decile_cuts(values[below], values[above], weight)
    assert got.tobytes() == expected.tobytes()


# --- the model and its file ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark_model(spark):
    return fit_spark(course_data_path(), spark=spark)


def test_the_file_says_spark_and_round_trips(spark_model, tmp_path):
    path = spark_model.save(tmp_path / "model.json")
    assert json.loads(path.read_text())["kmeans"]["algorithm"] == "spark"
    loaded = load_model(path)
    assert loaded.algorithm_ == "spark"
    assert loaded.to_json() == spark_model.to_json()


def test_it_segments_as_a_course_model_with_the_same_centres(spark_model, tmp_path):
    data = json.loads(spark_model.to_json())
    data["kmeans"]["algorithm"] = "course"
    data["checksum"] = checksum({k: v for k, v in data.items() if k != "checksum"})
    course = SegmentationModel.from_dict(data, "the same centres")
    customers = load_customers()
    assert course.algorithm_ == "course"
    assert spark_model.predict(customers)["segment"].tolist() == (
        course.predict(customers)["segment"].tolist()
    )


def test_the_course_fit_refuses_spark_and_says_where_it_runs():
    with pytest.raises(ValueError, match="fit_spark") as refused:
        SegmentationModel(3, algorithm="spark").fit(load_customers())
    assert "--engine spark" in str(refused.value)


def test_a_file_may_say_spark_but_no_other_engine(spark_model):
    data = json.loads(spark_model.to_json())
    data["kmeans"]["algorithm"] = "hadoop"
    data["checksum"] = checksum({k: v for k, v in data.items() if k != "checksum"})
    with pytest.raises(ValueError, match="course, scikit-learn, spark"):
        SegmentationModel.from_dict(data, "a forged file")


# --- drift monitoring's summary ------------------------------------------------------------------


def expected_summary(model, customers: pd.DataFrame):
    raw = customers[FEATURES].to_numpy(float)
    return training_summary(raw, model.features_of(customers), model.centres, FEATURES)


def assert_same_summary(got, expected):
    assert got["psi_bins"] == expected["psi_bins"]  # edges and shares, exactly
    assert got["mean_distance"] == pytest.approx(expected["mean_distance"], abs=1e-9)


def test_the_summary_is_the_course_summary_on_the_course_data(spark_model):
    assert_same_summary(spark_model.monitoring_, expected_summary(spark_model, load_customers()))


def test_the_summary_is_the_course_summary_with_ties_and_few_customers(spark):
    # 13 customers: deciles fall into the same gap, columns of zeros and of one value.
    rows = np.array(
        [[0, 3, 0, 5, 7, 1], [0, 3, 0, 5, 9, 2], [0, 3, 1, 5, 7, 3], [10, 3, 0, 5, 7, 4]]
        + [[0, 3, 2, 5, 7, 2]] * 5
        + [
            [25_000, 3, 0, 5, 7, 40_000],
            [7, 3, 9, 5, 7, 2],
            [7, 3, 9, 5, 70, 2],
            [1, 3, 4, 5, 1, 2],
        ]
    )
    customers = pd.DataFrame(rows, columns=FEATURES)
    frame = spark.createDataFrame([tuple(map(float, row)) for row in rows.tolist()], FEATURES)
    model = fit_spark(frame, k=2, spark=spark)
    assert_same_summary(model.monitoring_, expected_summary(model, customers))


def test_customers_on_their_centres_keep_no_mean_distance_as_the_course_does(spark):
    # two distinct customers, k = 2: every customer sits on a centre, the mean distance is 0,
    # no unit for the distance monitors (the course's fit stores null; so must Spark's)
    rows = [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]] * 3 + [[100.0, 200.0, 300.0, 400.0, 500.0, 600.0]] * 2
    model = fit_spark(spark.createDataFrame([tuple(r) for r in rows], FEATURES), k=2, spark=spark)
    course = SegmentationModel(2, evaluate=False).fit(pd.DataFrame(rows, columns=FEATURES))
    assert course.monitoring_["mean_distance"] is None
    assert model.monitoring_["mean_distance"] is None
    assert model.monitoring_["psi_bins"] == course.monitoring_["psi_bins"]


# --- reading and writing ------------------------------------------------------------------------


def test_a_uri_source_goes_to_spark_as_it_is(spark, spark_model, tmp_path):
    result = predict_spark(spark_model, course_data_path().resolve().as_uri(), spark=spark)
    counts = dict(result.groupBy("segment").count().collect())
    assert [counts[j] for j in range(3)] == [s.customers for s in spark_model.segments]


@pytest.mark.parametrize(
    ("where", "phrase"),
    [
        ("file:///no/such/folder/customers.csv", "PATH_NOT_FOUND"),
        ("s3a://no-such-bucket/customers.parquet", "S3AFileSystem not found"),
    ],
)
def test_a_uri_spark_cannot_read_is_one_line_naming_it(spark, spark_model, where, phrase):
    with pytest.raises(CustomerFileError) as refused:
        predict_spark(spark_model, where, spark=spark)
    message = str(refused.value)
    assert where in message and phrase in message and "Check the address" in message
    assert "\tat " not in message and "Traceback" not in message and "py4j" not in message


@pytest.mark.parametrize("as_uri", [False, True])
def test_predict_never_replaces_what_spark_did_not_write(spark, spark_model, tmp_path, as_uri):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    (tmp_path / "a-file.csv").write_text("keep me too")
    for target, phrase in ((folder, "Spark did not write"), (tmp_path / "a-file.csv", "a file")):
        output = target.as_uri() if as_uri else target
        with pytest.raises(SparkOutputError, match=phrase):
            predict_spark(spark_model, course_data_path(), output, spark=spark)
    assert (folder / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "a-file.csv").read_text() == "keep me too"


def test_predict_refuses_to_write_over_its_input(spark, spark_model, tmp_path):
    source = tmp_path / "customers.csv"
    source.write_bytes(course_data_path().read_bytes())
    with pytest.raises(SparkOutputError, match="also the input"):
        predict_spark(spark_model, source, source, spark=spark)
    assert source.read_bytes() == course_data_path().read_bytes()


def test_predict_replaces_its_own_output_at_a_uri(spark, spark_model, tmp_path):
    output = (tmp_path / "segments.parquet").as_uri()
    for _ in range(2):  # the second time, over the folder Spark wrote (it holds _SUCCESS)
        predict_spark(spark_model, course_data_path(), output, spark=spark)
    assert spark.read.parquet(output).count() == 440
