import matplotlib
import pytest
from hypothesis import HealthCheck, settings

# Plots drawn by the tests themselves go off screen. (Not through MPLBACKEND: the notebooks'
# kernels inherit the environment and must draw inline, as when their outputs were stored.)
matplotlib.use("Agg")

# Property tests draw the same examples on every run and every machine, so a failure seen once
# is seen again.
settings.register_profile(
    "course", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("course")


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

