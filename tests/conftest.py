import os

import pytest
from hypothesis import HealthCheck, settings

# Plots in tests draw off screen.
os.environ.setdefault("MPLBACKEND", "Agg")

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
