"""A fitted classifier as a skops file (``.skops``), and back: never a pickle.

A pickle runs whatever code its file names when it is loaded, so a classifier file from
someone else could do anything. A skops file is a zip archive that describes the objects as
data; :func:`load_classifier` lists the types it names with ``skops.io.get_untrusted_types``
and loads it only when every type beyond skops' own safe list is one of
:data:`TRUSTED_TYPES`, the few that the course's classifiers need (the trees of a decision
tree, a random forest and gradient boosting). It never passes ``trusted=True``.

The file holds a dictionary: ``"header"``, a JSON text (format name and version, features,
target, classes, cross-validated scores, the best model's name, the library version), and
``"estimator"``, the fitted scikit-learn estimator. Loading refuses, with a
:class:`ClassifierFileError` that names the file and says what to do, anything else: a
folder, a device, a pipe; a file that is too large, not a zip archive (a pickle above all),
cut short or damaged; a skops file of another program; a header that does not match its
estimator.
"""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from segmentation import __version__
from segmentation.data.output import shown_path, write_atomically
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.model.inputs import printable, spending_matrix

#: What the header's "format" says, and the newest format version this library reads.
FORMAT = "customer-segmentation classifier"
FORMAT_VERSION = 1

#: The types, beyond those skops trusts itself, that a course classifier holds: the fitted
#: trees of scikit-learn's decision trees and forests, and of histogram gradient boosting.
#: They hold arrays only. Anything else (a function such as ``os.system``, a class of another
#: library) is refused.
TRUSTED_TYPES = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)

#: The largest classifier file read, and the most its archive may unpack to: a random forest
#: of 300 deep trees on 440 customers takes about 10 MB.
MAX_CLASSIFIER_BYTES = 200_000_000
MAX_UNPACKED_BYTES = 1_000_000_000
#: Class names (which become column names) are at most this long.
MAX_CLASS_TEXT = 100

_ZIP_MAGIC = b"PK\x03\x04"
#: Pickles of protocol 2 and later (and so joblib's files) start with this byte.
_PICKLE_MAGIC = b"\x80"
_HINT = (
    "Give a classifier file written by `segmentation classify DATA.csv --target Channel "
    "-o classifier.skops` (or by save_classifier)."
)
_HINT_AGAIN = (
    "The file is damaged or was changed after it was written; run `segmentation classify` "
    "again, or use an unchanged copy."
)


class ClassifierFileError(ValueError):
    """A classifier file that cannot be used; the one-line message names the file, says what
    is wrong and what to do."""

    def __init__(self, path: str | PathLike[str], problem: str, hint: str = _HINT) -> None:
        self.path, self.problem, self.hint = shown_path(path), problem, hint
        super().__init__(f"{self.path} cannot be used as a classifier: {problem} {hint}")


@dataclass(frozen=True)
class LoadedClassifier:
    """A classifier read from its file: the fitted estimator and what its header says."""

    estimator: Any
    features: tuple[str, ...]
    target: str
    classes: tuple[Any, ...]
    scores: dict[str, float] = field(default_factory=dict)
    name: str = ""
    library_version: str = __version__

    @property
    def columns(self) -> list[str]:
        """The columns of :meth:`predict` after ``id``: the predicted target, then the
        probability of each class."""
        return [f"predicted_{self.target}", *(f"probability_{c}" for c in self.classes)]

    def predict(self, customers: pd.DataFrame) -> pd.DataFrame:
        """The predicted target and the probability of each class, for each customer.

        The features are read from ``customers`` and checked as a segmentation model checks
        them (a missing column, a value that is no spending: ``ModelInputError``).

        Returns
        -------
        pandas.DataFrame
            ``id`` (when ``customers`` has one), ``predicted_<target>`` and
            ``probability_<class>`` for each class, in the order of ``classes``.
        """
        matrix = spending_matrix(customers, self.features, "the customers")
        X = pd.DataFrame(matrix, columns=list(self.features))
        columns = self.columns
        table = pd.DataFrame(self.estimator.predict_proba(X), columns=columns[1:])
        table.insert(0, columns[0], self.estimator.predict(X))
        if "id" in customers:
            table.insert(0, "id", customers["id"].to_numpy())
        return table


def save_classifier(
    model: Any,
    path: str | PathLike[str],
    *,
    features: Sequence[str],
    target: str,
    classes: Sequence[Any],
    scores: Mapping[str, float],
    name: str = "",
) -> None:
    """Write a fitted classifier and its header to a skops file, whole or not at all.

    Parameters
    ----------
    model
        A fitted scikit-learn classifier with ``predict_proba`` and ``classes_``, taking the
        ``features`` columns of a customer table.
    path
        The file to write (``.skops`` by convention); see
        :func:`segmentation.data.output.write_atomically`.
    features, target, classes
        The spending columns the model reads, the label it predicts, and its classes (in the
        order of ``model.classes_``).
    scores
        Cross-validated scores to keep with the model, such as ``{"F1 (macro) mean": 0.9}``.
    name
        The model's name in the comparison, such as ``"random forest"``.

    Raises
    ------
    ValueError
        When the model and its description disagree (classes, number of features), or the
        description is not one a classifier file holds.
    """
    content = classifier_bytes(
        model, features=features, target=target, classes=classes, scores=scores, name=name
    )
    write_atomically(path, content)


def classifier_bytes(model: Any, **description: Any) -> bytes:
    """The content of the file :func:`save_classifier` writes (to send it elsewhere, such as
    standard output), for a model and its description (the keywords of save_classifier)."""
    import skops.io

    header = _header(**description)
    problem = _header_problem(header) or _mismatch(model, header)
    if problem:
        raise ValueError(f"the classifier does not fit its description: {problem}.")
    return skops.io.dumps(
        {"header": json.dumps(header, sort_keys=True), "estimator": model},
        compression=zipfile.ZIP_DEFLATED,
    )


def _header(
    *,
    features: Sequence[str],
    target: str,
    classes: Sequence[Any],
    scores: Mapping[str, float],
    name: str = "",
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "features": list(features),
        "target": target,
        "classes": [c.item() if isinstance(c, np.generic) else c for c in classes],
        "scores": {str(k): float(v) for k, v in scores.items()},
        "name": name,
    }


def load_classifier(path: str | PathLike[str]) -> LoadedClassifier:
    """Read a classifier file written by :func:`save_classifier`, as data: no code runs.

    Raises
    ------
    ClassifierFileError
        When the file is not a regular file, too large, a pickle, not a skops file, damaged,
        holds a type outside :data:`TRUSTED_TYPES`, or is no classifier of this library.
    """
    content = _read_regular(path)
    _check_archive(content, path)
    stored = _load_trusted(content, path)
    if not (isinstance(stored, dict) and set(stored) == {"header", "estimator"}):
        raise ClassifierFileError(path, "it is a skops file, but of another program.")
    header = _checked_header(stored["header"], path)
    problem = _mismatch(stored["estimator"], header)
    if problem:
        raise ClassifierFileError(path, f"{problem}.", _HINT_AGAIN)
    return LoadedClassifier(
        estimator=stored["estimator"],
        features=tuple(header["features"]),
        target=header["target"],
        classes=tuple(header["classes"]),
        scores=dict(header["scores"]),
        name=header["name"],
        library_version=header["library_version"],
    )


def starts_like_a_classifier(path: str | PathLike[str]) -> bool:
    """Whether a file begins as a classifier file (a zip archive) or as a pickle, which
    :func:`load_classifier` explains; by its content, whatever its name. False for anything
    that cannot be read: the reader of the other kind of file says why."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as file:
            start = file.read(len(_ZIP_MAGIC))
    except (OSError, ValueError):
        return False
    return start.startswith((_ZIP_MAGIC, _PICKLE_MAGIC))


def _read_regular(path: str | PathLike[str]) -> bytes:
    """The bytes of a regular file of at most MAX_CLASSIFIER_BYTES; a folder, a device, a
    pipe or a socket is refused before it is read (it could wait or never end), and checked
    again on the open file (opened without waiting) in case it changed meanwhile."""
    try:
        _check_regular(os.stat(path), path)
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(handle, "rb") as file:
            _check_regular(os.fstat(handle), path)
            content = file.read(MAX_CLASSIFIER_BYTES + 1)
    except FileNotFoundError:
        raise ClassifierFileError(path, "no such file.", "Check the name and the folder.") from None
    except ValueError as exc:  # a NUL character in the name
        if isinstance(exc, ClassifierFileError):
            raise
        raise ClassifierFileError(path, "no file can have this name.", "Check the name.") from None
    except OSError as exc:
        raise ClassifierFileError(
            path,
            f"the file cannot be opened ({exc.strerror or exc}).",
            "Check that it exists and that you may read it.",
        ) from None
    if len(content) > MAX_CLASSIFIER_BYTES:
        raise ClassifierFileError(
            path, f"it is larger than {MAX_CLASSIFIER_BYTES // 1_000_000} MB, as no classifier is."
        )
    return content


def _check_regular(status: os.stat_result, path: str | PathLike[str]) -> None:
    if stat.S_ISDIR(status.st_mode):
        raise ClassifierFileError(path, "this is a folder, not a file.")
    if not stat.S_ISREG(status.st_mode):
        raise ClassifierFileError(
            path,
            "this is not a regular file (it is a device, a terminal, a pipe or a socket); "
            "a classifier is read only from a file on disk.",
        )


def _check_archive(content: bytes, path: str | PathLike[str]) -> None:
    """Refuse a pickle, a file of another kind, and a damaged or oversized archive."""
    if content.startswith(_PICKLE_MAGIC):
        raise ClassifierFileError(
            path,
            "it is a Python pickle (or a joblib file), which could run any code when it is "
            "loaded, so it is never opened here.",
        )
    if not content.startswith(_ZIP_MAGIC):
        kind = "a JSON file" if content.lstrip().startswith(b"{") else "not a skops file"
        raise ClassifierFileError(path, f"it is {kind}, not a classifier file (a skops archive).")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
            broken = None if unpacked > MAX_UNPACKED_BYTES else archive.testzip()
    except (zipfile.BadZipFile, EOFError, NotImplementedError, ValueError):
        raise ClassifierFileError(
            path, "the archive is cut short or damaged.", _HINT_AGAIN
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ClassifierFileError(
            path, f"it would unpack to more than {MAX_UNPACKED_BYTES // 1_000_000} MB."
        )
    if broken is not None:
        raise ClassifierFileError(path, f"its part {broken!r} is damaged.", _HINT_AGAIN)


def _load_trusted(content: bytes, path: str | PathLike[str]) -> Any:
    """The stored objects, loaded only if every type skops does not trust itself is in
    :data:`TRUSTED_TYPES`."""
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(data=content)
    except MemoryError:
        raise
    except Exception:  # skops raises many kinds of errors on an archive it cannot read
        raise ClassifierFileError(path, "it is not a readable skops file.", _HINT_AGAIN) from None
    refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if refused:
        listed = ", ".join(printable(t) or "" for t in refused[:3])
        more = f" and {len(refused) - 3} more" if len(refused) > 3 else ""
        raise ClassifierFileError(
            path,
            f"it holds types that are not trusted here ({listed}{more}); loading them could run "
            "code from the file.",
        )
    try:
        return skops.io.loads(content, trusted=list(untrusted))
    except MemoryError:
        raise
    except Exception:  # as above: a damaged part of the archive
        raise ClassifierFileError(path, "it is a damaged skops file.", _HINT_AGAIN) from None


def _checked_header(text: Any, path: str | PathLike[str]) -> dict[str, Any]:
    """The header, refused unless it is this format with every field of its type."""
    try:
        header = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ClassifierFileError(path, "it is a skops file, but of another program.")
    version = header.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ClassifierFileError(
            path,
            f"it is of format {version}, newer than this library reads ({FORMAT_VERSION}).",
            "Upgrade the segmentation package, or run `segmentation classify` again with this one.",
        )
    problem = _header_problem(header)
    if problem:
        raise ClassifierFileError(path, f"its header is not valid: {problem}.", _HINT_AGAIN)
    return header


def _header_problem(header: dict[str, Any]) -> str | None:
    """What is wrong with a header's fields, or None."""
    features, classes, scores = header.get("features"), header.get("classes"), header.get("scores")
    text_fields = ("target", "name", "library_version")
    if header.get("format_version") != FORMAT_VERSION:
        return "format_version is not a whole number from 1 to the newest"
    if not (isinstance(features, list) and features and set(features) <= set(SPENDING_COLUMNS)):
        return f"features must be spending categories from {', '.join(SPENDING_COLUMNS)}"
    if len(set(features)) != len(features):
        return "a feature is listed twice"
    if not all(_is_line(header.get(key)) for key in text_fields) or not header["target"]:
        return f"{', '.join(text_fields)} must be one line of text each (a target, not empty)"
    if not (isinstance(classes, list) and len(classes) >= 2 and all(map(_is_class, classes))):
        return "classes must be a list of at least two names or whole numbers"
    if len(set(classes)) != len(classes):
        return "a class is listed twice"
    if not (
        isinstance(scores, dict)
        and all(isinstance(v, float) and np.isfinite(v) for v in scores.values())
    ):
        return "scores must be numbers"
    return None


def _is_line(value: Any, most: int = 1000) -> bool:
    return isinstance(value, str) and len(value) <= most and printable(value) == value


def _is_class(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (_is_line(value, MAX_CLASS_TEXT) and value != "")


def _mismatch(estimator: Any, header: Mapping[str, Any]) -> str | None:
    """How a loaded estimator and its header disagree, or None: it must be a fitted
    classifier of the header's classes, taking the header's number of features."""
    if not (callable(getattr(estimator, "predict", None)) and hasattr(estimator, "classes_")):
        return "it holds no fitted classifier"
    if not callable(getattr(estimator, "predict_proba", None)):
        return "its classifier gives no class probabilities"
    classes = [c.item() if isinstance(c, np.generic) else c for c in estimator.classes_]
    if classes != list(header["classes"]):
        return f"its classifier predicts {classes!r:.80}, not the classes {header['classes']!r:.80}"
    if getattr(estimator, "n_features_in_", len(header["features"])) != len(header["features"]):
        return f"its classifier takes {estimator.n_features_in_} features, not the header's"
    return None
