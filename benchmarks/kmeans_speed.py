"""Time the course's k-means against scikit-learn's Lloyd k-means, in one run.

Both start from the same initial centres and make the same number of iterations on the same
data (by default 1,000,000 customers x 8 features, float64, k = 8). Prints the time per
iteration of each, their ratio, and the extra memory our fit needs beyond the data.

    python benchmarks/kmeans_speed.py            # the measurement of record
    python benchmarks/kmeans_speed.py --rows 20000 --repeats 1   # a quick look

Exits 1 when the ratio is above 3.0 or the extra memory is 100 MB or more.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc

import numpy as np
from sklearn.cluster import KMeans as ReferenceKMeans

from segmentation.cluster.kmeans import KMeans

MAX_RATIO = 3.0
MAX_EXTRA_MB = 100.0


def make_data(rows: int, features: int, k: int, seed: int = 0) -> np.ndarray:
    """k overlapping Gaussian blobs, so that Lloyd's iterations take a while to settle."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(k, features))
    return centres[rng.integers(k, size=rows)] + rng.normal(size=(rows, features))


def best_time(fit, repeats: int) -> tuple[float, object]:
    times, model = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - start)
    return min(times), model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    X = make_data(args.rows, args.features, args.k)
    start = X[np.random.default_rng(1).choice(len(X), args.k, replace=False)]

    def reference():
        return ReferenceKMeans(
            args.k, init=start, n_init=1, max_iter=args.iterations, tol=0, algorithm="lloyd"
        ).fit(X)

    reference_time, reference_model = best_time(reference, args.repeats)
    iterations = reference_model.n_iter_

    def ours():
        return KMeans(args.k, init=start, n_init=1, max_iter=iterations, tol=0).fit(X)

    our_time, our_model = best_time(ours, args.repeats)
    if our_model.n_iter_ != iterations:
        print(
            f"the fits made different numbers of iterations: {our_model.n_iter_} and {iterations}"
        )
        return 1

    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    ours()
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()

    per_ours = our_time / iterations * 1000
    per_reference = reference_time / iterations * 1000
    ratio = per_ours / per_reference
    extra_mb = peak / 2**20
    same = float(np.mean(our_model.labels_ == reference_model.labels_))
    relative = abs(our_model.inertia_ / reference_model.inertia_ - 1)

    print(
        f"data: {args.rows:,} x {args.features} float64 ({X.nbytes / 2**20:.0f} MB), "
        f"k = {args.k}, {iterations} iterations, best of {args.repeats}"
    )
    print(f"scikit-learn Lloyd: {per_reference:8.2f} ms per iteration")
    print(f"segmentation:       {per_ours:8.2f} ms per iteration")
    print(f"ratio:              {ratio:8.2f}   (target <= {MAX_RATIO})")
    print(f"peak extra memory:  {extra_mb:8.1f} MB (target < {MAX_EXTRA_MB:.0f} MB)")
    print(f"same assignments:   {same:.6%}; J differs by {relative:.1e} (relative)")
    within = ratio <= MAX_RATIO and extra_mb < MAX_EXTRA_MB
    print("within target" if within else "OUT OF TARGET")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
