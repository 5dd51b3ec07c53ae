"""The same printed figures on every lab machine.

CPUs add numbers up in different orders (AVX-512 against AVX2 kernels, BLAS block sizes), so a
value computed on two machines can differ in its last bits. Everything the course prints or
stores must survive that: these tests repeat the notebooks' fits on data nudged by one unit in
the last place, with the data summed in other block sizes, and in a child process with NumPy's
widest vector paths and OpenBLAS's newest kernels switched off, and check that every printed
figure is unchanged.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from segmentation.cluster.choosing import segment_with_k
from segmentation.cluster.kmeans import KMeans
from segmentation.cluster.numbering import number_segments
from segmentation.model.pipeline import SegmentationModel
from segmentation.preprocessing.spending import log_spending, total_spending

KS = range(1, 11)


def nudged(values: np.ndarray, seed: int) -> np.ndarray:
    """Each value moved by one unit in the last place, up or down at random."""
    direction = np.where(np.random.default_rng(seed).random(values.shape) < 0.5, -np.inf, np.inf)
    return np.nextafter(values, direction)


def printed(X: np.ndarray, totals: np.ndarray) -> dict:
    """What the notebooks print of a scan over k: each summary line, and the labels."""
    results = [segment_with_k(X, k, totals=totals) for k in KS]
    return {
        "summaries": [r.summary() for r in results],
        "labels": [r.labels.tolist() for r in results],
    }


@pytest.fixture(scope="module")
def course(customers):
    X = StandardScaler().fit_transform(log_spending(customers))
    totals = total_spending(customers).to_numpy()
    return X, totals, printed(X, totals)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_one_ulp_nudge_changes_nothing_printed(course, seed):
    X, totals, expected = course
    assert printed(nudged(X, seed), totals) == expected


@pytest.mark.parametrize("chunk_size", [1, 7, 100])
def test_summing_in_other_blocks_changes_nothing_printed(course, monkeypatch, chunk_size):
    X, totals, expected = course
    monkeypatch.setitem(KMeans.__init__.__kwdefaults__, "chunk_size", chunk_size)
    assert printed(X, totals) == expected


def model_figures(model: SegmentationModel) -> dict:
    """What notebook 5 and `segmentation fit` print of a model."""
    return {
        "names": model.names,
        "describe": model.describe().to_string(),
        "evaluation": model.evaluation.table().to_string(),
        "centres": np.round(model.centres, 2).tolist(),
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_the_model_prints_the_same_from_nudged_spending(customers, seed):
    expected = model_figures(SegmentationModel(k=3).fit(customers))
    moved = customers.copy()
    columns = list(log_spending(customers).columns)
    moved[columns] = nudged(customers[columns].to_numpy(dtype=float), seed)
    assert model_figures(SegmentationModel(k=3).fit(moved)) == expected


def test_equal_partitions_get_equal_numbers_whatever_the_start():
    # The same two clusters, found with their labels swapped, are numbered alike.
    totals = np.array([5.0, 6.0, 50.0, 60.0])
    a, _ = number_segments(np.array([0, 0, 1, 1]), totals)
    b, _ = number_segments(np.array([1, 1, 0, 0]), totals)
    assert a.tolist() == b.tolist() == [1, 1, 0, 0]


def test_near_equal_means_are_ordered_by_their_first_customer():
    # Means 10 and 10 * (1 + 1e-12) count as equal: the segment whose first customer comes
    # first is numbered first, whichever mean is larger in the last bits.
    for bump in (1e-12, -1e-12):
        totals = np.array([10.0, 10.0 * (1 + bump), 3.0])
        labels, _ = number_segments(np.array([1, 0, 2]), totals)
        assert labels.tolist() == [0, 1, 2]


def test_restarts_within_the_tie_tolerance_keep_the_first(monkeypatch):
    # Two clusters far apart: every start ends in the same partition, with J equal up to the
    # last bits; the first start is kept, so the labels do not depend on those bits.
    X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]] * 5)
    fit = KMeans(2, init="random", n_init=8, random_state=3).fit(X)
    first = KMeans(2, init="random", n_init=1, random_state=3).fit(X)
    assert np.ptp(fit.inertia_per_init_) <= 1e-9 * fit.inertia_
    np.testing.assert_array_equal(fit.labels_, first.labels_)


SCRIPT = textwrap.dedent("""
    import json
    from sklearn.preprocessing import StandardScaler
    from segmentation.data.shipped import load_customers
    from segmentation.preprocessing.spending import log_spending, total_spending
    from segmentation.model.pipeline import SegmentationModel
    from segmentation.cluster.choosing import segment_with_k
    customers = load_customers()
    X = StandardScaler().fit_transform(log_spending(customers))
    totals = total_spending(customers).to_numpy()
    model = SegmentationModel(k=3).fit(customers)
    print(json.dumps({
        "summaries": [segment_with_k(X, k, totals=totals).summary() for k in range(1, 11)],
        "names": model.names,
        "evaluation": model.evaluation.table().to_string(),
    }))
""")


def run_script(extra_env: dict) -> dict:
    env = {**os.environ, **extra_env}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout)


def test_other_cpu_kernels_print_the_same():
    """On a CPU with AVX-512, these variables make NumPy and OpenBLAS take the paths of an
    older CPU (elsewhere they change little): the figures must not change."""
    older = {
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
        "OPENBLAS_CORETYPE": "Haswell",
    }
    assert run_script(older) == run_script({})
