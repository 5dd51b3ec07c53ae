"""`make lab` starts JupyterLab on the notebooks, bound to 127.0.0.1, and it answers."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "course-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


@pytest.mark.slow
def test_make_lab_serves_jupyterlab_on_localhost(tmp_path):
    port = free_port()
    # The environment running the tests is the one `make` set up; reuse it rather than make another.
    command = ["make", "--no-print-directory", "lab", f"VENV={sys.prefix}", f"PORT={port}",
               f"LAB_ARGS=--no-browser --IdentityProvider.token={TOKEN}"]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = (tmp_path / "lab.log").open("w+")
    lab = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                           start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, body = get(f"http://127.0.0.1:{port}/api")
                break
            except OSError:
                if lab.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"JupyterLab did not answer on port {port}:\n{log.read()}")
                time.sleep(0.5)
        assert status == 200 and "version" in json.loads(body)

        status, page = get(f"http://127.0.0.1:{port}/lab?token={TOKEN}")
        assert status == 200 and b"JupyterLab" in page

        # It serves the notebooks folder, and only on the loopback address.
        status, body = get(f"http://127.0.0.1:{port}/api/contents?token={TOKEN}")
        served = {item["name"] for item in json.loads(body)["content"]}
        assert served == {p.name for p in (ROOT / "notebooks").iterdir() if not p.name.startswith(".")}
        log.seek(0)
        assert f"http://127.0.0.1:{port}/lab" in log.read()
    finally:
        stop(lab)
        log.close()


def stop(process: subprocess.Popen) -> None:
    """End the server and everything make started, if still running."""
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
