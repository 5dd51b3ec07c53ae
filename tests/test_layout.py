"""The package's layout: every public name is importable from ``segmentation`` itself, from the
one module that defines it, and nothing heavy is imported before a name is used."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import segmentation
import segmentation.course

LIBRARY = Path(segmentation.__file__).parent


def defined_at_top(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


@pytest.mark.parametrize("name", [n for n in segmentation.__all__ if n != "__version__"])
def test_each_public_name_comes_from_the_module_that_defines_it(name):
    value = getattr(segmentation, name)
    home = segmentation._HOME[name]
    path = LIBRARY.joinpath(*home.split(".")[1:]).with_suffix(".py")
    assert name in defined_at_top(path), f"{name} is not defined in {home}"
    assert value is getattr(importlib.import_module(home), name)


def test_a_name_that_is_not_public_is_an_attribute_error_that_says_so():
    with pytest.raises(AttributeError, match="no attribute 'load_customer'"):
        segmentation.load_customer  # noqa: B018


def test_dir_lists_the_public_names():
    assert {"load_customers", "KMeans", "SegmentationModel"} <= set(dir(segmentation))


def test_using_one_name_imports_only_what_that_name_needs():
    code = (
        "import sys; from segmentation import SPENDING_COLUMNS; "
        "print(sorted(m for m in ('sklearn', 'matplotlib') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", segmentation.course.__all__)
def test_each_course_name_comes_from_its_module(name):
    home = segmentation.course._HOME[name]
    assert getattr(segmentation.course, name) is getattr(importlib.import_module(home), name)
