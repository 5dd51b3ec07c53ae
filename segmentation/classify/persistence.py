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
import pickletools
import stat
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from segmentation import __version__
from segmentation.data.output import shown_path, write_atomically
from segmentation.data.schema import LABEL_CODES, SPENDING_COLUMNS
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

#: The largest classifier file read, and the most its archive may unpack to. A random forest
#: of 100 deep trees on the 440 customers unpacks to 2.6 MB (2.3 MB of it the schema), so 300
#: such trees to about 8 MB: the caps leave more than ten times that, and still bound the
#: memory a crafted file can take while it loads (a file's arrays become memory one to one).
MAX_CLASSIFIER_BYTES = 100_000_000
MAX_UNPACKED_BYTES = 100_000_000
#: The most the archive's description of its objects (``schema.json``) may unpack to: it is
#: parsed whole before anything is loaded, and JSON takes several times its size in memory.
MAX_SCHEMA_BYTES = 20_000_000
#: Score names are at most this long.
MAX_SCORE_TEXT = 100
#: How much of a file is read to tell a pickle of the old text protocols from other files.
_PICKLE_SNIFF_BYTES = 1_000_000
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
    #: The file it was read from, named when it cannot predict.
    path: str = ""

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

        Raises
        ------
        ClassifierFileError
            When the stored estimator fails on these customers (a file edited by hand).
        """
        matrix = spending_matrix(customers, self.features, "the customers")
        X = pd.DataFrame(matrix, columns=list(self.features))
        columns = self.columns
        try:
            table = pd.DataFrame(self.estimator.predict_proba(X), columns=columns[1:])
            table.insert(0, columns[0], self.estimator.predict(X))
        except MemoryError:
            raise
        except Exception as exc:  # the estimator's own errors: the file's content is wrong
            reason = (printable(" ".join(str(exc).split())) or "")[:200] or type(exc).__name__
            raise ClassifierFileError(
                self.path or "the classifier",
                f"the classifier in it cannot predict these customers: {reason}.",
                "Fit it again with `segmentation classify`.",
            ) from None
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
    problem = _mismatch(stored["estimator"], header) or _trees_problem(stored["estimator"])
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
        path=os.fsdecode(path),
    )


def starts_like_a_classifier(path: str | PathLike[str]) -> bool:
    """Whether a file begins as a classifier file (a zip archive), is a pickle or is empty,
    which :func:`load_classifier` explains; by its content, whatever its name. False for
    anything that cannot be read: the reader of the other kind of file says why."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as file:
            start = file.read(_PICKLE_SNIFF_BYTES)
    except (OSError, ValueError):
        return False
    return not start or start.startswith(_ZIP_MAGIC) or _is_pickle(start)


def _is_pickle(content: bytes) -> bool:
    """Whether ``content`` is a pickle: one of protocol 2 or later (and so a joblib file) by
    its first byte; one of the old text protocols 0 and 1 (which start with an opcode such
    as ``(`` and hold no magic bytes) by reading its opcodes up to its end, which runs none of
    them. JSON, CSV and zip archives never start with these opcodes."""
    if content.startswith(_PICKLE_MAGIC):
        return True
    if not content.startswith((b"(", b"}", b"]", b")", b"c")):
        return False
    try:
        for opcode, _, _ in pickletools.genops(io.BytesIO(content)):
            if opcode.name == "STOP":
                return True
    except (ValueError, UnicodeDecodeError):
        return False
    return False


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
    """Refuse a pickle, a file of another kind, and a damaged, oversized or padded archive."""
    if not content:
        raise ClassifierFileError(path, "the file is empty.")
    if _is_pickle(content[:_PICKLE_SNIFF_BYTES]):
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
            sizes = {member.filename: member.file_size for member in archive.infolist()}
            _check_sizes(sizes, path)
            broken = archive.testzip()
            if broken is None:
                _check_schema(archive.read("schema.json"), set(sizes), path)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, ValueError, zlib.error) as exc:
        if isinstance(exc, ClassifierFileError):
            raise
        raise ClassifierFileError(
            path, "the archive is cut short or damaged.", _HINT_AGAIN
        ) from None
    if broken is not None:
        raise ClassifierFileError(path, f"its part {broken!r} is damaged.", _HINT_AGAIN)


def _check_sizes(sizes: Mapping[str, int], path: str | PathLike[str]) -> None:
    """Refuse a zip archive that is no skops file, or whose parts would unpack too large."""
    if "schema.json" not in sizes:
        raise ClassifierFileError(
            path,
            "it is a zip archive (such as a spreadsheet), not a classifier file written by "
            "segmentation classify.",
        )
    if sum(sizes.values()) > MAX_UNPACKED_BYTES:
        raise ClassifierFileError(
            path, f"it would unpack to more than {MAX_UNPACKED_BYTES // 1_000_000} MB."
        )
    if sizes["schema.json"] > MAX_SCHEMA_BYTES:
        raise ClassifierFileError(
            path,
            f"its description of the model is larger than {MAX_SCHEMA_BYTES // 1_000_000} MB, "
            "as no classifier's is.",
            _HINT_AGAIN,
        )


def _check_schema(text: bytes, members: set[str], path: str | PathLike[str]) -> None:
    """Refuse a schema that stores more than a header and an estimator, that names one array
    file for two objects (loading it again and again would multiply its memory; one object
    named twice, by the same ``__id__``, is loaded once), or beside which the archive holds
    parts the schema never names (skops would skip them unread)."""
    try:
        schema = json.loads(text)
    except (ValueError, RecursionError):
        schema = None
    content = schema.get("content") if isinstance(schema, dict) else None
    if not (isinstance(content, dict) and set(content) == {"header", "estimator"}):
        raise ClassifierFileError(path, "it is a skops file, but of another program.")
    files = _array_files(schema)
    unnamed = members - {"schema.json", *files}
    shared = any(not ids[0] or len(set(ids)) > 1 for ids in files.values() if len(ids) > 1)
    if shared or unnamed:
        raise ClassifierFileError(
            path, "its parts do not match its description of the model.", _HINT_AGAIN
        )


def _array_files(schema: Any) -> dict[str, list[Any]]:
    """The ``file`` of every node of a skops schema, with the ``__id__`` of each node that
    names it (None for a node without one)."""
    files: dict[str, list[Any]] = {}
    pending = [schema]
    while pending:  # a loop, not recursion: a deeply nested schema cannot overflow the stack
        node = pending.pop()
        if isinstance(node, dict):
            if "__loader__" in node and "file" in node:
                files.setdefault(str(node["file"]), []).append(node.get("__id__"))
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return files


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
    version = header.get("format_version")
    if isinstance(version, bool) or version != FORMAT_VERSION:
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
    labels = LABEL_CODES.get(header["target"])
    if labels is None or sorted(map(str, classes)) != sorted(labels.values()):
        return "the target must be " + " or ".join(
            f"{name} with the classes {', '.join(sorted(codes.values()))}"
            for name, codes in LABEL_CODES.items()
        )
    if not (
        isinstance(scores, dict)
        and all(isinstance(v, float) and np.isfinite(v) for v in scores.values())
    ):
        return "scores must be numbers"
    if not all(_is_line(key, MAX_SCORE_TEXT) and key for key in scores):
        return f"score names must be one short line of text each (at most {MAX_SCORE_TEXT})"
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
    # The header's list says in which order the columns are handed over; the estimator keeps
    # the order it was fitted on. A list reordered by hand would silently swap features.
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return "its classifier keeps no feature names (fit it on a table of the features)"
    if [str(name) for name in names] != list(header["features"]):
        return "its classifier was fitted on other columns, or in another order, than the header's"
    return None


def _trees_problem(estimator: Any) -> str | None:
    """What is wrong with the fitted trees inside an estimator, or None.

    Scikit-learn's compiled tree code follows a tree's child and feature indices without
    checking them: an index edited in the file makes ``predict`` read outside its arrays and
    crash Python. So every tree of a decision tree, a random forest or gradient boosting is
    checked before use, each against the fewest features any estimator above it checks its
    input for (a forest checks its input, not its trees).
    """
    from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.tree._tree import Tree

    pending: list[tuple[Any, float]] = [(estimator, np.inf)]
    seen: set[int] = set()
    while pending:
        item, bound = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Tree):
            bad = not _tree_is_sound(item, bound)
        elif isinstance(item, TreePredictor):
            bad = not _predictor_is_sound(item, bound)
        elif isinstance(item, _BinMapper):
            # Categorical features (which no course model has) are read through more indices.
            bad = bool(np.any(getattr(item, "is_categorical_", None)))
        else:
            bad = False
            features = getattr(item, "n_features_in_", None) if hasattr(item, "fit") else None
            if isinstance(features, (int, np.integer)) and not isinstance(features, bool):
                bound = min(bound, int(features))
            pending.extend((child, bound) for child in _parts(item))
        if bad:
            return "a tree of its classifier is damaged"
    return None


def _parts(item: Any) -> list[Any]:
    """What an estimator, a list, a tuple or a dictionary holds (nothing for other values)."""
    if isinstance(item, (list, tuple)):
        return list(item)
    if isinstance(item, dict):
        return list(item.values())
    if hasattr(item, "fit") and hasattr(item, "__dict__"):
        return list(vars(item).values())
    return []


def _tree_is_sound(tree: Any, n_features: float) -> bool:
    """Whether a scikit-learn ``Tree`` has sound arrays (leaves have -1 for both children)."""
    left, right = tree.children_left, tree.children_right
    leaf = left == -1
    return (
        tree.node_count >= 1
        and bool(np.all(right[leaf] == -1))
        and _inner_nodes_sound(left, right, tree.feature, tree.threshold, ~leaf, n_features)
        and bool(np.all(np.isfinite(tree.value)))
    )


def _predictor_is_sound(predictor: Any, n_features: float) -> bool:
    """Whether a gradient-boosting ``TreePredictor`` has sound nodes (none categorical)."""
    nodes = predictor.nodes
    inner = nodes["is_leaf"] == 0
    return (
        len(nodes) >= 1
        and not np.any(nodes["is_categorical"][inner])
        and _inner_nodes_sound(
            nodes["left"],
            nodes["right"],
            nodes["feature_idx"],
            nodes["num_threshold"],
            inner,
            n_features,
        )
        and bool(np.all(np.isfinite(nodes["value"])))
    )


def _inner_nodes_sound(
    left: np.ndarray,
    right: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    inner: np.ndarray,
    n_features: float,
) -> bool:
    """Whether every inner node splits on a feature below ``n_features`` at a finite
    threshold, with both children after it in the array (as scikit-learn writes trees: so the
    indices stay inside the array and no path can loop)."""
    index = np.arange(len(left))[inner]
    count = len(left)
    children = [np.asarray(c[inner], dtype=np.int64) for c in (left, right)]
    split_on = np.asarray(feature[inner], dtype=np.int64)
    return (
        all(bool(np.all((c > index) & (c < count))) for c in children)
        and bool(np.all((split_on >= 0) & (split_on < n_features)))
        and bool(np.all(np.isfinite(threshold[inner])))
    )
