"""Cleaning a transaction log: each rule's count by hand, and every line in exactly one place."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segmentation.transactions.cleaning import RULES, CleanLog, clean_transactions
from segmentation.transactions.layout import AMOUNT, CATEGORY, TRANSACTION_COLUMNS


def make_log(lines: list[tuple]) -> pd.DataFrame:
    """A raw log from (invoice, stock code, quantity, day, price, customer) tuples."""
    invoice, code, quantity, day, price, customer = zip(*lines, strict=True)
    return pd.DataFrame(
        {
            "Invoice": pd.array(invoice, dtype="str"),
            "StockCode": pd.array(code, dtype="str"),
            "Description": pd.array([f"item {c}" for c in code], dtype="str"),
            "Quantity": np.array(quantity, dtype=np.int64),
            "InvoiceDate": pd.to_datetime("2010-01-01") + pd.to_timedelta(day, unit="D"),
            "Price": np.array(price, dtype=np.float64),
            "Customer ID": pd.array(customer, dtype="str"),
            "Country": pd.array(["United Kingdom"] * len(lines), dtype="str"),
        }
    )


# Each line, and where it must end up (worked out by hand from the rules' order).
HAND = [
    (("1", "10001", 2, 0, 18.5, "7"), "purchase"),  # 37.00
    (("1", "10001", 2, 0, 18.5, "7"), "exact duplicate rows"),
    (("1", "20002", 3, 0, 11.4, "7"), "purchase"),  # 34.20
    (("2", "60001", 1, 5, 89.0, "8"), "purchase"),  # 89.00
    (("3", "99999", 4, 6, 0.333, "8"), "purchase"),  # 1.332 -> 1.33, unknown category
    (("C4", "10001", -1, 7, 18.5, "7"), "cancellation"),  # -18.50
    (("C5", "60001", -1, 8, 89.0, None), "missing customer id"),  # a guest's cancellation
    (("6", "10001", 5, 9, 18.5, None), "missing customer id"),
    (("6", "10001", 5, 9, 18.5, None), "exact duplicate rows"),  # duplicates come first
    (("A7", "B", 1, 10, -50.0, "9"), "bad-debt adjustments"),
    (("8", "30001", 0, 11, 14.9, "9"), "quantity or price of the wrong sign"),
    (("9", "30001", -3, 11, 14.9, "9"), "quantity or price of the wrong sign"),
    (("10", "30001", 3, 11, 0.0, "9"), "quantity or price of the wrong sign"),
]


@pytest.fixture
def clean() -> CleanLog:
    return clean_transactions(make_log([line for line, _ in HAND]))


def test_each_rule_counts_its_lines(clean):
    where = [place for _, place in HAND]
    assert clean.set_aside["rule"].tolist() == [rule for rule, _ in RULES]
    assert clean.set_aside.columns.tolist() == ["rule", "rows", "why"]
    expected = [
        where.count(rule) if rule != "cancellations" else where.count("cancellation")
        for rule, _ in RULES
    ]
    assert clean.set_aside["rows"].tolist() == expected == [2, 2, 1, 1, 3]
    assert len(clean.purchases) == where.count("purchase") == 4
    assert clean.cancellations["Invoice"].tolist() == ["C4"]


def test_purchases_and_cancellations_have_amounts_and_categories(clean):
    columns = [*TRANSACTION_COLUMNS, AMOUNT, CATEGORY]
    assert clean.purchases.columns.tolist() == columns
    assert clean.cancellations.columns.tolist() == columns
    assert clean.purchases[AMOUNT].tolist() == [37.0, 34.2, 89.0, 1.33]
    assert clean.purchases[CATEGORY].tolist()[:3] == ["Fresh", "Milk", "Delicassen"]
    assert pd.isna(clean.purchases[CATEGORY].iloc[3])  # 99999 is not in the catalogue
    assert clean.cancellations[AMOUNT].tolist() == [-18.5]
    assert clean.cancellations["Quantity"].tolist() == [-1]
    assert clean.purchases["Customer ID"].tolist() == ["7", "7", "8", "8"]


def test_net_spending_per_customer_by_hand(clean):
    both = pd.concat([clean.purchases, clean.cancellations])
    net = both.groupby("Customer ID")[AMOUNT].sum().round(2).to_dict()
    assert net == {"7": 37.0 + 34.2 - 18.5, "8": 89.0 + 1.33}


def test_an_empty_log_cleans_to_nothing():
    empty = make_log([("1", "10001", 1, 0, 1.0, "7")]).iloc[:0]
    clean = clean_transactions(empty)
    assert len(clean.purchases) == len(clean.cancellations) == 0
    assert clean.set_aside["rows"].sum() == 0


LINES = st.tuples(
    st.sampled_from(["1", "2", "C3", "C1", "A4", "c5", "a6"]),
    st.sampled_from(["10001", "20002", "X"]),
    st.integers(-3, 3),
    st.integers(0, 2),
    st.sampled_from([0.0, 1.25, -2.0, 18.5]),
    st.sampled_from(["7", "8", None]),
)


@given(st.lists(LINES, max_size=40))
def test_every_line_lands_in_exactly_one_place(lines):
    log = make_log(lines) if lines else make_log([("1", "1", 1, 0, 1.0, "7")]).iloc[:0]
    clean = clean_transactions(log)
    rows = dict(zip(clean.set_aside["rule"], clean.set_aside["rows"], strict=True))
    assert len(clean.purchases) + sum(rows.values()) == len(log)
    assert rows["cancellations"] == len(clean.cancellations)
    # An independent count of each rule, line by line, in the stated order.
    seen, counts, kept = set(), dict.fromkeys(rows, 0), 0
    for line in lines:
        invoice, _, quantity, _, price, customer = line
        if line in seen:
            counts["exact duplicate rows"] += 1
        elif customer is None:
            counts["missing customer id"] += 1
        elif invoice[0] in "Cc" and quantity < 0 and price > 0:
            counts["cancellations"] += 1
        elif invoice[0] in "Aa":
            counts["bad-debt adjustments"] += 1
        elif invoice[0] in "Cc" or quantity <= 0 or price <= 0:  # a sign the wrong way
            counts["quantity or price of the wrong sign"] += 1
        else:
            kept += 1
        seen.add(line)
    assert rows == counts and len(clean.purchases) == kept
    assert clean.purchases["Customer ID"].notna().all()
    assert (clean.purchases["Quantity"] > 0).all() and (clean.purchases["Price"] > 0).all()
