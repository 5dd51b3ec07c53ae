"""`make lab` starts JupyterLab on the notebooks, bound to 127.0.0.1, and it answers."""

import json
import os
import sys
from pathlib import Path

import pytest
from servers import free_port, get, running

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "course-test-token"


@pytest.mark.slow
def test_make_lab_serves_jupyterlab_on_localhost(tmp_path):
    port = free_port()
    # The environment running the tests is the one `make` set up; reuse it rather than make another.
    command = [
        "make",
        "--no-print-directory",
        "lab",
        f"VENV={sys.prefix}",
        f"PORT={port}",
        f"LAB_ARGS=--no-browser --IdentityProvider.token={TOKEN}",
    ]
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = tmp_path / "lab.log"
    with running(command, f"http://127.0.0.1:{port}/api", log, cwd=ROOT, env=env):
        status, body = get(f"http://127.0.0.1:{port}/api")
        assert status == 200 and "version" in json.loads(body)

        status, page = get(f"http://127.0.0.1:{port}/lab?token={TOKEN}")
        assert status == 200 and b"JupyterLab" in page

        # It serves the notebooks folder, and only on the loopback address.
        status, body = get(f"http://127.0.0.1:{port}/api/contents?token={TOKEN}")
        served = {item["name"] for item in json.loads(body)["content"]}
        assert served == {
            p.name for p in (ROOT / "notebooks").iterdir() if not p.name.startswith(".")
        }
        assert f"http://127.0.0.1:{port}/lab" in log.read_text()
