"""Missing values under attack: what an attacker found in the reader, the model and the
command line once gaps were allowed, each checked against a hand-made file."""

import csv
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from segmentation.cli import main
from segmentation.data.output import write_predictions
from segmentation.data.problems import plural
from segmentation.data.reader import (
    CustomerFileError,
    CustomerFileWarning,
    read_customer_csv,
    validate_customer_csv,
)
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import course_data_path, load_customers
from segmentation.model import pipeline
from segmentation.model.inputs import ModelInputError
from segmentation.model.pipeline import SegmentationModel

HEADER = "Channel,Region,Fresh,Milk,Grocery,Frozen,Detergents_Paper,Delicassen\n"
# Milk blank on every row; row 3 (the second customer) has no spending value at all.
HOLLOW = HEADER + "1,1,1,,3,4,5,6\n2,1,NA,NA,NA,NA,NA,NA\n1,2,7,,9,10,11,12\n"


# --- diagnose: the quality report reads what fitting would refuse -------------------------


def test_diagnose_notes_an_empty_column_and_an_empty_row_instead_of_refusing(write_file):
    result = validate_customer_csv(write_file(HOLLOW), diagnose=True)
    assert result.ok and not result.errors
    frame = result.frame
    assert frame["Milk"].isna().all()
    assert frame.loc[1, ["Fresh", "Delicassen"]].isna().all()
    assert frame["Fresh"].tolist()[::2] == [1, 7]
    notes = [note.describe(result.filename) for note in result.notes]
    assert any("column Milk: every value of the column is missing (3 of 3" in n for n in notes)
    assert any("all six spending values are missing on row 3 (1 customer)" in n for n in notes)
    assert result.missing["row"].tolist().count(3) == 6


def test_without_diagnose_the_same_file_is_refused_twice(write_file):
    result = validate_customer_csv(write_file(HOLLOW), allow_missing=True)
    assert not result.ok and result.total_errors == 2 and result.frame is None


def test_diagnose_implies_allow_missing_but_keeps_every_other_refusal(write_file):
    gap = HEADER + "1,1,1,,3,4,5,6\n"
    assert validate_customer_csv(write_file(gap), diagnose=True).ok
    for bad in ("x", "-5", "inf"):
        text = HEADER + f"1,1,{bad},2,3,4,5,6\n"
        assert not validate_customer_csv(write_file(text), diagnose=True).ok
    label_blank = HEADER + "1,,1,2,3,4,5,6\n"
    assert not validate_customer_csv(write_file(label_blank), diagnose=True).ok


def test_read_customer_csv_diagnose_warns_of_each_note(write_file):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_customer_csv(write_file(HOLLOW), diagnose=True)
    messages = [str(w.message) for w in caught if w.category is CustomerFileWarning]
    assert len(messages) == 3
    assert math.isnan(frame.loc[0, "Milk"])


def test_a_clean_file_is_the_same_with_diagnose(write_file):
    text = HEADER + "1,1,1,2,3,4,5,6\n2,2,7,8,9,10,11,12\n"
    plain = read_customer_csv(write_file(text))
    assert read_customer_csv(write_file(text), diagnose=True).equals(plain)


@pytest.mark.filterwarnings("ignore::segmentation.data.reader.CustomerFileWarning")
def test_with_model_accepts_an_empty_column_but_not_an_empty_row(write_file):
    one_gap = HEADER + "1,1,10,,30,40,50,60\n"
    frame = read_customer_csv(write_file(one_gap), allow_missing=True, with_model=True)
    assert math.isnan(frame.loc[0, "Milk"])
    with pytest.raises(CustomerFileError, match="every value of the column is missing"):
        read_customer_csv(write_file(one_gap), allow_missing=True)
    with pytest.raises(CustomerFileError, match="all six spending values are missing"):
        read_customer_csv(write_file(HOLLOW), allow_missing=True, with_model=True)


# --- helpers for the model and command-line attacks ---------------------------------------


@pytest.fixture(scope="module")
def customers():
    return load_customers()


def hidden(customers, count, seed):
    """The customers with one spending value hidden (NaN) on ``count`` seeded rows."""
    rng = np.random.default_rng(seed)
    table = customers.copy()
    for column in SPENDING_COLUMNS:
        table[column] = table[column].astype(float)
    for row in rng.choice(len(table), size=count, replace=False):
        table.loc[table.index[row], rng.choice(SPENDING_COLUMNS)] = np.nan
    return table


def course_lines(count):
    """The header and the first ``count`` course customers, each with an id ``c1``, ``c2``..."""
    lines = course_data_path().read_text().splitlines()
    return ["id," + lines[0]] + [f"c{n}," + line for n, line in enumerate(lines[1 : count + 1], 1)]


def with_gap(line, position=3):
    """A customer line with one spending value blanked (position 3 is Fresh... counted from
    the id: id, Channel, Region, Fresh, Milk ...)."""
    cells = line.split(",")
    cells[position] = ""
    return ",".join(cells)


@pytest.fixture
def gappy_file(tmp_path):
    """60 course customers; Milk blank for the 4th, and an id that drives a terminal."""
    lines = course_lines(60)
    lines[4] = with_gap(lines[4], 4)
    cells = lines[4].split(",")
    cells[0] = "\x1b[2J\x1b]0;owned\x07\u202eX"
    lines[4] = ",".join(cells)
    path = tmp_path / "gappy.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def gappy_model(gappy_file, tmp_path):
    path = tmp_path / "m.json"
    assert main(["fit", str(gappy_file), "-o", str(path), "--allow-missing"]) == 0
    return path


# --- 1. ids are shown escaped ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["fit", "predict", "report"])
def test_an_id_cannot_drive_the_terminal(command, gappy_file, gappy_model, tmp_path, capsys):
    capsys.readouterr()
    out = tmp_path / ("r.html" if command == "report" else "o.csv")
    inputs = [str(gappy_file)] if command == "fit" else [str(gappy_model), str(gappy_file)]
    assert main([command, *inputs, "-o", str(out), "--allow-missing"]) == 0
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "customer id \\x1b[2J\\x1b]0;owned\\x07\\u202eX" in text


# --- 2. one new customer with one gap ---------------------------------------------------------


@pytest.mark.parametrize("command", ["predict", "report"])
def test_one_customer_with_one_gap_is_segmented(command, gappy_model, tmp_path, capsys):
    one = tmp_path / "one.csv"
    one.write_text(HEADER + "1,1,10,,30,40,50,60\n")
    out = tmp_path / ("r.html" if command == "report" else "o.csv")
    assert main([command, str(gappy_model), str(one), "-o", str(out), "--allow-missing"]) == 0
    if command == "predict":
        assert pd.read_csv(out)["imputed"].tolist() == [True]


def test_the_segment_of_a_customer_does_not_depend_on_the_batch(gappy_model, tmp_path):
    alone, batch = tmp_path / "alone.csv", tmp_path / "batch.csv"
    alone.write_text(HEADER + "1,1,10,,30,40,50,60\n")
    batch.write_text(HEADER + "1,1,10,,30,40,50,60\n2,1,9000,8000,7000,600,500,400\n")
    segments = []
    for path in (alone, batch):
        out = tmp_path / f"{path.stem}.out.csv"
        assert (
            main(["predict", str(gappy_model), str(path), "-o", str(out), "--allow-missing"]) == 0
        )
        segments.append(pd.read_csv(out)["segment"][0])
    assert segments[0] == segments[1]


def test_fit_still_refuses_a_column_with_no_value(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text(HEADER + "1,1,10,,30,40,50,60\n2,1,1,,3,4,5,6\n")
    assert (
        main(["fit", str(data), "-o", str(tmp_path / "m.json"), "--k", "1", "--allow-missing"]) == 1
    )
    assert "every value of the column is missing (2 of 2 customers)" in capsys.readouterr().err


# --- 4. the report says what was filled -------------------------------------------------------


def test_the_report_says_what_was_filled_and_knows_its_training_data(customers):
    from segmentation.report.html import build_report

    gappy = hidden(customers, 9, seed=3)
    holes = gappy[list(SPENDING_COLUMNS)].isna()
    model = SegmentationModel(k=3, evaluate=False, missing="impute").fit(gappy, source="g.csv")
    text = re.sub(r"<[^>]+>", "", build_report(model, gappy, source="g.csv"))
    count, rows = int(holes.to_numpy().sum()), int(holes.any(axis=1).sum())
    assert "the data the model was fitted on" in text
    assert f"Missing values: {count} spending values of {rows} customers of g.csv" in text
    first = next(c for c in SPENDING_COLUMNS if holes[c].any())
    assert f"{first} {int(holes[first].sum())}" in text
    assert "taken from the centre of the segment" in text
    assert "Imputed training data: the model was fitted on 440 customers of g.csv" in text
    assert f"which {count} spending values of {rows} customers were missing" in text


def test_a_report_with_a_model_fitted_on_complete_data_says_only_the_new_gaps(customers):
    from segmentation.report.html import build_report

    model = SegmentationModel(k=3, evaluate=False).fit(customers)
    gappy = hidden(customers.head(50), 1, seed=5)
    text = re.sub(r"<[^>]+>", "", build_report(model, gappy, source="new.csv"))
    assert "Missing values:" in text and "Imputed training data" not in text
    assert "the data the model was fitted on" not in text
    clean = re.sub(r"<[^>]+>", "", build_report(model, customers, source="c.csv"))
    assert "Missing values:" not in clean and "the data the model was fitted on" in clean


# --- 5. a column mostly missing; the neighbours actually used ---------------------------------


def test_fit_refuses_a_column_missing_for_more_than_half(customers, tmp_path, capsys):
    table = customers.copy()
    table["Grocery"] = table["Grocery"].astype(float)
    table.loc[table.index[:221], "Grocery"] = np.nan  # 221 of 440: just over half
    with pytest.raises(
        ModelInputError, match=r"more than 50% of the values of Grocery \(221 of 440\)"
    ):
        SegmentationModel(k=3, evaluate=False, missing="impute").fit(table)
    table.loc[table.index[220], "Grocery"] = 1.0  # 220 of 440: half, accepted
    SegmentationModel(k=3, evaluate=False, missing="impute").fit(table)
    lines = course_lines(40)
    lines[2:] = [with_gap(line, 5) for line in lines[2:]]
    data = tmp_path / "onegro.csv"
    data.write_text("\n".join(lines) + "\n")
    assert main(["fit", str(data), "-o", str(tmp_path / "m.json"), "--allow-missing"]) == 1
    err = capsys.readouterr().err
    assert "Grocery (39 of 40)" in err and "Fill the column in" in err
    assert not (tmp_path / "m.json").exists()


def test_the_summary_gives_the_neighbours_actually_used(tmp_path, capsys):
    data = tmp_path / "two.csv"
    data.write_text(HEADER + "1,1,10,,30,40,50,60\n1,1,10,20,30,40,50,60\n")
    assert (
        main(["fit", str(data), "-o", str(tmp_path / "m.json"), "--k", "1", "--allow-missing"]) == 0
    )
    out = capsys.readouterr().out
    assert "each filled from the nearest customer that has the value" in out
    assert "5 nearest" not in out
    assert "fewer than 5 customers have it: Milk 1" in out


# --- 6. the neighbours are looked for among a bounded, seeded sample --------------------------


def test_the_donors_are_everyone_up_to_the_cap_then_a_seeded_sample():
    assert pipeline.IMPUTE_DONORS == 50_000
    assert np.array_equal(pipeline.imputation_donors(50_000), np.arange(50_000))
    first = pipeline.imputation_donors(200_000, seed=7)
    assert len(first) == 50_000 and len(set(first.tolist())) == 50_000
    assert np.all(np.diff(first) > 0) and first.max() < 200_000
    assert np.array_equal(first, pipeline.imputation_donors(200_000, seed=7))
    assert not np.array_equal(first, pipeline.imputation_donors(200_000, seed=8))


def test_above_the_cap_the_fill_is_knn_over_the_sample_done_by_hand(customers, monkeypatch):
    from sklearn.impute import KNNImputer

    monkeypatch.setattr(pipeline, "IMPUTE_DONORS", 100)
    gappy = hidden(customers, 20, seed=11)
    raw = gappy[list(SPENDING_COLUMNS)].to_numpy(dtype=float)
    donors = np.sort(np.random.default_rng(0).choice(440, 100, replace=False))
    scaler = StandardScaler().fit(np.log1p(raw))  # NaN left out of the fit, as the model's
    X = scaler.transform(np.log1p(raw))
    filled = KNNImputer(n_neighbors=5).fit(X[donors]).transform(X)
    by_hand = np.where(
        np.isnan(raw), np.maximum(np.expm1(scaler.inverse_transform(filled)), 0), raw
    )
    filled_by_model, record = pipeline._filled(
        raw, list(SPENDING_COLUMNS), "log", True, gappy.index, seed=0
    )
    assert record["imputed_values"] == int(np.isnan(raw).sum())
    np.testing.assert_allclose(filled_by_model, by_hand, rtol=1e-9)
    # Deterministic, and not what every customer as donor gives.
    again, _ = pipeline._filled(raw, list(SPENDING_COLUMNS), "log", True, gappy.index, seed=0)
    assert np.array_equal(again, filled_by_model)
    everyone = KNNImputer(n_neighbors=5).fit_transform(X)
    assert not np.allclose(filled, everyone)


# --- 7. an id with a line break cannot break the output -------------------------------------


def test_ids_with_line_breaks_and_quotes_survive_the_output(customers, tmp_path):
    model = SegmentationModel(k=3, evaluate=False).fit(customers)
    table = customers.head(6).copy()
    ids = ["a\rb", "c\nd", 'q"u,o', "=1+2", "plain", "e\r\nf"]
    table["id"] = ids
    path = tmp_path / "out.csv"
    with open(path, "wb") as out:
        write_predictions(model, table, out, rows=4)  # two blocks: the header once
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0][:3] == ["id", "segment", "name"] and len(rows) == 7
    expected = ["a\rb", "c\nd", 'q"u,o', "'=1+2", "plain", "e\r\nf"]
    assert [row[0] for row in rows[1:]] == expected
    back = pd.read_csv(path, keep_default_na=False)
    assert back["id"].tolist() == expected
    assert back["segment"].tolist() == model.predict(table)["segment"].tolist()


# --- 8. "-" may be 0; \N and <NA> are missing words -------------------------------------------


@pytest.mark.filterwarnings("ignore::segmentation.data.reader.CustomerFileWarning")
@pytest.mark.parametrize("word", ["\\N", "<NA>", "<na>"])
def test_database_and_pandas_missing_words_are_read_as_missing(write_file, word):
    text = HEADER + f"1,1,{word},2,3,4,5,6\n1,1,7,8,9,10,11,12\n"
    frame = read_customer_csv(write_file(text), allow_missing=True)
    assert math.isnan(frame.loc[0, "Fresh"])
    with pytest.raises(CustomerFileError, match=r"marks a missing value.*--allow-missing"):
        read_customer_csv(write_file(text))


def test_a_dash_is_said_to_maybe_mean_zero(write_file):
    text = HEADER + "1,1,-,2,3,4,5,6\n1,1,7,-,9,10,11,12\n1,1,7,8,9,10,11,12\n"
    with pytest.raises(CustomerFileError) as caught:
        read_customer_csv(write_file(text))
    assert str(caught.value).count("writes 0 as '-'") == 2
    result = validate_customer_csv(write_file(text), allow_missing=True)
    notes = [note.describe(result.filename) for note in result.notes]
    assert any("2 values written '-' (on rows 2, 3) were read as missing" in n for n in notes)
    assert any("accounting number format writes 0 as '-'" in n for n in notes)
    blank = validate_customer_csv(write_file(HEADER + "1,1,,2,3,4,5,6\n1,1,7,8,9,10,11,12\n"))
    assert not any("writes 0 as" in p.hint for p in blank.errors)


# --- 9. the imputed column follows --allow-missing ---------------------------------------------


def test_the_imputed_column_follows_the_option_not_the_model(gappy_model, tmp_path):
    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join(course_lines(20)) + "\n")
    out = tmp_path / "o.csv"
    assert main(["predict", str(gappy_model), str(clean), "-o", str(out)]) == 0
    assert "imputed" not in pd.read_csv(out).columns
    assert main(["predict", str(gappy_model), str(clean), "-o", str(out), "--allow-missing"]) == 0
    assert pd.read_csv(out)["imputed"].tolist() == [False] * 20


def test_the_library_adds_the_column_when_asked_or_when_there_are_gaps(customers):
    model = SegmentationModel(k=3, evaluate=False, missing="impute").fit(hidden(customers, 5, 1))
    assert "imputed" not in model.predict(customers.head(5))
    assert model.predict(customers.head(5), allow_missing=True)["imputed"].sum() == 0
    assert model.predict(hidden(customers.head(5), 1, 2))["imputed"].sum() == 1


# --- 10. counts with separators, singular and plural --------------------------------------------


def test_counts_are_written_with_separators_and_the_right_number(tmp_path, capsys):
    assert plural(1, "customer") == "1 customer" and plural(2000, "value") == "2,000 values"
    one = tmp_path / "one.csv"
    one.write_text(HEADER + "1,1,10,20,30,40,50,60\n")
    assert main(["validate", str(one)]) == 0
    assert "OK, 1 customer." in capsys.readouterr().out
    lines = course_lines(2_100)[:1]
    body = course_lines(440)[1:]
    for n in range(2_100):
        cells = body[n % 440].split(",")
        cells[0] = f"c{n}"
        if n < 2_000:
            cells[4] = ""
        lines.append(",".join(cells))
    data = tmp_path / "many.csv"
    data.write_text("\n".join(lines) + "\n")
    model = tmp_path / "m.json"
    # 2,000 of 2,100 Milk values missing is refused for a fit; predicted with a model instead.
    base = tmp_path / "base.csv"
    base.write_text("\n".join(course_lines(440)) + "\n")
    assert main(["fit", str(base), "-o", str(model)]) == 0
    capsys.readouterr()
    assert (
        main(["predict", str(model), str(data), "-o", str(tmp_path / "o.csv"), "--allow-missing"])
        == 0
    )
    out = capsys.readouterr().out
    assert "missing values: 2,000 values of 2,000 customers (Milk 2,000;" in out
    assert "Segmented 2,100 customers" in out
