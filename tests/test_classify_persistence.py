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
    "empty": (lambda good: b"", "the file is empty"),
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


# --- crafted files (each built here as an attacker would) --------------------------------------


def rezip(content, change_schema=None, change_member=None, drop=()):
    """The archive rebuilt with its schema and members changed by the given functions."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            data = source.read(name)
            if name in drop:
                continue
            if name == "schema.json" and change_schema:
                data = json.dumps(change_schema(json.loads(data))).encode()
            elif name.endswith(".npy") and change_member:
                data = change_member(data)
            target.writestr(name, data)
    return out.getvalue()


def edit_first_tree(field, value):
    """A member changer: the first array holding ``field`` gets ``value`` in its first row."""
    done = []

    def change(data):
        array = np.load(io.BytesIO(data), allow_pickle=False)
        if done or not (array.dtype.names and field in array.dtype.names):
            return data
        array = array.copy()
        array[field][0] = value
        done.append(field)
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        return buffer.getvalue()

    return change


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("random forest", "left_child", 10**8),
        ("random forest", "feature", 10**6),
        ("random forest", "left_child", 0),  # a loop back to the root
        ("random forest", "threshold", np.nan),
        ("gradient boosting", "left", 10**8),
        ("gradient boosting", "feature_idx", 10**6),
        ("gradient boosting", "right", 0),
    ],
)
def test_a_tree_edited_to_point_outside_its_arrays_is_refused(
    tmp_path, customers, fitted, name, field, value
):
    good = save(fitted[name], tmp_path / "good.skops")
    assert len(load_classifier(good).predict(customers)) == len(customers)  # the good one works
    path = tmp_path / "bad.skops"
    path.write_bytes(rezip(good.read_bytes(), change_member=edit_first_tree(field, value)))
    with pytest.raises(ClassifierFileError, match="a tree of its classifier is damaged"):
        load_classifier(path)  # refused on loading: predicting would crash Python


def inner_header(schema):
    return json.loads(
        json.loads(schema["content"]["header"]["content"])
    )  # a JSON text, stored as JSON


def with_header(**changes):
    def change(schema):
        text = json.dumps({**inner_header(schema), **changes})
        schema["content"]["header"]["content"] = json.dumps(text)
        return schema

    return change


@pytest.mark.parametrize(
    ("changes", "phrase"),
    [
        ({"features": list(reversed(SPENDING_COLUMNS))}, "in another order"),
        ({"target": "Region"}, "the target must be Channel"),
        ({"target": "Fresh"}, "the target must be Channel"),
        ({"format_version": True}, "format_version is not a whole number"),
        ({"scores": {"\x1b[31m": 1.0}}, "score names must be one short line"),
        ({"scores": {"x" * 1000: 1.0}}, "score names must be one short line"),
    ],
)
def test_a_header_edited_in_the_file_is_refused(tmp_path, fitted, changes, phrase):
    good = save(fitted["random forest"], tmp_path / "good.skops").read_bytes()
    path = tmp_path / "bad.skops"
    path.write_bytes(rezip(good, change_schema=with_header(**changes)))
    with pytest.raises(ClassifierFileError, match="cannot be used as a classifier") as caught:
        load_classifier(path)
    assert phrase in str(caught.value)


def test_a_classifier_fitted_on_other_column_names_is_refused(tmp_path, customers):
    X = customers[list(SPENDING_COLUMNS)].set_axis([f"c{i}" for i in range(6)], axis=1)
    model = LogisticRegression().fit(X, customers["Channel"])
    content = {"header": json.dumps(header()), "estimator": model}
    with pytest.raises(ClassifierFileError, match="fitted on other columns"):
        load_classifier(skops_file(tmp_path / "c.skops", content))


def test_an_estimator_that_fails_on_the_customers_gives_a_one_line_error(
    tmp_path, customers, fitted
):
    model = fitted["logistic regression"]
    content = skops.io.dumps({"header": json.dumps(header()), "estimator": model})
    one_coefficient_short = []

    def shorten(data):
        array = np.load(io.BytesIO(data), allow_pickle=False)
        if array.shape == (1, 6) and not one_coefficient_short:
            one_coefficient_short.append(True)
            buffer = io.BytesIO()
            np.save(buffer, array[:, :5], allow_pickle=False)
            return buffer.getvalue()
        return data

    path = tmp_path / "c.skops"
    path.write_bytes(rezip(content, change_member=shorten))
    assert one_coefficient_short
    loaded = load_classifier(path)
    with pytest.raises(ClassifierFileError) as caught:
        loaded.predict(customers)
    message = str(caught.value)
    assert message.startswith(f"{path} cannot be used as a classifier: the classifier in it")
    assert "cannot predict these customers" in message and "\n" not in message
    assert "segmentation classify" in message


def ndarray_nodes(schema):
    found, pending = [], [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if node.get("__loader__") == "NdArrayNode" and "file" in node:
                found.append(node)
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def test_an_array_file_loaded_for_two_objects_is_refused(tmp_path, fitted):
    good = save(fitted["random forest"], tmp_path / "good.skops").read_bytes()
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        nodes = ndarray_nodes(json.loads(archive.read("schema.json")))
    first, second = nodes[0]["file"], nodes[1]["file"]

    def share(schema):
        for node in ndarray_nodes(schema):
            if node["file"] == second:
                node["file"] = first
                node.pop("__id__", None)
        return schema

    path = tmp_path / "bad.skops"
    path.write_bytes(rezip(good, change_schema=share, drop={second}))
    with pytest.raises(ClassifierFileError, match="parts do not match its description"):
        load_classifier(path)
    path.write_bytes(rezip(good, change_schema=lambda schema: schema) + b"")
    assert load_classifier(path).name == "a model"  # rebuilding alone changes nothing


def test_an_archive_with_extra_keys_or_parts_is_refused_before_loading(tmp_path, fitted):
    good = save(fitted["decision tree"], tmp_path / "good.skops").read_bytes()

    def extra_key(schema):
        schema["content"]["extra"] = schema["content"]["header"]
        return schema

    path = tmp_path / "bad.skops"
    path.write_bytes(rezip(good, change_schema=extra_key))
    with pytest.raises(ClassifierFileError, match="of another program"):
        load_classifier(path)
    with zipfile.ZipFile(path, "w") as archive:
        with zipfile.ZipFile(io.BytesIO(good)) as source:
            for name in source.namelist():
                archive.writestr(name, source.read(name))
        archive.writestr("unused.npy", b"\0" * 1000)
    with pytest.raises(ClassifierFileError, match="parts do not match its description"):
        load_classifier(path)


def test_a_padded_schema_is_refused_by_its_size_before_it_is_read(tmp_path, fitted, monkeypatch):
    from segmentation.classify import persistence

    good = save(fitted["decision tree"], tmp_path / "good.skops").read_bytes()
    monkeypatch.setattr(persistence, "MAX_SCHEMA_BYTES", 1000)  # the real cap is 20 MB
    path = tmp_path / "bad.skops"
    path.write_bytes(good)
    with pytest.raises(ClassifierFileError, match="description of the model is larger than"):
        load_classifier(path)


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (pickle.dumps({"a": 1}, protocol=0), "it is a Python pickle"),
        (pickle.dumps([1, 2], protocol=1), "it is a Python pickle"),
        (b"", "the file is empty"),
        ("zip", "not a classifier file written by segmentation classify"),
    ],
)
def test_old_pickles_empty_files_and_other_zips_are_recognised(tmp_path, content, phrase):
    path = tmp_path / "c.skops"
    if content == "zip":
        with zipfile.ZipFile(path, "w") as archive:  # such as a spreadsheet
            archive.writestr("[Content_Types].xml", "<Types/>")
    else:
        path.write_bytes(content)
    assert starts_like_a_classifier(path)  # so the classifier reader explains it
    with pytest.raises(ClassifierFileError) as caught:
        load_classifier(path)
    assert phrase in str(caught.value) and "\n" not in str(caught.value)


def test_a_flipped_byte_that_breaks_decompression_is_called_damaged(tmp_path, fitted):
    good = save(fitted["random forest"], tmp_path / "good.skops").read_bytes()
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        members = archive.infolist()
    refused = 0
    for member in members[:40]:  # a byte in the middle of each compressed part
        at = member.header_offset + 30 + len(member.filename) + member.compress_size // 2
        path = tmp_path / "bad.skops"
        path.write_bytes(good[:at] + bytes([good[at] ^ 0xFF]) + good[at + 1 :])
        with pytest.raises(ClassifierFileError, match="damaged"):
            load_classifier(path)
        refused += 1
    assert refused == 40
