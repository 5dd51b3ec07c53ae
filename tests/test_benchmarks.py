"""The benchmark scripts run and report what they promise (timings are theirs to judge)."""

import importlib.util
import re
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kmeans_speed_reports_both_timings_their_ratio_and_memory(capsys):
    status = load("kmeans_speed").main(["--rows", "20000", "--iterations", "5", "--repeats", "1"])
    out = capsys.readouterr().out
    ours = float(re.search(r"segmentation:\s+([\d.]+) ms per iteration", out)[1])
    reference = float(re.search(r"scikit-learn Lloyd:\s+([\d.]+) ms per iteration", out)[1])
    ratio = float(re.search(r"ratio:\s+([\d.]+)", out)[1])
    assert abs(ratio - ours / reference) <= 0.01 * ratio + 0.01
    extra = float(re.search(r"peak extra memory:\s+([\d.]+) MB", out)[1])
    assert 0 < extra < 100
    assert "same assignments:   100.000000%" in out
    assert status == (0 if "within target" in out else 1)


def test_predict_speed_reports_both_timings_and_their_ratio(capsys):
    status = load("predict_speed").main(["--rows", "20000", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "file: 20,000 customers" in out
    pandas_ms = float(re.search(r"pandas.read_csv alone:\s+([\d.]+) ms", out)[1])
    ours_ms = float(re.search(r"predict_csv \(read, check, segment\):\s+([\d.]+) ms", out)[1])
    ratio = float(re.search(r"ratio:\s+([\d.]+)", out)[1])
    assert abs(ratio - ours_ms / pandas_ms) <= 0.01 * ratio + 0.01
    counts = [int(n.replace(",", "")) for n in re.findall(r"\d: ([\d,]+)", out.split("segments:")[1])]
    assert sum(counts) == 20_000 and len(counts) == 3
    assert status == (0 if "within target" in out else 1)
