"""The live dashboard (``python -m sim.app``): its model, and the page in a real browser.

Evidence given: :class:`sim.app.DashboardModel` builds a validated configuration from the
sidebar's values, advances one simulated week per Mesa step and records the measures the
charts draw; :class:`sim.app.LiveRun` accepts the sidebar's readable labels. The served
page (Mesa's ``SolaraViz`` on 127.0.0.1 only, in headless Chromium) loads with its inputs
and no failed request, *Step* advances one week, *▶* plays and the charts render as
decoded images, and *Reset* rebuilds the model from the sidebar's choices.

The browser tests share one server and one page (started once for the module) and wait
on page events, never on fixed sleeps. Solara's page needs front-end files that it
normally fetches from a CDN; offline, they are taken from a local cache filled from the
npm registry (``npm pack``), as docs/report.md describes. A missing Chromium or npm (when
the cache is not yet filled) fails the tests; they never skip.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, sim_env
from test_report import artifacts_dir, chromium_path

#: Front-end packages Solara 1.64's page loads from its CDN (name, version): the app
#: bundle (Vuetify 2 with ipyvue 1, Vuetify 3 with ipyvue 3), require.js, Font Awesome,
#: and the grid layout that SolaraViz arranges its charts in.
SOLARA_CDN_VUE2 = (("@widgetti/solara-vuetify-app", "10.1.1"),)
SOLARA_CDN_VUE3 = (("@widgetti/solara-vuetify3-app", "5.2.0"),)
SOLARA_CDN_COMMON = (
    ("requirejs", "2.3.6"),
    ("font-awesome", "4.5.0"),
    ("@widgetti/vue-grid-layout", "2.3.13-alpha.2"),
)
STEP_TEXT = re.compile(r"^Step: \d+$")


def test_dashboard_model_steps() -> None:
    """One step is one week; the DataCollector gains a row of measures per step."""
    from sim.app import EARLY, WAIT_TAC, DashboardModel

    m = DashboardModel(area="test", team_model="co_located", warmup_years=0.25, years=1.0, seed=3)
    assert m.cfg.team_model.name == "co_located" and m.inner.t >= 0
    t0 = m.inner.t
    for _ in range(3):
        m.step()
    assert m.inner.t == pytest.approx(t0 + 21.0)
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 4 and {EARLY, WAIT_TAC} <= set(df.columns)
    assert df[WAIT_TAC].ge(0).all()
    early = df[EARLY].dropna()
    assert early.between(0, 100).all(), early.tolist()
    assert not math.isnan(m.utilisation_percent("family_support"))


def test_live_run_reads_sidebar_labels() -> None:
    """The sidebar's labels and seed text map to configuration names and a number."""
    from sim.app import LiveRun, model_params

    m = LiveRun(
        area="Test area (5,000 children)",
        team_model="Virtual teams",
        warmup_years=0.0,
        years=1.0,
        seed=" 11 ",
    )
    assert (m.cfg.area.name, m.cfg.team_model.name, m.cfg.seed) == ("test", "virtual", 11)
    assert m.settings_lines()[0] == "Test area (5,000 children), Virtual teams"
    params = model_params()
    assert params["team_model"]["value"] in params["team_model"]["values"]
    with pytest.raises(ValueError, match="unknown choice"):
        LiveRun(team_model="Teams of one")


# ------------------------------------------------------------------ the browser
def _cdn_packages() -> tuple[tuple[str, str], ...]:
    """The packages this Solara needs, checked against Solara's own page template."""
    import ipyvue
    import solara.server

    vue3 = ipyvue.__version__.startswith("3")
    packages = (SOLARA_CDN_VUE3 if vue3 else SOLARA_CDN_VUE2) + SOLARA_CDN_COMMON
    root = Path(solara.server.__file__).parent.parent
    sources = "".join(
        (root / f).read_text()
        for f in (
            "server/templates/solara.html.j2",
            "server/settings.py",
            "widgets/vue/gridlayout.vue",
        )
    )
    stale = [f"{n}@{v}" for n, v in packages if f"/{n}@{v}/" not in sources]
    if stale:
        pytest.fail(
            f"Solara {solara.__version__} no longer loads {stale} from its CDN: "
            "update SOLARA_CDN_* in tests/test_dashboard.py and docs/report.md."
        )
    return packages


def solara_cdn_cache() -> Path:
    """A Solara asset cache holding :func:`_cdn_packages`, filled with ``npm pack`` once."""
    cache = artifacts_dir() / "solara-cdn"
    for name, version in _cdn_packages():
        target = cache / f"{name}@{version}"
        if (target / "package.json").is_file():
            continue
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail(
                "npm is missing: the dashboard test needs it to fetch "
                f"{name}@{version} once for Solara's offline asset cache "
                "(apt-get install -y npm)."
            )
        work = cache / ".pack"
        work.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "pack", f"{name}@{version}"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            pytest.fail(f"npm pack {name}@{version} failed: {done.stderr.strip()[-300:]}")
        tgz = work / done.stdout.strip().splitlines()[-1]
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tgz) as tar:
            for member in tar.getmembers():
                member.name = member.name.split("/", 1)[-1]  # drop "package/"
                if member.name and not member.name.startswith(("/", "..")):
                    tar.extract(member, target, filter="data")
        tgz.unlink()
    return cache


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_server(url: str, server: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.fail(
                f"the dashboard did not start on {url}; its log "
                f"({log}) ends: {log.read_text(errors='replace')[-800:]}"
            )
        time.sleep(0.2)


@pytest.fixture(scope="module")
def page() -> Iterator:
    """One dashboard server and one browser page for all the browser tests.

    The server is started first, so that it imports while the asset cache is checked
    and Chromium starts. Requests that fail or return an error status are recorded on
    ``page.failed_requests``.
    """
    exe = chromium_path()
    from playwright.sync_api import sync_playwright  # a missing package fails here

    env = sim_env()
    cache = artifacts_dir() / "solara-cdn"
    env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(cache)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = artifacts_dir() / "dashboard-server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "sim.app", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        solara_cdn_cache()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
            try:
                pg = browser.new_page(viewport={"width": 1400, "height": 1250})
                pg.failed_requests = []
                pg.on(
                    "requestfailed", lambda r: pg.failed_requests.append(f"{r.url} ({r.failure})")
                )
                pg.on(
                    "response",
                    lambda r: (
                        r.status >= 400 and pg.failed_requests.append(f"{r.url} ({r.status})")
                    ),
                )
                _wait_for_server(url, server, log, timeout=120)
                pg.goto(url, wait_until="load", timeout=60_000)
                pg.get_by_text(STEP_TEXT).wait_for(timeout=90_000)
                yield pg
            finally:
                browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def _step(pg) -> int:  # noqa: ANN001 - playwright Page
    return int(pg.get_by_text(STEP_TEXT).inner_text().split(":")[1])


@pytest.mark.slow
def test_page_loads_with_inputs(page) -> None:  # noqa: ANN001
    """Title, six sliders, the area/team model/seed inputs; every request succeeded."""
    assert page.get_by_text("Integrated children's services: live run").is_visible()
    # SolaraViz's play and render intervals, and the model's four
    assert page.get_by_role("slider").count() == 6
    for label in (
        "Area",
        "Team model",
        "Seed",
        "Workforce (× establishment)",
        "Hours a week per TAC member",
        "Warm-up (years)",
        "Observed (years)",
    ):
        assert page.get_by_text(label, exact=True).count() >= 1, label
    page.get_by_text("Test area (5,000 children), TAC processes only").wait_for(timeout=30_000)
    assert page.failed_requests == []


#: A fingerprint of each of the four chart images (an FNV-1a hash of its decoded
#: pixels, and its size), in page order, once all four are decoded (else null). Solara
#: gives a redrawn chart a new ``blob:`` address even when its content is the same, so
#: contents are compared, not addresses. Synchronous, so that ``wait_for_function`` can
#: poll it (a promise would count as true at once).
CHART_PRINTS = """() => {
  const images = Array.from(document.images);
  if (images.length < 4 || !images.every((i) => i.complete && i.naturalWidth > 0)) {
    return null;
  }
  return images.map((img) => {
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let h = 2166136261;
    for (let i = 0; i < px.length; i++) {
      h = Math.imul(h ^ px[i], 16777619) >>> 0;
    }
    return `${h.toString(16)}:${canvas.width}x${canvas.height}`;
  });
}"""
#: True once some chart's content differs from the fingerprints in ``arg``.
CHARTS_CHANGED = f"""(old) => {{
  const now = ({CHART_PRINTS})();
  return now !== null && now.some((p, k) => p !== old[k]);
}}"""
#: True once the step counter no longer reads ``arg``.
STEP_CHANGED = (
    "n => Array.from(document.querySelectorAll('*')).some(e => e.children.length === 0"
    " && /^Step: \\d+$/.test(e.textContent.trim()) && +e.textContent.split(':')[1] !== n)"
)


@pytest.mark.slow
def test_step_advances_one_week(page) -> None:  # noqa: ANN001
    """One press of Step runs exactly one Mesa step, and the step runs the model: the
    counter's first change is from n to n + 1, Step is free again (the run is not
    playing), and the charts are redrawn with different content (the new week's
    measures), the counter still at n + 1. That one step of the model is one simulated
    week, recorded as one row of measures, is shown on the model itself
    (``test_dashboard_model_steps``)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.wait_for_function(f"() => ({CHART_PRINTS})() !== null", timeout=30_000)
    before, prints = _step(page), page.evaluate(CHART_PRINTS)
    page.get_by_role("button", name="Step").click()
    page.wait_for_function(STEP_CHANGED, arg=before, timeout=30_000)
    assert _step(page) == before + 1
    assert page.get_by_role("button", name="Step").is_enabled()
    try:
        page.wait_for_function(CHARTS_CHANGED, arg=prints, polling=100, timeout=20_000)
    except PlaywrightTimeout:
        pytest.fail("Step advanced the counter, but no chart changed within 20 s")
    assert _step(page) == before + 1
    assert page.failed_requests == []


@pytest.mark.slow
def test_play_draws_the_charts(page) -> None:  # noqa: ANN001
    """Play runs week after week; pausing leaves four decoded charts (screenshot kept)."""
    target = _step(page) + 4
    page.get_by_role("button", name="▶").click()
    page.wait_for_function(
        "n => Array.from(document.querySelectorAll('*')).some(e => e.children.length === 0"
        " && /^Step: \\d+$/.test(e.textContent.trim()) && +e.textContent.split(':')[1] >= n)",
        arg=target,
        timeout=60_000,
    )
    pause = page.get_by_role("button", name="❚❚")
    if pause.is_disabled():
        pytest.fail(
            "the run stopped while playing; the page reads: " + page.inner_text("body")[-600:]
        )
    pause.click()
    page.get_by_role("button", name="Step").and_(page.locator(":enabled")).wait_for(timeout=30_000)
    page.wait_for_function(
        "document.images.length >= 4 && Array.from(document.images)"
        ".every(i => i.complete && i.naturalWidth > 0)",
        timeout=30_000,
    )
    page.screenshot(path=str(artifacts_dir() / "dashboard.png"))
    assert page.failed_requests == []


@pytest.mark.slow
def test_reset_applies_sidebar_choices(page) -> None:  # noqa: ANN001
    """Another team model, seed and warm-up chosen in the sidebar (a select, a text box
    and a slider) and Reset build a new run, at step 0, whose settings (as the page
    states them) are exactly those choices, with the sidebar's other values kept."""
    page.locator(".v-select").filter(has_text="Team model").click()
    page.get_by_role("option", name="Co-located teams").click()
    seed = page.get_by_role("textbox", name="Seed")
    seed.fill("7")
    seed.press("Enter")
    warmup = page.get_by_role("slider", name="Warm-up (years)")
    assert warmup.get_attribute("aria-valuenow") == "0.5"
    warmup.press("ArrowLeft")
    page.wait_for_function(
        "e => e.getAttribute('aria-valuenow') === '0.25'", arg=warmup.element_handle()
    )
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("Test area (5,000 children), Co-located teams").wait_for(timeout=60_000)
    page.get_by_text("Step: 0", exact=True).wait_for(timeout=30_000)
    card = page.locator(".v-card").filter(has_text="This run")
    assert card.inner_text().splitlines()[1:5] == [
        "Test area (5,000 children), Co-located teams",
        "Workforce: 1.00 × the area's establishment.",
        "Each TAC member gives a supported child 1.5 hours a week.",
        "Warm-up 0.25 years (not shown), then 5 years observed; seed 7.",
    ]
    assert page.failed_requests == []
