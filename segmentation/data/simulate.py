"""SIMULATED customers in the course layout, as many as wanted, resembling the course data.

The recipe, fitted once to the 440 course customers and stored below (rounded, so that a
seed gives the same customers on every machine):

- the customers of the course's three segments (``SegmentationModel(k=3)`` on the log of
  spending, numbered canonically: 0 spends most) are a mixture, in the shares of the course
  data (143, 82 and 215 of 440);
- within a segment, the six ``log(1 + spending)`` values are drawn from a multivariate
  normal with the segment's mean and covariance (stored as its Cholesky factor);
  spending is ``exp(x) - 1`` rounded to whole m.u., and 0 below that;
- Channel (1 Horeca, 2 Retail) and Region (1 Lisbon, 2 Oporto, 3 Other) are drawn from
  the segment's own mix in the course data, independently of spending within a segment.

So the segments, the channel mix per segment and the shape of each spending column are the
course's; what a mixture of normals on the log scale cannot copy is the few customers who
buy almost nothing (3 m.u.) in one category, and each column's longest tail.

Rows come in fixed blocks of :data:`BLOCK_ROWS`. Block ``b`` is drawn from its own
generator, seeded with ``numpy.random.SeedSequence(seed).spawn(b + 1)[b]``, in a fixed
order, always whole; so the first ``n`` customers are the same for every ``n`` and for
every chunk size in which they are written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from segmentation.data.schema import LABEL_COLUMNS, SPENDING_COLUMNS

#: The columns of a simulated table: the course file's layout (codes, then spending).
SIMULATED_COLUMNS: tuple[str, ...] = (*LABEL_COLUMNS, *SPENDING_COLUMNS)

#: The rows drawn from one seed: fixed, so that the chunk size never changes the rows.
BLOCK_ROWS = 100_000


class SimulatedSegment(NamedTuple):
    """One segment of the recipe, as counted and measured in the course data."""

    customers: int  #: customers of the segment in the course data (of 440)
    retail: int  #: of them, in the Retail channel
    regions: tuple[int, int, int]  #: of them, in Lisbon, Oporto and Other
    mean: tuple[float, ...]  #: mean log(1 + spending), in the order of SPENDING_COLUMNS
    cholesky: tuple[tuple[float, ...], ...]  #: lower Cholesky factor of the covariance, by row


#: The recipe: the course's three segments, each fitted to its customers.
SEGMENTS: tuple[SimulatedSegment, ...] = (
    SimulatedSegment(
        143,
        89,
        (23, 11, 109),
        (9.336, 8.996, 9.273, 7.731, 7.964, 7.559),
        (
            (0.967,),
            (-0.113, 0.697),
            (-0.089, 0.428, 0.507),
            (0.291, 0.122, -0.298, 1.001),
            (-0.379, 0.472, 0.587, -0.225, 0.739),
            (0.106, 0.149, -0.049, 0.125, -0.177, 0.794),
        ),
    ),
    SimulatedSegment(
        82,
        50,
        (14, 10, 58),
        (7.034, 8.625, 9.194, 5.859, 8.132, 5.795),
        (
            (1.721,),
            (0.068, 0.741),
            (-0.061, 0.377, 0.587),
            (-0.038, 0.076, -0.15, 1.077),
            (0.07, 0.458, 0.771, 0.059, 0.71),
            (-0.035, 0.396, 0.177, -0.213, 0.324, 1.521),
        ),
    ),
    SimulatedSegment(
        215,
        3,
        (40, 26, 149),
        (8.98, 7.348, 7.603, 7.569, 5.501, 6.415),
        (
            (1.133,),
            (0.111, 0.796),
            (0.012, 0.355, 0.735),
            (0.135, 0.01, 0.029, 1.058),
            (0.087, 0.3, 0.388, 0.072, 1.046),
            (0.081, 0.317, 0.03, 0.139, -0.037, 0.971),
        ),
    ),
)


def _factor(segment: SimulatedSegment) -> np.ndarray:
    factor = np.zeros((len(SPENDING_COLUMNS), len(SPENDING_COLUMNS)))
    for row, values in enumerate(segment.cholesky):
        factor[row, : len(values)] = values
    return factor


def _block(seed: int, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Block ``block`` of the customers of ``seed``: their segments (0, 1, 2) and the
    columns of :data:`SIMULATED_COLUMNS` (int64, BLOCK_ROWS x 8)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    counts = np.array([s.customers for s in SEGMENTS], dtype=float)
    segment = np.searchsorted(np.cumsum(counts / counts.sum())[:-1], rng.random(BLOCK_ROWS))
    normal = rng.standard_normal((BLOCK_ROWS, len(SPENDING_COLUMNS)))
    log = np.empty_like(normal)
    for j, recipe in enumerate(SEGMENTS):
        rows = segment == j
        log[rows] = np.asarray(recipe.mean) + normal[rows] @ _factor(recipe).T
    del normal
    retail = np.array([s.retail / s.customers for s in SEGMENTS])
    region = np.cumsum([np.array(s.regions) / s.customers for s in SEGMENTS], axis=1)
    table = np.empty((BLOCK_ROWS, len(SIMULATED_COLUMNS)), dtype=np.int64)
    table[:, 0] = np.where(rng.random(BLOCK_ROWS) < retail[segment], 2, 1)
    where = rng.random(BLOCK_ROWS)
    table[:, 1] = 1 + (where >= region[segment, 0]) + (where >= region[segment, 1])
    table[:, 2:] = np.maximum(np.rint(np.expm1(log)), 0)
    return segment, table


def _check_count(n: object, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"{name} must be a whole number of customers, 0 or more; got {n!r}.")
    return int(n)


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a whole number, 0 or more; got {seed!r}.")
    return int(seed)


def _rows(start: int, stop: int, seed: int, *, segments: bool = False) -> pd.DataFrame:
    """Customers ``start`` to ``stop - 1`` of ``seed`` (with their segment, if asked).

    The blocks are copied into one column-major table as they are drawn, so that the memory
    is the table and one block, and each column is contiguous for the Parquet writer."""
    table = np.empty((stop - start, len(SIMULATED_COLUMNS)), dtype=np.int64, order="F")
    labels = np.empty(stop - start, dtype=np.int64)
    for block in range(start // BLOCK_ROWS, -(-stop // BLOCK_ROWS)):
        low = block * BLOCK_ROWS
        take = slice(max(start, low) - low, min(stop, low + BLOCK_ROWS) - low)
        into = slice(max(start, low) - start, min(stop, low + BLOCK_ROWS) - start)
        segment, drawn = _block(seed, block)
        table[into], labels[into] = drawn[take], segment[take]
    frame = pd.DataFrame(
        table, columns=list(SIMULATED_COLUMNS), index=range(start, stop), copy=False
    )
    if segments:
        frame["segment"] = labels
    return frame


def simulate_customers(n: int, *, seed: int = 0, segments: bool = False) -> pd.DataFrame:
    """``n`` simulated customers in the course file's layout (see the module's recipe).

    Parameters
    ----------
    n
        How many customers. The table takes 64 bytes a customer: beyond a few million, write
        them to a file with :func:`write_customers_parquet` instead.
    seed
        The seed; the same ``n`` and ``seed`` give the same table on every machine, and the
        first ``n`` customers of a larger table are this one.
    segments
        Add a ``segment`` column: the recipe segment each customer was drawn from.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SIMULATED_COLUMNS` as int64 (Channel 1 Horeca / 2 Retail, Region
        1 Lisbon / 2 Oporto / 3 Other, six spending columns in m.u.), index 0 to n - 1.

    Examples
    --------
    >>> simulate_customers(3).columns.tolist()[:3]
    ['Channel', 'Region', 'Fresh']
    >>> simulate_customers(1000, seed=1).equals(simulate_customers(2000, seed=1).head(1000))
    True
    """
    return _rows(0, _check_count(n), _check_seed(seed), segments=segments)


def _check_chunk(chunk: object) -> int:
    if _check_count(chunk, "chunk") == 0:
        raise ValueError("chunk must be 1 or more customers; got 0.")
    return int(chunk)  # type: ignore[call-overload]


def fastparquet_module() -> Any:
    """fastparquet, imported without the deprecation warning it gives under pandas 3 (it asks
    pandas for an option pandas is retiring): a warning about a library, not about the data."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*future.infer_string", category=Warning)
        import fastparquet
    return fastparquet


def _chunks(
    name: str, n: int, seed: int, chunk: int, progress: bool | Callable[[str], None]
) -> Iterator[pd.DataFrame]:
    """The customers of a file, ``chunk`` at a time (at least one table, maybe empty), each
    reported once it has been written (when the next one is asked for). The caller drops
    each table before asking for the next, so that one chunk is in memory at a time."""
    from segmentation.transactions.generate import reporter

    report = reporter(progress)
    for start in range(0, max(n, 1), chunk):
        stop = min(start + chunk, n)
        yield _rows(start, stop, seed)
        report(f"simulated customers: {stop:,} of {n:,} written to {name}")


def write_customers_parquet(
    path: str | os.PathLike[str],
    n: int,
    *,
    seed: int = 0,
    chunk: int = 1_000_000,
    progress: bool | Callable[[str], None] = False,
) -> Path:
    """Write ``n`` simulated customers (:func:`simulate_customers`) to a Parquet file, one
    row group per ``chunk`` customers, holding only one chunk in memory at a time.

    The file appears whole or not at all: it is written beside the target under a temporary
    name and renamed at the end. Compressed with Snappy (by fastparquet; Spark and pandas
    read it). ``progress``: True prints a line per chunk to standard error, a callable
    receives the lines, False is silent. Returns the path written.
    """
    from segmentation.data.output import atomic_path

    fastparquet = fastparquet_module()
    n, seed, chunk = _check_count(n), _check_seed(seed), _check_chunk(chunk)
    target = Path(path)
    with atomic_path(target) as temporary:
        append = False  # (not enumerate: its cached tuple would keep the last chunk alive)
        for table in _chunks(target.name, n, seed, chunk, progress):
            options = {"compression": "SNAPPY", "write_index": False, "append": append}
            fastparquet.write(str(temporary), table, **options)
            append = True
            del table
    return target


def write_customers_csv(
    path: str | os.PathLike[str],
    n: int,
    *,
    seed: int = 0,
    chunk: int = 1_000_000,
    progress: bool | Callable[[str], None] = False,
) -> Path:
    """:func:`write_customers_parquet`, as a CSV file in the course file's layout (which
    ``segmentation validate`` and ``fit`` read): the same customers, one chunk at a time."""
    from segmentation.data.output import atomic_output

    n, seed, chunk = _check_count(n), _check_seed(seed), _check_chunk(chunk)
    with atomic_output(path) as out:
        out.write((",".join(SIMULATED_COLUMNS) + "\n").encode())
        for table in _chunks(Path(path).name, n, seed, chunk, progress):
            out.write(table.to_csv(index=False, header=False).encode())
            del table
    return Path(path)


#: Customers written to measure how many bytes a customer takes in a file format.
SIZE_SAMPLE_ROWS = 10_000


def estimated_size(path: str | os.PathLike[str], n: int, *, seed: int = 0) -> int:
    """About how many bytes ``n`` simulated customers take in ``path``'s format (Parquet if
    its name ends in .parquet, else CSV): the bytes per customer of a sample of up to
    :data:`SIZE_SAMPLE_ROWS`, written to a temporary file, times ``n``."""
    n, seed = _check_count(n), _check_seed(seed)
    sample = min(n, SIZE_SAMPLE_ROWS)
    if sample == 0:
        return 0
    parquet = Path(path).suffix.lower() == ".parquet"
    write = write_customers_parquet if parquet else write_customers_csv
    with tempfile.TemporaryDirectory() as folder:
        measured = write(Path(folder) / f"sample{'.parquet' if parquet else '.csv'}", sample)
        size = measured.stat().st_size
    return -(-size * n // sample)


def free_space(path: str | os.PathLike[str]) -> int:
    """The free bytes of the file system that ``path`` would be written to (that of its
    nearest existing folder)."""
    folder = Path(path).absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free
