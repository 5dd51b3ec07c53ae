"""Reading a model file safely, and refusing (with :class:`ModelFileError`) anything that is
not a complete, unchanged model file of a format this library reads.

A file is refused before it is used: a folder, a device, a pipe or a socket; more than
:data:`MAX_MODEL_BYTES`; text that is not UTF-8 or not JSON; JSON no model holds (NaN or
Infinity, a number of more than :data:`MAX_DIGITS` digits, nesting deeper than
:data:`MAX_DEPTH`, a key twice in one object); a file of another format or a newer version; a
checksum that does not match; and any field of the wrong type or out of range, every problem
listed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
from collections.abc import Sequence
from os import PathLike
from typing import Any

import numpy as np

from segmentation import __version__
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.model.evaluation import Evaluation
from segmentation.model.inputs import (
    FILE_ALGORITHMS,
    MAX_CENTRE,
    MAX_MODEL_SPENDING,
    MAX_SEEDS,
    MAX_TEXT,
    MIN_SCALE,
    MISSING_SETTINGS,
    N_INIT_RANGE,
    ROUNDING,
    SEED_RANGE,
    TRANSFORMS,
    shown,
    whole,
)
from segmentation.model.limits import MAX_K
from segmentation.model.naming import CHANNEL_WORDS, SIZE_WORDS

#: What the "format" field of a model file says, and the newest format this library reads.
#: Format 2 records each segment's Retail share and names segments by the rules below; a
#: format 1 file still loads (see :meth:`SegmentationModel.from_dict`). Format 3 records the
#: missing-value setting of the fit (``"missing"``); a format 1 or 2 file loads as "refuse".
#: Format 4 records a summary of the training data for drift monitoring (``"monitoring"``,
#: null when unknown); a format 1 to 3 file loads without it.
FORMAT = "customer-segmentation model"
FORMAT_VERSION = 4

#: The largest model file read: a segment takes about 1 kB, so this is a model of some 50,000
#: segments.
MAX_MODEL_BYTES = 50_000_000
#: A model file nests objects and lists 4 deep (the file, its segments, a segment, its mean
#: spending); deeper than this is no model file, and would exhaust Python's stack at 1,000 or so.
MAX_DEPTH = 32
#: The longest whole number a model file holds (a count of customers, a seed) has 20 digits.
MAX_DIGITS = 20


class ModelFileError(ValueError):
    """A model file that cannot be used; the message says why and what to do.

    ``kind`` says which sort of file it was, for a program that words its own advice (the
    command line does): ``"table"`` for a CSV table given where a model goes, ``"not a
    model"`` for any other file that is no model at all, ``"unusable"`` for the rest (a
    missing, damaged or newer model file).
    """

    def __init__(
        self, path: str, problems: Sequence[str], hint: str, *, kind: str = "unusable"
    ) -> None:
        self.path, self.problems, self.hint, self.kind = path, list(problems), hint, kind
        lines = [f"{path} cannot be used as a segmentation model:"]
        lines += [f"  - {p}" for p in self.problems]
        lines.append(hint)
        super().__init__("\n".join(lines))


_HINT_NOT_MODEL = "Give the .json file written by `segmentation fit` or SegmentationModel.save."
_HINT_DAMAGED = (
    "The file is damaged or was edited by hand. Fit and save the model again "
    "(`segmentation fit DATA.csv -o model.json`), or use an unchanged copy."
)


def check_model_data(data: Any, path: str) -> None:
    """Refuse (with :class:`ModelFileError`) data that is not a model file of a format this
    library reads, unchanged since it was saved, with every field of its type and range."""
    _check_envelope(data, path)
    problems = _schema_problems(data)
    if problems:
        raise ModelFileError(path, problems, _HINT_DAMAGED)


def read_model_data(path: str | PathLike[str], name: str) -> Any:
    """The JSON data of the model file at ``path`` (called ``name`` in messages), read as data
    only: no code runs, and what no model file holds is refused before it is used."""
    return model_data_of(_read_regular_file(path, name), name)


def read_model_bytes(path: str | PathLike[str], name: str) -> bytes:
    """The bytes of the model file at ``path``, read once (regular files only), for a
    caller that keeps what it parsed: :func:`model_data_of` then parses them."""
    return _read_regular_file(path, name)


def model_data_of(content: bytes, name: str) -> Any:
    """The JSON data of a model file's bytes, checked as :func:`read_model_data` does."""
    return _parse_model(_model_text(content, name), name)


def _model_text(content: bytes, name: str) -> str:
    if len(content) > MAX_MODEL_BYTES:
        raise ModelFileError(
            name,
            [
                f"it is larger than {MAX_MODEL_BYTES // 1_000_000} MB, and "
                "no model file is (a segment takes about 1 kB)."
            ],
            _HINT_NOT_MODEL,
            kind="not a model",
        )
    try:
        # A byte-order mark (Notepad writes one) is no content: the checksum covers the
        # parsed data, which the mark does not change.
        return content.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ModelFileError(
            name,
            ["the file is not text (a model file is JSON)."],
            _HINT_NOT_MODEL,
            kind="not a model",
        ) from None


def _read_regular_file(path: str | PathLike[str], name: str) -> bytes:
    """At most MAX_MODEL_BYTES + 1 bytes of a regular file. Anything else is refused before
    it is read: a model file is a small file on disk, so a terminal (which would wait for
    typing), a pipe (which would wait for a writer), a device (which may never end) or a
    socket is no model file. The type is checked with os.stat before opening, and again on
    the open file, which is opened without waiting (O_NONBLOCK) in case it changed between."""
    try:
        _check_regular(os.stat(path), name)
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _O_BINARY)
        with open(handle, "rb") as file:
            _check_regular(os.fstat(handle), name)
            return file.read(MAX_MODEL_BYTES + 1)
    except FileNotFoundError:
        raise ModelFileError(
            name,
            ["no such file."],
            "Check the name and the folder, or make a model first with "
            "`segmentation fit DATA.csv -o model.json`.",
        ) from None
    except OSError as exc:
        raise ModelFileError(
            name,
            [f"the file cannot be opened ({exc.strerror or exc})."],
            "Check that it exists and that you may read it.",
        ) from None
    except ModelFileError:
        raise
    except ValueError:  # a NUL character in the name
        raise ModelFileError(
            shown(name), ["no file can have this name."], "Check the name."
        ) from None


_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows only: no newline translation


def _check_regular(status: os.stat_result, name: str) -> None:
    if stat.S_ISDIR(status.st_mode):
        raise ModelFileError(
            name, ["this is a folder, not a file."], "Give the path of the model's .json file."
        )
    if not stat.S_ISREG(status.st_mode):
        raise ModelFileError(
            name,
            [
                "this is not a regular file (it is a device, a terminal, a pipe or a socket); "
                "a model is read only from a file on disk."
            ],
            _HINT_NOT_MODEL,
            kind="not a model",
        )


class _Refused(Exception):
    """JSON that no model file holds, met while parsing; the message says what it was."""


def _parse_model(text: str, name: str) -> Any:
    """The JSON data of a model file's text; anything a model file cannot hold is refused
    before it can exhaust the stack (nesting) or Python's limits (long numbers)."""
    began_as_model = text.lstrip().startswith("{")
    hint = _HINT_DAMAGED if began_as_model else _HINT_NOT_MODEL
    kind = "unusable" if began_as_model else "not a model"
    if _nesting(text) > MAX_DEPTH:
        raise ModelFileError(
            name,
            [f"it nests lists or objects more than {MAX_DEPTH} deep; a model file nests 4 deep."],
            hint,
            kind=kind,
        )
    try:
        return json.loads(
            text,
            parse_int=_whole_number,
            parse_float=_finite_number,
            parse_constant=_no_constant,
            object_pairs_hook=_unique_keys,
        )
    except _Refused as exc:
        raise ModelFileError(name, [str(exc)], hint, kind=kind) from None
    except json.JSONDecodeError as exc:
        problem = f"the file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        first = text.lstrip().partition("\n")[0].strip()
        if began_as_model:  # a model file cut short or edited: it began as one
            raise ModelFileError(name, [problem], _HINT_DAMAGED) from None
        if len(re.split(r"[,;\t]", first)) > 1:
            shown = first if len(first) <= 60 else f"{first[:60]}…"
            raise ModelFileError(
                name,
                [(f"it is not a model file: it looks like a CSV table (first line: {shown!r}).")],
                _HINT_NOT_MODEL,
                kind="table",
            ) from None
        raise ModelFileError(name, [problem], _HINT_NOT_MODEL, kind="not a model") from None


#: A JSON string, escapes included (the brackets inside one nest nothing).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def _nesting(text: str) -> int:
    """How deep the lists and objects of a JSON text nest, counted without recursion and
    only as far as :data:`MAX_DEPTH` + 1 (a deeper text stops the count there).

    Up to the first place where the text stops being JSON this is the depth json.loads would
    reach (after it, json.loads stops anyway)."""
    brackets = re.sub(r"[^\[\]{}]", "", _JSON_STRING.sub("", text)).encode("ascii")
    depth = deepest = 0
    block = 1 << 16  # small blocks: memory stays small, a deep file stops early
    for start in range(0, len(brackets), block):
        steps = np.frombuffer(brackets[start : start + block], dtype=np.uint8)
        levels = depth + np.cumsum(np.where((steps == ord("[")) | (steps == ord("{")), 1, -1))
        deepest, depth = max(deepest, int(levels.max())), int(levels[-1])
        if deepest > MAX_DEPTH:
            break
    return deepest


def _whole_number(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise _Refused(
            f"it holds a whole number of {digits:,} digits; the longest in a model "
            f"file has {MAX_DIGITS}."
        )
    return int(text)


def _finite_number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(
            f"it holds the number {shown(text)}, too large for a computer's "
            "numbers (beyond 1.8e308)."
        )
    return value


def _no_constant(text: str) -> None:
    raise _Refused(
        f"it holds {text}, which is no number (JSON has no such value; a model "
        "file never holds one)."
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _Refused(
                f"the key {shown(key)} appears twice in one object: a person "
                "reading the file sees the first value, a program the last."
            )
        seen.add(key)
    return dict(pairs)


def checksum(payload: dict[str, Any]) -> str:
    canonical = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_envelope(data: Any, path: str) -> None:
    """Is this a model file at all, of a format we read, unchanged since it was saved?"""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFileError(
            path,
            [(f'it is JSON, but not a model file (no "format": "{FORMAT}").')],
            _HINT_NOT_MODEL,
            kind="not a model",
        )
    version = data.get("format_version")
    if not isinstance(version, int) or not whole(version, 1, _MANY):
        raise ModelFileError(
            path, [f"its format_version is {shown(version)}, not a version number."], _HINT_DAMAGED
        )
    if version > FORMAT_VERSION:
        made_by = data.get("library_version")
        if not (isinstance(made_by, str) and _is_text(made_by) and len(made_by) <= 40):
            made_by = "a newer version"
        raise ModelFileError(
            path,
            [
                (
                    f"it is a format {version} model (written by customer-segmentation "
                    f"{made_by}); this is customer-segmentation {__version__}, which reads "
                    f"format {FORMAT_VERSION}."
                )
            ],
            "Upgrade the course package (pip install -U customer-segmentation), or fit the "
            "model again with this version.",
        )
    payload = {key: value for key, value in data.items() if key != "checksum"}
    try:
        expected = checksum(payload)
    except UnicodeEncodeError:  # "\ud800" is valid JSON, but no character
        raise ModelFileError(
            path,
            ["it holds text that is not Unicode (a lone surrogate such as \\ud800)."],
            _HINT_DAMAGED,
        ) from None
    except (TypeError, ValueError, RecursionError):  # from_dict given more than JSON data
        raise ModelFileError(
            path,
            [
                "it holds values that JSON cannot: a model is numbers, "
                "text, lists and objects, nested 4 deep."
            ],
            _HINT_DAMAGED,
        ) from None
    if data.get("checksum") != expected:
        raise ModelFileError(
            path,
            [
                (
                    "its checksum does not match its content: the file was changed after it "
                    "was saved, or is damaged."
                )
            ],
            _HINT_DAMAGED,
        )


#: What each field of a model file holds (a type, or a tuple of types; never True or False).
_NUMBER = (int, float)
_FILE_FIELDS: dict[str, Any] = {
    "format": str,
    "format_version": int,
    "library_version": str,
    "features": list,
    "transform": str,
    "scaling": dict,
    "kmeans": dict,
    "segments": list,
    "training_data": dict,
    "evaluation": (dict, type(None)),
    "checksum": str,
}
_SCALING_FIELDS: dict[str, Any] = {"mean": list, "scale": list}
_KMEANS_FIELDS: dict[str, Any] = {
    "algorithm": str,
    "k": int,
    "n_init": int,
    "random_state": int,
    "centres": list,
}
_TRAINING_FIELDS: dict[str, Any] = {
    "customers": int,
    "data_sha256": str,
    "source": (str, type(None)),
}
#: What format 3 added: the missing-value setting of the fit, and what it filled.
_MISSING_FIELDS: dict[str, Any] = {
    "setting": str,
    "imputed_values": int,
    "imputed_customers": int,
}
#: The fields of a segment in each format of the file.
SEGMENT_FIELDS: dict[int, dict[str, Any]] = {
    1: {
        "number": int,
        "name": str,
        "size": str,
        "buys_most": list,
        "kind": str,
        "strategy": str,
        "customers": int,
        "mean_total": _NUMBER,
        "mean_spending": dict,
    },
    2: {
        "number": int,
        "name": str,
        "size": str,
        "buys_more": list,
        "channel": (str, type(None)),
        "retail_share": (*_NUMBER, type(None)),
        "strategy": str,
        "customers": int,
        "mean_total": _NUMBER,
        "mean_spending": dict,
    },
}
SEGMENT_FIELDS[3] = SEGMENT_FIELDS[2]  # format 3 added the "missing" record only
SEGMENT_FIELDS[4] = SEGMENT_FIELDS[2]  # format 4 added the "monitoring" summary only
#: What format 4 added: the training data's PSI bins per feature and mean distance to the
#: nearest centre (see segmentation.monitor.drift.training_summary).
#: The mean distance is null when the training customers sat on their centres (no unit).
_MONITORING_FIELDS: dict[str, Any] = {"psi_bins": dict, "mean_distance": (*_NUMBER, type(None))}
_BIN_FIELDS: dict[str, Any] = {"edges": list, "shares": list}
#: More bins than PSI ever cuts (10): a forged file cannot make monitoring slow.
_MAX_BINS = 100
#: The evaluation's measures: their range, and whether null is allowed (not defined).
_EVALUATION_RANGES = {
    "J": (0.0, math.inf, False),
    "silhouette": (-1.0, 1.0, True),
    "channel_ari": (-1.0, 1.0, True),
    "stability": (-1.0, 1.0, False),
    "stability_min": (-1.0, 1.0, False),
}
#: Whole numbers up to 20 digits (see MAX_DIGITS).
_MANY = 10**MAX_DIGITS


def _schema_problems(data: dict[str, Any]) -> list[str]:
    """Everything about a (checksummed) model file that this library could not use: each
    field's type and range, and k the same everywhere (centres, segments, sizes)."""
    version: int = data["format_version"]  # checked to be a whole number before
    # Format 3 added "missing"; an older file may hold it too (an older file converted by
    # hand from a newer one), checked the same way.
    has_missing = version >= 3 or "missing" in data
    fields = {**_FILE_FIELDS, "missing": dict} if has_missing else _FILE_FIELDS
    # Format 4 added "monitoring" (null when unknown); an older file may hold it too.
    has_monitoring = version >= 4 or "monitoring" in data
    if has_monitoring:
        fields = {**fields, "monitoring": (dict, type(None))}
    problems = _field_problems(data, "", fields)
    if problems:
        return problems
    features = data["features"]
    if not (
        features
        and all(isinstance(f, str) and f in SPENDING_COLUMNS for f in features)
        and len(set(features)) == len(features)
    ):
        return [f'"features" must be distinct names from {", ".join(SPENDING_COLUMNS)}.']
    if data["transform"] not in TRANSFORMS:
        problems.append(f'"transform" must be one of {", ".join(TRANSFORMS)}.')
    if not _is_text(data["library_version"]):
        problems.append(
            f'"library_version" must be one line of text (at most {MAX_TEXT} characters).'
        )
    problems += _scaling_problems(data["scaling"], data["transform"], len(features))
    kmeans = _kmeans_problems(data["kmeans"], len(features))
    if kmeans:
        return problems + kmeans
    k = len(data["kmeans"]["centres"])
    segments = _segments_problems(data["segments"], features, k, data["format_version"])
    problems += segments
    problems += _training_problems(data["training_data"], None if segments else data["segments"])
    problems += _evaluation_problems(data["evaluation"], k)
    if has_missing:
        problems += _missing_problems(data["missing"], data["training_data"])
    if has_monitoring and data["monitoring"] is not None:
        problems += _monitoring_problems(data["monitoring"], features)
    return problems


def _monitoring_problems(monitoring: Any, features: list[str]) -> list[str]:
    """The monitoring summary: PSI bins of each feature on the log scale (cut points
    increasing, shares adding up to 1) and a mean distance above 0 (the unit of the distance
    monitors: 0 would divide by zero), or null."""
    problems = _field_problems(monitoring, "monitoring", _MONITORING_FIELDS)
    if problems:
        return problems
    distance = monitoring["mean_distance"]
    if distance is not None and not (_number(distance, 0, math.inf) and distance > 0):
        problems.append('"monitoring.mean_distance" must be a number above 0, or null.')
    bins = monitoring["psi_bins"]
    if set(bins) != set(features):
        return [*problems, '"monitoring.psi_bins" must have one entry per feature of the model.']
    for feature in features:
        where = f"monitoring.psi_bins.{feature}"
        problems += _field_problems(bins[feature], where, _BIN_FIELDS) or _bin_problems(
            bins[feature], where
        )
    return problems


def _bin_problems(stored: dict[str, Any], where: str) -> list[str]:
    """One feature's PSI bins: increasing cut points on the log scale, one share more."""
    edges, shares = stored["edges"], stored["shares"]
    top = math.log1p(MAX_MODEL_SPENDING) * (1 + ROUNDING)
    sound = (
        len(edges) < _MAX_BINS
        and _numbers(edges, len(edges), 0, top)
        and bool(np.all(np.diff(edges) > 0))
        and _numbers(shares, len(edges) + 1, 0, 1)
        and abs(sum(shares) - 1) <= 1e-9
    )
    return (
        []
        if sound
        else [
            f'"{where}" must hold increasing "edges" (at most {_MAX_BINS - 1}, from 0 to '
            f'{top:.4g}, the log scale) and one more "shares" from 0 to 1, adding up to 1.'
        ]
    )


def _missing_problems(missing: Any, training: Any) -> list[str]:
    """The missing-value record: a known setting, and counts within the training data."""
    fields = _field_problems(missing, "missing", _MISSING_FIELDS)
    if fields:
        return fields
    problems = []
    customers: Any = training.get("customers") if isinstance(training, dict) else None
    top = customers if whole(customers, 1, _MANY) else _MANY
    if missing["setting"] not in MISSING_SETTINGS:
        problems.append(f'"missing.setting" must be one of {", ".join(MISSING_SETTINGS)}.')
    if not whole(missing["imputed_customers"], 0, top):
        problems.append(
            '"missing.imputed_customers" must be a whole number from 0 to the training customers.'
        )
    elif not whole(missing["imputed_values"], missing["imputed_customers"], _MANY):
        problems.append(
            '"missing.imputed_values" must be a whole number, at least "imputed_customers".'
        )
    elif missing["setting"] == "refuse" and missing["imputed_values"]:
        problems.append('"missing.imputed_values" must be 0 when the setting is "refuse".')
    return problems


def _field_problems(value: Any, where: str, fields: dict[str, Any]) -> list[str]:
    """``value`` must be an object with exactly ``fields``, each of its type."""
    if not isinstance(value, dict):
        return [f'"{where}" must be an object with the fields {", ".join(fields)}.']
    prefix = f"{where}." if where else ""
    problems = [
        f'field "{prefix}{key}" is missing or not {_kind_words(kind)}.'
        for key, kind in fields.items()
        if key not in value or not _is(value[key], kind)
    ]
    owner = f'"{where}"' if where else "the file"
    problems += [
        f"{owner} has a field {shown(key)} that a model file does not have."
        for key in value
        if key not in fields
    ]
    return problems


def _kind_words(kind: Any) -> str:
    words = {
        str: "text",
        int: "a whole number",
        float: "a number",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if float in kinds:
        kinds = tuple(k for k in kinds if k is not int)
    return " or ".join(words[k] for k in kinds)


def _scaling_problems(scaling: Any, transform: str, d: int) -> list[str]:
    problems = _field_problems(scaling, "scaling", _SCALING_FIELDS)
    if problems:
        return problems
    log = transform == "log"
    top = math.log1p(MAX_MODEL_SPENDING) if log else MAX_MODEL_SPENDING
    if not _numbers(scaling["mean"], d, 0, top * (1 + ROUNDING)):
        problems.append(
            f'"scaling.mean" must be {d} numbers from 0 to {top:.4g} (mean '
            f"spending{' after the log' if log else ''})."
        )
    if not _numbers(scaling["scale"], d, MIN_SCALE, top):
        problems.append(
            f'"scaling.scale" must be positive: {d} numbers from {MIN_SCALE:g} '
            f"to {top:.4g} (standard deviations)."
        )
    return problems


def _kmeans_problems(km: Any, d: int) -> list[str]:
    problems = _field_problems(km, "kmeans", _KMEANS_FIELDS)
    if problems:
        return problems
    if km["algorithm"] not in FILE_ALGORITHMS:
        problems.append(f'"kmeans.algorithm" must be one of {", ".join(FILE_ALGORITHMS)}.')
    for key, (low, high) in (("n_init", N_INIT_RANGE), ("random_state", SEED_RANGE)):
        if not whole(km[key], low, high):
            problems.append(f'"kmeans.{key}" must be a whole number from {low} to {high}.')
    centres = km["centres"]
    if len(centres) > MAX_K:  # before reading them: a forged k would make every use slow
        problems.append(
            f'"kmeans.centres" holds {len(centres):,} segments; a model has at most {MAX_K:,}.'
        )
    elif not (centres and all(_numbers(c, d, -MAX_CENTRE, MAX_CENTRE) for c in centres)):
        problems.append(
            f'"kmeans.centres" must be a list of k rows of {d} numbers from '
            f"{-MAX_CENTRE:g} to {MAX_CENTRE:g} (the scaled space)."
        )
    elif km["k"] != len(centres):
        problems.append(
            f'"kmeans.k" ({shown(km["k"])}) must equal the number of centres ({len(centres)}).'
        )
    return problems


def _segments_problems(segments: list[Any], features: list[str], k: int, version: int) -> list[str]:
    """The segments: one per centre, numbered 0 to k - 1 in order, each of its format."""
    if len(segments) != k:
        return [f"there must be one segment per centre ({k}), not {len(segments)}."]
    fields = SEGMENT_FIELDS[version]
    problems = []
    for j, segment in enumerate(segments):
        if not (isinstance(segment, dict) and set(segment) == set(fields)):
            problems.append(f"segment {j} must have exactly the fields {', '.join(fields)}.")
            continue
        wrong = [
            f'segment {j}: "{f}" must be {_kind_words(kind)}.'
            for f, kind in fields.items()
            if not _is(segment[f], kind)
        ]
        if not wrong and segment["number"] != j:
            wrong = [f'segment {j}: "number" must be {j}: segments are numbered from 0, in order.']
        problems += wrong or _segment_problems(segment, features)
    names = [s.get("name") for s in segments if isinstance(s, dict)]
    # As a person reads them: "Big" and "Big " (or "Big  spender") are one name.
    names = [" ".join(name.split()) for name in names if isinstance(name, str)]
    if len(set(names)) != len(names):
        problems.append("segment names must differ from each other (spaces aside).")
    return problems


def _segment_problems(segment: dict[str, Any], features: list[str]) -> list[str]:
    """What is wrong inside one segment (its fields are there, with the right types)."""
    j, problems = segment["number"], []

    def need(condition: bool, message: str) -> None:
        if not condition:
            problems.append(f"segment {j}: {message}")

    top = MAX_MODEL_SPENDING * (1 + ROUNDING)
    for key in ("name", "strategy", "kind"):
        if key in segment:
            need(
                _is_text(segment[key]),
                f'"{key}" must be one line of text (at most {MAX_TEXT} characters).',
            )
    need(not str(segment["name"]).isspace(), '"name" must not be blank.')
    need(segment["size"] in SIZE_WORDS, f'"size" must be one of {", ".join(SIZE_WORDS)}.')
    key = "buys_more" if "buys_more" in segment else "buys_most"
    bought = segment[key]
    need(
        all(isinstance(c, str) and c in features for c in bought)
        and len(set(bought)) == len(bought),
        f'"{key}" must list features of the model.',
    )
    need(whole(segment["customers"], 1, _MANY), '"customers" must be a whole number of 1 or more.')
    need(
        _number(segment["mean_total"], 0, top * len(features)),
        f'"mean_total" must be a number from 0 to {top * len(features):.4g}.',
    )
    spending = segment["mean_spending"]
    need(
        set(spending) == set(features)
        and _numbers([spending[c] for c in features], len(features), 0, top),
        f'"mean_spending" must give a number from 0 to {MAX_MODEL_SPENDING:g} for each feature.',
    )
    if "channel" in segment:
        channel, share = segment["channel"], segment["retail_share"]
        need(
            (share is None) == (channel is None)
            and channel in (*CHANNEL_WORDS, None)
            and (share is None or _number(share, 0, 1)),
            f'"channel" must be one of {", ".join(CHANNEL_WORDS)} with a "retail_share" '
            "from 0 to 1, or both null.",
        )
    return problems


def _training_problems(training: Any, segments: list[dict[str, Any]] | None) -> list[str]:
    """The training data's record; its customers are the segments' (when those are sound)."""
    problems = _field_problems(training, "training_data", _TRAINING_FIELDS)
    if problems:
        return problems
    customers = training["customers"]
    if not whole(customers, 1, _MANY):
        problems.append('"training_data.customers" must be a whole number of 1 or more.')
    elif segments is not None and sum(s["customers"] for s in segments) != customers:
        problems.append(
            f'"training_data.customers" ({customers}) must be the segments\' '
            f"customers added up ({sum(s['customers'] for s in segments)})."
        )
    if not re.fullmatch(r"[0-9a-f]{64}", training["data_sha256"]):
        problems.append('"training_data.data_sha256" must be a sha256: 64 hexadecimal digits.')
    if not (training["source"] is None or _is_text(training["source"], empty=True)):
        problems.append(
            f'"training_data.source" must be null or one line of text (at most '
            f"{MAX_TEXT} characters)."
        )
    return problems


def _evaluation_problems(evaluation: dict[str, Any] | None, k: int) -> list[str]:
    if evaluation is None:
        return []
    keys = list(Evaluation.__dataclass_fields__)
    if set(evaluation) != set(keys):
        return [f'"evaluation" must be null or have exactly the fields {", ".join(sorted(keys))}.']
    problems = [
        f'"evaluation.{key}" must be a number from {low:g} to {high:g}'
        f"{' or null' if nullable else ''}."
        for key, (low, high, nullable) in _EVALUATION_RANGES.items()
        if not (nullable and evaluation[key] is None)
        and not _number(evaluation[key], low, high + ROUNDING)
    ]
    customers, sizes = evaluation["customers"], evaluation["sizes"]
    if not whole(customers, 1, _MANY):
        problems.append('"evaluation.customers" must be a whole number of 1 or more.')
    elif not (
        isinstance(sizes, list)
        and len(sizes) == k
        and all(whole(s, 0, customers) for s in sizes)
        and sum(sizes) == customers
    ):
        problems.append(
            f'"evaluation.sizes" must be {k} whole numbers, the customers of '
            'each segment, adding up to "evaluation.customers".'
        )
    if not whole(evaluation["seeds"], 1, MAX_SEEDS):
        problems.append(f'"evaluation.seeds" must be a whole number from 1 to {MAX_SEEDS}.')
    return problems


def _is(value: Any, kind: Any) -> bool:
    """isinstance, except that True and False are not numbers in a model file."""
    return isinstance(value, kind) and not isinstance(value, bool)


def _is_text(value: Any, *, empty: bool = False) -> bool:
    """One line of printable text (no control characters, no lone surrogates) of at most
    :data:`MAX_TEXT` characters."""
    return (
        isinstance(value, str)
        and (empty or value != "")
        and len(value) <= MAX_TEXT
        and value.isprintable()
    )


def _number(value: Any, low: float, high: float) -> bool:
    """A finite number (not True or False) from ``low`` to ``high``."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value))
        and low <= value <= high
    )


def _numbers(values: Any, length: int, low: float, high: float) -> bool:
    return (
        isinstance(values, list)
        and len(values) == length
        and all(_number(v, low, high) for v in values)
    )
