"""The classifier file: a skops archive that loads as data only, refusing what it cannot trust."""

import io
import json
import os
import pickle
import zipfile
from typing import ClassVar

import numpy as np
import pytest
import skops.io
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from segmentation.classify.models import standard_classifiers
from segmentation.classify.persistence import (
    FORMAT,
    FORMAT_VERSION,
    TRUSTED_TYPES,
    ClassifierFileError,
    load_classifier,
    save_classifier,
    starts_like_a_classifier,
)
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.model.inputs import ModelInputError

SCORES = {"F1 (macro) mean": 0.9, "F1 (macro) std": 0.02}


@pytest.fixture(scope="module")
def fitted(customers):
    """Each standard classifier fitted on the course data (with its default settings)."""
    X, y = customers[list(SPENDING_COLUMNS)], customers["Channel"]
    return {name: clone(spec.estimator).fit(X, y) for name, spec in standard_classifiers().items()}


def save(model, path, **changes):
    described = dict(
        features=SPENDING_COLUMNS,
        target="Channel",
        classes=getattr(model, "classes_", None),
        scores=SCORES,
        name="a model",
    )
    save_classifier(model, path, **{**described, **changes})
    return path


def header(**changes):
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": "0.1.0",
        "features": list(SPENDING_COLUMNS),
        "target": "Channel",
        "classes": ["Horeca", "Retail"],
        "scores": {"F1 (macro) mean": 0.9},
        "name": "x",
        **changes,
    }


def skops_file(path, content):
    path.write_bytes(skops.io.dumps(content))
    return path


@pytest.mark.parametrize(
    "name",
    ["majority", "logistic regression", "decision tree", "random forest", "gradient boosting"],
)
def test_a_saved_classifier_predicts_exactly_as_the_fitted_one(tmp_path, customers, fitted, name):
    model = fitted[name]
    loaded = load_classifier(save(model, tmp_path / "c.skops", name=name))
    table = loaded.predict(customers)
    X = customers[list(SPENDING_COLUMNS)]
    assert list(table.columns) == [
        "id",
        "predicted_Channel",
        "probability_Horeca",
        "probability_Retail",
    ]
    assert (table["id"].to_numpy() == customers["id"].to_numpy()).all()
    assert (table["predicted_Channel"].to_numpy() == model.predict(X)).all()
    assert np.array_equal(
        table[["probability_Horeca", "probability_Retail"]], model.predict_proba(X)
    )
    assert (loaded.name, loaded.target, loaded.classes) == (name, "Channel", ("Horeca", "Retail"))
    assert loaded.features == SPENDING_COLUMNS and loaded.scores == SCORES


def test_the_course_classifiers_need_only_the_listed_types(tmp_path, fitted):
    needed = set()
    for model in fitted.values():
        needed |= set(skops.io.get_untrusted_types(data=skops.io.dumps(model)))
    assert needed == set(TRUSTED_TYPES)


def test_a_table_without_the_features_is_refused_as_the_model_refuses_it(
    tmp_path, customers, fitted
):
    loaded = load_classifier(save(fitted["decision tree"], tmp_path / "c.skops"))
    with pytest.raises(ModelInputError, match="no column Milk"):
        loaded.predict(customers.drop(columns="Milk"))


class Tripwire:
    """A type no classifier holds; loading it would run its __setstate__."""

    ran: ClassVar[list[str]] = []

    def __setstate__(self, state):
        Tripwire.ran.append("loaded")


def test_a_file_holding_an_untrusted_type_is_refused_before_anything_runs(tmp_path, fitted):
    path = skops_file(
        tmp_path / "c.skops", {"header": json.dumps(header()), "estimator": Tripwire()}
    )
    with pytest.raises(ClassifierFileError, match=r"types that are not trusted here \(.*Tripwire"):
        load_classifier(path)
    assert Tripwire.ran == []


def test_a_file_holding_a_function_such_as_os_system_is_refused(tmp_path):
    path = skops_file(
        tmp_path / "c.skops", {"header": json.dumps(header()), "estimator": os.system}
    )
    with pytest.raises(ClassifierFileError, match=r"not trusted here \(posix\.system\)"):
        load_classifier(path)


def damage(content):
    """The archive with one byte changed inside its largest part."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        largest = max(archive.infolist(), key=lambda member: member.compress_size)
    middle = largest.header_offset + 30 + len(largest.filename) + largest.compress_size // 2
    return content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1 :]


BAD_CONTENT = {
    "a pickle": (lambda good: pickle.dumps({"a": 1}), "it is a Python pickle"),
    "empty": (lambda good: b"", "not a skops file"),
    "a segmentation model": (lambda good: b'{"format": "x"}', "it is a JSON file"),
    "text": (lambda good: b"Channel,Region\n1,2\n", "not a skops file"),
    "cut short": (lambda good: good[: len(good) // 2], "cut short or damaged"),
    "a byte changed": (damage, "damaged"),
    "a bare estimator": (
        lambda good: skops.io.dumps(LogisticRegression()),
        "a skops file, but of another program",
    ),
    "another header": (
        lambda good: skops.io.dumps({"header": "{}", "estimator": LogisticRegression()}),
        "a skops file, but of another program",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_CONTENT))
def test_a_file_that_is_no_intact_classifier_is_refused_with_one_line(tmp_path, fitted, kind):
    good = save(fitted["decision tree"], tmp_path / "good.skops").read_bytes()
    make, phrase = BAD_CONTENT[kind]
    path = tmp_path / "bad.skops"
    path.write_bytes(make(good))
    with pytest.raises(ClassifierFileError) as caught:
        load_classifier(path)
    message = str(caught.value)
    assert message.startswith(f"{path} cannot be used as a classifier:")
    assert phrase in message and "\n" not in message
    assert "segmentation classify" in message  # what to do


@pytest.mark.parametrize(
    ("changes", "phrase"),
    [
        ({"format_version": FORMAT_VERSION + 1}, "newer than this library reads"),
        ({"features": ["Milk", "Price"]}, "features must be spending categories"),
        ({"features": ["Milk", "Milk"]}, "listed twice"),
        ({"classes": ["Horeca"]}, "at least two"),
        ({"classes": ["Retail", "Horeca"]}, "predicts ['Horeca', 'Retail']"),
        ({"target": "Channel\n=cmd"}, "one line of text"),
        ({"scores": {"F1": "high"}}, "scores must be numbers"),
    ],
)
def test_a_header_that_does_not_fit_is_refused(tmp_path, fitted, changes, phrase):
    model = fitted["logistic regression"]
    content = {"header": json.dumps(header(**changes)), "estimator": model}
    with pytest.raises(ClassifierFileError, match="cannot be used as a classifier") as caught:
        load_classifier(skops_file(tmp_path / "c.skops", content))
    assert phrase in str(caught.value)


def test_a_classifier_of_other_features_is_refused(tmp_path, customers):
    model = LogisticRegression().fit(customers[["Milk", "Fresh"]], customers["Channel"])
    content = {"header": json.dumps(header()), "estimator": model}
    with pytest.raises(ClassifierFileError, match="takes 2 features, not the header's"):
        load_classifier(skops_file(tmp_path / "c.skops", content))


def test_only_regular_files_are_read(tmp_path):
    fifo = tmp_path / "pipe.skops"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    for path, phrase in (
        (fifo, "not a regular file"),
        (tmp_path, "a folder"),
        ("/dev/null", "not a regular file"),
        (tmp_path / "nope.skops", "no such file"),
    ):
        with pytest.raises(ClassifierFileError, match=phrase):
            load_classifier(path)
        assert not starts_like_a_classifier(path)


def test_what_begins_as_an_archive_or_a_pickle_is_taken_for_a_classifier(tmp_path, fitted):
    assert starts_like_a_classifier(save(fitted["majority"], tmp_path / "c.json"))
    (tmp_path / "p.skops").write_bytes(pickle.dumps(1))
    assert starts_like_a_classifier(tmp_path / "p.skops")
    (tmp_path / "m.skops").write_text('{"format": "customer-segmentation model"}')
    assert not starts_like_a_classifier(tmp_path / "m.skops")


@pytest.mark.parametrize(
    ("changes", "phrase"),
    [
        ({"classes": ["Retail", "Horeca"]}, "predicts"),
        ({"features": ["Milk"]}, "takes 6 features"),
        ({"target": ""}, "one line of text"),
    ],
)
def test_saving_a_classifier_with_a_wrong_description_writes_nothing(
    tmp_path, fitted, changes, phrase
):
    path = tmp_path / "c.skops"
    path.write_bytes(b"before")
    with pytest.raises(ValueError, match=phrase):
        save(fitted["decision tree"], path, **changes)
    assert path.read_bytes() == b"before"
    assert [p.name for p in tmp_path.iterdir()] == ["c.skops"]  # no temporary file left


def test_an_unfitted_classifier_is_not_saved(tmp_path):
    with pytest.raises(ValueError, match="no fitted classifier"):
        save(LogisticRegression(), tmp_path / "c.skops", classes=["Horeca", "Retail"])
    assert not (tmp_path / "c.skops").exists()
