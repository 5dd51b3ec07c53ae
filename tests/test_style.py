"""The code stays tidy: ruff's lint and format, mypy on the type hints, no library function over
60 lines, and the optional pre-commit hooks run the locked versions of the same tools."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "segmentation"
MAX_LINES = 60


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_is_clean(command):
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def long_functions(source: str) -> list[tuple[str, int]]:
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_LINES
    ]


def test_the_length_rule_sees_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    assert long_functions(f"def f():\n{body}\n") == [("f", MAX_LINES + 1)]
    assert long_functions("def g():\n    return 1\n") == []


@pytest.mark.parametrize(
    "path", sorted(LIBRARY.rglob("*.py")), ids=lambda p: str(p.relative_to(LIBRARY))
)
def test_no_library_function_is_over_60_lines(path):
    assert long_functions(path.read_text(encoding="utf-8")) == []


def test_the_type_hints_agree_with_the_code():
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_length_rule_reads_every_subpackage():
    checked = {p.relative_to(LIBRARY).parts[0] for p in LIBRARY.rglob("*.py")}
    assert {"cluster", "data", "model", "course"} <= checked


def locked(package: str) -> str:
    for line in (ROOT / "requirements" / "lock.txt").read_text(encoding="utf-8").splitlines():
        name, _, version = line.partition("==")
        if name.lower() == package:
            return version
    raise AssertionError(f"{package} is not in requirements/lock.txt")


def test_the_pre_commit_hooks_run_the_locked_ruff_and_the_configured_mypy():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    repos = {repo["repo"]: repo for repo in config["repos"]}
    ruff = repos["https://github.com/astral-sh/ruff-pre-commit"]
    assert ruff["rev"] == "v" + locked("ruff")
    assert {hook["id"] for hook in ruff["hooks"]} == {"ruff-check", "ruff-format"}
    (mypy,) = repos["local"]["hooks"]
    # no file names: mypy checks what pyproject.toml's [tool.mypy] names, as make test does
    assert mypy["entry"] == "python -m mypy" and mypy["pass_filenames"] is False
