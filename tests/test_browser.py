"""End to end in headless Chromium: open the hub, run an example on every tab, wait for the plot and the table,
screenshot; an example that runs on click, a download, an upload after an example, an error that clears the old result,
zoom on the ECG plot, and the page at a phone's 390 px width.

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`) and Playwright for Python; never
`playwright install`. Screenshots go to a temporary folder, or to PHYSIOSPACES_SCREENSHOTS when set
(benchmarks/screenshots/ holds a copy for people to look at).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, free_port

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
)
sync_playwright = pytest.importorskip(
    "playwright.sync_api", reason="needs Playwright for Python (pip install playwright)"
).sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000

# (tab, inner tab or None, run button, pattern the bold summary must match once the first example has run)
PAGES = [
    ("ECG arrhythmia", None, "Find and classify beats", r"\d+ beats in lead \w+: N \d+"),
    ("ECG beat anomalies", None, "Score every beat", r"\d+ beats in lead \w+: \d+ above the anomaly threshold"),
    ("Human activity recognition", None, "Recognise activities", r"\d+ windows \(.* min\), \w+ model: WALKING \d+%"),
    ("Running heart rate", None, "Predict heart rate", r"\d+ min run, predicted heart rate mean \d+ bpm"),
    ("Respiration anomalies", "Breathing waveform", "Find breaths", r"\d+ breaths in \d+ s, median rate [\d.]+/min"),
    ("Respiration anomalies", "Apnea from heartbeats", "Score every minute", r"\d+ of \d+ minutes flagged as apnea"),
    ("Respiration anomalies", "Any series", "Score the series", r"\d+ points, \d+ at or over threshold"),
]
TABS = list(dict.fromkeys(tab for tab, *_ in PAGES))


@pytest.fixture(scope="module")
def hub_url():
    import app

    port = free_port()
    app.demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    app.demo.close()


@pytest.fixture(scope="module")
def page(hub_url):
    profile = tempfile.mkdtemp(prefix="physiospaces-chromium-")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=ARGS, viewport={"width": 1280, "height": 1000}
        )
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(hub_url)
        yield page
        browser.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ.get("PHYSIOSPACES_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_hub_lists_every_task_as_a_tab(page):
    page.wait_for_selector("button[role=tab]")
    names = [tab.inner_text().strip() for tab in page.locator("button[role=tab]").all()]
    assert names[: len(TABS)] == list(TABS)


@pytest.mark.parametrize(
    ("title", "inner", "button_name", "summary_pattern"), PAGES, ids=[inner or tab for tab, inner, *_ in PAGES]
)
def test_tab_runs_an_example(page, shots, title, inner, button_name, summary_pattern):
    page.locator("button[role=tab]", has_text=title).first.click()
    if inner:
        page.locator("button[role=tab]:visible", has_text=inner).first.click()
    page.locator(
        ".gallery-item:visible, tr.tr-body:visible"
    ).first.click()  # a gallery for one input, a table for several
    page.locator(".file-preview:visible").first.wait_for()  # the example's file is in place before we run
    page.get_by_role("button", name=button_name).and_(page.locator(":visible")).click()

    # The description's bold words (CSV, WFDB record) are visible too: wait for the one that reads as a result.
    summary = page.locator(".prose strong:visible").filter(has_text=re.compile(summary_pattern)).first
    summary.wait_for()
    assert re.search(summary_pattern, summary.inner_text())
    plot = page.locator("[data-testid=matplotlib] img:visible, .js-plotly-plot:visible").first
    plot.wait_for()
    assert plot.bounding_box()["height"] > 100
    cells = page.locator("[data-testid^=cell-]:visible")  # result tables; the examples use dataset-cell-*
    cells.first.wait_for()
    assert cells.count() > 1
    assert cells.first.inner_text().strip()
    shot = shots / f"{' '.join(filter(None, (title, inner))).lower().replace(' ', '_')}.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000


def visible_summary(page, pattern: str):
    return page.locator(".prose strong:visible").filter(has_text=re.compile(pattern)).first


def test_example_runs_on_click_downloads_and_an_upload_replaces_it(page, shots, tmp_path):
    page.locator("button[role=tab]", has_text="Respiration anomalies").first.click()
    page.locator("button[role=tab]:visible", has_text="Apnea from heartbeats").first.click()
    page.locator(".gallery-item:visible, tr.tr-body:visible").first.click()  # no button: the example runs
    example_summary = visible_summary(page, r"of 179 minutes flagged as apnea")
    example_summary.wait_for()

    link = page.locator("a[download$='.json']:visible").first
    with page.expect_download() as download:
        link.click()
    result = json.loads(Path(download.value.path()).read_text())
    assert result["mode"] == "rr" and result["minutes"] == 179

    box = page.locator(".block:visible", has_text="Beats, RR or ECG file(s)").filter(
        has=page.locator("input[type=file]")
    )
    box.last.locator("input[type=file]").set_input_files(str(FIXTURES / "respiration_a03_10min.csv"))
    shown = "[...document.querySelectorAll('.file-preview')].filter(t => t.offsetParent).map(t => t.innerText)"
    replaced = "t.includes('respiration_a03_10min') && !/apnea_ecg_a03_3h\\s*.csv\\s*107/.test(t)"
    # the upload shows at once; the example's file leaves on the upload event's answer
    page.wait_for_function(f"() => {{ const t = {shown}.join(' '); return {replaced} }}")
    previews = " ".join(page.locator(".file-preview:visible").all_inner_texts())
    assert "respiration_a03_10min" in previews and "apnea_ecg_a03_3h\n.csv\n107" not in previews  # replaced
    page.get_by_role("button", name="Score every minute").and_(page.locator(":visible")).click()
    visible_summary(page, r"of 9 minutes flagged as apnea").wait_for()

    broken = tmp_path / "broken_beats.csv"
    broken.write_text("rr_s\nnot a number\n")
    box.last.locator("button[aria-label='Clear']").click()
    box.last.locator("input[type=file]").set_input_files(str(broken))
    page.get_by_role("button", name="Score every minute").and_(page.locator(":visible")).click()
    page.locator(".toast-message-text").first.wait_for()
    visible_summary(page, r"minutes flagged as apnea").wait_for(state="detached")  # the old result is gone
    assert page.locator("[data-testid^=cell-]:visible").count() == 0
    page.screenshot(path=shots / "error_clears_the_old_result.png", full_page=True)


def test_ecg_plot_zooms(page, shots):
    page.locator("button[role=tab]", has_text="ECG arrhythmia").first.click()
    page.locator(".gallery-item:visible, tr.tr-body:visible").first.click()
    visible_summary(page, r"\d+ beats in lead").wait_for()
    plot = page.locator(".js-plotly-plot:visible").first
    plot.wait_for()  # drawn after the summary shows
    before = plot.evaluate("el => el._fullLayout.xaxis.range.slice()")
    box = plot.locator(".nsewdrag").first.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    page.mouse.up()
    page.wait_for_function(
        f"el => el._fullLayout.xaxis.range[1] - el._fullLayout.xaxis.range[0] < 0.5 * ({before[1]} - {before[0]})",
        arg=plot.element_handle(),
    )
    page.screenshot(path=shots / "ecg_zoomed.png", full_page=True)


def test_page_fits_a_390_px_phone(page, hub_url, shots):
    """The same browser (a second Playwright inside the first one's event loop is refused) at a phone's width."""
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(hub_url)
        page.locator("button[role=tab]").first.wait_for()
        page.locator(".gallery-item:visible, tr.tr-body:visible").first.click()
        visible_summary(page, r"\d+ beats in lead").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=shots / "phone_390px.png", full_page=True)
    finally:
        page.set_viewport_size(size)
