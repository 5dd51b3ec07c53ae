"""The picture of notebook 11 (scaling out on Spark): fit time and peak memory of each engine
against the number of customers, from the table ``benchmarks/spark_scale.py`` writes.

The table shipped with the course (:data:`SCALE_RESULTS`) was measured once, on the machine
:data:`SCALE_MACHINE` describes; :func:`scale_results` reads it (or any table the benchmark
wrote with ``--out``), :func:`plot_scale_out` draws it.
"""

from __future__ import annotations

from importlib import resources
from os import PathLike
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

#: The engines drawn, in the legend's order, and their colours.
ENGINE_COLOURS = {
    "course": "tab:blue",
    "scikit-learn": "tab:orange",
    "spark": "tab:green",
    "spark k-means": "tab:olive",
}
#: The row of the table that holds Spark's fixed start-up (the JVM and the session).
STARTUP = "spark start-up"
#: The columns a benchmark table has (``benchmarks/spark_scale.py --out``).
SCALE_COLUMNS = ("customers", "engine", "seconds", "iterations", "J", "peak_mb")
#: Where the shipped table is, in a source checkout (an installed wheel carries it in
#: ``segmentation/_data/``).
SCALE_RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "spark_scale.csv"
#: The machine the shipped table was measured on.
SCALE_MACHINE = (
    "a virtual machine with 2 cores (AMD EPYC) and 23 GB of memory, shared with other work "
    "during the run (its load varied, so the times are rough); Spark local[2], 8 GB for its "
    "driver"
)


def scale_results(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """The benchmark's table: one row per size and engine (``customers``, ``engine``,
    ``seconds``, ``iterations``, ``J``, ``peak_mb``; the last three empty for the rows
    ``spark k-means``, Spark's k-means stage alone, and ``spark start-up``).

    Without ``path``, the table shipped with the course, measured on :data:`SCALE_MACHINE`.
    """
    if path is None:
        packaged = resources.files("segmentation") / "_data" / SCALE_RESULTS.name
        path = Path(str(packaged)) if packaged.is_file() else SCALE_RESULTS
    table = pd.read_csv(path)
    absent = [c for c in SCALE_COLUMNS if c not in table.columns]
    if absent:
        raise ValueError(
            f"{path} is not a table of benchmarks/spark_scale.py: it lacks the column(s) "
            f"{', '.join(absent)}. Write one with `python benchmarks/spark_scale.py --out FILE`."
        )
    return table


def plot_scale_out(table: pd.DataFrame, fig: Figure | None = None) -> Figure:
    """Fit time (left) and peak memory (right) of each engine against the number of
    customers, one line per engine of :data:`ENGINE_COLOURS` found in ``table``
    (:func:`scale_results`); Spark's start-up as a dotted grey line at its mean. Customers in
    millions on both x axes."""
    if fig is None:
        fig = plt.figure(figsize=(11, 4))
    left, right = fig.subplots(1, 2)
    sizes = sorted(table["customers"].unique())
    for engine, colour in ENGINE_COLOURS.items():
        rows = table[table["engine"] == engine].sort_values("customers")
        if rows.empty:
            continue
        millions = rows["customers"] / 1e6
        dashed = "--" if engine == "spark k-means" else "-"
        left.plot(millions, rows["seconds"], dashed, marker="o", color=colour, label=engine)
        memory = rows["peak_mb"].notna()
        if memory.any():
            right.plot(
                millions[memory], rows["peak_mb"][memory], marker="o", color=colour, label=engine
            )
    startup = table.loc[table["engine"] == STARTUP, "seconds"]
    if not startup.empty:
        left.axhline(
            startup.mean(), color="0.5", linestyle=":", label=f"{STARTUP} (paid once per run)"
        )
    left.set_ylabel("fit time (s)")
    left.set_title("Time to fit: read, scale, k-means")
    right.set_ylabel("peak memory (MB)")
    right.set_title("Peak memory of the process (and Spark's JVM)")
    for ax in (left, right):
        ax.set_xticks([n / 1e6 for n in sizes])
        ax.set_xlabel("customers (millions)")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    left.legend(fontsize=8)
    fig.tight_layout()
    return fig
