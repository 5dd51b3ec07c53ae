"""When to retrain: retraining policies compared on a simulated stream, and how soon each
drift monitor notices a known change.

Every policy starts from the same model, a
:class:`~segmentation.model.pipeline.SegmentationModel` fitted on ``stream.reference``, and
keeps its scaling: the policies differ only in when the centres change.

- ``"never"``: the centres of the start model, all year;
- ``"monthly"`` / ``"quarterly"``: refit k-means on the latest month, every 1 / 3 months;
- ``"incremental"``: :meth:`KMeans.partial_fit
  <segmentation.cluster.kmeans.KMeans.partial_fit>` on each month (forgetting
  :data:`FORGETTING`);
- ``"on_alarm"``: refit on a month whose drift report (a
  :class:`~segmentation.monitor.drift.DriftMonitor` of the policy's model and reference)
  drifted, and take that month as the new reference.

Each month's batch is segmented by the model in place when it arrives (what the policy
learnt from the months before); the policy then learns from the batch, for the months after.
Its J on the batch is set against the J of an oracle, k-means refitted on that very batch.

Churn is the share of the customers present last month and this month whose segment changed.
A refit numbers its clusters in its own way, so its centres are first matched to the previous
model's (``scipy.optimize.linear_sum_assignment`` on the distances between centres, as
:func:`~segmentation.monitor.drift.centre_movement` does): a mere renumbering is not churn.

Compute is counted without clocks, the same on every machine: the customers passed to a fit
times its starts (``n_init``), plus the customers passed to ``partial_fit``. The start model,
common to all, is not counted.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from segmentation.cluster.kmeans import KMeans
from segmentation.model.pipeline import SegmentationModel
from segmentation.monitor.drift import DriftMonitor, centre_movement
from segmentation.monitor.stream import CHANGES, MONTHS, PANEL, Stream, simulate_stream

POLICIES = ("never", "monthly", "quarterly", "incremental", "on_alarm")
#: Forgetting of the "incremental" policy: it remembers about 1 / (1 - 0.5) = 2 months, so
#: that it follows a change within a few months (with 1, every month ever seen weighs the
#: same and the centres lag further behind each change).
FORGETTING = 0.5
#: Starts of every refit (and of the oracle), as SegmentationModel's default.
N_INIT = 10
#: The monitors of drift_report, and "any" (the report drifted).
MONITORS = (
    "psi",
    "ks_p_value",
    "share_psi",
    "share_p_value",
    "distance_ratio",
    "centre_movement",
    "any",
)
NOT_DETECTED = "not detected"
_DECIMALS = 3


@dataclass(frozen=True)
class PolicyRun:
    """One policy on one stream: ``months`` has one row per month (``month``, ``J``,
    ``oracle_J``, ``J_ratio``, ``churn``, ``refits``, ``alarm``); ``customers_fitted`` is
    the compute it spent (see the module's docstring)."""

    policy: str
    months: pd.DataFrame
    customers_fitted: int

    def summary(self) -> dict:
        """The policy's row of :func:`compare_policies`."""
        months = self.months
        return {
            "policy": self.policy,
            "mean_J_ratio": round(float(months["J_ratio"].mean()), _DECIMALS),
            "worst_J_ratio": round(float(months["J_ratio"].max()), _DECIMALS),
            "mean_churn": round(float(months["churn"].mean()), _DECIMALS),
            "refits": int(months["refits"].sum()),
            "customers_fitted": self.customers_fitted,
        }


@dataclass
class _Setting:
    """What every policy shares on one stream: the start model, each batch in its scaled
    space, and the oracle refit of each month."""

    start: SegmentationModel
    scaled: list[np.ndarray]
    oracle: list[KMeans]
    k: int
    seed: int


def _setting(stream: Stream, k: int, seed: int) -> _Setting:
    start = SegmentationModel(k, random_state=seed, n_init=N_INIT, evaluate=False)
    start.fit(stream.reference)
    scaled = [start.features_of(batch, f"month {m}") for m, batch in _numbered(stream)]
    oracle = [KMeans(k, random_state=seed, n_init=N_INIT).fit(X) for X in scaled]
    return _Setting(start, scaled, oracle, k, seed)


def _numbered(stream: Stream) -> list[tuple[int, pd.DataFrame]]:
    return list(enumerate(stream.batches, start=1))


def _with_centres(model: SegmentationModel, centres: np.ndarray) -> SegmentationModel:
    """A copy of ``model`` (same scaling) whose k-means has ``centres``."""
    changed = copy.copy(model)
    steps = [*model.pipeline_.steps[:-1], ("kmeans", KMeans.from_centres(centres))]
    changed.pipeline_ = Pipeline(steps)
    return changed


def _matched(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The new centres reordered so that new centre j is the one nearest old centre j."""
    return new[centre_movement(old, new).order]


def _labels_and_J(X: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, float]:
    model = KMeans.from_centres(centres)
    return model.predict(X), -model.score(X)


def _churn(previous: pd.Series, labels: np.ndarray, customers: pd.Series) -> float:
    """Share of the customers in both months whose segment changed."""
    now = pd.Series(labels, index=customers.to_numpy())
    both = previous.index.intersection(now.index)
    return float((previous[both] != now[both]).mean()) if len(both) else float("nan")


def _learn(policy: str, state: dict, setting: _Setting, month: int, batch: pd.DataFrame):
    """After month ``month`` is segmented: what the policy learns from it. Updates
    ``state`` and returns (refitted, alarm, customers fitted)."""
    X = setting.scaled[month - 1]
    if policy == "incremental":
        state["incremental"].partial_fit(X)
        state["centres"] = state["incremental"].cluster_centers_.copy()
        return False, False, len(X)
    alarm = False
    if policy == "on_alarm":
        # One monitor per model and reference, prepared when they change (at each refit).
        if state.get("monitor") is None:
            model = _with_centres(setting.start, state["centres"])
            state["monitor"] = DriftMonitor(model, state["reference"])
        alarm = state["monitor"].report(batch, scaled=X).drifted
    refit = (
        policy == "monthly"
        or (policy == "quarterly" and month % 3 == 0)
        or (policy == "on_alarm" and alarm)
    )
    if not refit:
        return False, alarm, 0
    # The refit is the oracle's fit of this month (same k, seed and starts).
    state["centres"] = _matched(state["centres"], setting.oracle[month - 1].cluster_centers_)
    state["reference"], state["monitor"] = batch, None
    return True, alarm, len(X) * N_INIT


def _run(stream: Stream, policy: str, setting: _Setting) -> PolicyRun:
    state = {"centres": setting.start.centres.copy(), "reference": stream.reference}
    fitted = 0
    if policy == "incremental":
        # Its counts start from the training customers (the start model's centres are their
        # means, so this pass leaves the centres where they are).
        X_ref = setting.start.features_of(stream.reference, "the reference customers")
        state["incremental"] = KMeans(
            setting.k, init=state["centres"], forgetting=FORGETTING
        ).partial_fit(X_ref)
        fitted += len(X_ref)
    labels, _ = _labels_and_J(setting.start.features_of(stream.reference), state["centres"])
    previous = pd.Series(labels, index=stream.reference["customer"].to_numpy())
    rows = []
    for month, batch in _numbered(stream):
        labels, J = _labels_and_J(setting.scaled[month - 1], state["centres"])
        oracle_J = setting.oracle[month - 1].inertia_
        churn = _churn(previous, labels, batch["customer"])
        previous = pd.Series(labels, index=batch["customer"].to_numpy())
        refit, alarm, spent = _learn(policy, state, setting, month, batch)
        fitted += spent
        rows.append((month, J, oracle_J, J / oracle_J, churn, int(refit), bool(alarm)))
    columns = ["month", "J", "oracle_J", "J_ratio", "churn", "refits", "alarm"]
    months = pd.DataFrame(rows, columns=columns).round(_DECIMALS)
    return PolicyRun(policy, months, fitted)


def run_policy(stream: Stream, policy: str, *, k: int = 3, seed: int = 0) -> PolicyRun:
    """Run one of :data:`POLICIES` over ``stream`` (see the module's docstring); k-means
    with ``k`` segments and seed ``seed`` for the start model, every refit and the oracle."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}: choose among {', '.join(POLICIES)}.")
    return _run(stream, policy, _setting(stream, k, seed))


def compare_policies(stream: Stream, *, k: int = 3, seed: int = 0) -> pd.DataFrame:
    """One row per policy of :data:`POLICIES`: ``mean_J_ratio`` and ``worst_J_ratio`` (J
    over the oracle's, over the months), ``mean_churn``, ``refits`` and
    ``customers_fitted``, rounded to 3 decimals."""
    setting = _setting(stream, k, seed)
    return pd.DataFrame([_run(stream, policy, setting).summary() for policy in POLICIES])


# --------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------


def monitor_table(stream: Stream, *, k: int = 3, seed: int = 0) -> pd.DataFrame:
    """Every monitor of every month, for the start model (fitted on ``stream.reference``,
    never retrained) against the reference: the rows of each month's
    :func:`~segmentation.monitor.drift.drift_report` with a ``month`` column first, values
    rounded to 3 decimals (p-values to 3 significant digits, so that small ones stay
    readable)."""
    model = SegmentationModel(k, random_state=seed, n_init=N_INIT, evaluate=False)
    model.fit(stream.reference)
    monitor = DriftMonitor(model, stream.reference)
    tables = []
    for month, batch in _numbered(stream):
        table = monitor.report(batch).table
        tables.append(table.assign(month=month))
    table = pd.concat(tables, ignore_index=True)
    table = table[["month", *[c for c in table.columns if c != "month"]]]
    p_values = table["monitor"].str.endswith("p_value")
    table["value"] = np.where(
        p_values,
        [float(f"{v:.3g}") for v in table["value"]],
        table["value"].round(_DECIMALS),
    )
    table["threshold"] = table["threshold"].round(6)
    return table


def fired(stream: Stream, *, k: int = 3, seed: int = 0) -> pd.DataFrame:
    """Whether each monitor fired (any of its rows crossed) in each month: one row per
    month, one column per monitor of :data:`MONITORS`."""
    table = monitor_table(stream, k=k, seed=seed)
    wide = table.groupby(["month", "monitor"])["crossed"].any().unstack("monitor")
    wide = wide.reindex(columns=list(MONITORS[:-1]), fill_value=False).astype(bool)
    wide["any"] = wide.any(axis=1)
    return wide


def detection_table(
    *,
    changes: Iterable[str] = CHANGES,
    months: int = MONTHS,
    panel: int = PANEL,
    k: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """How soon each monitor notices each change, and its false alarms before it.

    Each change is simulated alone (``simulate_stream(changes=(change,), seed=seed)``), so
    that an earlier change does not set the monitors off for a later one. Per change and
    monitor: ``first_month``, the first month from the change's on where the monitor fires
    (empty if none); ``delay``, months from the change to it, or ``"not detected"``;
    ``false_alarms``, the months before the change where it fired.
    """
    rows = []
    for change in changes:
        stream = simulate_stream(months=months, panel=panel, changes=(change,), seed=seed)
        if stream.changes.empty:
            continue
        start = int(stream.changes["month"].iloc[0])
        table = fired(stream, k=k, seed=seed)
        for monitor in MONITORS:
            after = table.index[(table.index >= start) & table[monitor].to_numpy()]
            first = int(after[0]) if len(after) else None
            delay = first - start if first is not None else NOT_DETECTED
            false_alarms = int(table.loc[table.index < start, monitor].sum())
            rows.append((change, start, monitor, first, delay, false_alarms))
    columns = ["change", "change_month", "monitor", "first_month", "delay", "false_alarms"]
    table = pd.DataFrame(rows, columns=columns)
    table["first_month"] = table["first_month"].astype("Int64")
    return table


@functools.lru_cache(maxsize=64)
def _stationary_fired(seed: int, months: int, panel: int, k: int) -> pd.DataFrame:
    return fired(simulate_stream(months=months, panel=panel, changes=(), seed=seed), k=k)


def false_alarm_rate(
    monitor: str,
    seeds: Iterable[int] = range(10),
    *,
    months: int = MONTHS,
    panel: int = PANEL,
    k: int = 3,
) -> float:
    """The share of months in which ``monitor`` (one of :data:`MONITORS`) fires on
    stationary streams (``changes=()``), one stream per seed: each a false alarm. Rounded to
    3 decimals.

    Each month re-observes the reference's own customers (with fresh noise), so the batches
    are far closer to the reference than independent samples would be: expect rates well
    below the tests' nominal level (:data:`~segmentation.monitor.drift.ALPHA`).
    """
    if monitor not in MONITORS:
        raise ValueError(f"unknown monitor {monitor!r}: choose among {', '.join(MONITORS)}.")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("give at least one seed.")
    fires = [_stationary_fired(int(s), months, panel, k)[monitor] for s in seeds]
    return round(float(pd.concat(fires).mean()), _DECIMALS)
