"""Hostile model files and fits that cannot succeed: each refused with a message (exit 1 on the
command line), never a traceback, nothing written; and a property test that feeds the loader
random mutations of a valid model file, checksum recomputed, and sees nothing but a loaded,
working model or a ModelFileError come out."""

import copy
import hashlib
import json
import os
import stat
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import course_data_path, load_customers
from segmentation.model.file_checks import ModelFileError
from segmentation.model.inputs import MAX_MODEL_SPENDING, ModelInputError
from segmentation.model.limits import MAX_K
from segmentation.model.persistence import load_model
from segmentation.model.pipeline import SegmentationModel
from segmentation.report.html import build_report

HEADER = ",".join(SPENDING_COLUMNS)


@pytest.fixture(scope="module")
def customers():
    return load_customers()


@pytest.fixture(scope="module")
def model_data(customers):
    """A valid model file's data: the course model, k = 3."""
    return json.loads(SegmentationModel(k=3).fit(customers, source="customers.csv").to_json())


# --- helpers -------------------------------------------------------------------------------------


def checksum(data, raw=None):
    """The checksum as the README says anyone can recompute it: sha256 of the JSON of every
    field but "checksum", keys sorted, no spaces, non-ASCII characters as they are, in UTF-8.
    ``raw``: placeholders and the JSON text put in their place (see ``file_text``)."""
    payload = {key: value for key, value in data.items() if key != "checksum"}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(fill(canonical, raw).encode("utf-8", "surrogatepass")).hexdigest()


def fill(text, raw):
    """Put JSON text in place of placeholders: a value "\x00...\x00", or a key
    "\x00twice...\x00" (with the value null) for a whole "key": value pair."""
    for placeholder, json_text in (raw or {}).items():
        if placeholder.startswith("\x00twice"):
            for separator in (": ", ":"):
                text = text.replace(f"{json.dumps(placeholder)}{separator}null", json_text)
        else:
            text = text.replace(json.dumps(placeholder), json_text)
    return text


def file_text(data, raw=None):
    """A model file's text with the checksum recomputed (if the data has one). Placeholders
    (see ``fill``) become JSON text that Python's json cannot write: NaN, a number of 5,000
    digits, 100,000 nested brackets, a key twice in one object."""
    if isinstance(data, dict) and "checksum" in data:
        data = {**data, "checksum": checksum(data, raw)}
    return fill(json.dumps(data, indent=2), raw)


def folder_state(folder):
    """Every file in the folder (hidden ones too) and its bytes."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def run(folder, *args):
    """The command line in ``folder``, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "segmentation", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_refused(done, folder, before, *phrases):
    """Exit 1, a message, no traceback, and the folder as it was."""
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output
    for phrase in phrases:
        assert phrase in done.stderr, done.stderr
    assert folder_state(folder) == before


def refused_message(path):
    """load_model's refusal of ``path``: a ModelFileError and nothing else, no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ModelFileError) as refused:
            load_model(path)
    message = str(refused.value)
    assert message.startswith(f"{path} cannot be used as a segmentation model:")
    return message


def test_the_checksum_is_a_plain_sha256_anyone_can_recompute(model_data):
    # What the README says of it: the recipe above gives the library's own checksum.
    assert checksum(model_data) == model_data["checksum"]


# --- item 3: valid JSON, hostile structure -------------------------------------------------------


def deep(depth, opening="[", closing="]"):
    return opening * depth + closing * depth


HOSTILE_JSON = {
    # name: (what to put where, the phrase of the message)
    "100,000 nested lists": (("segments", deep(100_000)), "nests lists or objects more than 32"),
    "100,000 nested objects": (
        ("training_data", deep(100_000, '{"a":', "}").replace('{"a":}', '{"a":1}')),
        "nests lists or objects more than 32",
    ),
    "a whole number of 5,000 digits": (("kmeans.k", "9" * 5000), "a whole number of 5,000 digits"),
    "a negative whole number of 25 digits": (
        ("kmeans.random_state", "-" + "9" * 25),
        "a whole number of 25 digits",
    ),
    "NaN": (("evaluation.J", "NaN"), "it holds NaN, which is no number"),
    "Infinity": (("scaling.mean.0", "Infinity"), "it holds Infinity"),
    "-Infinity": (("kmeans.centres.0.0", "-Infinity"), "it holds -Infinity"),
    "1e999": (("evaluation.silhouette", "1e999"), "the number '1e999', too large"),
}


def place(data, where, text):
    """The model's data with a placeholder at ``where`` ("a.b.0"), and the raw text for it."""
    data = copy.deepcopy(data)
    *parents, last = [int(p) if p.isdigit() else p for p in where.split(".")]
    node = data
    for key in parents:
        node = node[key]
    node[last] = "\x00raw\x00"
    return data, {"\x00raw\x00": text}


@pytest.mark.parametrize("name", sorted(HOSTILE_JSON))
def test_hostile_json_is_refused_by_the_loader(model_data, tmp_path, name):
    (where, text), phrase = HOSTILE_JSON[name]
    path = tmp_path / "m.json"
    path.write_text(file_text(*place(model_data, where, text)))
    message = refused_message(path)
    assert phrase in message
    assert "The file is damaged or was edited by hand" in message


@pytest.mark.parametrize(
    "text, kind",
    [
        (deep(100_000), "not a model"),
        (deep(100_000, "{", "}"), "unusable"),
        ("9" * 5000, "not a model"),
        ('{"format": "customer-segmentation model", "format": "other"}', "unusable"),
    ],
)
def test_hostile_json_on_its_own_is_refused_too(tmp_path, text, kind):
    path = tmp_path / "m.json"
    path.write_text(text)
    refused_message(path)
    with pytest.raises(ModelFileError) as refused:
        load_model(path)
    assert refused.value.kind == kind


@pytest.mark.parametrize("where", ["", "segments.1", "kmeans", "evaluation"])
def test_a_key_twice_in_one_object_is_refused(model_data, tmp_path, where):
    data = copy.deepcopy(model_data)
    node = data
    for key in [int(p) if p.isdigit() else p for p in where.split(".") if p]:
        node = node[key]
    first = next(iter(node))
    node["\x00twice\x00"] = None  # the same key again, with another value
    path = tmp_path / "m.json"
    path.write_text(file_text(data, {"\x00twice\x00": f'{json.dumps(first)}: "other"'}))
    pair = f"{json.dumps(first)}:"
    assert path.read_text().count(pair) == json.dumps(model_data, indent=2).count(pair) + 1
    assert f"the key {first!r} appears twice in one object" in refused_message(path)


def test_brackets_inside_text_nest_nothing(model_data, tmp_path):
    data = copy.deepcopy(model_data)
    data["training_data"]["source"] = "data" + "[{" * 100 + ".csv"
    path = tmp_path / "m.json"
    path.write_text(file_text(data))
    assert load_model(path).training["source"].startswith("data[{[{")


def test_a_file_too_large_for_a_model_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "m.json"
    with open(path, "wb") as out:
        out.truncate(60_000_000)  # sparse: 60 MB of zero bytes, on no disk
    assert "larger than 50 MB" in refused_message(path)
    # An endless device is not read at all: it is no regular file.
    with pytest.raises(ModelFileError, match="not a regular file"):
        load_model("/dev/zero")


def test_a_name_no_file_can_have_is_refused_with_a_message():
    with pytest.raises(
        ModelFileError,
        match=r"(?s)'m\\x00.json' cannot be used.*no file can "
        r"have this name",
    ):
        load_model("m\x00.json")


# --- item 4: the checksum holds, the content is wrong ----------------------------------------


def as_format_1(data):
    data["format_version"] = 1
    for segment in data["segments"]:
        segment["buys_most"] = segment.pop("buys_more") or ["Milk"]
        segment["kind"] = "retail-like"
        del segment["channel"], segment["retail_share"]


def setter(where, value):
    def change(data):
        *parents, last = [int(p) if p.lstrip("-").isdigit() else p for p in where.split(".")]
        node = data
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def forge_k(data, k):
    """A file claiming k segments: centres, segments and sizes all made to agree."""
    data["kmeans"]["centres"] = [data["kmeans"]["centres"][0]] * k
    data["kmeans"]["k"] = k
    segment = data["segments"][0]
    data["segments"] = [{**segment, "number": j, "name": f"s{j}", "customers": 1} for j in range(k)]
    data["training_data"]["customers"] = k
    data["evaluation"] = None


WRONG_CONTENT = [
    # the cases
    (setter("evaluation.sizes", 5), '"evaluation.sizes" must be 3 whole numbers'),
    (setter("evaluation.sizes", None), '"evaluation.sizes" must be 3 whole numbers'),
    (setter("segments.0.name", ["a", "list"]), 'segment 0: "name" must be text'),
    (
        setter("evaluation.silhouette", "0.259"),
        '"evaluation.silhouette" must be a number from -1 to 1 or null',
    ),
    (setter("training_data", {}), 'field "training_data.customers" is missing'),
    (setter("segments.1.customers", "82"), 'segment 1: "customers" must be a whole number'),
    (
        setter("training_data.customers", "440"),
        '"training_data.customers" is missing or not a whole number',
    ),
    (setter("segments.1.number", True), 'segment 1: "number" must be a whole number'),
    (
        setter("kmeans.centres.0.0", 1e308),
        '"kmeans.centres" must be a list of k rows of 6 numbers from -1e+06 to 1e+06',
    ),
    (
        setter("scaling.scale.0", 1e-308),
        '"scaling.scale" must be positive: 6 numbers from 1e-12 to 34.54',
    ),
    (setter("kmeans.n_init", 0), '"kmeans.n_init" must be a whole number from 1 to 1000'),
    (
        setter("kmeans.random_state", -5),
        '"kmeans.random_state" must be a whole number from 0 to 4294967295',
    ),
    # every other field's type and range
    (setter("evaluation.sizes", [143, 82, 214]), 'adding up to "evaluation.customers"'),
    (setter("evaluation.sizes", [143, 82]), '"evaluation.sizes" must be 3 whole numbers'),
    (setter("evaluation.silhouette", 1.5), '"evaluation.silhouette" must be a number'),
    (setter("evaluation.stability", True), '"evaluation.stability" must be a number'),
    (
        setter("evaluation.seeds", "<script>alert(1)</script>"),
        '"evaluation.seeds" must be a whole number from 1 to 1000',
    ),
    (setter("evaluation.seeds", 0), '"evaluation.seeds" must be a whole number'),
    (setter("evaluation.J", -1), '"evaluation.J" must be a number from 0'),
    (
        setter("training_data.customers", 441),
        '"training_data.customers" (441) must be the segments\' customers added up (440)',
    ),
    (setter("training_data.data_sha256", "abc"), "must be a sha256"),
    (setter("training_data.source", "a\nb"), '"training_data.source" must be null or one line'),
    (setter("library_version", ""), '"library_version" must be one line of text'),
    (setter("segments.1.number", 2), 'segment 1: "number" must be 1'),
    (setter("segments.0.name", "a\x1b[2Jb"), 'segment 0: "name" must be one line of text'),
    (setter("segments.0.name", ""), 'segment 0: "name" must be one line of text'),
    (setter("segments.0.name", "x" * 1001), 'segment 0: "name" must be one line of text'),
    (setter("segments.2.strategy", 5), 'segment 2: "strategy" must be text'),
    (setter("segments.0.retail_share", True), 'segment 0: "retail_share" must be a number or null'),
    (setter("segments.0.size", "huge"), 'segment 0: "size" must be one of'),
    (setter("segments.0.buys_more", ["Milk", "Milk"]), 'segment 0: "buys_more" must list'),
    (setter("segments.0.buys_more", [["Milk"]]), 'segment 0: "buys_more" must list'),
    (setter("segments.0.customers", 0), 'segment 0: "customers" must be a whole number of 1'),
    (setter("segments.0.mean_total", -1), 'segment 0: "mean_total" must be a number from 0'),
    (setter("segments.0.mean_spending.Milk", 1e300), 'segment 0: "mean_spending" must give'),
    (setter("scaling.mean.0", -1), '"scaling.mean" must be 6 numbers from 0 to 34.54'),
    (setter("scaling.scale.0", 1e300), '"scaling.scale" must be positive'),
    (setter("kmeans.n_init", 1001), '"kmeans.n_init" must be a whole number from 1 to 1000'),
    (setter("kmeans.n_init", 10.0), 'field "kmeans.n_init" is missing or not a whole number'),
    (setter("kmeans.random_state", 2**32), '"kmeans.random_state" must be a whole number'),
    (setter("kmeans.k", True), 'field "kmeans.k" is missing or not a whole number'),
    (setter("kmeans.centres", []), '"kmeans.centres" must be a list of k rows'),
    (setter("format_version", True), "its format_version is True, not a version number"),
    (setter("extra", 1), "the file has a field 'extra' that a model file does not have"),
    (setter("kmeans.extra", 1), "\"kmeans\" has a field 'extra' that a model file does not have"),
    (setter("evaluation", []), 'field "evaluation" is missing or not an object or null'),
    # names as a person reads them, and no more segments than fit makes
    (setter("segments.0.name", " "), 'segment 0: "name" must not be blank'),
    (setter("segments.0.name", "   "), 'segment 0: "name" must not be blank'),
    (
        lambda d: setter("segments.1.name", d["segments"][0]["name"] + " ")(d),
        "segment names must differ from each other (spaces aside)",
    ),
    (
        lambda d: (
            setter("segments.2.name", " ".join(d["segments"][0]["name"]) + "x")(d)
            or setter("segments.1.name", "  ".join(d["segments"][0]["name"]) + "x")(d)
        ),
        "segment names must differ from each other (spaces aside)",
    ),
    (
        lambda d: forge_k(d, MAX_K + 1),
        '"kmeans.centres" holds 1,001 segments; a model has at most 1,000',
    ),
    (
        lambda d: forge_k(d, 3000),
        '"kmeans.centres" holds 3,000 segments; a model has at most 1,000',
    ),
    # format 1 is checked as closely
    (
        lambda d: (as_format_1(d), setter("segments.0.kind", "\x00")(d)),
        'segment 0: "kind" must be one line of text',
    ),
    (
        lambda d: (as_format_1(d), setter("segments.2.number", False)(d)),
        'segment 2: "number" must be a whole number',
    ),
    (
        lambda d: (as_format_1(d), setter("segments.0.buys_most", ["Wine"])(d)),
        'segment 0: "buys_most" must list features',
    ),
    (
        lambda d: (as_format_1(d), setter("kmeans.centres.1.1", -1e7)(d)),
        '"kmeans.centres" must be a list of k rows',
    ),
]


@pytest.mark.parametrize(
    "change, phrase", WRONG_CONTENT, ids=[phrase[:40] for _, phrase in WRONG_CONTENT]
)
def test_wrong_content_under_a_valid_checksum_is_refused(model_data, tmp_path, change, phrase):
    data = copy.deepcopy(model_data)
    change(data)
    path = tmp_path / "m.json"
    path.write_text(file_text(data))
    message = refused_message(path)
    assert phrase in message


def test_a_format_1_file_within_every_range_still_loads(model_data, tmp_path, customers):
    data = copy.deepcopy(model_data)
    as_format_1(data)
    path = tmp_path / "m.json"
    path.write_text(file_text(data))
    assert load_model(path).predict(customers)["segment"].value_counts().sort_index().tolist() == [
        143,
        82,
        215,
    ]


def test_values_at_the_edges_of_the_ranges_load(model_data, tmp_path, customers):
    data = copy.deepcopy(model_data)
    data["kmeans"].update(n_init=1000, random_state=2**32 - 1)
    data["kmeans"]["centres"][2][0] = -1e6
    data["scaling"]["scale"][0] = 1e-12
    data["segments"][0]["name"] = "x" * 1000
    data["evaluation"]["seeds"] = 1000
    path = tmp_path / "m.json"
    path.write_text(file_text(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        distances = load_model(path).predict(customers).filter(like="distance_").to_numpy()
    assert np.isfinite(distances).all()


# --- the same through the command line ---------------------------------------------------------


#: A handful of fixed mutations, each: the model file's data (and raw text) and the phrase of
#: its refusal.
CLI_CASES = {
    "100,000 nested lists": (
        lambda d: place(d, "segments", deep(100_000)),
        "nests lists or objects more than 32 deep",
    ),
    "5,000 digits": (lambda d: place(d, "kmeans.k", "9" * 5000), "a whole number of 5,000 digits"),
    "NaN": (lambda d: place(d, "evaluation.J", "NaN"), "it holds NaN"),
    "sizes 5": (
        lambda d: (setter_copy(d, "evaluation.sizes", 5), None),
        '"evaluation.sizes" must be 3 whole numbers',
    ),
    "a name that is a list": (
        lambda d: (setter_copy(d, "segments.0.name", ["a"]), None),
        'segment 0: "name" must be text',
    ),
    "seeds as a script": (
        lambda d: (setter_copy(d, "evaluation.seeds", "<script>x</script>"), None),
        '"evaluation.seeds" must be a whole number',
    ),
}


def setter_copy(data, where, value):
    data = copy.deepcopy(data)
    setter(where, value)(data)
    return data


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_the_command_line_refuses_a_hostile_model_with_exit_1(model_data, tmp_path, name):
    (tmp_path / "customers.csv").write_bytes(course_data_path().read_bytes())
    make, phrase = CLI_CASES[name]
    (tmp_path / "m.json").write_text(file_text(*make(model_data)))
    before = folder_state(tmp_path)
    # predict and report in turn: both load the model the same way
    command = "predict" if list(CLI_CASES).index(name) % 2 else "report"
    done = run(tmp_path, command, "m.json", "customers.csv", "-o", "out")
    assert_refused(done, tmp_path, before, "m.json cannot be used as a segmentation model:", phrase)


# --- item 7: a fit that would leave a segment empty ------------------------------------------


TWICE = f"{HEADER}\n" + "1,2,3,4,5,6\n" * 3 + "7,8,9,10,11,12\n" * 3
ZEROS = f"{HEADER}\n" + "0,0,0,0,0,0\n" * 3


@pytest.mark.parametrize("table, k, distinct", [(TWICE, 3, 2), (ZEROS, 2, 1)])
def test_fit_refuses_more_segments_than_distinct_customers(tmp_path, table, k, distinct):
    (tmp_path / "c.csv").write_text(table)
    before = folder_state(tmp_path)
    done = run(tmp_path, "fit", "c.csv", "--k", str(k), "-o", "m.json")
    assert_refused(
        done,
        tmp_path,
        before,
        f"only {distinct} distinct customer",
        f"fewer than the k = {k} segments",
        f"Choose a k of at most {distinct}.",
    )
    assert "Warning" not in done.stderr


@pytest.mark.parametrize("algorithm", ["course", "scikit-learn"])
def test_the_python_api_says_the_same_without_a_warning(algorithm):
    table = pd.DataFrame(
        [[1, 2, 3, 4, 5, 6]] * 3 + [[7, 8, 9, 10, 11, 12]] * 3, columns=list(SPENDING_COLUMNS)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ModelInputError, match="only 2 distinct customers"):
            SegmentationModel(k=3, algorithm=algorithm).fit(table)
        assert SegmentationModel(k=2, algorithm=algorithm).fit(table).evaluation.sizes == (3, 3)


def test_minus_zero_and_zero_are_one_customer():
    table = pd.DataFrame([[0.0] * 6, [-0.0] * 6], columns=list(SPENDING_COLUMNS))
    with pytest.raises(ModelInputError, match="only 1 distinct customer "):
        SegmentationModel(k=2).fit(table)


def test_distinct_customers_are_counted_beyond_the_first_rows():
    # 10,000 copies of one customer, then a second one: the count looks past the first rows.
    rows = [[5.0] * 6] * 10_000 + [[6.0] * 6]
    table = pd.DataFrame(rows, columns=list(SPENDING_COLUMNS))
    model = SegmentationModel(k=2, n_init=1, evaluate=False).fit(table)
    assert sorted(s.customers for s in model.segments) == [1, 10_000]
    with pytest.raises(ModelInputError, match="only 2 distinct customers"):
        SegmentationModel(k=3, n_init=1, evaluate=False).fit(table)


# Spending drawn from a few far-apart values, so that customers repeat and the distinct ones
# are distinct after the log as well.
SPENDING = st.sampled_from([0.0, 1.0, 2.5, 1000.0, 123_456.0, MAX_MODEL_SPENDING])


@st.composite
def repeating_rows(draw):
    """Up to 12 customers, copies of at most 4 different ones."""
    pool = draw(st.lists(st.lists(SPENDING, min_size=6, max_size=6), min_size=1, max_size=4))
    return draw(st.lists(st.sampled_from(pool), min_size=1, max_size=12))


@settings(max_examples=50)
@given(rows=repeating_rows(), k=st.integers(1, 4), transform=st.sampled_from(["log", "none"]))
def test_every_fit_either_saves_a_model_that_loads_or_says_why_not(
    tmp_path_factory, rows, k, transform
):
    table = pd.DataFrame(rows, columns=list(SPENDING_COLUMNS))
    distinct = len({tuple(row) for row in rows})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if k > len(rows):
            event("more segments than customers")
            with pytest.raises(ValueError, match="k must be a whole number from 1"):
                SegmentationModel(k=k, transform=transform).fit(table)
            return
        if k > distinct:
            event("more segments than distinct customers")
            with pytest.raises(ModelInputError, match=f"only {distinct} distinct customer"):
                SegmentationModel(k=k, transform=transform).fit(table)
            return
        event("fitted")
        model = SegmentationModel(k=k, transform=transform).fit(table)
        path = model.save(tmp_path_factory.mktemp("fit") / "m.json")
        again = load_model(path)
    assert again.to_json() == model.to_json()
    assert all(s.customers >= 1 for s in again.segments) and len(again.segments) == k


def test_a_spread_of_rounding_noise_is_not_scaled_up():
    # Fresh differs between customers by 1e-13 m.u. only: noise, which the scaling would blow
    # up to the largest distance of all. It is left unscaled, so Milk decides the segments.
    table = pd.DataFrame(
        {c: [5.0, 5.0 + 1e-13, 5.0, 5.0 + 1e-13] for c in SPENDING_COLUMNS}
    ).assign(Milk=[1.0, 1.0, 900.0, 900.0])
    model = SegmentationModel(k=2, transform="none", evaluate=False).fit(table)
    assert model.scale[0] == 1.0
    labels = model.predict(table)["segment"].tolist()
    assert labels[0] == labels[1] != labels[2] == labels[3]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_init": 0}, "n_init must be a whole number from 1 to 1000; got 0"),
        ({"n_init": 1001}, "n_init must be"),
        ({"n_init": True}, "n_init must be"),
        ({"random_state": -5}, "random_state must be a whole number from 0 to 4294967295; got -5"),
        ({"random_state": 2**32}, "random_state must be"),
        ({"random_state": 1.5}, "random_state must be"),
        ({"k": 10**5000}, "got a number too long to show"),
    ],
)
def test_settings_out_of_range_are_refused_before_any_work(customers, kwargs, message):
    with pytest.raises(ValueError, match=message):
        SegmentationModel(**{"k": 3, **kwargs}).fit(customers)


def test_spending_beyond_the_models_limit_is_refused(customers):
    table = customers.head(5).assign(Milk=[1, 2, 3, 4, 2e15])
    with pytest.raises(
        ModelInputError,
        match=r"row 4, column Milk: 2000000000000000.0 is not a "
        r"spending.*from 0 to 1e\+15 m.u.",
    ):
        SegmentationModel(k=2).fit(table)


def test_the_stability_seeds_count_round_past_the_largest_seed(customers):
    # Seed 2**32 - 1 with scikit-learn: the ten other seeds are 0 to 9 (scikit-learn takes no
    # seed above 2**32 - 1), and the stability is their mean agreement.
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    some = customers.head(100)
    model = SegmentationModel(k=2, algorithm="scikit-learn", n_init=1, random_state=2**32 - 1).fit(
        some
    )
    X = model.features_of(some)
    labels = model.predict(some)["segment"].to_numpy()
    by_hand = [
        adjusted_rand_score(labels, KMeans(2, n_init=1, random_state=seed).fit(X).labels_)
        for seed in range(10)
    ]
    assert model.evaluation.stability == pytest.approx(np.mean(by_hand))


def test_an_unprintable_source_name_is_kept_as_escapes(customers, tmp_path):
    model = SegmentationModel(k=2, evaluate=False).fit(customers, source="caf\udce9\x1b[2J.csv")
    assert model.training["source"] == "caf\\xe9\\x1b[2J.csv"
    assert load_model(model.save(tmp_path / "m.json")).training == model.training


# --- the property: random mutations of a valid model file --------------------------------------


HOSTILE_TEXT = [
    "",
    "x",
    "<script>alert(1)</script>",
    '" onmouseover="x',
    "javascript:alert(1)",
    "</style><script>",
    "$\\undefined$",
    "a\x1b[2Jb",
    "\ud800",
    "NaN",
    "Retail",
    "mostly Retail",
    "log",
    "none",
    "course",
    "W" * 1001,
    "Fresh",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            -1,
            1,
            2,
            3,
            0.5,
            -0.0,
            1e308,
            -1e308,
            5e-324,
            1e-308,
            2**31,
            2**32,
            2**63,
            10**20 - 1,
            [],
            {},
            [1, 2],
            {"a": 1},
            [0.0] * 6,
        ]
    ),
    st.sampled_from(HOSTILE_TEXT),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-10, 10**6),
)
RAW = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "9" * 5000,
    "-" + "9" * 25,
    deep(100_000),
    deep(33),
    deep(100_000, "{", "}").replace("{}", '{"a":1}'),
]


def nodes(tree, path=()):
    """Every (path, value) below the root of a JSON tree."""
    items = (
        tree.items()
        if isinstance(tree, dict)
        else enumerate(tree)
        if isinstance(tree, list)
        else ()
    )
    for key, value in items:
        yield (*path, key), value
        yield from nodes(value, (*path, key))


def parent_of(tree, path):
    for key in path[:-1]:
        tree = tree[key]
    return tree


@st.composite
def mutations(draw, base):
    """A valid model's data, changed one to three times, and the raw JSON text of its
    placeholders (NaN, long numbers, deep nesting, a key twice)."""
    tree, raw = copy.deepcopy(base), {}
    if draw(st.booleans()):
        as_format_1(tree)
    for step in range(draw(st.integers(1, 3))):
        paths = [path for path, _ in nodes(tree)]
        path = draw(st.sampled_from(paths))
        parent, key = parent_of(tree, path), path[-1]
        how = draw(
            st.sampled_from(
                [
                    "replace",
                    "raw",
                    "delete",
                    "add",
                    "duplicate",
                    "copy another",
                    "version",
                    "key twice",
                ]
            )
        )
        if how == "replace":
            parent[key] = draw(VALUES)
        elif how == "raw":
            parent[key] = f"\x00raw{step}\x00"
            raw[parent[key]] = draw(st.sampled_from(RAW))
        elif how == "delete":
            del parent[key]
        elif how == "add" and isinstance(parent, dict):
            parent[
                draw(st.sampled_from(["extra", "name", "k", "__proto__"]))
                + draw(st.sampled_from(["", "2"]))
            ] = draw(VALUES)
        elif how == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif how == "copy another":
            parent[key] = copy.deepcopy(draw(st.sampled_from([v for _, v in nodes(tree)])))
        elif how == "version":
            tree["format_version"] = draw(st.sampled_from([0, 1, 2, 3, -1, "2", 2.0, None]))
        elif how == "key twice" and isinstance(parent, dict):
            placeholder = f"\x00twice{step}\x00"
            parent[placeholder] = None
            raw[placeholder] = f"{json.dumps(key)}: {json.dumps(draw(VALUES))}"
    return tree, raw


def loads_and_works_or_is_refused(path, customers):
    """What the property allows: a ModelFileError (and nothing else, not even a warning), or
    a model whose predictions and report work on the course data."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            model = load_model(path)
        except ModelFileError as exc:
            assert str(exc).startswith(f"{path} cannot be used as a segmentation model:\n  - ")
            return "refused"
        table = model.predict(customers)
        assert np.isfinite(table.filter(like="distance_").to_numpy()).all()
        assert table["segment"].between(0, model.k - 1).all()
        page = build_report(model, customers, source="customers.csv")
    assert "<script" not in page
    return "loaded"


@settings(max_examples=100)
@given(data=st.data())
def test_random_mutations_load_and_work_or_are_refused(
    model_data, customers, tmp_path_factory, data
):
    tree, raw = data.draw(mutations(model_data))
    path = tmp_path_factory.mktemp("mutation") / "m.json"
    path.write_text(file_text(tree, raw), encoding="utf-8", errors="surrogatepass")
    event(loads_and_works_or_is_refused(path, customers))


def test_the_mutations_reach_past_the_checksum(model_data, customers, tmp_path):
    # The property would be empty if every mutation fell at the checksum: a few fixed ones
    # show that the recomputed checksum holds and the schema is what refuses (or accepts).
    def outcome(tree, raw=None):
        path = tmp_path / "m.json"
        path.write_text(file_text(tree, raw or {}), encoding="utf-8", errors="surrogatepass")
        try:
            load_model(path)
        except ModelFileError as exc:
            return str(exc)
        return loads_and_works_or_is_refused(path, customers)

    assert outcome(copy.deepcopy(model_data)) == "loaded"
    assert (
        outcome(setter_copy(model_data, "segments.0.name", "<script>alert(1)</script>")) == "loaded"
    )
    assert '"kmeans.k" (5) must equal' in outcome(setter_copy(model_data, "kmeans.k", 5))
    twice = copy.deepcopy(model_data)
    twice["kmeans"]["\x00twice0\x00"] = None
    assert "the key 'k' appears twice" in outcome(twice, {"\x00twice0\x00": '"k": 5'})


# --- follow-ups: near-identical customers, special files, duplicated columns ---------------------

NEAR = f"{HEADER}\n1000,1,1,1,1,1\n1000.0000001,1,1,1,1,1\n5000,1,1,1,1,1\n5000,1,1,1,1,1\n"


def near_table():
    return pd.DataFrame(
        [[1000, 1, 1, 1, 1, 1], [1000.0000001, 1, 1, 1, 1, 1]] + [[5000, 1, 1, 1, 1, 1]] * 2,
        columns=list(SPENDING_COLUMNS),
    )


def test_fit_refuses_customers_too_alike_for_k_on_the_command_line(tmp_path):
    # 3 distinct customers pass the quick count, but scikit-learn's k-means (distances by a
    # matrix product, within rounding of each other) puts the first two in one group.
    (tmp_path / "near.csv").write_text(NEAR)
    before = folder_state(tmp_path)
    done = run(
        tmp_path, "fit", "near.csv", "--k", "3", "--algorithm", "scikit-learn", "-o", "near.json"
    )
    assert_refused(
        done, tmp_path, before, "k-means found only 2 distinct groups", "Choose a k of at most 2."
    )
    assert "stability" not in done.stderr  # no note about a warning the refusal replaces


def test_fit_refuses_customers_too_alike_for_k_in_python():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ModelInputError, match="k-means found only 2 distinct groups"):
            SegmentationModel(k=3, algorithm="scikit-learn").fit(near_table())
        assert SegmentationModel(k=2, algorithm="scikit-learn").fit(near_table()).k == 2


@pytest.mark.parametrize("transform", ["log", "none"])
def test_the_course_k_means_keeps_customers_apart_down_to_their_last_digits(transform):
    # Its assignments come from exact differences (x - c) ** 2, not a matrix product: the
    # first two customers, 1e-7 m.u. apart, each get their own segment, and J is 0.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SegmentationModel(k=3, transform=transform, evaluate=False).fit(near_table())
    table = model.predict(near_table())
    segments = table["segment"].tolist()
    assert segments[2] == segments[3] and len(set(segments)) == 3
    own = np.array([table[f"distance_{s}"].iloc[i] for i, s in enumerate(segments)])
    apart = table[f"distance_{segments[1]}"].iloc[0]  # the first customer to the second's
    assert 0 < apart < 1e-9 and (own < apart / 100).all()  # each on its segment's centre


# Spending close together (differences down to the last digits) and far apart.
CLOSE_SPENDING = st.one_of(
    st.sampled_from([0.0, 1.0, 1000.0, 1000.0000001, 1000.0000000001, 5000.0]),
    st.floats(0, 1e6, allow_nan=False),
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(CLOSE_SPENDING, min_size=6, max_size=6), min_size=1, max_size=10),
    k=st.integers(1, 5),
    transform=st.sampled_from(["log", "none"]),
)
def test_any_fit_is_refused_or_saves_a_model_that_predicts_its_own_data(
    tmp_path_factory, rows, k, transform
):
    table = pd.DataFrame(rows, columns=list(SPENDING_COLUMNS))
    try:
        model = SegmentationModel(k=k, transform=transform, n_init=2).fit(table)
    except ModelInputError:
        event("refused")
        return
    except ValueError as error:
        assert k > len(rows) and "k must be a whole number" in str(error)
        return
    event("fitted")
    again = load_model(model.save(tmp_path_factory.mktemp("fit") / "m.json"))
    predicted = again.predict(table)
    assert len(predicted) == len(table) and set(predicted["segment"]) <= set(range(k))
    assert sorted(np.bincount(predicted["segment"], minlength=k) > 0) == [True] * k


def test_a_fifo_without_a_writer_is_refused_without_waiting(model_data, tmp_path):
    fifo = tmp_path / "m.json"
    os.mkfifo(fifo)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from segmentation.model.persistence import load_model; load_model('m.json')",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,  # the old reader waited here for ever
    )
    assert "not a regular file" in done.stderr and "ModelFileError" in done.stderr
    assert "not a regular file" in refused_message(fifo)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_character_device_is_refused_before_it_is_read(tmp_path):
    node = tmp_path / "zero"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero's numbers
    assert "not a regular file" in refused_message(node)


def test_a_terminal_or_device_on_the_command_line_exits_1(tmp_path):
    (tmp_path / "d.csv").write_text(f"{HEADER}\n1,2,3,4,5,6\n")
    before = folder_state(tmp_path)
    done = run(tmp_path, "predict", "/dev/null", "d.csv", "-o", "x.csv")
    assert_refused(done, tmp_path, before, "not a regular file")


def test_a_directory_is_refused_as_a_folder(tmp_path):
    assert "this is a folder" in refused_message(tmp_path)


def test_a_duplicated_spending_column_is_named(customers):
    doubled = pd.concat([customers, customers[["Fresh"]]], axis=1)
    model = SegmentationModel(k=2, evaluate=False).fit(customers)
    for call in (lambda: SegmentationModel(k=2).fit(doubled), lambda: model.predict(doubled)):
        with pytest.raises(ModelInputError, match="column Fresh more than once"):
            call()


def test_a_channel_column_of_unusable_values_counts_as_unknown(customers):
    odd = customers.assign(Channel=[{"a": 1}] * len(customers))
    model = SegmentationModel(k=3).fit(odd)
    plain = SegmentationModel(k=3).fit(customers.drop(columns="Channel"))
    # Named and evaluated as without a Channel column: no channel in any name, no agreement.
    assert model.names == plain.names and model.evaluation.channel_ari is None
    # One unusable value among good ones counts as a missing one.
    channel = list(customers["Channel"].astype(str))
    mixed = customers.assign(Channel=[*channel[:-1], [1, 2]])
    missing = customers.assign(Channel=[*channel[:-1], None])
    assert (
        SegmentationModel(k=3).fit(mixed).to_json() == SegmentationModel(k=3).fit(missing).to_json()
    )


def test_two_channel_columns_are_refused(customers):
    doubled = pd.concat([customers, customers[["Channel"]]], axis=1)
    with pytest.raises(ModelInputError, match="more than one Channel column"):
        SegmentationModel(k=2).fit(doubled)


def test_saving_under_a_name_no_file_can_have_says_so(customers, tmp_path):
    model = SegmentationModel(k=2, evaluate=False).fit(customers)
    with pytest.raises(ValueError, match="no file can have this name") as refused:
        model.save(tmp_path / "a\0b")
    assert "NUL character" in str(refused.value)
    with pytest.raises(ModelFileError, match="no file can have this name"):
        load_model(tmp_path / "a\0b")
    assert list(tmp_path.iterdir()) == []


# --- issue 14: the limits fit keeps, and what a user may hand over ------------------------------


def test_a_model_of_the_most_segments_loads(model_data, tmp_path, customers):
    data = copy.deepcopy(model_data)
    forge_k(data, MAX_K)
    path = tmp_path / "m.json"
    path.write_text(file_text(data))
    model = load_model(path)
    assert len(model.centres) == MAX_K  # the same centre k times: every customer in segment 0
    assert set(model.segment_of(customers)) == {0}


def test_fit_and_the_command_line_share_one_limit_of_segments(customers):
    from segmentation import cli

    assert cli.MAX_K is MAX_K == 1000
    spending = pd.concat([customers[list(SPENDING_COLUMNS)]] * 3, ignore_index=True)
    many = spending + np.arange(len(spending))[:, None]  # 1,320 distinct customers
    with pytest.raises(ValueError, match=r"k must be a whole number from 1 to 1,000 \(the most"):
        SegmentationModel(k=MAX_K + 1, evaluate=False).fit(many)
    with pytest.raises(ValueError, match=r"from 1 to the number of customers \(440\)"):
        SegmentationModel(k=441, evaluate=False).fit(customers)


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""], ids=["BOM", "no BOM"])
def test_a_model_file_with_a_byte_order_mark_loads_and_predicts_the_same(
    model_data, tmp_path, customers, bom
):
    plain = tmp_path / "plain.json"
    plain.write_text(file_text(model_data), encoding="utf-8")
    marked = tmp_path / "marked.json"
    marked.write_bytes(bom + plain.read_bytes())  # as Notepad saves it
    expected = load_model(plain).predict(customers)
    pd.testing.assert_frame_equal(load_model(marked).predict(customers), expected)
    assert load_model(marked).to_json() == load_model(plain).to_json()


def test_only_one_byte_order_mark_is_harmless(model_data, tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(b"\xef\xbb\xbf" * 2 + file_text(model_data).encode())
    assert "not valid JSON" in refused_message(path)


@pytest.mark.parametrize(
    "path, phrase",
    [
        (0, "not 0 (int)"),
        (None, "not None (NoneType)"),
        (3.5, "not 3.5 (float)"),
        (["m.json"], "not ['m.json'] (list)"),
    ],
)
def test_load_model_refuses_what_is_no_path_in_words(path, phrase):
    with pytest.raises(TypeError) as refused:
        load_model(path)
    assert "load_model takes the path of a model file" in str(refused.value)
    assert phrase in str(refused.value)


def test_score_of_an_unfitted_model_says_so_like_the_other_methods(customers):
    from sklearn.exceptions import NotFittedError

    for use in ("score", "predict", "evaluate_on", "segment_of"):
        with pytest.raises(NotFittedError):
            getattr(SegmentationModel(), use)(customers)


@pytest.mark.parametrize("rows, k", [(1, 3), (2, 3), (4, 5)])
def test_evaluating_on_fewer_customers_than_segments_says_so_in_the_models_words(
    customers, rows, k
):
    model = SegmentationModel(k=k, evaluate=False).fit(customers)
    with pytest.raises(ModelInputError) as refused:
        model.evaluate_on(customers.head(rows))
    message = str(refused.value)
    assert f"fewer than the model's {k} segments" in message
    assert f"Evaluate on at least {k} customers" in message
    assert "n_clusters" not in message
    assert model.evaluate_on(customers.head(k)).customers == k


@pytest.mark.parametrize("evaluate", ["no", "False", 0, 1, None, [True]])
def test_evaluate_must_be_true_or_false(customers, evaluate):
    with pytest.raises(ValueError, match="evaluate must be True or False, not"):
        SegmentationModel(k=2, evaluate=evaluate).fit(customers)


@pytest.mark.parametrize("evaluate, measured", [(True, True), (np.bool_(False), False)])
def test_evaluate_as_a_bool_is_accepted(customers, evaluate, measured):
    model = SegmentationModel(k=2, n_init=1, evaluate=evaluate).fit(customers)
    assert (model.evaluation is not None) == measured


@pytest.mark.parametrize(
    "name, written",
    [
        ("+5", "'+5"),
        ("-1e3", "'-1e3"),
        ("-5", "'-5"),
        ("=1+2", "'=1+2"),
        ("@A1", "'@A1"),
        ("5", "5"),
        ("big spenders", "big spenders"),
    ],
)
def test_segment_names_that_a_spreadsheet_would_take_as_numbers_are_quoted(
    model_data, tmp_path, customers, name, written
):
    """The README: a cell that starts with =, +, -, @ gets a quote; only an id that is a plain
    number is written as it is (a name is text)."""
    import io

    from segmentation.data.output import write_predictions

    data = copy.deepcopy(model_data)
    data["segments"][0]["name"] = name
    path = tmp_path / "m.json"
    path.write_text(file_text(data))
    out = io.BytesIO()
    write_predictions(load_model(path), customers.assign(id=range(-3, len(customers) - 3)), out)
    table = pd.read_csv(io.BytesIO(out.getvalue()), dtype=str, keep_default_na=False)
    assert set(table.loc[table["segment"] == "0", "name"]) == {written}
    assert table["id"].head(3).tolist() == ["-3", "-2", "-1"]  # ids that are numbers stay so
