"""The simulated customers: the recipe is the course data's, the rows do not depend on how
they are written, and writing holds one chunk at a time."""

import os
import tracemalloc

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from segmentation.data import simulate
from segmentation.data.reader import read_customer_csv
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import load_customers
from segmentation.data.simulate import (
    BLOCK_ROWS,
    SEGMENTS,
    SIMULATED_COLUMNS,
    simulate_customers,
    write_customers_csv,
    write_customers_parquet,
)
from segmentation.model.pipeline import SegmentationModel

fastparquet = simulate.fastparquet_module()

SPENDING = list(SPENDING_COLUMNS)


@pytest.fixture(scope="module")
def course():
    customers = load_customers()
    model = SegmentationModel(3, evaluate=False).fit(customers)
    return customers, model.predict(customers)["segment"].to_numpy()


@pytest.fixture(scope="module")
def many():
    return simulate_customers(300_000, seed=0, segments=True)


def read_parquet(path):
    return fastparquet.ParquetFile(str(path)).to_pandas()


# --- the recipe is the course data's ------------------------------------------------------------


def test_the_stored_recipe_is_measured_on_the_course_segments(course):
    customers, labels = course
    log = np.log1p(customers[SPENDING].to_numpy(float))
    for j, recipe in enumerate(SEGMENTS):
        mine = labels == j
        assert recipe.customers == mine.sum()
        assert recipe.retail == (customers["Channel"][mine] == "Retail").sum()
        regions = customers["Region"][mine].value_counts()
        assert recipe.regions == tuple(int(regions[r]) for r in ("Lisbon", "Oporto", "Other"))
        np.testing.assert_allclose(recipe.mean, log[mine].mean(axis=0), atol=0.0005)
        factor = np.linalg.cholesky(np.cov(log[mine], rowvar=False))
        stored = np.zeros((6, 6))
        for row, values in enumerate(recipe.cholesky):
            stored[row, : len(values)] = values
        np.testing.assert_allclose(stored, factor, atol=0.0005)


def test_segment_shares_and_channel_mix_are_the_course_ones(many):
    total = sum(s.customers for s in SEGMENTS)
    shares = many["segment"].value_counts(normalize=True).sort_index()
    np.testing.assert_allclose(shares, [s.customers / total for s in SEGMENTS], atol=0.005)
    retail = (many["Channel"] == 2).groupby(many["segment"]).mean()
    np.testing.assert_allclose(retail, [s.retail / s.customers for s in SEGMENTS], atol=0.01)
    lisbon = (many["Region"] == 1).groupby(many["segment"]).mean()
    np.testing.assert_allclose(lisbon, [s.regions[0] / s.customers for s in SEGMENTS], atol=0.01)


def test_within_a_segment_log_spending_has_the_recipe_mean_and_spread(many):
    for j, recipe in enumerate(SEGMENTS):
        log = np.log1p(many.loc[many["segment"] == j, SPENDING].to_numpy(float))
        np.testing.assert_allclose(np.median(log, axis=0), recipe.mean, atol=0.03)
        factor = np.zeros((6, 6))
        for row, values in enumerate(recipe.cholesky):
            factor[row, : len(values)] = values
        np.testing.assert_allclose(np.cov(log, rowvar=False), factor @ factor.T, atol=0.05)


def test_each_column_median_is_near_the_course_one(course, many):
    customers, _ = course
    ratio = many[SPENDING].median() / customers[SPENDING].median()
    assert ratio.between(0.8, 1.25).all(), ratio.round(2).to_dict()


def test_the_course_k_means_finds_the_same_three_kinds_of_segment(many):
    sample = many.head(20_000)
    model = SegmentationModel(3, evaluate=False, n_init=3).fit(sample[list(SIMULATED_COLUMNS)])
    names = [segment.name.split(":")[0] for segment in model.segments]
    assert names == [
        "large, broad basket",
        "medium, detergents and grocery",
        "small, frozen and fresh",
    ]
    found = model.predict(sample[list(SIMULATED_COLUMNS)])["segment"]
    # The segments overlap, as in the course data: most customers, not all, are recovered.
    assert adjusted_rand_score(sample["segment"], found) > 0.6
    assert (found == sample["segment"]).mean() > 0.8


# --- the table ----------------------------------------------------------------------------------


def test_the_table_has_the_course_file_layout_and_valid_values():
    table = simulate_customers(5_000, seed=3)
    assert table.columns.tolist() == ["Channel", "Region", *SPENDING]
    assert (table.dtypes == "int64").all()
    assert table.index.tolist() == list(range(5_000))
    assert set(table["Channel"]) == {1, 2} and set(table["Region"]) == {1, 2, 3}
    assert (table[SPENDING] >= 0).all().all()


def test_a_seed_gives_the_same_customers_and_another_seed_others():
    assert simulate_customers(1_000, seed=7).equals(simulate_customers(1_000, seed=7))
    assert not simulate_customers(1_000, seed=7).equals(simulate_customers(1_000, seed=8))


def test_the_first_customers_do_not_depend_on_how_many_are_drawn():
    large = simulate_customers(2 * BLOCK_ROWS + 10, seed=1)
    for n in (0, 1, BLOCK_ROWS - 1, BLOCK_ROWS, BLOCK_ROWS + 1):
        assert simulate_customers(n, seed=1).equals(large.head(n))


def test_each_block_is_drawn_from_its_own_spawned_seed():
    # Block b's generator is the b-th child of SeedSequence(seed): its first draw (the
    # segment of each customer, by inverse CDF) can be repeated from the spawned child alone.
    child = np.random.SeedSequence(5).spawn(3)[2]
    uniform = np.random.default_rng(child).random(BLOCK_ROWS)[:50]
    counts = np.array([s.customers for s in SEGMENTS])
    expected = np.searchsorted(np.cumsum(counts)[:-1] / counts.sum(), uniform)
    table = simulate_customers(2 * BLOCK_ROWS + 50, seed=5, segments=True)
    assert table["segment"].tail(50).tolist() == expected.tolist()


@pytest.mark.parametrize(
    ("n", "seed", "phrase"),
    [
        (-1, 0, "n must be a whole number"),
        (2.5, 0, "n must be a whole number"),
        (True, 0, "n must be a whole number"),
        ("10", 0, "n must be a whole number"),
        (10, -1, "seed must be a whole number"),
        (10, None, "seed must be a whole number"),
    ],
)
def test_bad_counts_and_seeds_are_refused_with_a_message(n, seed, phrase):
    with pytest.raises(ValueError, match=phrase):
        simulate_customers(n, seed=seed)


# --- the files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [70_000, BLOCK_ROWS, 1_000_000])
def test_the_parquet_rows_are_the_same_whatever_the_chunk(tmp_path, chunk):
    n = 2 * BLOCK_ROWS + 12_345
    path = write_customers_parquet(tmp_path / "c.parquet", n, seed=2, chunk=chunk)
    written = fastparquet.ParquetFile(str(path))
    assert len(written.row_groups) == -(-n // chunk)
    table = written.to_pandas()
    assert table.equals(simulate_customers(n, seed=2).reset_index(drop=True))


def test_each_chunk_reports_a_line(tmp_path):
    lines = []
    write_customers_parquet(tmp_path / "c.parquet", 25_000, chunk=10_000, progress=lines.append)
    assert lines == [
        f"simulated customers: {done} of 25,000 written to c.parquet"
        for done in ("10,000", "20,000", "25,000")
    ]


def test_progress_true_prints_to_standard_error(tmp_path, capsys):
    write_customers_parquet(tmp_path / "c.parquet", 10, progress=True)
    assert "simulated customers: 10 of 10" in capsys.readouterr().err


def test_no_customers_make_an_empty_file_with_the_columns(tmp_path):
    table = read_parquet(write_customers_parquet(tmp_path / "c.parquet", 0))
    assert table.columns.tolist() == list(SIMULATED_COLUMNS) and len(table) == 0


def test_a_failure_midway_leaves_no_file_behind(tmp_path, monkeypatch):
    rows = simulate._rows
    calls = []

    def failing(start, stop, seed, **kwargs):
        calls.append(start)
        if len(calls) == 2:
            raise OSError("disk full")
        return rows(start, stop, seed, **kwargs)

    monkeypatch.setattr(simulate, "_rows", failing)
    target = tmp_path / "c.parquet"
    target.write_bytes(b"old")
    with pytest.raises(OSError, match="disk full"):
        write_customers_parquet(target, 30_000, chunk=10_000)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["c.parquet"]


def test_writing_holds_one_chunk_not_the_whole_table(tmp_path):
    """The peak memory Python allocates grows with the chunk, not with n."""

    def peak(n, chunk):
        tracemalloc.start()
        write_customers_parquet(tmp_path / "c.parquet", n, chunk=chunk)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    small_chunks = peak(8 * BLOCK_ROWS, BLOCK_ROWS)
    one_chunk = peak(8 * BLOCK_ROWS, 8 * BLOCK_ROWS)
    table = BLOCK_ROWS * len(SIMULATED_COLUMNS) * 8  # one block of int64
    assert small_chunks < 6 * table < one_chunk


def test_the_csv_file_is_the_same_customers_in_the_course_layout(tmp_path):
    path = write_customers_csv(tmp_path / "c.csv", 1_500, seed=4, chunk=1_000)
    assert path.read_text().splitlines()[0] == ",".join(SIMULATED_COLUMNS)
    read = read_customer_csv(path, require_labels=True)
    expected = simulate_customers(1_500, seed=4)
    np.testing.assert_array_equal(read[SPENDING].to_numpy(), expected[SPENDING].to_numpy())
    channel = read["Channel"].astype(str).map({"Horeca": 1, "Retail": 2})
    assert channel.tolist() == expected["Channel"].tolist()


@pytest.mark.parametrize("chunk", [0, -5, 1.5])
def test_a_bad_chunk_is_refused(tmp_path, chunk):
    with pytest.raises(ValueError, match="chunk must be"):
        write_customers_parquet(tmp_path / "c.parquet", 10, chunk=chunk)
    assert list(tmp_path.iterdir()) == []


def test_the_file_gets_the_permissions_of_a_new_file(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    path = write_customers_parquet(tmp_path / "c.parquet", 10)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("name", ["c.csv", "c.parquet"])
def test_the_estimated_size_is_near_the_size_written(tmp_path, name):
    # Measured on 10,000 customers, extrapolated to 40,000: a second write is the oracle.
    estimate = simulate.estimated_size(tmp_path / name, 40_000, seed=2)
    if name.endswith(".csv"):
        written = simulate.write_customers_csv(tmp_path / name, 40_000, seed=2)
    else:
        written = simulate.write_customers_parquet(tmp_path / name, 40_000, seed=2)
    assert 0.85 < estimate / written.stat().st_size < 1.15
    assert simulate.estimated_size(tmp_path / name, 0) == 0


def test_free_space_is_that_of_the_nearest_existing_folder(tmp_path):
    import shutil

    assert simulate.free_space(tmp_path / "no" / "such" / "c.parquet") > 0
    assert abs(simulate.free_space(tmp_path / "c.csv") - shutil.disk_usage(tmp_path).free) < 10**8


def test_simulate_refuses_an_n_that_would_not_fit_with_the_numbers(tmp_path, capsys, monkeypatch):
    from segmentation.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(simulate, "free_space", lambda path: 5 * 10**9)
    assert main(["simulate", "1000000000000", "-o", "h.parquet"]) == 2
    err = capsys.readouterr().err
    assert "1,000,000,000,000 customers would take about" in err and " TB " in err
    assert "5.0 GB free" in err
    assert list(tmp_path.iterdir()) == []


def test_parquet_through_a_symbolic_link_replaces_the_linked_file_and_keeps_the_link(tmp_path):
    """The Parquet writer follows the course's rule for outputs (data/output.py), as the CSV
    writer does: the file a link points to is replaced, the link stays."""
    real = tmp_path / "real.parquet"
    real.write_bytes(b"old")
    link = tmp_path / "link.parquet"
    link.symlink_to(real)
    write_customers_parquet(link, 10, seed=0)
    assert link.is_symlink() and real.read_bytes()[:4] == b"PAR1"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
