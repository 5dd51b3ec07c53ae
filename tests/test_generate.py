"""The transaction generator against independent oracles: the BG/NBD and gamma-gamma closed
forms, the course data's real annual spending, the stated dirt shares, and the shipped files.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from segmentation import (
    load_customers,
    load_transaction_truth,
    load_transactions,
    simulate_transactions,
    wholesale_transactions,
)
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import CourseDataChanged
from segmentation.transactions import shipped
from segmentation.transactions.generate import TransactionParams
from segmentation.transactions.layout import CATEGORY_OF_STOCK_CODE, TRANSACTION_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
WEEK = pd.Timedelta(weeks=1)


def expected_repeat_purchases(t: float, r: float, alpha: float, a: float, b: float) -> float:
    """BG/NBD, Fader, Hardie & Lee (2005), eq. 9: the expected number of repeat purchases
    in (0, t] of a customer born at 0:

        E[X(t)] = (a + b - 1) / (a - 1)
                  * (1 - (alpha / (alpha + t))**r * 2F1(r, b; a + b - 1; t / (alpha + t)))
    """
    tail = (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t))
    return (a + b - 1) / (a - 1) * (1 - tail)


def sale_invoices(log: pd.DataFrame) -> pd.DataFrame:
    """Customers' sale invoices, each with its value, computed by hand from the raw log."""
    lines = log.drop_duplicates()
    lines = lines[lines["Customer ID"].notna() & ~lines["Invoice"].str.startswith("C")]
    cents = lines["Quantity"] * (lines["Price"] * 100).round().astype("int64")
    keys = [lines["Customer ID"], lines["Invoice"]]
    return cents.groupby(keys).sum().rename("cents").reset_index()


# One population with the exact BG/NBD process: everyone born on 2024-01-01, observed for
# 52 weeks, no seasonality. Generated once for the module.
EXACT = TransactionParams(seasonality=0.0, birth_weeks=0.0, r=0.6, alpha=12.0, a=0.8, b=3.0)
WEEKS = 52


@pytest.fixture(scope="module")
def exact():
    end = pd.Timestamp("2024-01-01") + WEEKS * WEEK
    return simulate_transactions(40_000, start="2024-01-01", end=end, seed=5, params=EXACT)


def test_mean_repeat_purchases_match_the_bgnbd_closed_form(exact):
    # X(t) counted from the raw log: distinct sale invoices per customer, minus the first
    invoices = sale_invoices(exact.log)
    counts = invoices.groupby("Customer ID").size().reindex(exact.truth["Customer ID"])
    repeats = counts.to_numpy() - 1
    expected = expected_repeat_purchases(WEEKS, EXACT.r, EXACT.alpha, EXACT.a, EXACT.b)
    tolerance = 4 * repeats.std() / np.sqrt(repeats.size)  # 4 standard errors
    assert abs(repeats.mean() - expected) < tolerance
    assert tolerance < 0.05 * expected  # the check is sharp enough to mean something


def test_mean_order_value_matches_the_gamma_gamma_mean(exact):
    # E[order value] = E[p_spend / nu] = p_spend * gamma / (q - 1); with nu independent of
    # the purchase process, each customer's average order has that expectation too
    invoices = sale_invoices(exact.log)
    per_customer = invoices.groupby("Customer ID")["cents"].mean() / 100
    expected = EXACT.p_spend * EXACT.gamma / (EXACT.q - 1)
    tolerance = 4 * per_customer.std() / np.sqrt(per_customer.size)
    assert abs(per_customer.mean() - expected) < tolerance + 0.01 * expected


def test_the_truth_agrees_with_the_log(exact):
    truth = exact.truth.set_index("Customer ID")
    counts = sale_invoices(exact.log).groupby("Customer ID").size()
    assert (counts.reindex(truth.index) == truth["purchases"]).all()
    dropped = truth[truth["dropout_time"].notna()]
    # as in the paper: dropping out happens only right after a repeat purchase
    assert (dropped["purchases"] >= 2).all()
    assert ((truth["mean_spend"] * truth["nu"]).round(9) == EXACT.p_spend).all()
    last = exact.log[exact.log["Customer ID"].notna()]
    last = last[~last["Invoice"].str.startswith("C")].groupby("Customer ID")["InvoiceDate"].max()
    assert (last.reindex(dropped.index) == dropped["dropout_time"]).all()


def test_dirt_shares_are_near_their_parameters():
    params = TransactionParams()
    log = simulate_transactions(20_000, seed=11, params=params).log
    assert abs(log["Customer ID"].isna().mean() - params.guest_share) < 0.02
    assert abs(log.duplicated().mean() - params.duplicate_share) < 0.003
    invoices = log.drop_duplicates("Invoice")
    known = invoices[invoices["Customer ID"].notna()]
    cancelled = known["Invoice"].str.startswith("C")
    assert abs(cancelled.sum() / (~cancelled).sum() - params.cancel_share) < 0.005
    sales = log[~log["Invoice"].str.startswith("C")].drop_duplicates()
    non_sales = ((sales["Quantity"] <= 0) | (sales["Price"] <= 0)).mean()
    assert 0.5 * params.non_sale_share < non_sales < 2 * params.non_sale_share
    # a cancellation undoes units that the same customer bought
    assert (log.loc[log["Invoice"].str.startswith("C"), "Quantity"] < 0).all()


def test_the_log_has_the_contract_layout():
    log = simulate_transactions(300, seed=2).log
    assert tuple(log.columns) == TRANSACTION_COLUMNS
    assert log["Quantity"].dtype == np.int64 and log["Price"].dtype == np.float64
    assert log["InvoiceDate"].dtype == "datetime64[ns]"
    assert ((log["Price"] * 100).round(6) % 1 == 0).all()
    assert set(log["StockCode"]) <= set(CATEGORY_OF_STOCK_CODE)
    ids = log["Customer ID"].dropna()
    assert ids.str.fullmatch(r"1\d{5}").all()


def test_same_seed_same_log_and_different_seeds_differ():
    first = simulate_transactions(500, seed=3)
    again = simulate_transactions(500, seed=3)
    other = simulate_transactions(500, seed=4)
    pd.testing.assert_frame_equal(first.log, again.log)
    pd.testing.assert_frame_equal(first.truth, again.truth)
    assert not first.log.equals(other.log)


def test_seasonality_raises_the_peak_months():
    params = TransactionParams(seasonality=0.8, peak_month=12, guest_share=0.0)
    log = simulate_transactions(20_000, seed=8, params=params).log
    months = sale_invoices_dates(log).dt.month.value_counts()
    assert months[12] > 2 * months[6]


def sale_invoices_dates(log: pd.DataFrame) -> pd.Series:
    sales = log[log["Customer ID"].notna() & ~log["Invoice"].str.startswith("C")]
    return sales.drop_duplicates("Invoice")["InvoiceDate"]


@pytest.fixture(scope="module")
def wholesale():
    return wholesale_transactions(load_customers(), 17)


def test_wholesale_first_year_equals_the_course_data_exactly(wholesale):
    customers = load_customers()
    log = wholesale.log.drop_duplicates()
    log = log[log["Customer ID"].notna() & (log["InvoiceDate"] < "2025-01-01")]
    cents = log["Quantity"] * (log["Price"] * 100).round().astype("int64")
    category = log["StockCode"].map(CATEGORY_OF_STOCK_CODE)
    sums = cents.groupby([log["Customer ID"], category]).sum().unstack(fill_value=0)
    ids = (10000 + customers["id"]).astype(str)
    real = customers[list(SPENDING_COLUMNS)].set_axis(ids) * 100
    sums = sums.reindex(index=ids, columns=list(SPENDING_COLUMNS), fill_value=0)
    assert (sums.to_numpy() == real.to_numpy()).all()


def test_wholesale_second_year_has_dropouts_and_the_dirt(wholesale):
    truth = wholesale.truth.set_index("Customer ID")
    log = wholesale.log
    assert len(truth) == 440 and truth.index[0] == "10001"
    assert 0.1 < truth["dropped_out"].mean() < 0.6
    assert 0.2 < log["Customer ID"].isna().mean() < 0.3
    assert log["Invoice"].str.startswith("C").any() and log.duplicated().any()
    sales = log[log["Customer ID"].notna() & ~log["Invoice"].str.startswith("C")]
    last = sales.groupby("Customer ID")["InvoiceDate"].max()
    stopped = truth[truth["dropped_out"]]
    assert (last.reindex(stopped.index) == stopped["dropout_time"]).all()
    assert (last.reindex(truth.index) == truth["last_purchase"]).all()


def test_shipped_files_have_their_checksums_and_data_readme_states_them():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for files in (shipped.LOG_FILES, shipped.TRUTH_FILES):
        for filename, sha256 in files.values():
            path = ROOT / "data" / "transactions" / filename
            assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256
            assert sha256 in readme


def test_regenerating_the_wholesale_log_gives_the_shipped_text(wholesale, tmp_path):
    shipped.write_csv(wholesale.log, tmp_path / "log.csv.gz", float_format="%.2f")
    shipped.write_csv(wholesale.truth, tmp_path / "truth.csv")
    log_name, truth_name = shipped.LOG_FILES["wholesale"][0], shipped.TRUTH_FILES["wholesale"][0]
    folder = ROOT / "data" / "transactions"
    # the CSV text, not the compressed bytes: another zlib (zlib-ng) compresses differently
    regenerated = gzip.decompress((tmp_path / "log.csv.gz").read_bytes())
    assert regenerated == gzip.decompress((folder / log_name).read_bytes())
    assert (tmp_path / "truth.csv").read_bytes() == (folder / truth_name).read_bytes()
    pd.testing.assert_frame_equal(load_transactions("wholesale"), wholesale.log)
    pd.testing.assert_frame_equal(load_transaction_truth("wholesale"), wholesale.truth)


def test_the_shipped_population_has_the_layout_and_the_first_rows():
    log = load_transactions("simulated")
    truth = load_transaction_truth("simulated")
    assert tuple(log.columns) == TRANSACTION_COLUMNS and 280_000 < len(log) < 350_000
    assert len(truth) == 50_000 and truth["Customer ID"].is_unique
    assert log["InvoiceDate"].between("2024-01-01", "2025-12-31 23:59").all()
    assert log["Customer ID"].dropna().isin(truth["Customer ID"]).all()


def test_a_changed_shipped_file_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "wholesale_truth.csv"
    original = shipped.transactions_path("wholesale_truth.csv").read_bytes()
    copy.write_bytes(original.replace(b"10001", b"10002", 1))
    monkeypatch.setattr(shipped, "transactions_path", lambda filename: copy)
    with pytest.raises(CourseDataChanged, match="has been changed"):
        load_transaction_truth("wholesale")
    assert len(load_transaction_truth("wholesale", verify=False)) == 440
    with pytest.raises(ValueError, match="use one of"):
        load_transactions("online_retail")


def test_parameters_are_one_frozen_dataclass():
    params = TransactionParams()
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.r = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="start before end"):
        simulate_transactions(10, start="2025-01-01", end="2024-01-01")
