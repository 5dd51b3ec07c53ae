"""The pip path and the conda path install the same packages at the same versions."""

import re
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
        if re.split(r"[=<>! ]", name)[0] in ("python", "pip"):
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


def test_the_makefile_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"pip install .*-c \$\(LOCK\) -e \"\.\[test\]\"", makefile)
    assert "LOCK := requirements/lock.txt" in makefile
