"""The benchmark scripts run and report what they promise (timings are theirs to judge)."""

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_ratio(ratio: float, top: float, bottom: float, half_unit: float) -> None:
    """``ratio`` (printed to 0.01) is ``top / bottom``, each printed rounded to ``half_unit``
    either way: at the small sizes of these tests, that rounding alone moves it by percents."""
    low, high = (top - half_unit) / (bottom + half_unit), (top + half_unit) / (bottom - half_unit)
    assert low - 0.005 <= ratio <= high + 0.005, (ratio, top, bottom)


def test_kmeans_speed_reports_both_timings_their_ratio_and_memory(capsys):
    status = load("kmeans_speed").main(["--rows", "20000", "--iterations", "5", "--repeats", "1"])
    out = capsys.readouterr().out
    ours = float(re.search(r"segmentation:\s+([\d.]+) ms per iteration", out)[1])
    reference = float(re.search(r"scikit-learn Lloyd:\s+([\d.]+) ms per iteration", out)[1])
    ratio = float(re.search(r"ratio:\s+([\d.]+)", out)[1])
    assert_ratio(ratio, ours, reference, 0.005)
    extra = float(re.search(r"peak extra memory:\s+([\d.]+) MB", out)[1])
    assert 0 < extra < 100
    assert "same assignments:   100.000000%" in out
    assert status == (0 if "within target" in out else 1)


def test_predict_speed_reports_both_timings_their_ratio_and_memory(capsys):
    status = load("predict_speed").main(
        ["--rows", "20000", "--memory-rows", "30000", "--repeats", "1"]
    )
    out = capsys.readouterr().out
    assert "file: 20,000 customers" in out
    pandas_ms = float(re.search(r"pandas.read_csv alone:\s+([\d.]+) ms", out)[1])
    ours_ms = float(re.search(r"predict_csv \(read, check, segment\):\s+([\d.]+) ms", out)[1])
    ratio = float(re.search(r"ratio:\s+([\d.]+)", out)[1])
    assert_ratio(ratio, ours_ms, pandas_ms, 0.05)
    segments_line = re.search(r"segments: (.*)", out)[1]
    counts = [int(n.replace(",", "")) for n in re.findall(r"\d: ([\d,]+)", segments_line)]
    assert sum(counts) == 20_000 and len(counts) == 3
    # Memory, on its own file: the table (9 columns of 8 bytes or less per customer), the
    # peaks of the children, and a ratio that is the larger addition over the table.
    assert "memory: 30,000 customers" in out
    table = float(re.search(r"the table in memory: ([\d.]+) MB", out)[1])
    assert 30_000 * 8 * 6 / 2**20 < table < 30_000 * 8 * 9 / 2**20
    libraries = float(
        re.search(r"libraries and model only:\s+([\d,.]+) MB", out)[1].replace(",", "")
    )
    reading = float(re.search(r"reading the table:\s+([\d,.]+) MB", out)[1].replace(",", ""))
    predict = float(re.search(r"segmentation predict:\s+([\d,.]+) MB", out)[1].replace(",", ""))
    traced = float(re.search(r"allocate:\s+([\d.]+) MB at most", out)[1])
    assert 20 < libraries <= reading and predict > 20 and 0 < traced < 100
    memory_ratio = float(re.search(r"memory ratio:\s+([\d.]+)", out)[1])
    # the ratio from the printed values, each rounded to 0.1 MB (half a unit either way)
    low = max(predict - reading - 0.1, traced - 0.05) / (table + 0.05)
    high = max(predict - reading + 0.1, traced + 0.05) / (table - 0.05)
    assert low - 0.01 <= memory_ratio <= high + 0.01
    verdict = out.strip().splitlines()[-1]
    assert verdict in (
        "within target",
        "OVER TARGET: speed",
        "OVER TARGET: memory",
        "OVER TARGET: speed, memory",
    )
    assert ("speed" in verdict) == (ratio > 3.0) and ("memory" in verdict) == (memory_ratio >= 2.0)
    assert status == (0 if verdict == "within target" else 1)


def test_the_validate_benchmark_reports_both_timings_and_their_ratio(capsys):
    status = load("validate_speed").main(["--rows", "20000", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "file: 20,000 customers" in out
    plain = float(re.search(r"plain file:\s+([\d.]+) s", out)[1])
    quoted = float(re.search(r"one quoted field:\s+([\d.]+) s", out)[1])
    ratio = float(re.search(r"ratio:\s+([\d.]+)", out)[1])
    assert_ratio(ratio, quoted, plain, 0.0005)
    assert re.search(r"peak memory: [\d,]+ MB and [\d,]+ MB", out)
    assert status == (0 if "within target" in out else 1)


def test_rfm_speed_reports_both_timings_their_ratio_and_memory(capsys):
    status = load("rfm_speed").main(["--rows", "20000", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "file: 20,000 lines" in out
    pandas_ms = float(re.search(r"pandas.read_csv alone:\s+([\d.]+) ms", out)[1])
    ours_ms = float(re.search(r"ours \(rfm command's path\):\s+([\d.]+) ms", out)[1])
    stages = [
        float(re.search(rf"{stage}:\s+([\d.]+) ms", out)[1])
        for stage in ("read_and_clean", "rfm_plus")
    ]
    # ours is the sum of its stages, each printed to 0.1 ms; so is the notebooks' path
    assert abs(sum(stages) - ours_ms) <= 0.2
    table_ms = float(re.search(r"the notebooks' path, once .*:\s+([\d.]+) ms", out)[1])
    table_stages = [
        float(re.search(rf"{stage}:\s+([\d.]+) ms", out)[1])
        for stage in ("read_transactions", "clean_transactions")
    ]
    table_stages.append(float(re.findall(r"rfm_plus:\s+([\d.]+) ms", out)[1]))
    assert abs(sum(table_stages) - table_ms) <= 0.3
    assert float(re.search(r"rfm_table alone \(cleaned log\):\s+([\d.]+) ms", out)[1]) > 0
    ratio = float(re.search(r"ratio:\s+([\d.]+)", out)[1])
    assert_ratio(ratio, ours_ms, pandas_ms, 0.05)
    customers, kept = (
        int(n.replace(",", ""))
        for n in re.search(r"customers: ([\d,]+); purchase lines kept: ([\d,]+)", out).groups()
    )
    assert 0 < customers < kept < 20_000  # guests, duplicates and cancellations set aside
    peaks = {
        who: [float(x.replace(",", "")) for x in found]
        for who, *found in re.findall(
            r"peak memory, (pandas.read_csv|ours|the notebooks' path):\s+([\d,.]+) MB "
            r"\(libraries alone ([\d,.]+) MB\)",
            out,
        )
    }
    assert set(peaks) == {"pandas.read_csv", "ours", "the notebooks' path"}
    for peak, libraries in peaks.values():
        assert 20 < libraries <= peak
    verdict = out.strip().splitlines()[-1]
    assert verdict in ("within target", "OVER TARGET")
    assert (verdict == "OVER TARGET") == (ratio > 2.0)
    assert status == (0 if verdict == "within target" else 1)


def test_stream_speed_reports_both_paths_their_stages_and_the_ratio(capsys):
    status = load("stream_speed").main(["--batches", "2", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "stream: 2 batches of 10,000 customers" in out
    theirs = [
        float(re.search(rf"MiniBatchKMeans.partial_fit alone, {which}:\s+([\d.]+) ms", out)[1])
        for which in ("default threads", "one thread")
    ]
    ours_ms = float(re.search(r"reference table\):\s+([\d.]+) ms", out)[1])
    stages = [
        float(re.search(rf"  {stage}:\s+([\d.]+) ms", out)[1])
        for stage in ("features_of", "partial_fit", "drift_report")
    ]
    assert abs(sum(stages) - ours_ms) <= 0.2  # ours is the sum of its stages
    assert float(re.search(r"stored summary\):\s+([\d.]+) ms", out)[1]) > 0
    per_second = int(re.search(r"customers per second, ours:\s+([\d,]+)", out)[1].replace(",", ""))
    assert per_second == pytest.approx(20_000 / (ours_ms / 1000), rel=0.01)
    ratio = float(re.search(r"ratio:\s+([\d.]+)", out)[1])
    assert_ratio(ratio, ours_ms, min(theirs), 0.05)
    verdict = out.strip().splitlines()[-1]
    assert verdict in ("within target", "OVER TARGET")
    assert (verdict == "OVER TARGET") == (ratio > 2.0)
    assert status == (0 if verdict == "within target" else 1)


def test_spark_scale_writes_a_table_from_the_same_start(tmp_path, capsys):
    # Spark's part starts a JVM of its own (half a minute here): left to the full run.
    out_csv = tmp_path / "scale.csv"
    arguments = ["--sizes", "3000", "--engines", "course,scikit-learn", "--out"]
    assert load("spark_scale").main([*arguments, str(out_csv), "--folder", str(tmp_path)]) == 0
    table = pd.read_csv(out_csv)
    columns = ["customers", "engine", "seconds", "iterations", "J", "peak_mb"]
    assert table.columns.tolist() == columns
    assert table[["customers", "engine"]].values.tolist() == [
        [3000, engine] for engine in ("course", "scikit-learn")
    ]
    # the same start, data and iterations: the same J (to float rounding)
    assert table["iterations"].nunique() == 1
    assert abs(table["J"].iloc[0] / table["J"].iloc[1] - 1) < 1e-9
    assert (table["peak_mb"] > 20).all() and (table["seconds"] > 0).all()
    assert "table written to" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scale.csv"]  # the data are gone
