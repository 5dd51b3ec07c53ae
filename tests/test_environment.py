"""The pip path and the conda path install the same packages at the same versions."""

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
# conda-forge names that differ from PyPI's; none do yet.
CONDA_NAMES: dict[str, str] = {}


def direct_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + project["optional-dependencies"]["test"]
    return {canonicalize_name(Requirement(r).name): Requirement(r) for r in listed}


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"requirements/lock.txt: '{line}' is not pinned with =="
            pins[canonicalize_name(name)] = version
    return pins


def conda_pins() -> dict[str, str]:
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for entry in spec["dependencies"]:
        assert isinstance(entry, str), f"environment.yml: unexpected entry {entry!r}"
        name, exact, version = (part.strip() for part in entry.partition("=="))
        # Runtimes, not Python packages: nothing in the lock to match them with.
        if re.split(r"[=<>! ]", name)[0] in ("python", "pip", "openjdk"):
            continue
        assert exact and version and not re.search(r"[=<>*, ]", version), (
            f"environment.yml: pin {name} exactly with ==, not '{entry}'"
        )
        pins[canonicalize_name(name)] = version
    return pins


def test_every_direct_dependency_is_locked_within_its_range():
    pins = lock_pins()
    for name, requirement in direct_requirements().items():
        assert name in pins, f"{name} is in pyproject.toml but not in requirements/lock.txt"
        assert Version(pins[name]) in requirement.specifier, (
            f"lock pins {name}=={pins[name]}, outside pyproject.toml's {requirement.specifier}"
        )


def test_environment_yml_names_the_same_packages_at_the_locked_versions():
    pins, conda = lock_pins(), conda_pins()
    expected = {CONDA_NAMES.get(n, n): pins[n] for n in direct_requirements()}
    assert conda == expected


def test_environment_yml_python_satisfies_requires_python():
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(e for e in spec["dependencies"] if isinstance(e, str) and e.startswith("python="))
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert Version(python.split("=")[1]) in SpecifierSet(requires)


def test_the_running_environment_is_the_locked_one():
    """`make test` installs from the lock, so what runs the tests is what students get."""
    from importlib.metadata import version

    pins = lock_pins()
    off = {n: (version(n), pins[n]) for n in direct_requirements() if version(n) != pins[n]}
    assert not off, (
        f"installed versions differ from requirements/lock.txt (installed, locked): {off}"
    )
    assert sys.version_info >= (3, 11)


def make_dry_run(target: str, venv: Path) -> list[list[str]]:
    """The commands ``make <target>`` would run with the environment ``venv``, as make -n
    prints them (nothing is run), each split into its words."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "PYTEST_ARGS")
    }
    done = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.replace("\\\n", " ").splitlines()  # a command continued with \
    return [shlex.split(line) for line in lines if line.strip()]


def position(commands: list[list[str]], start: list[str]) -> int:
    """Where the first command that starts with ``start`` is; -1 when none does."""
    return next((i for i, c in enumerate(commands) if c[: len(start)] == start), -1)


def test_make_test_installs_from_the_lock_before_running_the_tests(tmp_path):
    """In a fresh environment, `make test` creates it, installs the course with its test
    extras constrained by the lock the tests above read, and only then runs pytest, with
    that environment's Python."""
    venv = tmp_path / "venv"
    python = str(venv / "bin" / "python")
    commands = make_dry_run("test", venv)
    create = next(i for i, c in enumerate(commands) if c[-3:] == ["-m", "venv", str(venv)])
    install = position(commands, [python, "-m", "pip", "install"])
    tests = position(commands, [python, "-m", "pytest"])
    assert 0 <= create < install < tests, commands
    pip = commands[install]
    assert (ROOT / pip[pip.index("-c") + 1]).resolve() == (ROOT / "requirements" / "lock.txt")
    assert pip[pip.index("-e") + 1] == ".[test]"


def test_make_test_installs_again_only_after_a_change(tmp_path):
    """Once installed, `make test` runs the tests straight away; after pyproject.toml or the
    lock changes (it is newer than the install), it installs first."""
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.touch()
    stamp = venv / ".customer-segmentation-installed"
    stamp.touch()
    inputs = (ROOT / "pyproject.toml", ROOT / "requirements" / "lock.txt")
    newest = max(os.path.getmtime(path) for path in inputs)
    os.utime(stamp, (newest + 60, newest + 60))
    commands = make_dry_run("test", venv)
    assert position(commands, [str(python), "-m", "pytest"]) >= 0
    assert position(commands, [str(python), "-m", "pip"]) == -1, commands
    os.utime(stamp, (newest - 60, newest - 60))
    assert position(make_dry_run("test", venv), [str(python), "-m", "pip", "install"]) >= 0


def test_conda_brings_the_java_runtime_spark_needs():
    """pip cannot install Java; the conda environment (and Binder) must, at the version the
    pinned pyspark supports."""
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    java = [entry for entry in spec["dependencies"] if str(entry).startswith("openjdk")]
    assert java == ["openjdk=17"], f"environment.yml: expected openjdk=17, found {java}"
