"""The data-quality report: a ten-customer table worked by hand, the course data against
fences computed here with NumPy, and an HTML page that stays inert whatever the data hold."""

from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from segmentation import load_customers
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.quality.report import TABLE_COLUMNS, QualityReport, quality_report

NAN = np.nan
IDS = list(range(101, 111))
# Spending on the log scale, log(1 + x), per column; the table holds e^L - 1 rounded to whole
# m.u. (the rounding moves no log value by more than 0.004, and no fence below is nearer
# than 0.375 to a value). 104 and 105 are the same row; 110 is far above in three columns;
# 101 bought no frozen food; 103 and 106 each miss a value.
LOG = {
    "Fresh": [5, 6, 7, 8, 8, 6, 7, 9, 7, 15],
    "Milk": [6, 7, 5, 7, 7, 8, 6, 7, 9, 15],
    "Grocery": [7, 5, 8, 6, 6, 7, 9, 6, 7, 15],
    "Frozen": [0, 7, 6, 7, 7, 8, 6, 9, 6, 7],
    "Detergents_Paper": [7, 6, NAN, 8, 8, 5, 7, 6, 7, 6],
    "Delicassen": [6, 8, 7, 5, 5, NAN, 6, 7, 8, 7],
}
# Tukey's fences by hand (quartiles by linear interpolation: the 25th percentile of n sorted
# values sits at position 0.25 (n - 1), counting from 0):
# Fresh    sorted 5 6 6 7 7 7 8 8 9 15: Q1 = 6.25, Q3 = 8, IQR 1.75, fences 3.625 and 10.625
#          -> 15 (110) above.
# Milk     sorted 5 6 6 7 7 7 7 8 9 15: Q1 = 6.25, Q3 = 7.75, fences 4 and 10 -> 15 (110).
# Grocery  sorted 5 6 6 6 7 7 7 8 9 15: Q1 = 6, Q3 = 7.75, fences 3.375 and 10.375 -> 15 (110).
# Frozen   sorted 0 6 6 6 7 7 7 7 8 9: Q1 = 6, Q3 = 7, fences 4.5 and 8.5 -> 0 (101) below,
#          9 (108) above.
# Detergents_Paper, 9 known, sorted 5 6 6 6 7 7 7 8 8: Q1 = 6, Q3 = 7, fences 4.5, 8.5: none.
# Delicassen, 9 known, sorted 5 5 6 6 7 7 7 8 8: Q1 = 6, Q3 = 7, fences 4.5, 8.5: none.
HAND_TABLE = pd.DataFrame(
    [
        ["Fresh", 0, 0.0, 0, 1, 0, 1, "110"],
        ["Milk", 0, 0.0, 0, 1, 0, 1, "110"],
        ["Grocery", 0, 0.0, 0, 1, 0, 1, "110"],
        ["Frozen", 0, 0.0, 1, 2, 1, 1, "101, 108"],
        ["Detergents_Paper", 1, 0.1, 0, 0, 0, 0, ""],
        ["Delicassen", 1, 0.1, 0, 0, 0, 0, ""],
    ],
    columns=list(TABLE_COLUMNS),
)


def hand_table(ids=IDS):
    spending = pd.DataFrame({c: np.round(np.expm1(v)) for c, v in LOG.items()})
    labels = pd.DataFrame(
        {
            "id": ids,
            "Channel": ["Horeca", "Retail", "Horeca", "Retail", "Retail"] * 2,
            "Region": ["Lisbon", "Other", "Oporto", "Lisbon", "Lisbon"] * 2,
        }
    )
    return pd.concat([labels, spending], axis=1)


def test_the_hand_table_has_the_hand_worked_findings():
    report = quality_report(hand_table())
    assert isinstance(report, QualityReport)
    pd.testing.assert_frame_equal(report.table(), HAND_TABLE, check_dtype=False)
    assert report.customers == 10
    assert report.duplicates == ((104, 105),)
    assert report.extreme == (110,)
    assert [c.outlier_ids for c in report.columns] == [(110,), (110,), (110,), (101, 108), (), ()]


def test_extreme_needs_as_many_categories_as_asked():
    table = hand_table()
    assert quality_report(table, extreme_categories=3).extreme == (110,)
    assert quality_report(table, extreme_categories=4).extreme == ()
    assert quality_report(table, extreme_categories=1).extreme == (101, 108, 110)


def test_each_finding_gets_one_sentence_of_advice():
    findings = dict(quality_report(hand_table()).advice())
    assert list(findings) == [
        "2 values missing (Detergents_Paper 1, Delicassen 1)",
        "1 zero (Frozen 1)",
        "5 outliers (Fresh 1, Milk 1, Grocery 1, Frozen 2)",
        # Ten customers are fewer than the twenty the fences need to mean much.
        "too few customers for Tukey's fences (with a value: Fresh 10, Milk 10, Grocery 10, "
        "Frozen 10, Detergents_Paper 9, Delicassen 9)",
        "1 group of identical rows (ids 104, 105)",
        "1 customer extreme in 2 or more categories (id 110)",
    ]
    said = list(findings.values())
    assert "--allow-missing" in said[0] and "5 nearest customers" in said[0]
    assert said[1].startswith("keep them")
    assert "on the log scale their values barely move the segments" in said[2]
    assert "need at least 20 customers" in said[3] and "unreliable" in said[3]
    assert "the same customer entered twice" in said[4]
    assert "look at them by hand" in said[5]
    assert all(text.count(". ") == 0 and text.endswith(".") for text in said)  # one sentence


def test_a_clean_table_says_there_is_nothing_to_do():
    # 20 customers spending 10, 20, ..., 200: log(1 + x) from 2.40 to 5.30, quartiles at
    # positions 4.75 and 14.25 (log 58.5 = 4.07 and log 153.5 = 5.03), fences 2.63 and 6.47:
    # only 10 (2.40) lies below, so the first customer spends 15 (2.77) instead.
    table = pd.DataFrame({c: np.arange(10.0, 201.0, 10.0) for c in SPENDING_COLUMNS})
    table.loc[0, list(SPENDING_COLUMNS)] = 15.0
    report = quality_report(table)
    assert report.advice() == [
        ("nothing found", "no missing values, zeros, outliers or duplicates.")
    ]
    # Without an id column, the index names the customers.
    table.loc[10, "Milk"] = 1e9
    assert quality_report(table).columns[1].outlier_ids == (10,)


def test_rows_that_differ_only_in_region_or_by_a_missing_value_are_not_duplicates():
    table = hand_table()
    table.loc[4, "Region"] = "Other"  # 105 now differs from 104 in its region only
    assert quality_report(table).duplicates == ()
    table = hand_table()
    table.loc[[3, 4], "Milk"] = NAN  # the same gap in both: still the same row
    assert quality_report(table).duplicates == ((104, 105),)
    table.loc[4, "Milk"] = 1096.0
    assert quality_report(table).duplicates == ()


@pytest.mark.parametrize("wrong", [0, 7, 2.5, "3", True, None])
def test_extreme_categories_is_a_count_of_categories(wrong):
    with pytest.raises(ValueError, match="extreme_categories must be a whole number from 1 to 6"):
        quality_report(hand_table(), extreme_categories=wrong)


def test_a_table_without_a_spending_column_is_refused_by_name():
    with pytest.raises(ValueError, match="no column Frozen; a data-quality report needs"):
        quality_report(hand_table().drop(columns="Frozen"))


def test_the_text_shows_the_table_and_what_to_do():
    text = quality_report(hand_table(), source="shop.csv").text()
    lines = text.splitlines()
    assert lines[0] == "Data quality of shop.csv: 10 customers, 6 spending columns."
    frozen = next(line for line in lines if line.strip().startswith("Frozen"))
    assert frozen.split() == ["Frozen", "0", "0.0%", "1", "2", "1", "1", "101,", "108"]
    assert "10.0%" in next(line for line in lines if line.strip().startswith("Delicassen"))
    assert "What to do:" in lines
    assert max(len(line) for line in lines[lines.index("What to do:") :]) <= 88
    said = " ".join(text.split("What to do:\n")[1].split())
    assert said.endswith(
        "- 1 customer extreme in 2 or more categories (id 110): look at them by hand; correct "
        "or remove a typing or unit error, keep a real customer and read its segment with care."
    )


def test_a_long_list_of_ids_is_cut():
    # 7 zeros of 30, then 100 * 1.1^i for i = 0 to 22: the quartiles (positions 7.25 and
    # 21.75 of 0 to 29) are log(1 + 100 * 1.1^0.25) = 4.64 and log(1 + 100 * 1.1^14.75) =
    # 6.03, so the lower fence is 4.64 - 1.5 * 1.39 = 2.56: every zero lies below, and no
    # other value (the least is log 101 = 4.62) is outside.
    spread = [0.0] * 7 + [100.0 * 1.1**i for i in range(23)]
    table = pd.DataFrame({c: spread for c in SPENDING_COLUMNS})
    table["id"] = range(1, 31)
    column = quality_report(table).table().loc[0]
    assert (column["zeros"], column["outliers"], column["low"]) == (7, 7, 7)
    assert column["first outliers (ids)"] == "1, 2, 3, 4, 5 and 2 more"


# --- the course data, against fences computed here -------------------------------------------


def numpy_outliers(values, ids):
    """Tukey's fences on log(1 + x) with NumPy's percentiles: (ids below, ids above)."""
    logged = np.log1p(np.asarray(values, dtype=float))
    q1, q3 = np.percentile(logged, [25, 75])
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    return tuple(ids[logged < low]), tuple(ids[logged > high])


def test_the_course_data_outliers_match_numpy_fences():
    customers = load_customers()
    report = quality_report(customers)
    ids = customers["id"].to_numpy()
    flagged_per_customer = pd.Series(0, index=customers.index)
    for column in report.columns:
        below, above = numpy_outliers(customers[column.column], ids)
        assert (column.low, column.high) == (len(below), len(above))
        assert column.outlier_ids == tuple(sorted(below + above))
        flagged_per_customer += customers["id"].isin(below + above)
        assert (column.missing, column.zeros) == (0, 0)
    assert report.table()["outliers"].sum() == 48
    assert report.duplicates == ()
    # The five customers of the literature, extreme in two categories or more (rows 65, 66,
    # 75, 128 and 154 counted from 0); only one of them in three.
    assert report.extreme == tuple(ids[flagged_per_customer >= 2]) == (66, 67, 76, 129, 155)
    thrice = quality_report(customers, extreme_categories=3).extreme
    assert thrice == tuple(ids[flagged_per_customer >= 3]) == (155,)


# --- the HTML page -----------------------------------------------------------------------------


class Page(HTMLParser):
    """Every tag, attribute and piece of text of a page."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes, self.text, self.styles = [], [], [], []
        self._in_style = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += attrs
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)


HOSTILE = "<script>alert('id')</script>"


def test_the_page_is_inert_and_shows_hostile_values_as_text():
    ids = [*IDS[:-1], HOSTILE]  # the customer extreme in three categories
    source = '"><img src=x onerror=alert(1)> http://evil.example/a.csv'
    page = quality_report(hand_table(ids), source=source).html()
    parsed = Page(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not any(name.startswith("on") for name, _ in parsed.attributes)
    assert all(name in ("lang", "charset", "name", "content", "scope", "class") for name, _ in
               parsed.attributes)  # fmt: skip
    assert not any("//" in (value or "") for _, value in parsed.attributes)
    assert "url(" not in "".join(parsed.styles) and "@import" not in "".join(parsed.styles)
    text = "".join(parsed.text)
    assert f"Data quality of {source}" in text
    assert f"(id {HOSTILE})" in text
    assert HOSTILE not in page  # only escaped


def test_the_page_holds_the_table_and_the_advice():
    report = quality_report(hand_table(), source="shop.csv")
    parsed = Page(report.html())
    text = " ".join(parsed.text)
    assert parsed.tags.count("tr") == 1 + 6
    assert "Detergents_Paper" in text and "10.0%" in text and "101, 108" in text
    for finding, advice in report.advice():
        assert finding in text and advice in text
    assert parsed.tags.count("li") == len(report.advice()) == 6
