"""Small made-up data sets on which a strength or a weakness of k-means shows (notebook 4).

Each returns ``(X, true group)``.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_blobs, make_moons


def moons(random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles: clusters that are not round. Returns (X, true group)."""
    return make_moons(n_samples=300, noise=0.06, random_state=random_state)


def unequal_groups(random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A large, wide group beside a small, tight one. Returns (X, true group)."""
    return make_blobs(
        n_samples=[500, 30],
        centers=[[0.0, 0.0], [4.5, 0.0]],
        cluster_std=[1.5, 0.3],
        random_state=random_state,
    )


def groups_with_outliers(random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three tight groups and three far-away points (group 3). Returns (X, true group)."""
    X, y = make_blobs(
        n_samples=150,
        centers=[[0, 0], [5, 0], [2.5, 4]],
        cluster_std=0.6,
        random_state=random_state,
    )
    far = np.array([[40.0, 40.0], [42.0, 38.0], [41.0, 41.0]])
    return np.vstack([X, far]), np.concatenate([y, [3, 3, 3]])


def unscaled_groups(random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two groups told apart by the second feature, while the first feature, which says
    nothing about the groups, spreads far wider (standard deviation 1,000 against 0.5 within
    each group, or about 2.5 across both, the gap between the groups included). Returns
    (X, true group)."""
    rng = np.random.default_rng(random_state)
    group = np.repeat([0, 1], 150)
    first = rng.normal(scale=1000.0, size=300)
    second = 5.0 * group + rng.normal(scale=0.5, size=300)
    return np.column_stack([first, second]), group


def groups_with_noise(random_state: int = 0, noise: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Three tight groups of 50 points in the middle of a wide square (side 32) that holds
    ``noise`` points of uniform background noise. Returns (X, true group), the group being -1
    for a noise point; ``X[truth >= 0]`` is the same three groups without the noise."""
    X, y = make_blobs(
        n_samples=150,
        centers=[[0.0, 0.0], [4.0, 0.0], [2.0, 3.5]],
        cluster_std=0.6,
        random_state=random_state,
    )
    rng = np.random.default_rng(random_state)
    middle = np.array([2.0, 1.2])
    background = middle + rng.uniform(-16.0, 16.0, size=(noise, 2))
    return np.vstack([X, background]), np.concatenate([y, np.full(noise, -1)])
