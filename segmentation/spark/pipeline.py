"""The course's segmentation on Spark's MLlib: the same model, computed by Spark.

:func:`fit_spark` runs the course's path on Spark, from a CSV or Parquet file (or a Spark
DataFrame) of customers: ``log(1 + x)`` of each spending, ``VectorAssembler``,
``StandardScaler``, then Spark's k-means; it returns the same
:class:`~segmentation.model.pipeline.SegmentationModel` as ``segmentation fit``, so its JSON
file, ``predict``, ``report`` and ``monitor`` work as for any model. :func:`predict_spark`
segments customers on Spark with any model.

Two differences from the course, and what is done about them:

- Spark's ``StandardScaler`` divides by the *sample* standard deviation (n - 1 in the
  denominator); the course's (scikit-learn's) by the *population* one (n). The scaled
  features are multiplied by ``sqrt(n / (n - 1))`` (an ``ElementwiseProduct``), which gives
  exactly the course's scaling, and the model stores the course's scale.
- Spark 4.3's DataFrame ``KMeans`` (``pyspark.ml``) takes no starting centres; its
  RDD-based k-means (``pyspark.mllib``, the one behind ``KMeans.train(...,
  initialModel=...)``) does. It is called in the Java virtual machine directly, on the
  scaled column, so that no customer passes through Python. Without ``init`` it starts from
  Spark's own k-means||, seeded. It stops when no centre moves any more (the assignments
  stopped changing: the course's rule with ``tol=0``) or after ``max_iter`` iterations.

The model's ``evaluation`` is None: the course's evaluation (silhouette, stability over ten
refits) works on every customer in memory, which is what a Spark fit avoids; measure it on a
sample with ``model.evaluate_on(sample)``. Its ``monitoring`` summary (the PSI bins of
each feature and the mean distance to the nearest centre) is computed on Spark, equal to
the course's (:mod:`segmentation.spark.summary`). Above :data:`CHECKSUM_ROWS` customers its training
checksum is Spark's fingerprint of the rows, not the course's (see
:func:`spending_checksum`). The file records algorithm "spark"; the model's later refits
(``evaluate_on``) use the course's k-means.

A source or an output with a URI scheme (``hdfs://``, ``s3a://``, ``gs://``, ``abfss://``,
``file:///``) goes to Spark as it is: Spark reads and writes the storage its cluster can
reach. A local path is checked here first.

The scaled column reaches MLlib's k-means through ``DatasetUtils.columnToOldVector``, the
conversion Spark's own ``pyspark.ml`` estimators use (Spark-internal, so a new Spark version
must pass this module's tests), in a classic session: Spark Connect has no RDD API.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from os import PathLike, fspath
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from segmentation import __version__
from segmentation.cluster.numbering import segment_order
from segmentation.data.output import shown_path
from segmentation.data.problems import CustomerFileError, Problem, plural, shown_value
from segmentation.data.reader import MAX_SPENDING
from segmentation.data.schema import SPENDING_COLUMNS
from segmentation.model.inputs import (
    MIN_SCALE,
    ModelInputError,
    check_choices,
    check_numbers,
    empty_segment_error,
    printable,
    whole,
)
from segmentation.model.naming import named_segments
from segmentation.model.persistence import StoredModel, stored_content
from segmentation.spark.session import spark_session
from segmentation.spark.summary import spark_training_summary
from segmentation.transactions.generate import reporter

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from segmentation.model.pipeline import SegmentationModel

#: Up to this many customers, a Spark model records the course's checksum of its training
#: data (see :func:`spending_checksum`).
CHECKSUM_ROWS = 100_000
#: The most k-means iterations asked for (each is a pass over the data).
MAX_ITER = 100_000
#: Bad values shown in a refusal (all are counted).
SHOWN_BAD_VALUES = 5
_FEATURES, _SCALED, _SEGMENT = "_features", "_scaled", "segment"
# A URI's scheme: letters, digits, +, - or . then "://" (a Windows drive, C:\\, has none).
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class SparkOutputError(ValueError):
    """An output that Spark must not, or cannot, write (the message says what to do)."""


@dataclass(frozen=True)
class _Steps:
    """What takes a customer to its segment: the features, their transform and scaling (the
    course's mean and scale), and the centres in the scaled space."""

    features: tuple[str, ...]
    transform: str
    mean: np.ndarray
    scale: np.ndarray
    centres: np.ndarray


def fit_spark(
    source: str | PathLike[str] | DataFrame,
    *,
    k: int = 3,
    features: Sequence[str] = SPENDING_COLUMNS,
    transform: str = "log",
    init: np.ndarray | None = None,
    seed: int = 0,
    max_iter: int = 300,
    spark: SparkSession | None = None,
    progress: bool | Callable[[str], None] = False,
) -> SegmentationModel:
    """Fit the course's segmentation on Spark.

    Parameters
    ----------
    source : path or pyspark.sql.DataFrame
        A CSV file with the course's layout, a Parquet file or directory, or a Spark
        DataFrame with the spending columns (and ``Channel``, for the channel mix).
    k, features, transform
        As for :class:`~segmentation.model.pipeline.SegmentationModel`.
    init : array (k, features), optional
        Starting centres in the course's scaled space. Without it, Spark makes one start
        of its own k-means||, seeded with ``seed``, where the course's fit keeps the best
        of ``n_init`` starts: the two may end in different local optima (different models;
        compare their J, on the "k-means" progress line); k-means|| samples per partition,
        so the same customers in other files or partitions may give another model.
    seed, max_iter : int, default=0 and 300
        The seed of k-means|| (the model's ``random_state``); the most iterations.
    spark : SparkSession, optional
        The session to use (default: :func:`~segmentation.spark.session.spark_session`).
    progress : bool or callable, default=False
        A line per stage (reading, scaling, k-means, segments): True prints to stderr, a
        callable receives each line.

    Returns
    -------
    SegmentationModel
        Fitted, as from ``segmentation fit`` (algorithm "spark"), with ``evaluation``
        None (see the module's text).
    """
    from segmentation.model.pipeline import SegmentationModel

    report = reporter(progress)
    features = check_choices(features, transform, "course")
    start = None if init is None else _checked_init(init, k, len(features))
    _check_max_iter(max_iter)
    spark = spark or spark_session()
    frame, name, n = read_spending(source, features, spark)
    report(f"reading: {plural(n, 'customer')} from {name}")
    _check_k(k, n, seed, name)
    scaled, mean, scale = _scaled(frame, features, transform, n)
    report(f"scaling: {transform} and standard scaling of {plural(len(features), 'feature')}")
    centres, iterations, cost = _kmeans(scaled, k, start, seed, max_iter)
    _refuse_few_distinct(frame, features, len(centres), k, name)
    report(f"k-means: k = {k}, {plural(iterations, 'iteration')}, J = {cost:.6g}")
    content = _model_file(frame, _Steps(features, transform, mean, scale, centres), seed, name)
    sizes = ", ".join(f"{segment['customers']:,}" for segment in content["segments"])
    report(f"segments: {sizes} customers")
    return SegmentationModel.from_dict(content, name)


def predict_spark(
    model: SegmentationModel,
    source: str | PathLike[str] | DataFrame,
    output: str | PathLike[str] | None = None,
    *,
    spark: SparkSession | None = None,
) -> DataFrame:
    """The segment of each customer, computed on Spark, as the model's ``predict`` finds it
    (the nearest centre; the first one on a tie).

    Returns a Spark DataFrame of the customers (their columns as read) with ``segment`` and
    ``segment_name``; with ``output``, also writes it: Parquet if the name ends in
    ``.parquet``, CSV (one file per partition, in a folder of that name) otherwise. An
    existing output is replaced only if Spark wrote it (see :func:`spark_output_target`:
    a :class:`SparkOutputError` otherwise, before any work). The input is checked as
    :func:`fit_spark` checks it.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)  # an unfitted model is refused as its own predict refuses it
    from pyspark.sql import DataFrame

    features = list(model.features_in_)
    spark = spark or spark_session()
    target = None
    if output is not None:  # checked before any work, as the command line checks it
        given = None if isinstance(source, DataFrame) else source
        target = spark_output_target(output, given, spark=spark)
    frame, _, _ = read_spending(source, features, spark)
    segment = _nearest(
        _Steps(tuple(features), model.transform_, model.mean, model.scale, model.centres)
    )
    names = dict(enumerate(model.names))
    from pyspark.sql import functions as F

    name = F.create_map(*[F.lit(x) for pair in names.items() for x in pair])[F.col(_SEGMENT)]
    result = frame.withColumn(_SEGMENT, segment).withColumn("segment_name", name)
    if target is not None:
        _write(result, target)
    return result


def _write(result: DataFrame, target: str) -> None:
    """Write the segments to a checked target: Parquet if its name ends in .parquet, CSV
    otherwise; Spark's refusal becomes a one-line message."""
    # Overwrite replaces only what spark_output_target allowed: nothing, or Spark's own output.
    writer = result.write.mode("overwrite")
    try:
        if target.rstrip("/").lower().endswith(".parquet"):
            writer.parquet(target)
        else:
            writer.option("header", True).csv(target)
    except Exception as error:  # Spark's kinds of refusal are many; each means "not written"
        raise SparkOutputError(
            f"Spark could not write the segments to {shown_path(target)} "
            f"({_spark_error(error)}). Check the address and that Spark can write there."
        ) from None


def spark_output_target(
    output: str | PathLike[str],
    source: str | PathLike[str] | None = None,
    *,
    spark: SparkSession | None = None,
) -> str:
    """The output as Spark writes it (a folder of part files, named as given), checked
    before any work: a new name, or a folder Spark wrote before (it holds ``_SUCCESS``),
    never the input, a file or a folder of other files (which replacing would destroy).
    Local paths are also checked for a folder that can be written to; a URI (see
    :func:`has_scheme`) is checked through Spark's own file system.

    Raises
    ------
    SparkOutputError
        The output is refused; the message says why and what to do.
    """
    target = fspath(output)
    if source is not None and _same_or_inside(target, fspath(source)):
        raise SparkOutputError(
            f"the output {shown_path(target)} is also the input; writing it would destroy "
            "the input. Choose another output name."
        )
    if has_scheme(target):
        exists, is_folder, spark_wrote = _remote_state(target, spark or spark_session())
    else:
        path = Path(target)
        exists, is_folder = path.exists(), path.is_dir()
        spark_wrote = (path / "_SUCCESS").exists() or (is_folder and not any(path.iterdir()))
    _refuse_existing(target, exists, is_folder, spark_wrote)
    folder = Path(target).parent
    if not has_scheme(target) and not (folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)):
        raise SparkOutputError(
            f"the folder {shown_path(folder)} does not exist or cannot be written to; "
            "create it first or choose another output path."
        )
    return target


def _same_or_inside(target: str, source: str) -> bool:
    """Whether writing ``target`` would replace ``source`` (the same, or a folder holding it)."""
    if has_scheme(target) or has_scheme(source):
        out, into = target.rstrip("/"), source.rstrip("/")
        return into == out or into.startswith(out + "/")
    out_path, in_path = Path(target).resolve(), Path(source).resolve()
    return in_path == out_path or in_path.is_relative_to(out_path)


def _refuse_existing(target: str, exists: bool, is_folder: bool, spark_wrote: bool) -> None:
    if exists and not is_folder:
        raise SparkOutputError(
            f"{shown_path(target)} is a file; Spark writes a folder of that name. Remove the "
            "file or choose a new output name."
        )
    if exists and not spark_wrote:
        raise SparkOutputError(
            f"{shown_path(target)} is a folder that Spark did not write (it has no _SUCCESS "
            "file); writing the segments would replace it. Choose a new output name."
        )


def _remote_state(target: str, spark: SparkSession) -> tuple[bool, bool, bool]:
    """Whether a URI exists, is a folder, and holds Spark's ``_SUCCESS``, asked through
    Hadoop's file system (the one Spark writes with)."""
    jvm, context = spark.sparkContext._jvm, spark.sparkContext._jsc
    assert jvm is not None and context is not None  # a classic session
    try:
        path = jvm.org.apache.hadoop.fs.Path(target)
        system = path.getFileSystem(context.hadoopConfiguration())
        if not system.exists(path):
            return False, False, False
        folder = bool(system.getFileStatus(path).isDirectory())
        return True, folder, bool(system.exists(jvm.org.apache.hadoop.fs.Path(path, "_SUCCESS")))
    except Exception as error:  # Py4J wraps Hadoop's refusals: each means "cannot check"
        raise SparkOutputError(
            f"Spark cannot reach the output {shown_path(target)} ({_spark_error(error)}). "
            "Check the address, and that Spark has the connector and credentials for it."
        ) from None


# --- reading and checking ----------------------------------------------------------------------


def read_spending(
    source: str | PathLike[str] | DataFrame, features: Sequence[str], spark: SparkSession
) -> tuple[DataFrame, str, int]:
    """The customers of ``source`` with each feature as a number (double), checked; the
    name the messages give the source; and the number of customers.

    Refused with a :class:`~segmentation.data.problems.CustomerFileError`: a file that is
    not there, one that is neither CSV nor Parquet, a missing spending column, and spending
    that is missing, not a number, negative or above MAX_SPENDING (counted on Spark; the
    first few shown).
    """
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F

    if isinstance(source, DataFrame):
        frame, name = source, "the Spark DataFrame"
    else:
        frame, name = _read_file(fspath(source), spark), fspath(source)
    absent = [c for c in features if c not in frame.columns]
    if absent:
        raise CustomerFileError(
            name,
            [
                Problem(
                    "this spending column is missing.",
                    f"The columns are {', '.join(frame.columns)}; name the column as the "
                    "course does (see segmentation.data_dictionary()).",
                    column=c,
                )
                for c in absent
            ],
            len(absent),
        )
    numbers = {c: F.col(f"`{c}`").try_cast("double") for c in features}
    with _unreadable(name):  # Spark reads a file's rows only now, at the first count
        n = _refuse_bad_values(frame, features, name)
    return frame.withColumns(numbers), name, n


def has_scheme(path: str | PathLike[str]) -> bool:
    """Whether a path is a URI with a scheme (``hdfs://``, ``s3a://``, ``file:///``...): one
    that goes to Spark as it is, rather than a path on this machine."""
    return bool(_SCHEME.match(str(path)))


def _read_file(source: str, spark: SparkSession) -> DataFrame:
    """A customer file as Spark reads it: CSV (every column as text, checked afterwards) or
    Parquet (a file, or a folder of them). A URI goes to Spark as it is (CSV if its name
    ends in .csv, else Parquet); Spark's refusal becomes a one-line message."""
    if has_scheme(source):
        csv = source.rstrip("/").lower().endswith(".csv")
        try:
            if csv:
                return spark.read.option("header", True).csv(source)
            return spark.read.parquet(source)
        except Exception as error:  # Spark's kinds of refusal are many; each means "unread"
            problem = Problem(
                f"Spark could not read it ({_spark_error(error)}).",
                "Check the address, that the files are there, and that Spark can reach that "
                "storage (the connector for its scheme on Spark's classpath, e.g. hadoop-aws "
                "for s3a://, and the credentials).",
            )
            raise CustomerFileError(source, [problem], 1) from None
    path = Path(source)
    kind = path.suffix.lower()
    if not path.exists():
        problem = Problem(
            "there is no such file or folder.", "Check the name, and where the command runs."
        )
        raise CustomerFileError(str(path), [problem], 1)
    if path.is_file() and path.stat().st_size == 0:
        problem = Problem(
            "the file is empty.",
            "Export the table again: the first line should be a header such as "
            f"Channel,Region,{','.join(SPENDING_COLUMNS)}.",
        )
        raise CustomerFileError(str(path), [problem], 1)
    if kind == ".csv" and path.is_file():
        return spark.read.option("header", True).csv(str(path))
    if kind == ".parquet" or (path.is_dir() and any(path.glob("*.parquet"))):
        with _unreadable(str(path)):
            return spark.read.parquet(str(path))
    problem = Problem(
        "this is neither a CSV file (.csv) nor Parquet (.parquet, a file or a folder of them).",
        "Give the customers as CSV with a header row, or as Parquet.",
    )
    raise CustomerFileError(str(path), [problem], 1)


@contextlib.contextmanager
def _unreadable(name: str) -> Iterator[None]:
    """Spark's failure to read a source (a corrupt or not-Parquet file, a storage error) as
    a one-line :class:`CustomerFileError` naming it, without a Java or Python trace."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    try:
        yield
    except (Py4JJavaError, PySparkException) as error:
        csv = name.rstrip("/").lower().endswith(".csv")
        problem = Problem(
            f"Spark could not read it ({_spark_error(error)})"
            + ("." if csv else ": it is not a Parquet file, or a damaged one."),
            "Give the customers as CSV with a header row, or as Parquet.",
        )
        raise CustomerFileError(name, [problem], 1) from None


def _spark_error(error: BaseException) -> str:
    """The first line of what Spark (or the Java behind it) said, without a Java trace."""
    java = getattr(error, "java_exception", None)
    text = str(java.toString()) if java is not None else str(error)
    lines = text.strip().splitlines()
    return lines[0].strip().rstrip(".") if lines else type(error).__name__


def _refuse_bad_values(frame: DataFrame, features: Sequence[str], name: str) -> int:
    """Count the customers, and the spending that is missing, not a number, negative or too
    large per column (one pass over the data); refuse the source if there is any such
    spending, showing the first few values as the source holds them."""
    from pyspark.sql import functions as F

    bad = {c: _bad(F.col(f"`{c}`").try_cast("double")) for c in features}
    counts = frame.agg(
        F.count(F.lit(1)).alias(_SEGMENT), *[F.sum(b.cast("int")).alias(c) for c, b in bad.items()]
    ).first()
    problems = []
    for column in features:
        count = int(counts[column] or 0) if counts is not None else 0
        if not count:
            continue
        rows = frame.filter(bad[column]).select(F.col(f"`{column}`").cast("string"))
        first = [r[0] for r in rows.limit(SHOWN_BAD_VALUES).collect()]
        shown = ", ".join("(missing)" if v is None else shown_value(v) for v in first)
        problems.append(
            Problem(
                f"{plural(count, 'customer')} with spending missing, not a number, negative "
                f"or above {MAX_SPENDING:,} m.u. (the first: {shown}).",
                "Spending is an amount in m.u. from 0: correct these values (0 where the "
                "customer bought nothing), or leave the customers out.",
                column=column,
            )
        )
    if problems:
        raise CustomerFileError(name, problems, len(problems))
    return int(counts[_SEGMENT]) if counts is not None else 0


def _bad(value: Column) -> Column:
    """True where a spending (cast to a number: null if it is none) cannot be used."""
    from pyspark.sql import functions as F

    return value.isNull() | F.isnan(value) | (value < 0) | (value > MAX_SPENDING)


# --- the pipeline ------------------------------------------------------------------------------


def _scaled(
    frame: DataFrame, features: Sequence[str], transform: str, n: int
) -> tuple[DataFrame, np.ndarray, np.ndarray]:
    """The customers' features in the course's scaled space (column ``_scaled``, cached),
    and the course's mean and scale of each (log) feature.

    MLlib's steps: ``log1p`` of each spending, ``VectorAssembler``, ``StandardScaler`` (which
    divides by the sample standard deviation), then ``ElementwiseProduct`` by the
    sample/population ratio, so that the result is the course's scaling exactly.
    """
    from pyspark.ml.feature import ElementwiseProduct, StandardScaler, VectorAssembler
    from pyspark.ml.linalg import Vectors

    logged = [_transformed(c, transform).alias(f"_x{i}") for i, c in enumerate(features)]
    inputs = [f"_x{i}" for i in range(len(features))]
    assembled = VectorAssembler(inputCols=inputs, outputCol=_FEATURES).transform(
        frame.select(*logged)
    )
    scaler = StandardScaler(inputCol=_FEATURES, outputCol="_sample", withMean=True, withStd=True)
    fitted = scaler.fit(assembled)
    mean, sample_std = fitted.mean.toArray(), fitted.std.toArray()
    population = sample_std * np.sqrt((n - 1) / n) if n > 1 else np.zeros_like(sample_std)
    # As the course's model: a spread within rounding noise is left unscaled.
    scale = np.where(population < MIN_SCALE, 1.0, population)
    # Spark's (x - mean) / sample_std, times sample_std / scale: (x - mean) / scale.
    ratio = np.where(sample_std > 0, sample_std / scale, 1.0)
    product = ElementwiseProduct(
        scalingVec=Vectors.dense(ratio), inputCol="_sample", outputCol=_SCALED
    )
    # Not cached: MLlib's k-means caches the vectors it works on itself.
    scaled = product.transform(fitted.transform(assembled)).select(_SCALED)
    return scaled, mean, scale


def _kmeans(
    scaled: DataFrame, k: int, init: np.ndarray | None, seed: int, max_iter: int
) -> tuple[np.ndarray, int, float]:
    """MLlib's k-means on the scaled column, from ``init`` or from k-means||: the centres,
    the iterations made, and J (the sum of squared distances to the nearest centre)."""
    jvm = scaled.sparkSession.sparkContext._jvm
    assert jvm is not None  # a classic (not Spark Connect) session: MLlib's RDD API needs it
    data = jvm.org.apache.spark.ml.util.DatasetUtils.columnToOldVector(scaled._jdf, _SCALED)
    algorithm = jvm.org.apache.spark.mllib.clustering.KMeans()
    algorithm.setK(k).setMaxIterations(max_iter).setSeed(seed).setEpsilon(0.0)
    if init is None:
        algorithm.setInitializationMode("k-means||")
    else:
        algorithm.setInitialModel(_java_centres(scaled.sparkSession, init))
    fitted = algorithm.run(data)
    centres = np.array([list(c.toArray()) for c in fitted.clusterCenters()], dtype=float)
    return centres, int(fitted.numIter()), float(fitted.trainingCost())


class TooFewCustomersError(ModelInputError):
    """More segments asked for than the source has customers (or a source without any):
    ``customers`` and ``k`` say how many of each, for the command line's usage message."""

    def __init__(self, message: str, customers: int, k: int) -> None:
        super().__init__(message)
        self.customers, self.k = customers, k


def _check_k(k: Any, n: int, seed: Any, name: str) -> None:
    """Refuse a source without customers, or a whole k above its customers, as the course's
    fit does (the course's input error); anything else as :func:`check_numbers` does."""
    if n == 0:
        raise TooFewCustomersError(
            f"{name} has no customers: give a file with one row per customer.", 0, k
        )
    if whole(k, 1, MAX_ITER) and k > n:
        raise TooFewCustomersError(
            f"k must be from 1 to the number of customers in {name} ({n:,}); got {k:,}.", n, k
        )
    check_numbers(k, n, 1, seed)


def _check_max_iter(max_iter: Any) -> None:
    """Refuse a max_iter that is not a whole number of iterations in range."""
    if not whole(max_iter, 1, MAX_ITER):
        raise ValueError(
            f"max_iter must be a whole number from 1 to {MAX_ITER:,}; got {max_iter!r}."
        )


def _refuse_few_distinct(
    frame: DataFrame, features: Sequence[str], centres: int, k: int, name: str
) -> None:
    """Refuse, in the course's words, a source with fewer distinct customers than k: MLlib
    then returns fewer than k ``centres`` (the distinct customers are counted on Spark, up
    to k)."""
    if centres >= k:
        return
    found = frame.select(*[f"`{c}`" for c in features]).distinct().limit(k).count()
    few = f"only {plural(found, 'distinct customer')}" if found < k else "too few distinct groups"
    raise ModelInputError(
        f"{name} has {few} (customers with the same spending on every feature count once), "
        f"fewer than the k = {k} segments asked for: k-means would leave a segment empty. "
        f"Choose a k of at most {min(found, k - 1)}."
    )


def _checked_init(init: Any, k: Any, d: int) -> np.ndarray:
    """The starting centres as a (k, d) array of finite numbers, or a ValueError."""
    try:
        start = np.array(init, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"init must be a table of numbers (k rows, {d} columns); got {init!r}."
        ) from None
    if start.shape != (k, d) or not np.isfinite(start).all():
        raise ValueError(
            f"init must hold k = {k} centres of {d} features, all finite numbers (shape "
            f"({k}, {d})); got shape {start.shape}."
        )
    return start


def _java_centres(spark: SparkSession, centres: np.ndarray) -> Any:
    """An MLlib KMeansModel (in the JVM) holding ``centres``: k-means' start."""
    gateway = spark.sparkContext._gateway
    jvm = spark.sparkContext._jvm
    assert gateway is not None and jvm is not None
    vectors = gateway.new_array(jvm.org.apache.spark.mllib.linalg.Vector, len(centres))
    for j, centre in enumerate(centres):
        values = gateway.new_array(gateway.jvm.double, len(centre))
        for i, v in enumerate(centre):
            values[i] = float(v)
        vectors[j] = jvm.org.apache.spark.mllib.linalg.Vectors.dense(values)
    return jvm.org.apache.spark.mllib.clustering.KMeansModel(vectors)


def _squared_distances(steps: _Steps) -> list[Column]:
    """Each customer's squared distance to each centre, by the model's own log, mean and
    scale (Spark SQL expressions: no data leaves the JVM)."""
    from pyspark.sql import functions as F

    scaled = [
        (_transformed(c, steps.transform) - float(m)) / float(s)
        for c, m, s in zip(steps.features, steps.mean, steps.scale, strict=True)
    ]
    return [
        sum(
            ((x - float(c)) * (x - float(c)) for x, c in zip(scaled, centre, strict=True)),
            F.lit(0.0),
        )
        for centre in steps.centres
    ]


def _nearest(steps: _Steps) -> Column:
    """Each customer's segment as a Spark column: the nearest centre, the first on a tie."""
    from pyspark.sql import functions as F

    squared = _squared_distances(steps)
    if len(squared) == 1:
        return F.lit(0)
    nearest = F.least(*squared)
    choice = F.when(squared[0] == nearest, 0)
    for j in range(1, len(squared) - 1):
        choice = choice.when(squared[j] == nearest, j)
    return choice.otherwise(len(squared) - 1)


def _transformed(column: str, transform: str) -> Column:
    """A spending column as the model takes it: ``log(1 + x)``, or as it is."""
    from pyspark.sql import functions as F

    value = F.col(f"`{column}`")
    return F.log1p(value) if transform == "log" else value


# --- the model ---------------------------------------------------------------------------------


def _model_file(frame: DataFrame, steps: _Steps, seed: int, name: str) -> dict[str, Any]:
    """What the model's file holds, every segment measured on Spark:
    sizes, spending per category, channel mix, in the course's numbering."""
    sums, counts, channels = _segment_sums(frame, steps)
    found = int(np.count_nonzero(counts))
    if found < len(counts):  # as the course's fit refuses it: no model has an empty segment
        raise empty_segment_error(found, len(counts), name)
    features, centres = steps.features, steps.centres
    order = _canonical_order(sums.sum(axis=1), counts)
    segments = named_segments(
        sums[order], counts[order], tuple(features), None if channels is None else channels[order]
    )
    customers = int(counts.sum())
    return stored_content(
        StoredModel(
            features=tuple(features),
            transform=steps.transform,
            mean=steps.mean,
            scale=steps.scale,
            centres=centres[order],
            algorithm="spark",
            random_state=int(seed),
            n_init=1,
            segments=list(segments),
            training={
                "customers": customers,
                "data_sha256": spending_checksum(frame, features, customers),
                "source": printable(name),
            },
            evaluation=None,
            library_version=__version__,
            missing={"setting": "refuse", "imputed_values": 0, "imputed_customers": 0},
            monitoring=spark_training_summary(
                frame, features, customers, _squared_distances(steps)
            ),
        )
    )


def _segment_sums(
    frame: DataFrame, steps: _Steps
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Each k-means cluster's spending per category (k, d), customers (k,) and (Retail,
    Horeca) customers (k, 2; None without a Channel column), in one pass on Spark."""
    from pyspark.sql import functions as F

    k, features = len(steps.centres), steps.features
    labelled = frame.withColumn(_SEGMENT, _nearest(steps))
    aggregates = [F.count(F.lit(1)).alias("n")]
    aggregates += [F.sum(F.col(f"`{c}`")).alias(f"_sum{i}") for i, c in enumerate(features)]
    words: tuple[str, ...] = ()
    if "Channel" in frame.columns:
        words = ("retail", "horeca")
        # Channel as a name in any letter case or as its code (Retail 2, Horeca 1); any
        # other value is an unknown channel, as in the course's naming.
        name = F.lower(F.trim(F.col("Channel").cast("string")))
        code = F.col("Channel").try_cast("double")
        for word, number in zip(words, (2.0, 1.0), strict=True):
            known = F.coalesce((name == word) | (code == number), F.lit(False))
            aggregates.append(F.sum(known.cast("int")).alias(word))
    found = {r[_SEGMENT]: r for r in labelled.groupBy(_SEGMENT).agg(*aggregates).collect()}
    rows = [found.get(j) for j in range(k)]
    counts = np.array([r["n"] if r else 0 for r in rows], dtype=int)
    d = len(features)
    sums = np.array([[r[f"_sum{i}"] if r else 0.0 for i in range(d)] for r in rows], dtype=float)
    channels = (
        np.array([[r[w] if r else 0 for w in words] for r in rows], dtype=int) if words else None
    )
    return sums, counts, channels


def _canonical_order(totals: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The course's numbering (:func:`~segmentation.cluster.number_segments`) from each
    segment's total spending and size: the largest mean total first (to 9 significant
    digits), an empty segment last; on a tie, k-means' order (Spark keeps no row order to
    find each segment's first customer by)."""
    return segment_order(totals, counts, np.arange(len(totals)))


def spending_checksum(frame: DataFrame, features: Sequence[str], n: int) -> str:
    """The training data's checksum for the model file.

    Up to :data:`CHECKSUM_ROWS` customers, the course's checksum
    (:func:`~segmentation.model.persistence.data_checksum`) in the order Spark reads the
    rows (the file's order, for one file): the report then knows its training data, as for
    a course model. Above, where moving every value through Python would cost more than the
    fit, a sha256 of Spark's fingerprint of the rows (the count and the sum of each row's
    xxhash64), computed in one pass in the JVM: the same data in any order gives the same
    value, and it never equals a course checksum.
    """
    from pyspark.sql import functions as F

    columns = [F.col(f"`{c}`") for c in features]
    digest = hashlib.sha256(",".join(features).encode())
    if n > CHECKSUM_ROWS:
        total = frame.agg(F.sum(F.xxhash64(*columns).cast("decimal(38,0)"))).first()
        digest.update(f"spark fingerprint: {n} rows, {total[0] if total else 0}".encode())
        return digest.hexdigest()

    width = len(columns)  # the function below goes to Spark's workers: it holds plain data

    def block(rows: Any) -> Any:
        yield np.array([tuple(r) for r in rows], dtype="<f8").reshape(-1, width).tobytes()

    for part in frame.select(*columns).rdd.mapPartitions(block).toLocalIterator():
        digest.update(part)
    return digest.hexdigest()
