"""Hooks for the whole test run (library tests, doctests and notebooks)."""

from collections import defaultdict
from pathlib import Path

# --- how long each notebook took, printed at the end of the run ------------------------------

_notebook_seconds: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _notebook_seconds:
        return
    terminalreporter.section("notebook run times")
    for path, seconds in sorted(_notebook_seconds.items()):
        terminalreporter.write_line(f"{seconds:6.1f} s  {Path(path).name}")
    terminalreporter.write_line(f"{sum(_notebook_seconds.values()):6.1f} s  all notebooks")
