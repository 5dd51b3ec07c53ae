"""The k-means explorer in a real browser, used as a person would: in JupyterLab (notebook 4,
run top to bottom) and as the Voila dashboard of `make app`.

Headless Chromium is Debian's (``/usr/bin/chromium``, or the path in $CHROMIUM), driven by
Playwright; Playwright's own browser download is never used. Without Chromium these tests are
skipped, with a message that says so. Screenshots go to artifacts/browser/.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from servers import free_port, running

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "browser"
TOKEN = "course-browser-test"
# Chromium on a machine with no outside network: no background connections, no sandbox (CI
# runs as root), a fresh profile each time.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    candidates = [os.environ.get("CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"]
    return next((c for c in candidates if c and Path(c).is_file()), None)


pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="BROWSER TESTS SKIPPED: Chromium not found (install Debian's chromium, "
        "`apt-get install chromium`, or set CHROMIUM=/path/to/chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("websocket", lambda socket: console.append(f"websocket opened: {socket.url}"))
    yield page
    if getattr(request.node, "failed", False):  # what the page showed when the test failed
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"FAILED-{request.node.name}.png"))
        (SHOTS / f"FAILED-{request.node.name}-console.txt").write_text("\n".join(console))
    context.close()


def server_env(tmp_path: Path) -> dict[str, str]:
    """Keep JupyterLab's and Voila's settings, workspaces and runtime files in the test's own
    folder, so the tests neither read nor change the user's."""
    env = {**os.environ}
    for name in (
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_RUNTIME_DIR",
        "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR",
    ):
        env[name] = str(tmp_path / name.lower())
    env.pop("MPLBACKEND", None)
    # JupyterLab: every cell in the page (no windowing, so a test can see them all) and no
    # question about news popping up over the notebook.
    settings = tmp_path / "jupyterlab_settings_dir"
    for name, values in [
        ("notebook-extension/tracker", {"windowingMode": "none"}),
        ("apputils-extension/notification", {"fetchNews": "false"}),
    ]:
        path = settings / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return env


# --- the explorer, as a person uses it -------------------------------------------------------


class WidgetPage:
    """A course widget's parts on a page, found by the classes the library gives them
    (``<prefix>-summary``, ``<prefix>-figure``, ...). :meth:`act` changes a control and waits
    for the new summary and figure."""

    def __init__(self, page, name: str, prefix: str, figure: str = "figure") -> None:
        self.page, self.name, self.prefix = page, name, prefix
        self.figure_class = f"{prefix}-{figure}"
        self.root = page.locator(f".{self.figure_class}").locator("xpath=../..")
        self.summary = page.locator(f".{prefix}-summary")
        self.figure = page.locator(f".{self.figure_class}")
        self.debug = page.locator(f".{prefix}-debug")
        self.kernel_ms: list[float] = []
        self.browser_ms: list[float] = []

    def wait_until_shown(self, starts: str, timeout: float = 120_000) -> None:
        self.summary.filter(has_text=starts).wait_for(timeout=timeout)
        self.page.wait_for_function(
            f"() => {{ const img = document.querySelector('.{self.figure_class}');"
            " return img && img.complete && img.naturalWidth > 0; }",
            timeout=timeout,
        )

    def text(self) -> str:
        return self.summary.inner_text().strip()

    def figure_src(self) -> str:
        return self.figure.get_attribute("src") or ""

    def screenshot(self, label: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.name}-{label}.png"
        self.root.screenshot(path=str(path))
        return path

    def act(self, action, expect: str) -> str:
        """Do something to a control; wait until the summary says ``expect`` and the figure
        is a new picture; keep both times (browser end to end, and the kernel's own)."""
        before_src, before_debug = self.figure_src(), self.debug.inner_text()
        started = time.perf_counter()
        action()
        self.page.wait_for_function(
            "([figure, summary, before, expect]) => {"
            " const img = document.querySelector(figure);"
            " const text = document.querySelector(summary).innerText;"
            " return img.src !== before && img.complete && img.naturalWidth > 0"
            "        && text.includes(expect); }",
            arg=[f".{self.figure_class}", f".{self.prefix}-summary", before_src, expect],
            timeout=30_000,
        )
        self.browser_ms.append(1000 * (time.perf_counter() - started))
        self.page.wait_for_function(
            "([debug, before]) => document.querySelector(debug).innerText !== before",
            arg=[f".{self.prefix}-debug", before_debug],
        )
        before_n = int(re.search(r"update (\d+) ", before_debug).group(1))
        n, ms = re.search(r"update (\d+) after .*?: (\d+) ms", self.debug.inner_text()).groups()
        assert int(n) == before_n + 1, f"one change must redraw once: {before_debug} -> {n}"
        self.kernel_ms.append(float(ms))
        return self.text()

    def slider(self, name: str):
        return self.page.locator(f".{self.prefix}-{name} .noUi-handle")

    def press(self, name: str, key: str):
        return lambda: (self.slider(name).focus(), self.slider(name).press(key))

    def times(self) -> dict[str, float]:
        return {
            "browser": statistics.median(self.browser_ms),
            "kernel": statistics.median(self.kernel_ms),
        }


class ExplorerPage(WidgetPage):
    """The k-means explorer's widgets on a page."""

    def __init__(self, page, name: str) -> None:
        super().__init__(page, name, "kmeans-explorer")
        self.profile = page.locator(".kmeans-explorer-profile")

    def wait_until_shown(self, starts: str = "k = ", timeout: float = 120_000) -> None:
        super().wait_until_shown(starts, timeout)

    def exercise(self) -> dict[str, float]:
        """Move k, then scrub through the fit with the step slider and the buttons, change the
        axes; check after each that the summary and the figure changed accordingly."""
        first = self.text()
        assert first.startswith("k = 3, ") and "final assignment" in first, first
        last_step = int(re.search(r"of (\d+)", first).group(1))
        assert f"step {last_step} of {last_step}" in first
        self.screenshot("1-start")

        text = self.act(self.press("k", "ArrowRight"), "k = 4, ")
        assert (
            "final assignment" in text
            and len(re.search(r"sizes ([\d /]+)", text).group(1).split(" / ")) == 4
        )
        self.screenshot("2-k4")
        assert self.profile.locator("tbody tr").count() == 4

        last = int(re.search(r"of (\d+)", text).group(1))
        text = self.act(self.press("step", "Home"), f"step 0 of {last} (start")
        assert "not yet assigned" in text and "J not yet defined" in text
        self.screenshot("3-step0")
        j_values = []
        for step in range(1, 6):
            text = self.act(self.press("step", "ArrowRight"), f"step {step} of {last} (")
            kind = "assignment" if step % 2 else "update"
            assert f"({kind}, iteration {(step + 1) // 2})" in text, text
            j_values.append(float(re.search(r"J = ([\d,.]+)", text).group(1).replace(",", "")))
        assert j_values == sorted(j_values, reverse=True), f"J must fall step by step: {j_values}"
        self.screenshot("4-step5")

        self.act(
            lambda: self.page.locator(".kmeans-explorer-back").click(), f"step 4 of {last} (update"
        )
        self.act(
            lambda: self.page.locator(".kmeans-explorer-forward").click(),
            f"step 5 of {last} (assignment",
        )
        self.act(self.press("step", "End"), f"step {last} of {last} (final")
        self.act(
            lambda: self.page.locator(".kmeans-explorer-x select").select_option("Fresh"), "k = 4, "
        )
        self.screenshot("5-fresh")
        return self.times()

    def pick_shape(self) -> None:
        """Pick the two moons in the data dropdown: the summary names them and k = 2, the
        figure is new and drawn on the shape's two features (the axes' dropdowns disabled),
        the table counts the true groups; then the failure can be scrubbed from step 0."""
        before = self.text()
        text = self.act(
            lambda: self.page.locator(".kmeans-explorer-data select").select_option("two moons"),
            "two moons: k = 2, ",
        )
        assert text != before and "final assignment" in text, text
        assert len(re.search(r"sizes ([\d /]+)", text).group(1).split(" / ")) == 2
        assert self.page.locator(".kmeans-explorer-x select").is_disabled()
        assert self.page.locator(".kmeans-explorer-y select").is_disabled()
        assert "true group 1" in self.profile.inner_text()
        self.screenshot("6-moons")
        last = int(re.search(r"of (\d+)", text).group(1))
        text = self.act(self.press("step", "Home"), f"two moons: k = 2, step 0 of {last} (start")
        assert "points not yet assigned" in text, text
        self.screenshot("7-moons-step0")


def report(name: str, times: dict[str, float], explorer: WidgetPage, record) -> None:
    """Print the medians; they also go to the end of the test run (see tests/conftest.py),
    where pytest shows them even though it hides a passing test's output."""
    line = (
        f"{name}: median from a control change to the new figure: "
        f"{times['browser']:.0f} ms in the browser (target < 1000), "
        f"{times['kernel']:.0f} ms of kernel work (target < 150), over "
        f"{len(explorer.browser_ms)} changes; screenshots in {SHOTS.relative_to(ROOT)}/"
    )
    print("\n" + line)
    record("explorer timing", line)
    # Generous bounds that only catch a broken or stalled explorer; the targets are printed.
    assert times["browser"] < 5000 and times["kernel"] < 1000


# --- JupyterLab --------------------------------------------------------------------------------
# The servers are fixtures set up before `page`, so they are stopped after it: a failed test's
# screenshot shows the page as it was, not a page whose server has gone.


@pytest.fixture
def lab(tmp_path):
    notebooks = tmp_path / "notebooks"  # a throw-away copy: running it changes it
    shutil.copytree(
        ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    port = free_port()
    command = [
        str(Path(sys.prefix) / "bin" / "jupyter"),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.root_dir={notebooks}",
        f"--IdentityProvider.token={TOKEN}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    with running(
        command,
        f"http://127.0.0.1:{port}/api",
        tmp_path / "lab.log",
        cwd=tmp_path,
        env=server_env(tmp_path),
    ):
        yield f"http://127.0.0.1:{port}"


def run_all_in_lab(lab: str, page, notebook: str) -> None:
    """Open ``notebook`` in JupyterLab and run all its cells, once its kernel is idle."""
    page.goto(f"{lab}/lab/tree/{notebook}?token={TOKEN}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    # The kernel is connected and idle before anything is run.
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$")).wait_for()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def check_every_cell_ran(page) -> None:
    """Every cell ran (each prompt holds a number), none failed."""
    prompts = "[...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
    try:
        page.wait_for_function(
            f"() => {prompts}.every(p => /\\[\\d+\\]/.test(p.innerText))", timeout=120_000
        )
    except PlaywrightTimeout:
        pytest.fail(
            "Not every cell ran; prompts: "
            + " ".join(page.evaluate(f"() => {prompts}.map(p => p.innerText)"))
        )
    assert page.locator("[data-mime-type='application/vnd.jupyter.error']").count() == 0


def test_explorer_in_jupyterlab(lab, page, record_property):
    run_all_in_lab(lab, page, "04_choosing_k.ipynb")
    explorer = ExplorerPage(page, "jupyterlab")
    explorer.wait_until_shown()
    check_every_cell_ran(page)
    times = explorer.exercise()
    page.screenshot(path=str(SHOTS / "jupyterlab-page.png"))
    report("JupyterLab", times, explorer, record_property)


# --- notebook 6's widget for DBSCAN and Gaussian mixtures -------------------------------------

CLUSTERER_SUMMARY = re.compile(
    r"(?P<clusters>\d+) clusters?, (?:(?P<share>[\d.]+)% noise|no noise); "
    r"silhouette (?P<silhouette>\S+), Davies-Bouldin (?P<davies_bouldin>\S+), "
    r"ARI with Channel (?P<ari>\S+); sizes (?P<sizes>[\d /]+|none)(?:, noise (?P<noise>\d+))?"
)


class CustomersClustered:
    """The oracle: the customers as notebook 6 clusters them, and each partition's numbers,
    computed here with NumPy and scikit-learn alone (log1p of the six spending columns,
    standardised; clusters in the course's order, the largest mean total spending first;
    noise, label -1, one more label in the ARI and left out of the silhouette and the
    Davies-Bouldin index)."""

    def __init__(self) -> None:
        from segmentation import SPENDING_COLUMNS, load_customers

        self.customers = load_customers()
        amounts = self.customers[list(SPENDING_COLUMNS)].to_numpy(dtype=float)
        logged = np.log1p(amounts)
        self.X = (logged - logged.mean(axis=0)) / logged.std(axis=0)
        self.totals = amounts.sum(axis=1)
        self.channel = self.customers["Channel"].astype(str).to_numpy()

    def scores(self, labels: np.ndarray) -> dict:
        from sklearn.metrics import adjusted_rand_score, davies_bouldin_score, silhouette_score

        kept = labels >= 0
        clusters = sorted(set(labels[kept]), key=lambda j: -self.totals[labels == j].mean())
        several = len(clusters) >= 2
        return {
            "clusters": len(clusters),
            "noise": int((~kept).sum()),
            "silhouette": silhouette_score(self.X[kept], labels[kept]) if several else None,
            "davies_bouldin": davies_bouldin_score(self.X[kept], labels[kept]) if several else None,
            "ari": adjusted_rand_score(self.channel, labels),
            "sizes": [int((labels == j).sum()) for j in clusters],
        }

    def dbscan(self, eps: float, min_samples: int) -> dict:
        from sklearn.cluster import DBSCAN

        return self.scores(DBSCAN(eps=eps, min_samples=min_samples).fit_predict(self.X))

    def mixture(self, components: int) -> dict:
        from sklearn.mixture import GaussianMixture

        # as notebook 6 fits a mixture: the best of five starts, seeded
        mixture = GaussianMixture(components, covariance_type="full", n_init=5, random_state=0)
        return self.scores(mixture.fit_predict(self.X))

    def check(self, summary: str, expected: dict) -> None:
        """The numbers of the widget's summary line are the oracle's, as rounded there."""
        shown = CLUSTERER_SUMMARY.search(summary)
        assert shown, f"summary not understood: {summary}"
        sizes = [] if shown["sizes"] == "none" else [int(n) for n in shown["sizes"].split(" / ")]
        noise = int(shown["noise"] or 0)
        found = {"clusters": int(shown["clusters"]), "noise": noise, "sizes": sizes}
        assert found == {k: expected[k] for k in found}, summary
        assert sum(sizes) + noise == len(self.X), summary
        share = 0.0 if shown["share"] is None else float(shown["share"])
        assert share == pytest.approx(100 * noise / len(self.X), abs=0.05), summary
        for name in ("silhouette", "davies_bouldin", "ari"):
            if expected[name] is None:
                assert shown[name] == "–", f"{name} must be undefined: {summary}"
            else:
                assert float(shown[name]) == pytest.approx(expected[name], abs=0.005), summary


def widget_png(page, selector: str) -> np.ndarray:
    """The pixels of the picture an image widget shows (fetched from its blob URL)."""

    encoded = page.evaluate(
        """async selector => {
            const img = document.querySelector(selector);
            const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
            let text = "";
            for (let i = 0; i < bytes.length; i += 0x8000)
                text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
            return btoa(text);
        }""",
        selector,
    )
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))).convert("RGB"))


def test_clusterer_explorer_in_jupyterlab(lab, page, record_property):
    """Notebook 6's widget: move DBSCAN's eps (a key on the slider, then a typed value),
    switch to the Gaussian mixture and add a component; after each change the summary's
    numbers are the oracle's and the figure is the partition drawn for that setting."""
    from segmentation.viz.clusterers import ClustererFigure, clusterer_data, run_clusterer

    run_all_in_lab(lab, page, "06_other_clusterers.ipynb")
    widget = WidgetPage(page, "jupyterlab-clusterers", "clusterer-explorer", figure="image")
    widget.wait_until_shown("DBSCAN (eps = ")
    check_every_cell_ran(page)
    oracle = CustomersClustered()
    data = clusterer_data(oracle.customers)
    drawing = ClustererFigure()

    def check_figure(algorithm: str, label: str, **setting) -> None:
        # the picture shown is the partition of that setting, as the library draws it
        drawing.draw(run_clusterer(data, algorithm, **setting))
        expected_png = np.asarray(Image.open(io.BytesIO(drawing.png())).convert("RGB"))
        shown = widget_png(page, ".clusterer-explorer-image")
        assert shown.shape == expected_png.shape and (shown == expected_png).all(), label
        widget.screenshot(label)

    text = widget.text()
    assert text.startswith("DBSCAN (eps = 1.78, min_samples = 12): ") and "rule's start" in text
    oracle.check(text, oracle.dbscan(1.78, 12))
    check_figure("DBSCAN", "1-start", eps=1.78, min_samples=12)

    text = widget.act(widget.press("eps", "ArrowLeft"), "DBSCAN (eps = 1.77, min_samples = 12)")
    assert "rule's start" not in text, text
    oracle.check(text, oracle.dbscan(1.77, 12))

    readout = page.locator(".clusterer-explorer-eps .widget-readout")
    small = widget.act(
        lambda: (readout.fill("0.8"), readout.press("Enter")),
        "DBSCAN (eps = 0.80, min_samples = 12)",
    )
    expected = oracle.dbscan(0.80, 12)
    assert expected["clusters"] == 2 and expected["noise"] > 300  # small cores, most noise
    oracle.check(small, expected)
    check_figure("DBSCAN", "2-eps-0.80", eps=0.8, min_samples=12)

    mixture = page.locator(".clusterer-explorer-algorithm button", has_text="Gaussian mixture")
    text = widget.act(mixture.click, "Gaussian mixture (3 components, full)")
    oracle.check(text, oracle.mixture(3))
    assert widget.slider("n_components").is_visible() and not widget.slider("eps").is_visible()
    check_figure("Gaussian mixture", "3-mixture-3", n_components=3)

    text = widget.act(widget.press("n_components", "ArrowRight"), "Gaussian mixture (4 compo")
    oracle.check(text, oracle.mixture(4))
    check_figure("Gaussian mixture", "4-mixture-4", n_components=4)

    # back to DBSCAN: the setting kept, its result from the cache, the same summary
    dbscan = page.locator(".clusterer-explorer-algorithm button", has_text="DBSCAN")
    assert widget.act(dbscan.click, "DBSCAN (eps = 0.80") == small
    assert "fit from cache" in widget.debug.inner_text()
    report("JupyterLab, clusterer explorer", widget.times(), widget, record_property)


# --- Voila ---------------------------------------------------------------------------------------


@pytest.fixture
def voila(tmp_path):
    port = free_port()
    command = ["make", "--no-print-directory", "app", f"VENV={sys.prefix}", f"APP_PORT={port}"]
    with running(
        command,
        f"http://127.0.0.1:{port}/",
        tmp_path / "voila.log",
        cwd=ROOT,
        env=server_env(tmp_path),
    ):
        yield f"http://127.0.0.1:{port}"


def test_explorer_as_voila_dashboard(voila, page, record_property):
    page.goto(f"{voila}/")
    explorer = ExplorerPage(page, "voila")
    explorer.wait_until_shown()
    body = page.locator("body").inner_text()
    assert "The k-means explorer" in body
    assert "import" not in body and "KMeansExplorer(" not in body, "code is shown"
    assert page.locator(".jp-InputArea-editor, .CodeMirror, .cm-editor").count() == 0
    times = explorer.exercise()
    explorer.pick_shape()
    page.screenshot(path=str(SHOTS / "voila-page.png"), full_page=True)
    report("Voila", times, explorer, record_property)
