"""The package as it is installed: importing it does nothing, and a wheel carries the data."""

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from segmentation.data.shipped import SHA256

ROOT = Path(__file__).resolve().parent.parent


def test_importing_the_package_loads_nothing_heavy():
    code = (
        "import sys, segmentation; "
        "print(sorted(m for m in ('pandas', 'numpy', 'matplotlib', 'sklearn', 'ipywidgets') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.slow
def test_a_wheel_carries_the_course_data_and_finds_it(tmp_path):
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("customer_segmentation-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert (
            hashlib.sha256(archive.read("segmentation/_data/wholesale_customers.csv")).hexdigest()
            == SHA256
        )
        names = archive.namelist()
    assert not [n for n in names if n.startswith(("tests/", "notebooks/"))]
    # notebook 11's benchmark table, and the Spark log settings the session passes to Java
    assert "segmentation/_data/spark_scale.csv" in names
    assert "segmentation/spark/log4j2.properties" in names

    # Installed from the wheel and run from an unrelated folder, the package finds its own copy.
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "from segmentation.data.shipped import course_data_path, load_customers; "
        "from segmentation.viz.spark import scale_results; "
        "print(course_data_path()); print(len(load_customers())); print(len(scale_results()))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    path, count, timings = done.stdout.split()
    assert Path(path).is_relative_to(target) and count == "440" and int(timings) > 0
