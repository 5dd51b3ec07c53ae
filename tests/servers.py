"""Start a course server (JupyterLab, Voila) for a test, wait until it answers, and stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


@contextmanager
def running(
    command: list[str],
    url: str,
    log_path: Path,
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float = 90,
) -> Iterator[subprocess.Popen]:
    """Run ``command`` until the block ends; first wait until ``url`` answers (or fail, with
    the server's log)."""
    log = log_path.open("w+")
    server = subprocess.Popen(
        command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                get(url)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise AssertionError(
                        f"{command[0]} did not answer at {url}:\n{log.read()}"
                    ) from None
                time.sleep(0.5)
        yield server
    finally:
        stop(server)
        log.close()


def stop(process: subprocess.Popen) -> None:
    """End the server and everything it started, if still running."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            continue
