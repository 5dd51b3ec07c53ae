"""Missing spending values in the reader and the model: read as NaN only when allowed, said
where; filled in training by the 5 nearest customers; new customers assigned by their
observed features. Checked against hand-made files, scikit-learn's KNNImputer run by hand,
and a brute-force partial distance."""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import KNNImputer
from sklearn.preprocessing import StandardScaler

from segmentation.data import careful
from segmentation.data.reader import (
    CustomerFileError,
    CustomerFileWarning,
    read_customer_csv,
    validate_customer_csv,
)
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import course_data_path, load_customers
from segmentation.model.file_checks import FORMAT_VERSION, ModelFileError, checksum
from segmentation.model.inputs import ModelInputError
from segmentation.model.persistence import load_model
from segmentation.model.pipeline import SegmentationModel

HEADER = "Channel,Region,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n"
# Rows 2 to 5 of the file (the header is row 1): Grocery blank on row 2, Milk 'NA' and
# Frozen '?' on row 3, nothing missing on rows 4 and 5.
GAPPY = HEADER + (
    "1,3,100,200,,400,500,600\n"
    "2,3,110,NA,300,?,510,610\n"
    "1,1,120,220,320,420,520,620\n"
    "2,2,130,230,330,430,530,630\n"
)
FORMAT_2_FILE = Path(__file__).parent / "data" / "model_format2.json"


# --- the reader ---------------------------------------------------------------------------


def test_gaps_are_refused_without_the_option_and_the_message_names_it(write_file):
    path = write_file(GAPPY)
    with pytest.raises(CustomerFileError) as caught:
        read_customer_csv(path)
    text = str(caught.value)
    assert "3 problems" in text
    assert "row 2, column Grocery: the value is blank." in text
    assert "row 3, column Milk: 'NA' marks a missing value." in text
    assert text.count("--allow-missing (command line)") == 3
    assert text.count("allow_missing=True (Python)") == 3


def test_gaps_are_read_as_nan_where_they_are_and_recorded(write_file):
    result = validate_customer_csv(write_file(GAPPY), allow_missing=True)
    assert result.ok
    frame = result.frame
    holes = frame[list(SPENDING_COLUMNS)].isna()
    assert sorted(zip(*np.nonzero(holes.to_numpy()), strict=True)) == [(0, 2), (1, 1), (1, 3)]
    assert frame["Fresh"].tolist() == [100, 110, 120, 130]
    assert frame.loc[3, "Delicassen"] == 630
    assert result.missing.to_dict("list") == {
        "row": [2, 3, 3],
        "column": ["Grocery", "Milk", "Frozen"],
    }
    (note,) = [n.message for n in result.notes]
    assert "3 spending values are missing (Milk 1, Grocery 1, Frozen 1)" in note
    assert "on rows 2, 3" in note


def test_read_customer_csv_warns_of_the_missing_values(write_file):
    with pytest.warns(CustomerFileWarning, match="3 spending values are missing"):
        frame = read_customer_csv(write_file(GAPPY), allow_missing=True)
    assert int(frame.isna().sum().sum()) == 3


@pytest.mark.filterwarnings("ignore::segmentation.data.reader.CustomerFileWarning")
@pytest.mark.parametrize("word", ["", "  ", "NA", "n/a", "NaN", "-", "?", "null", '""'])
def test_every_missing_word_is_read_as_nan(write_file, word):
    text = HEADER + f"1,1,{word},2,3,4,5,6\n1,1,7,8,9,10,11,12\n"
    frame = read_customer_csv(write_file(text), allow_missing=True)
    assert math.isnan(frame.loc[0, "Fresh"]) and frame.loc[1, "Fresh"] == 7


@pytest.mark.parametrize(
    "value, message",
    [("x", "'x' is not a number"), ("-5", "is negative"), ("inf", "not a finite number")],
)
def test_other_bad_values_are_still_refused_with_the_option(write_file, value, message):
    text = HEADER + f"1,1,{value},2,3,4,5,6\n"
    with pytest.raises(CustomerFileError, match=message):
        read_customer_csv(write_file(text), allow_missing=True)


def test_a_column_with_no_value_is_refused_saying_what_to_do(write_file):
    text = HEADER + "1,1,1,,3,4,5,6\n2,1,7,NA,9,10,11,12\n"
    with pytest.raises(CustomerFileError) as caught:
        read_customer_csv(write_file(text), allow_missing=True)
    text = str(caught.value)
    assert "column Milk: every value of the column is missing (2 of 2 customers)" in text
    assert "fill the column in" in text


def test_a_customer_with_no_spending_value_is_refused_saying_what_to_do(write_file):
    text = HEADER + "1,1,NA,NA,NA,NA,NA,NA\n2,1,7,8,9,10,11,12\n"
    with pytest.raises(CustomerFileError) as caught:
        read_customer_csv(write_file(text), allow_missing=True)
    text = str(caught.value)
    assert "row 2: all six spending values are missing" in text
    assert "nothing to segment this customer by" in text
    assert "delete the row" in text


def test_a_missing_label_is_still_refused(write_file):
    text = HEADER + "1,,1,2,3,4,5,6\n"
    with pytest.raises(CustomerFileError, match="column Region: the value is blank"):
        read_customer_csv(write_file(text), allow_missing=True)


def test_a_clean_file_stays_on_the_fast_path(monkeypatch):
    def careful_rows(self, layout):
        raise AssertionError("the careful reader read the rows")

    monkeypatch.setattr(careful.CarefulReader, "read_rows", careful_rows)
    result = validate_customer_csv(course_data_path(), allow_missing=True)
    assert result.ok and len(result.frame) == 440
    assert result.missing.empty and list(result.missing.columns) == ["row", "column"]
    assert result.frame["Milk"].dtype == np.int64  # as without the option


# --- the model ----------------------------------------------------------------------------


def hidden(customers, count, seed):
    """The customers with ``count`` spending values hidden (NaN), at seeded places, at most
    three per customer."""
    rng = np.random.default_rng(seed)
    table = customers.copy()
    for column in SPENDING_COLUMNS:
        table[column] = table[column].astype(float)
    rows = rng.choice(len(table), size=count, replace=False)
    for row in rows:
        for column in rng.choice(SPENDING_COLUMNS, size=rng.integers(1, 4), replace=False):
            table.loc[table.index[row], column] = np.nan
    return table


@pytest.fixture(scope="module")
def customers():
    return load_customers()


@pytest.fixture(scope="module")
def fitted(customers):
    return SegmentationModel(k=3, evaluate=False).fit(customers)


def test_the_missing_setting_is_checked(customers):
    with pytest.raises(ValueError, match="missing must be one of refuse, impute, not 'fill'"):
        SegmentationModel(missing="fill").fit(customers)
    with pytest.raises(ValueError, match="missing must be one of refuse, impute"):
        SegmentationModel(missing=["impute"]).fit(customers)


def test_fit_refuses_missing_values_naming_rows_columns_and_the_option(customers):
    table = hidden(customers, 4, seed=1)
    with pytest.raises(ModelInputError) as caught:
        SegmentationModel(k=3).fit(table)
    text = str(caught.value)
    assert "the training data, row" in text and "the value is missing" in text
    first = table[list(SPENDING_COLUMNS)].isna().any(axis=1).idxmax()
    assert f"row {first}" in text
    assert 'missing="impute"' in text and "--allow-missing" in text


def test_imputed_fit_equals_a_fit_on_knnimputer_output_done_by_hand(customers):
    table = hidden(customers, 40, seed=7)
    holes = table[list(SPENDING_COLUMNS)].isna().to_numpy()
    # By hand: log(1 + x), scaled by the observed values, KNNImputer(5), back to m.u.
    logs = np.log1p(table[list(SPENDING_COLUMNS)].to_numpy(dtype=float))
    scaler = StandardScaler().fit(logs)
    filled_scaled = KNNImputer(n_neighbors=5).fit_transform(scaler.transform(logs))
    back = np.expm1(scaler.inverse_transform(filled_scaled))
    by_hand = table.copy()
    by_hand[list(SPENDING_COLUMNS)] = np.where(holes, back, table[list(SPENDING_COLUMNS)])

    imputed = SegmentationModel(k=3, evaluate=False, missing="impute").fit(table)
    reference = SegmentationModel(k=3, evaluate=False).fit(by_hand)
    np.testing.assert_allclose(imputed.centres, reference.centres, atol=1e-9)
    np.testing.assert_allclose(imputed.mean, reference.mean, atol=1e-12)
    assert imputed.names == reference.names
    assert [s.customers for s in imputed.segments] == [s.customers for s in reference.segments]
    assert imputed.missing_ == {
        "setting": "impute",
        "imputed_values": int(holes.sum()),
        "imputed_customers": int(holes.any(axis=1).sum()),
    }
    assert reference.missing_ == {"setting": "refuse", "imputed_values": 0, "imputed_customers": 0}


def test_imputed_fit_refuses_a_customer_or_a_feature_with_no_value(customers):
    table = customers.head(30).astype({c: float for c in SPENDING_COLUMNS})
    no_row = table.copy()
    no_row.loc[4, list(SPENDING_COLUMNS)] = np.nan
    with pytest.raises(ModelInputError, match="row 4: every spending value is missing"):
        SegmentationModel(missing="impute").fit(no_row)
    no_column = table.assign(Milk=np.nan)
    with pytest.raises(ModelInputError, match="no value at all in Milk"):
        SegmentationModel(missing="impute").fit(no_column)


def brute_force(model, table):
    """The partial distances, one customer and one centre at a time, as the formula says:
    sqrt(d / |observed| * sum over observed f of (x_f - c_jf) ** 2), x scaled by hand."""
    out = []
    for _, customer in table[list(SPENDING_COLUMNS)].iterrows():
        row = []
        for centre in model.centres:
            total, observed = 0.0, 0
            for f, column in enumerate(SPENDING_COLUMNS):
                value = customer[column]
                if not math.isnan(value):
                    x = (math.log1p(value) - model.mean[f]) / model.scale[f]
                    total += (x - centre[f]) ** 2
                    observed += 1
            row.append(math.sqrt(total * 6 / observed))
        out.append(row)
    return np.array(out)


def test_prediction_with_gaps_is_the_brute_force_partial_distance(fitted, customers):
    table = hidden(customers, 60, seed=3)
    table.loc[table.index[5], list(SPENDING_COLUMNS[1:])] = np.nan  # five of six missing
    result = fitted.predict(table, allow_missing=True)
    expected = brute_force(fitted, table)
    distances = result[[f"distance_{j}" for j in range(3)]].to_numpy()
    np.testing.assert_allclose(distances, expected, rtol=1e-9, atol=1e-9)
    assert result["segment"].tolist() == expected.argmin(axis=1).tolist()
    gaps = table[list(SPENDING_COLUMNS)].isna().any(axis=1)
    assert result["imputed"].dtype == bool
    assert result["imputed"].tolist() == gaps.tolist()
    # The complete customers are segmented exactly as without the option.
    assert result["segment"][~gaps].tolist() == fitted.predict(customers)["segment"][~gaps].tolist()


def test_prediction_with_gaps_is_deterministic(fitted, customers):
    table = hidden(customers, 50, seed=5)
    first = fitted.predict(table, allow_missing=True)
    pd.testing.assert_frame_equal(first, fitted.predict(table, allow_missing=True))


def at_centre(model, j):
    """A customer at centre j, in m.u. (the centre turned back by hand)."""
    values = np.expm1(model.centres[j] * model.scale + model.mean)
    return pd.DataFrame([values], columns=list(SPENDING_COLUMNS))


@pytest.mark.parametrize("column", SPENDING_COLUMNS)
def test_a_missing_value_that_does_not_matter_leaves_the_segment(fitted, column):
    for j in range(3):
        customer = at_centre(fitted, j) * 1.02  # near centre j, not on it
        full = fitted.predict(customer)["segment"].item()
        gap = fitted.predict(customer.assign(**{column: np.nan}), allow_missing=True)
        assert full == j and gap["segment"].item() == j and gap["imputed"].item()


def test_fill_missing_takes_the_assigned_centres_values(fitted, customers):
    table = hidden(customers, 20, seed=11)
    filled = fitted.fill_missing(table)
    segments = fitted.predict(table, allow_missing=True)["segment"].to_numpy()
    holes = table[list(SPENDING_COLUMNS)].isna().to_numpy()
    centres = np.expm1(fitted.centres[segments] * fitted.scale + fitted.mean)
    got = filled[list(SPENDING_COLUMNS)].to_numpy(dtype=float)
    np.testing.assert_allclose(got[holes], centres[holes], rtol=1e-12)
    np.testing.assert_array_equal(got[~holes], table[list(SPENDING_COLUMNS)].to_numpy()[~holes])
    assert not filled[list(SPENDING_COLUMNS)].isna().any().any()


def test_predict_refuses_gaps_without_permission_saying_where_and_how(fitted):
    table = pd.DataFrame({c: [100.0, 200.0, 300.0] for c in SPENDING_COLUMNS})
    table.loc[1, "Milk"] = np.nan
    table.loc[2, "Milk"] = None
    with pytest.raises(ModelInputError) as caught:
        fitted.predict(table)
    text = str(caught.value)
    assert "row 1, column Milk" in text and "2 missing values in all" in text
    assert "Milk: rows 1, 2" in text
    assert "allow_missing=True" in text and "--allow-missing" in text


def test_predict_refuses_a_customer_with_no_value(fitted):
    table = pd.DataFrame({c: [100.0, np.nan] for c in SPENDING_COLUMNS})
    with pytest.raises(ModelInputError, match="row 1: every spending value is missing"):
        fitted.predict(table, allow_missing=True)


def test_the_imputed_column_comes_only_when_gaps_are_allowed(fitted, customers):
    assert "imputed" not in fitted.predict(customers.head(3))
    allowed = fitted.predict(customers.head(3), allow_missing=True)
    assert allowed["imputed"].tolist() == [False, False, False]


def test_an_imputing_model_predicts_gaps_without_being_asked(customers):
    model = SegmentationModel(k=3, evaluate=False, missing="impute").fit(hidden(customers, 9, 2))
    table = hidden(customers.head(20), 3, seed=4)
    assert model.predict(table)["imputed"].sum() == 3


# --- the model file -----------------------------------------------------------------------


def test_the_model_file_keeps_the_setting(customers, tmp_path):
    table = hidden(customers, 25, seed=9)
    model = SegmentationModel(k=3, evaluate=False, missing="impute").fit(table)
    path = model.save(tmp_path / "m.json")
    data = json.loads(path.read_text())
    assert data["format_version"] == FORMAT_VERSION >= 3
    assert data["missing"] == model.missing_
    again = load_model(path)
    assert again.missing_ == model.missing_ and again.missing == "impute"
    pd.testing.assert_frame_equal(again.predict(table), model.predict(table))


def test_a_format_2_file_still_loads_and_refuses_gaps_by_default(customers):
    old = load_model(FORMAT_2_FILE)
    assert json.loads(FORMAT_2_FILE.read_text())["format_version"] == 2
    assert old.missing_["setting"] == "refuse" and old.missing == "refuse"
    # The fixture was fitted (by the code before this setting) on the first 60 customers.
    fresh = SegmentationModel(k=3, evaluate=False).fit(customers.head(60))
    np.testing.assert_allclose(old.centres, fresh.centres, atol=1e-12)
    table = customers.head(60).astype({"Milk": float})
    table.loc[2, "Milk"] = np.nan
    with pytest.raises(ModelInputError, match="allow_missing=True"):
        old.predict(table)
    assert old.predict(table, allow_missing=True)["imputed"].sum() == 1
    assert json.loads(old.to_json())["missing"]["setting"] == "refuse"


@pytest.mark.parametrize(
    "missing, message",
    [
        ({"setting": "guess", "imputed_values": 0, "imputed_customers": 0}, "missing.setting"),
        ({"setting": "impute", "imputed_values": 1, "imputed_customers": 2}, "imputed_values"),
        ({"setting": "refuse", "imputed_values": 3, "imputed_customers": 1}, "must be 0 when"),
        ({"setting": "impute", "imputed_values": 1}, 'field "missing.imputed_customers"'),
        ("impute", 'field "missing" is missing or not an object'),
    ],
)
def test_a_wrong_missing_record_is_refused(fitted, tmp_path, missing, message):
    data = fitted.to_dict()
    del data["checksum"]
    data["missing"] = missing
    data["checksum"] = checksum(data)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_a_format_3_file_without_the_record_is_refused(fitted, tmp_path):
    data = fitted.to_dict()
    del data["checksum"], data["missing"]
    data["checksum"] = checksum(data)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ModelFileError, match='field "missing" is missing'):
            load_model(path)
