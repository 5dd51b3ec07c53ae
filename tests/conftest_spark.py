"""The Spark session the Spark tests share: Spark starts in seconds, so once per test run.

A test module imports it (``from conftest_spark import spark_fixture  # noqa: F401``) and
takes a test argument ``spark``. The session is ``local[2]``, with Spark's log at ERROR, no console
progress bars and no web UI (see :func:`segmentation.spark.session.spark_session`). Without
Java 17 the tests fail with the message that says what to install: CI installs it
(``.ci/run``), so they are never skipped there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", name="spark")
def spark_fixture() -> Iterator:
    from segmentation.spark.session import spark_session

    # Modules importing this fixture each get it; spark_session joins the running session,
    # so Spark starts once.
    session = spark_session("local[2]")
    yield session
    session.stop()
