"""A segmentation model as a JSON file that a person can read, and back.

The file holds the features, the transform, the scaling (mean and standard deviation of each
feature), the k-means centres and settings, the segments (names, Retail shares, strategies),
the training data's checksum, the library version and a checksum of the whole, so that
:func:`load_model` refuses a damaged, edited or incompatible file with a message that says
what is wrong (a ``ModelFileError``: see :mod:`segmentation.model.file_checks`). Models are
never pickled: loading a file runs no code from it.

A format 1 file (written before segments recorded their Retail share) loads with its
features, scaling and centres unchanged, so it segments customers as before; its segments
are named again by today's rules from their stored mean spending, without a channel (format
1 did not record it). Fit again to name them with their channel mix. A format 1 or 2 file
(written before models took missing values) loads with the setting "refuse". A format 1 to 3
file loads without the summary of its training data that drift monitoring uses (format 4,
``monitoring_``): it is monitored against the training data, or by its segment sizes only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from segmentation.data.output import write_atomically
from segmentation.model.evaluation import Evaluation
from segmentation.model.file_checks import (
    FORMAT,
    FORMAT_VERSION,
    check_model_data,
    checksum,
    read_model_data,
)
from segmentation.model.inputs import shown
from segmentation.model.naming import Segment, renamed_segments

if TYPE_CHECKING:
    from segmentation.model.pipeline import SegmentationModel


#: The missing-value record of a model fitted before the setting existed.
_NO_MISSING = {"setting": "refuse", "imputed_values": 0, "imputed_customers": 0}


@dataclass(frozen=True)
class StoredModel:
    """What a model file holds, checked: the settings, and what was learnt."""

    features: tuple[str, ...]
    transform: str
    mean: np.ndarray
    scale: np.ndarray
    centres: np.ndarray
    algorithm: str
    random_state: int
    n_init: int
    segments: list[Segment]
    training: dict[str, Any]
    evaluation: Evaluation | None
    library_version: str
    missing: dict[str, Any]
    monitoring: dict[str, Any] | None = None


def file_content(model: SegmentationModel) -> dict[str, Any]:
    """The model as plain data: what its file holds, the checksum last."""
    return stored_content(
        StoredModel(
            # The fitted settings, not the parameters: set_params after fit changes nothing
            # here until the next fit, so the settings always match the scaling and centres.
            features=tuple(model.features_in_),
            transform=model.transform_,
            mean=model.mean,
            scale=model.scale,
            centres=model.centres,
            algorithm=model.algorithm_,
            random_state=int(model.random_state_),
            n_init=int(model.n_init_),
            segments=list(model.segments),
            training=dict(model.training),
            evaluation=model.evaluation,
            library_version=model.library_version,
            missing=dict(model.missing_),
            monitoring=model.monitoring_,
        )
    )


def stored_content(stored: StoredModel) -> dict[str, Any]:
    """What a model file holds, in the file's layout, the checksum last: the one writer of
    the layout, for a fitted model (:func:`file_content`) and for one made elsewhere (on
    Spark, say)."""
    evaluation = stored.evaluation
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": stored.library_version,
        "features": list(stored.features),
        "transform": stored.transform,
        "scaling": {"mean": stored.mean.tolist(), "scale": stored.scale.tolist()},
        "kmeans": {
            "algorithm": stored.algorithm,
            "k": len(stored.centres),
            "n_init": int(stored.n_init),
            "random_state": int(stored.random_state),
            "centres": stored.centres.tolist(),
        },
        "segments": [{**asdict(s), "buys_more": list(s.buys_more)} for s in stored.segments],
        "training_data": dict(stored.training),
        "evaluation": None
        if evaluation is None
        else {**asdict(evaluation), "sizes": list(evaluation.sizes)},
        "missing": dict(stored.missing),
        # Format 4: what drift monitoring needs of the training data (None if unknown).
        "monitoring": stored.monitoring,
    }
    return {**payload, "checksum": checksum(payload)}


def stored_model(data: Any, path: str = "<model>") -> StoredModel:
    """The content of a model file's data, checked (``ModelFileError`` if it is no
    model file this library reads; see :func:`load_model`)."""
    check_model_data(data, path)
    km, scaling, evaluation = data["kmeans"], data["scaling"], data["evaluation"]
    if data["format_version"] == 1:
        # Format 1 named segments by an older rule and kept no Retail shares: name them
        # again from their mean spending, saying nothing of channel.
        segments = renamed_segments(data["segments"], data["features"])
    else:
        segments = [Segment(**{**s, "buys_more": tuple(s["buys_more"])}) for s in data["segments"]]
    return StoredModel(
        features=tuple(data["features"]),
        transform=data["transform"],
        mean=np.array(scaling["mean"], dtype=float),
        scale=np.array(scaling["scale"], dtype=float),
        centres=np.array(km["centres"], dtype=float),
        algorithm=km["algorithm"],
        random_state=km["random_state"],
        n_init=km["n_init"],
        segments=segments,
        training=dict(data["training_data"]),
        evaluation=None
        if evaluation is None
        else Evaluation(**{**evaluation, "sizes": tuple(evaluation["sizes"])}),
        library_version=data["library_version"],
        # Formats 1 and 2 knew no missing values: their models refused them.
        missing=dict(data.get("missing", _NO_MISSING)),
        # Formats 1 to 3 kept no summary of the training data for monitoring.
        monitoring=data.get("monitoring"),
    )


def save_model(model: SegmentationModel, path: str | PathLike[str]) -> Path:
    """Write the model as JSON; the file appears whole or not at all.

    A name no file can have (one holding a NUL character) raises ValueError with a message
    that says so, before anything is written (:func:`load_model` refuses it with a
    ``ModelFileError``, a ValueError too).
    """
    if "\0" in str(path):  # as load_model refuses it (open would say "embedded null byte")
        raise ValueError(
            f"the model cannot be saved as {shown(str(path))}: no file can have this name "
            "(it holds a NUL character). Choose another name."
        )
    path = Path(path)
    write_atomically(path, to_json(model).encode("utf-8"))
    return path


def load_model(path: str | PathLike[str]) -> SegmentationModel:
    """Read a model file, refusing (with ``ModelFileError``) anything that is not a
    complete, unchanged model file of a format this library reads.

    The file is read as JSON data only: no code runs, a number that is not finite or longer
    than 20 digits, a key twice in one object, or nesting deeper than 32 is refused before it
    is used; then every field's type and range is checked (see
    :meth:`SegmentationModel.from_dict`).
    """
    # Imported here: the model imports this module to save itself.
    from segmentation.model.pipeline import SegmentationModel

    if not isinstance(path, (str, bytes, PathLike)):
        # os.stat(0) would read the file open as descriptor 0 (standard input).
        raise TypeError(
            f"load_model takes the path of a model file (text or a pathlib.Path), not "
            f"{shown(path)} ({type(path).__name__})."
        )
    name = str(path)
    return SegmentationModel.from_dict(read_model_data(path, name), name)


def data_checksum(raw: np.ndarray, features: Sequence[str]) -> str:
    """sha256 of the training features (float64, row by row) and their names: the same
    customers give the same checksum whatever file they came from."""
    digest = hashlib.sha256(",".join(features).encode())
    digest.update(np.ascontiguousarray(raw, dtype="<f8").tobytes())
    return digest.hexdigest()


def to_json(model: SegmentationModel) -> str:
    """The model file's text."""
    return json.dumps(file_content(model), indent=2, ensure_ascii=False) + "\n"
