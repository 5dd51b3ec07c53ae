"""`segmentation classify` and `segmentation predict` with a classifier file, as a user runs
them: the comparison table, the saved classifier, its predictions, and bad input refused
with one line and nothing written."""

import io
import pickle
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmentation.classify.persistence import load_classifier
from segmentation.cli import main
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.data.shipped import course_data_path

COMMAND = Path(sys.executable).parent / "segmentation"
MODELS = ["majority", "logistic regression", "decision tree", "random forest", "gradient boosting"]


def run(*args):
    """The installed command, as a user types it."""
    return subprocess.run(
        [str(COMMAND), *map(str, args)], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def classified(tmp_path_factory):
    """One run of `classify` on the course data with 3 folds: the run and its file."""
    path = tmp_path_factory.mktemp("classify") / "classifier.skops"
    done = run("classify", course_data_path(), "--target", "Channel", "--cv", "3", "-o", path)
    return done, path


def printed_table(stdout):
    """The rows of the printed comparison: model -> (accuracy, F1, balanced accuracy) means."""
    rows = {}
    for line in stdout.splitlines():
        for name in MODELS:
            if line.startswith(name + " "):
                means = re.findall(r"(\d\.\d{3}) \(sd (\d\.\d{3})\)", line)
                rows[name] = tuple(float(mean) for mean, _ in means)
    return rows


def test_classify_prints_the_comparison_and_saves_the_best(classified):
    done, path = classified
    assert done.returncode == 0, done.stderr
    rows = printed_table(done.stdout)
    assert list(rows) == MODELS and all(len(scores) == 3 for scores in rows.values())
    # The majority guesses Horeca for everyone: 298 of 440 right, half the classes found.
    assert rows["majority"][0] == round(298 / 440, 3) and rows["majority"][2] == 0.5
    best = max(MODELS, key=lambda name: rows[name][1])  # by mean F1 (printed rounded)
    assert f"Best by mean F1 (macro): {best}, refitted on all 440 customers" in done.stdout
    for name in MODELS:  # progress: one line per model, on standard error
        assert f"  {name}: 3 folds" in done.stderr
    loaded = load_classifier(path)
    assert (loaded.name, loaded.target, loaded.classes) == (best, "Channel", ("Horeca", "Retail"))
    assert loaded.scores["F1 (macro) mean"] == pytest.approx(rows[best][1], abs=5e-4)


def test_predict_with_the_classifier_equals_its_own_predictions(classified, customers, tmp_path):
    _, path = classified
    out = tmp_path / "channels.csv"
    done = run("predict", path, course_data_path(), "-o", out)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    estimator = load_classifier(path).estimator
    X = customers[list(SPENDING_COLUMNS)]
    assert table["id"].tolist() == list(range(1, 441))
    assert (table["predicted_Channel"].to_numpy() == estimator.predict(X)).all()
    probabilities = table[["probability_Horeca", "probability_Retail"]].to_numpy()
    assert np.allclose(probabilities, estimator.predict_proba(X), atol=5e-7)
    counts = table["predicted_Channel"].value_counts()
    assert f"  Horeca: {counts['Horeca']}" in done.stdout
    assert f"  Retail: {counts['Retail']}" in done.stdout


def test_predict_tells_the_files_apart_by_content_not_name(classified, tmp_path, capsys):
    _, path = classified
    renamed = tmp_path / "classifier.json"
    renamed.write_bytes(path.read_bytes())
    assert main(["predict", str(renamed), str(course_data_path()), "-o", "-"]) == 0
    captured = capsys.readouterr()
    first = pd.read_csv(io.StringIO(captured.out)).columns.tolist()
    assert first == ["id", "predicted_Channel", "probability_Horeca", "probability_Retail"]
    assert "Predicted Channel for 440 customers" in captured.err  # the summary, aside


def test_ids_that_look_like_formulas_are_made_safe(classified, tmp_path):
    _, path = classified
    data = pd.read_csv(course_data_path()).head(4)
    data.insert(0, "id", ["=HYPERLINK(1)", "-5", "@x", "plain"])
    source, out = tmp_path / "new.csv", tmp_path / "out.csv"
    data.to_csv(source, index=False)
    assert run("predict", path, source, "-o", out).returncode == 0
    ids = out.read_text().splitlines()[1:]
    assert [line.split(",")[0] for line in ids] == ["'=HYPERLINK(1)", "-5", "'@x", "plain"]


def write_customers(path, change):
    data = pd.read_csv(course_data_path())
    change(data).to_csv(path, index=False)
    return path


def one_class(data):
    data["Channel"] = 1
    return data


def eight_customers(data):
    return pd.concat([data[data.Channel == 1].head(4), data[data.Channel == 2].head(4)])


def tiny(horeca, retail):
    def change(data):
        return pd.concat(
            [data[data.Channel == 1].head(horeca), data[data.Channel == 2].head(retail)]
        )

    return change


def three_retail(data):
    return pd.concat([data[data.Channel == 1].head(20), data[data.Channel == 2].head(3)])


BAD_DATA = {
    # name: (a change to the course data, the arguments after the file, exit, message words)
    "no target column": (lambda d: d.drop(columns="Channel"), [], 1, "has no Channel column"),
    "one class": (one_class, [], 1, "holds one class only (every customer is Horeca)"),
    "too few rows for 5 folds": (eight_customers, [], 1, "of Channel Horeca for --cv 5: lower"),
    "a class too small": (three_retail, [], 1, "too few customers of Channel Retail for --cv 5"),
    "2 + 2 for 2 folds": (tiny(2, 2), ["--cv", "2"], 1, "for --cv 2: add customers (it has 2"),
    "3 + 3 for 3 folds": (tiny(3, 3), ["--cv", "3"], 1, "for --cv 3: add customers (it has 3"),
    "20 + 6 for 5 folds": (tiny(20, 6), [], 1, "Retail for --cv 5: lower --cv to 4 or add"),
    "a spending category as target": (lambda d: d, ["--target", "Milk"], 2, "is a spending"),
    "an unknown target": (lambda d: d, ["--target", "Price"], 2, "'Price' is no label"),
    "a target with escapes": (lambda d: d, ["--target", "\x1b[31mX\n"], 2, "'\\x1b[31mX\\n' is no"),
    "one fold": (lambda d: d, ["--cv", "1"], 2, "--cv must be from 2 to 10; got 1"),
    "too many folds": (lambda d: d, ["--cv", "11"], 2, "--cv must be from 2 to 10"),
    "a negative seed": (lambda d: d, ["--seed", "-1"], 2, "--seed must be from 0"),
    "bad spending": (lambda d: d.assign(Milk=-1), [], 1, "cannot be used"),
}


@pytest.mark.parametrize("name", sorted(BAD_DATA))
def test_classify_refuses_bad_input_and_writes_nothing(tmp_path, name):
    change, arguments, status, words = BAD_DATA[name]
    source = write_customers(tmp_path / "customers.csv", change)
    out = tmp_path / "classifier.skops"
    out.write_bytes(b"before")
    extra = arguments if "--target" in arguments else ["--target", "Channel", *arguments]
    done = run("classify", source, *extra, "-o", out)
    assert done.returncode == status, done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr
    if status == 2:  # the command's own usage, as argparse's own errors give it
        assert done.stderr.startswith("usage: segmentation classify [-h] --target TARGET")
    if status == 1 and name != "bad spending":
        lines = [line for line in done.stderr.splitlines() if not line.startswith("  note:")]
        assert len(lines) == 1 and lines[0].startswith(str(source))
    assert out.read_bytes() == b"before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classifier.skops", "customers.csv"]


def bad_classifier(good):
    return {
        "pickle renamed .skops": (pickle.dumps({"model": 1}), "it is a Python pickle"),
        "cut short": (good[: len(good) // 3], "cut short or damaged"),
        "empty": (b"", "the file is empty"),
        "a zip of something else": (
            zip_of_text(),
            "not a classifier file written by segmentation classify",
        ),
    }


def zip_of_text():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "kind", ["pickle renamed .skops", "cut short", "empty", "a zip of something else"]
)
def test_predict_refuses_a_bad_classifier_file_and_writes_nothing(classified, tmp_path, kind):
    _, good = classified
    content, words = bad_classifier(good.read_bytes())[kind]
    path, out = tmp_path / "bad.skops", tmp_path / "channels.csv"
    path.write_bytes(content)
    done = run("predict", path, course_data_path(), "-o", out)
    assert done.returncode == 1
    assert done.stderr.startswith(str(path)) and words in done.stderr
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["bad.skops"]


def test_a_report_needs_segments_not_a_classifier(classified, tmp_path):
    _, path = classified
    out = tmp_path / "report.html"
    done = run("report", path, course_data_path(), "-o", out)
    assert done.returncode == 1 and done.stderr == (
        f"{path} is a classifier; report takes a segmentation model (.json) from "
        "`segmentation fit`.\n"
    )
    assert not out.exists()


def test_a_table_given_first_to_predict_is_told_of_both_kinds_of_model(classified, tmp_path):
    _, path = classified
    done = run("predict", course_data_path(), path, "-o", tmp_path / "p.csv")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "MODEL.json" in done.stderr and "CLASSIFIER.skops" in done.stderr


def test_sigterm_while_comparing_leaves_nothing_behind(tmp_path):
    out = tmp_path / "classifier.skops"
    command = [str(COMMAND), "classify", str(course_data_path()), "--target", "Channel"]
    process = subprocess.Popen(
        [*command, "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines = []
    while not any("random forest" in line for line in lines):  # in the middle of the work
        lines.append(process.stderr.readline())
        assert lines[-1], "the command ended before it compared the models"
    process.send_signal(signal.SIGTERM)
    rest = process.communicate(timeout=60)[1]
    assert process.returncode == 128 + signal.SIGTERM
    assert rest.strip().endswith("stopped by SIGTERM. Nothing was written.")
    assert list(tmp_path.iterdir()) == []


def test_the_readme_shows_the_table_the_command_prints(tmp_path):
    done = run("classify", course_data_path(), "--target", "Channel", "-o", tmp_path / "c.skops")
    assert done.returncode == 0, done.stderr
    table = done.stdout.split("\nBest by mean F1")[0]
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert f"```text\n{table}\n```" in readme
