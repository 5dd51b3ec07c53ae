"""The course notebooks keep their shape (objectives, links, exercises with checks and
solutions, takeaways), and every solution they hide is one its check accepts."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NUMBERED = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if p.name[:2] != "00")
SOLUTION = re.compile(r"<summary>Solution.*?```python\n(.*?)```", re.S)


def read(path):
    return nbformat.read(path, as_version=4)


def exercises(notebook):
    """(index of the exercise cell, its check line, the solution code) for each exercise."""
    found = []
    for i, cell in enumerate(notebook.cells):
        if "exercise" in cell.metadata.get("tags", []):
            solution = SOLUTION.search(notebook.cells[i + 1].source)
            assert solution, f"exercise cell {i} is not followed by a solution"
            found.append((i, cell.source.strip().splitlines()[-1], solution[1]))
    return found


def links(text, label):
    """The notebooks a "Previous:" or "Next:" link of ``text`` points to."""
    return re.findall(rf"{label}: \[[^\]]*\]\(([^)]+\.ipynb)\)", text)


def test_the_notebooks_form_one_chain_from_the_setup_check():
    """Numbered from 01 without a gap (at least the four of the core course), each notebook's
    "Previous" and "Next" links point to its neighbours in that order, at the top and at the
    bottom; the first goes back to the setup check, which leads to it."""
    numbers = [int(p.name[:2]) for p in NUMBERED]
    assert numbers == list(range(1, len(NUMBERED) + 1)) and len(NUMBERED) >= 4
    chain = [NOTEBOOKS / "00_setup_check.ipynb", *NUMBERED]
    setup = read(chain[0]).cells[-1].source
    assert re.findall(r"\]\(([^)]+\.ipynb)\)", setup)[-1] == chain[1].name
    for before, path, after in zip(chain[:-1], chain[1:], [*chain[2:], None], strict=True):
        first, last = read(path).cells[0].source, read(path).cells[-1].source
        assert links(first, "Previous") == [before.name], path.name
        expected = [] if after is None else [after.name]  # the last points to what is coming
        assert links(first, "Next") == expected and links(last, "Next") == expected, path.name


@pytest.mark.parametrize("path", NUMBERED, ids=lambda p: p.name)
def test_notebook_shape(path):
    notebook = read(path)
    first, last = notebook.cells[0].source, notebook.cells[-1].source
    assert first.startswith("# ") and "**In this notebook you will**" in first
    assert 3 <= first.count("\n- ") <= 5, "3 to 5 objectives"
    assert "Previous:" in first and "Next:" in first
    assert "## Key takeaways" in last
    for link in re.findall(r"\]\(([^)]+\.ipynb)\)", first + last):
        assert (NOTEBOOKS / link).is_file(), link
    assert len(exercises(notebook)) >= 2
    for _, check_line, solution in exercises(notebook):
        # pasted over the whole exercise cell, a solution still shows the verdict
        assert solution.strip().splitlines()[-1] == check_line, solution
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if "plt.subplots" in cell.source or re.search(r"\bplot_\w+\(", cell.source):
            assert "plt.show()" in cell.source, (
                f"a plotting cell without plt.show():\n{cell.source}"
            )
        assert not any(line.rstrip().endswith(";") for line in cell.source.splitlines())
        if "Explorer(" in cell.source or "widgets." in cell.source:
            assert "nbval-ignore-output" in tags


@pytest.mark.parametrize("path", NUMBERED, ids=lambda p: p.name)
def test_every_solution_passes_its_check(path):
    notebook = read(path)
    found = exercises(notebook)
    for i, check_line, solution in found:
        notebook.cells[i].source = f"{solution}\n{check_line}"
    NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()
    for i, _, _ in found:
        shown = "".join(
            "".join(output.get("data", {}).get("text/plain", ""))
            for output in notebook.cells[i].outputs
        )
        assert shown.startswith("✅ Right."), (notebook.cells[i].source, shown)
