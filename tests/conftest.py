import matplotlib
import pytest
from hypothesis import HealthCheck, settings

# Plots drawn by the tests themselves go off screen. (Not through MPLBACKEND: the notebooks'
# kernels inherit the environment and must draw inline, as when their outputs were stored.)
matplotlib.use("Agg")

# Property tests draw the same examples on every run and every machine, so a failure seen once
# is seen again.
settings.register_profile(
    "course", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("course")


@pytest.fixture(scope="session")
def customers():
    """The course data, as the notebooks load it (tests must not change it)."""
    from segmentation.data.shipped import load_customers

    return load_customers()


@pytest.fixture(scope="session")
def scaled(customers):
    """The course data as the notebooks cluster it: log spending, each column scaled."""
    from sklearn.preprocessing import StandardScaler

    from segmentation.preprocessing.spending import log_spending

    return StandardScaler().fit_transform(log_spending(customers))


@pytest.fixture(scope="session")
def default_stream():
    """Notebook 10's simulated stream, with its three changes (tests must not change it)."""
    from segmentation.monitor.stream import simulate_stream

    return simulate_stream()


@pytest.fixture(scope="session")
def stationary_stream():
    """The same panel's stream with no change at all."""
    from segmentation.monitor.stream import simulate_stream

    return simulate_stream(changes=())


@pytest.fixture(autouse=True)
def _close_figures():
    """Every test's figures are closed after it: pyplot keeps them otherwise."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def write_file(tmp_path):
    """Write text (encoded as UTF-8) or bytes to a file in a fresh folder; returns its path."""

    def write(content, name="customers.csv"):
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return write


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Mark a test that failed, so that its fixtures can keep evidence (a screenshot, say)."""
    report = yield
    if report.when == "call" and report.failed:
        item.failed = True
    return report


def pytest_terminal_summary(terminalreporter):
    """The explorer's response times from the browser tests; and, plainly, at the very end,
    when the browser tests did not run."""
    timings = [
        value
        for report in terminalreporter.stats.get("passed", [])
        for key, value in report.user_properties
        if key == "explorer timing"
    ]
    if timings:
        terminalreporter.section("explorer response time (browser tests)")
        for line in timings:
            terminalreporter.write_line(line)
    skipped = [
        r
        for r in terminalreporter.stats.get("skipped", [])
        if "BROWSER TESTS SKIPPED" in str(r.longrepr)
    ]
    if skipped:
        terminalreporter.section("browser tests", sep="!", yellow=True, bold=True)
        terminalreporter.write_line(
            f"{len(skipped)} browser tests were SKIPPED: Chromium was not found. Install "
            "Debian's chromium (apt-get install chromium) or set CHROMIUM=/path/to/chromium.",
            yellow=True,
            bold=True,
        )
