"""The HTML report with hostile values in every field of the model and of the data: the page a
parser reads holds only the tags and attributes the report writes (no script, no event
handler, no javascript: URL), shows each hostile value as the text it is, and draws names into
the charts as plain text, never as formulas."""

import copy
import dataclasses
import hashlib
import json
import re
import subprocess
import sys
import tracemalloc
import warnings
from html.parser import HTMLParser

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import course_data_path, load_customers
from segmentation.model.evaluation import silhouette_band
from segmentation.model.file_checks import ModelFileError
from segmentation.model.inputs import ModelInputError
from segmentation.model.persistence import load_model
from segmentation.model.pipeline import SegmentationModel
from segmentation.report.html import _scatter_figure, _sizes_figure, build_report, segment_summary

HOSTILE = [
    "<script>alert(1)</script>",
    '" onmouseover="x',
    "' onerror='alert(1)",
    "javascript:alert(1)",
    "</style><script>alert(1)</script>",
    "</title><script>x",
    "<img src=x onerror=alert(1)>",
    "&lt;script&gt;",
    "{0} {name!r}",
]

#: What the report writes: each tag, and the attributes it may carry.
TAGS = {
    "html": {"lang"},
    "head": set(),
    "meta": {"charset", "name", "content"},
    "title": set(),
    "style": set(),
    "body": set(),
    "main": set(),
    "h1": set(),
    "h2": set(),
    "h3": set(),
    "p": {"class"},
    "b": set(),
    "br": set(),
    "div": {"class"},
    "section": {"class", "style"},
    "table": set(),
    "caption": set(),
    "thead": set(),
    "tbody": set(),
    "tr": set(),
    "th": {"scope"},
    "td": set(),
    "img": {"src", "alt"},
    "ul": set(),
    "li": set(),
}


#: Attributes whose value a browser may load or run as a URL.
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "style", "srcset", "data", "poster"}


class Page(HTMLParser):
    """Every tag, attribute and piece of text a browser's parser would find in the page."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.styles, self.other = [], [], [], []
        self._in_style = False
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)

    def handle_comment(self, data):
        self.other.append(("comment", data))

    def handle_pi(self, data):
        self.other.append(("processing instruction", data))

    def unknown_decl(self, data):
        self.other.append(("declaration", data))


def assert_safe(page):
    """Nothing in the page but what the report writes; returns the page's visible text."""
    assert "<script" not in page.lower()
    parsed = Page(page)
    assert parsed.other == []
    for tag, attrs in parsed.tags:
        assert tag in TAGS, tag
        for name, value in attrs:
            assert name in TAGS[tag], (tag, name)
            assert not name.startswith("on")
            if name in URL_ATTRIBUTES:  # (an alt text may say "javascript:": it runs nothing)
                assert "javascript:" not in re.sub(r"\s", "", (value or "").lower())
            if name == "src":
                assert re.fullmatch(r"data:image/png;base64,[A-Za-z0-9+/]+=*", value)
            if name == "style":
                assert re.fullmatch(r"--colour:#[0-9a-f]{6}", value)
    assert len(parsed.styles) == 1 and "<" not in parsed.styles[0]
    return " ".join(" ".join(parsed.text).split())


@pytest.fixture(scope="module")
def customers():
    return load_customers()


@pytest.fixture(scope="module")
def model(customers):
    return SegmentationModel(k=3).fit(customers, source="customers.csv")


def resigned(data):
    """``data`` with its checksum recomputed, as anyone can."""
    payload = {key: value for key, value in data.items() if key != "checksum"}
    data["checksum"] = hashlib.sha256(
        json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    return data


def report_command(folder, data):
    """`segmentation report m.json DATA -o r.html`, run in ``folder`` as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "segmentation", "report", "m.json", data, "-o", "r.html"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def forged(model, text):
    """The model's file data with ``text`` in every string field a model file may hold
    freely (names, strategies, the source, the version), and the checksum recomputed as
    anyone can."""
    data = json.loads(model.to_json())
    data["library_version"] = text
    data["training_data"]["source"] = text
    for j, segment in enumerate(data["segments"]):
        segment["name"] = f"{j} {text}"
        segment["strategy"] = text
    return resigned(data)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_every_string_field_shows_as_text(model, customers, tmp_path, text):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(forged(model, text)))
    loaded = load_model(path)
    table = customers.assign(id=[f"{text}{i}" for i in range(len(customers))])
    seen = assert_safe(build_report(loaded, table, source=text, model_source=text))
    # Shown as what it is, not dropped: each name, each strategy, the file names.
    assert seen.count(f"0 {text}") >= 2 and f"Strategy: {text}" in seen
    assert f"Model: {text} (k = 3" in seen and f"of {text}" in seen


def string_and_number_leaves(tree, path=()):
    items = tree.items() if isinstance(tree, dict) else enumerate(tree)
    for key, value in items:
        if isinstance(value, (dict, list)):
            yield from string_and_number_leaves(value, (*path, key))
        elif isinstance(value, (int, float, str)) and not isinstance(value, bool):
            yield (*path, key)


def test_hostile_text_in_any_number_field_is_refused_before_it_reaches_a_page(model, tmp_path):
    # Every number of the file (the seeds of the issue among them), and every string the
    # page shows only after checking it against a list (channel, size, algorithm, features):
    # replaced by a hostile text, each is refused by the loader.
    data = json.loads(model.to_json())
    leaves = [
        p
        for p in string_and_number_leaves(data)
        if p[-1] not in ("name", "strategy", "source", "library_version", "checksum", "format")
    ]
    assert ("evaluation", "seeds") in leaves and len(leaves) > 60
    for leaf in leaves:
        for text in HOSTILE[:2]:
            changed = copy.deepcopy(data)
            node = changed
            for key in leaf[:-1]:
                node = node[key]
            node[leaf[-1]] = text
            resigned(changed)
            path = tmp_path / "m.json"
            path.write_text(json.dumps(changed))
            with pytest.raises(ModelFileError):
                load_model(path)


def test_values_put_in_the_page_as_they_are_are_escaped_even_unchecked(model, customers):
    # A model made in Python skips the file's checks: the page escapes its values all the
    # same, numbers included (the seeds, the starts, the seed of the fit).
    text = HOSTILE[0]
    hostile = copy.copy(model)
    # the page shows what was fitted (set_params would take effect only at the next fit)
    hostile.algorithm_ = hostile.random_state_ = hostile.n_init_ = text
    hostile.training_ = {**model.training, "source": text, "customers": text}
    hostile.evaluation_ = dataclasses.replace(model.evaluation, seeds=text)
    hostile.segments_ = [
        dataclasses.replace(s, name=f"{s.number}{text}", strategy=text) for s in model.segments
    ]
    seen = assert_safe(build_report(hostile, customers, source=text, model_source=text))
    assert f"refitting with {text} other seeds (each the best of {text} random starts" in seen
    assert f"k-means: {text}, seed {text}, best of {text} random starts" in seen


def test_a_forged_report_through_the_command_line(model, tmp_path):
    # A model forged with a script in every free string, data with hostile ids, and a file
    # name that is markup: exit 0, and a page without a live script.
    text = HOSTILE[0]
    (tmp_path / "m.json").write_text(json.dumps(forged(model, text)))
    name = "<img src=x onerror=alert(1)>.csv"
    table = load_customers()
    table["id"] = [f"{HOSTILE[i % len(HOSTILE)]}{i}" for i in range(len(table))]
    table.to_csv(tmp_path / name, index=False)
    done = report_command(tmp_path, name)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr and "Warning" not in done.stderr
    seen = assert_safe((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert f"Strategy: {text}" in seen and f"customers of {name}" in seen


def test_a_model_with_a_script_for_its_seeds_writes_no_page(model, tmp_path):
    data = json.loads(model.to_json())
    data["evaluation"]["seeds"] = "<script>alert(1)</script>"
    resigned(data)
    (tmp_path / "m.json").write_text(json.dumps(data))
    (tmp_path / "c.csv").write_bytes(course_data_path().read_bytes())
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    done = report_command(tmp_path, "c.csv")
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert '"evaluation.seeds" must be a whole number from 1 to 1000' in done.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


# --- names in the charts -------------------------------------------------------------------------


FORMULAS = ["$\\undefined$", "a $x^2$ b", "$$", "price in $ and $"]


def with_names(model, names):
    named = copy.copy(model)
    named.segments_ = [
        dataclasses.replace(s, name=n) for s, n in zip(model.segments, names, strict=True)
    ]
    return named


def drawn_width(text, figure, **kwargs):
    """The width a text takes on the figure's canvas."""
    artist = figure.text(0, 0, text, **kwargs)
    return artist.get_window_extent(FigureCanvasAgg(figure).get_renderer()).width


def test_names_are_drawn_as_text_never_as_formulas(model, customers):
    named = with_names(model, FORMULAS[:3])
    summary = segment_summary(named, customers)
    segments = named.predict(customers)["segment"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sizes = _sizes_figure(summary)
        scatter = _scatter_figure(named, customers, segments)
        for figure in (sizes, scatter):
            FigureCanvasAgg(figure).draw()  # mathtext would fail on \undefined
    ticks = sizes.axes[0].get_yticklabels()
    legend = scatter.legends[0].get_texts()
    for labels in (ticks, legend):
        assert sorted(t.get_text() for t in labels) == sorted(
            f"{j}. {name}" for j, name in enumerate(FORMULAS[:3])
        )
        assert not any(t.get_parse_math() for t in labels)
    # Drawn literally: with its dollar signs, "a $x^2$ b" is wider than the formula it would
    # otherwise be (a, then x squared, then b).
    figure = matplotlib.figure.Figure()
    assert drawn_width("a $x^2$ b", figure, parse_math=False) > drawn_width("a $x^2$ b", figure)


def test_a_report_of_formula_names_through_the_command_line(model, tmp_path):
    data = forged(model, "x")
    for segment, name in zip(data["segments"], FORMULAS[:3], strict=True):
        segment["name"] = name
    resigned(data)
    (tmp_path / "m.json").write_text(json.dumps(data))
    (tmp_path / "c.csv").write_bytes(course_data_path().read_bytes())
    done = report_command(tmp_path, "c.csv")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr and "Warning" not in done.stderr
    seen = assert_safe((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert all(f"{j}. {name}" in seen for j, name in enumerate(FORMULAS[:3]))


# --- follow-ups: memory, silhouettes at the edge, odd columns ------------------------------------


@pytest.mark.parametrize(
    "silhouette, reading",
    [
        (1.0, "strong structure"),
        (1.0000000005, "strong structure"),  # within the loader's rounding margin (1e-9)
        (-1.0, "no substantial structure"),
    ],
)
def test_every_silhouette_the_loader_accepts_is_reported(
    model, customers, tmp_path, silhouette, reading
):
    data = json.loads(model.to_json())
    data["evaluation"]["silhouette"] = silhouette
    path = tmp_path / "m.json"
    path.write_text(json.dumps(resigned(data)))
    page = build_report(load_model(path), customers)
    assert f"<b>{reading}</b>" in page
    assert silhouette_band(silhouette) == (reading, None)


@pytest.mark.parametrize("silhouette", [1.000000002, -1.0000000001, -1.000000002])
def test_a_silhouette_beyond_the_margin_is_refused_at_load(model, tmp_path, silhouette):
    data = json.loads(model.to_json())
    data["evaluation"]["silhouette"] = silhouette
    path = tmp_path / "m.json"
    path.write_text(json.dumps(resigned(data)))
    with pytest.raises(ModelFileError, match=r"evaluation\.silhouette"):
        load_model(path)


def test_silhouette_band_refuses_only_beyond_the_margin():
    for value in (1.000000002, -1.000000002):
        with pytest.raises(ValueError, match="between -1 and 1"):
            silhouette_band(value)
    assert silhouette_band(-1.0000000005) == ("no substantial structure", None)


def test_the_report_keeps_no_table_of_customers_times_k(customers):
    # k = 100 on 100,000 customers: every distance at once takes 80 MB, and the report made
    # from predict() held that twice over (the distances, then the table's columns).
    rng = np.random.default_rng(0)
    many = customers.iloc[rng.integers(0, len(customers), 100_000)].reset_index(drop=True)
    spending = list(SPENDING_COLUMNS)
    many[spending] = many[spending] * rng.uniform(0.5, 2.0, (len(many), len(spending)))
    model = SegmentationModel(k=100, n_init=1, evaluate=False).fit(many.iloc[:2_000])
    n_times_k = len(many) * model.k * 8
    tracemalloc.start()
    try:
        labels = model.segment_of(many)
        _, peak_labels = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        page = build_report(model, many)
        _, peak_report = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The labels: one block of distances (2 MB) and the spending table; the report adds its
    # charts of 100 segments, whatever the number of customers.
    assert peak_labels < n_times_k / 4, peak_labels
    assert peak_report < n_times_k * 3 / 4, peak_report
    np.testing.assert_array_equal(labels, model.predict(many)["segment"].to_numpy())
    assert page.rstrip().endswith("</html>")


def test_segments_in_blocks_match_one_block(model, customers):
    one = model.segment_of(customers)
    np.testing.assert_array_equal(one, model.segment_of(customers, block=7 * model.k))
    # and as the pipeline's k-means step measures the distances to every centre
    distances = model.pipeline_.transform(customers[list(SPENDING_COLUMNS)])
    np.testing.assert_array_equal(one, distances.argmin(axis=1))


def test_a_report_with_a_channel_of_unusable_values_treats_it_as_unknown(model, customers):
    odd = customers.assign(Channel=[{"a": 1}] * len(customers))
    page = build_report(model, odd)
    assert "only 0 customers with a known channel" in page
    assert segment_summary(model, odd)["Retail share"].isna().all()


def test_a_report_with_a_column_twice_names_it(model, customers):
    doubled = pd.concat([customers, customers[["Fresh"]]], axis=1)
    with pytest.raises(ModelInputError, match="column Fresh more than once"):
        build_report(model, doubled)
