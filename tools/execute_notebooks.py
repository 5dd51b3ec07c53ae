"""Re-execute the course notebooks and store their outputs: `make notebooks`.

Each notebook runs top to bottom in a fresh kernel of the current environment, in its own
folder, as nbval will run it. Metadata that changes from run to run or machine to machine
(timings, the Python patch version) is dropped so that stored outputs only change when what a
student sees changes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def normalise(notebook: nbformat.NotebookNode) -> None:
    notebook.metadata = nbformat.from_dict(
        {
            "kernelspec": KERNELSPEC,
            "language_info": {"name": "python"},
        }
    )
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)


def execute(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - start
    normalise(notebook)
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks, or folders of notebooks")
    args = parser.parse_args(argv)
    notebooks = sorted(
        p
        for path in args.paths
        for p in (path.glob("*.ipynb") if path.is_dir() else [path])
        if ".ipynb_checkpoints" not in p.parts
    )
    for path in notebooks:
        print(f"{path}: {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
