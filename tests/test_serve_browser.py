"""The page in a real browser: Debian's chromium + chromium-driver, headless, driven by selenium, against a
live ``coamd serve`` on 127.0.0.1 with the tiny random-weight bundle.

Type a prompt, generate, wait for the viewer to play, pause and scrub it, download the BVH and read it
back with ``coamd.load_motion``; then upload a real BVH (shared/realdata) and recognise it. Screenshots
go to the test's tmp folder. ``make setup`` installs the browser (see the Makefile); without it, or
without selenium, the tests skip with the reason.

Run as a script, it makes the README's screenshot with the same steps (bundled weights by default)::

    python tests/test_serve_browser.py --out docs/img/serve.png [--checkpoint DIR] [--bvh FILE]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_live import LiveServer

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = ("/usr/bin/chromedriver",)
WAIT = 60.0


def find_browser() -> tuple[str, str] | str:
    """(chromium, chromedriver) paths, or the reason they are not usable."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (make setup installs the test extra)"
    browser = next((p for p in CHROMIUM if Path(p).exists()), shutil.which("chromium"))
    driver = next((p for p in DRIVER if Path(p).exists()), shutil.which("chromedriver"))
    if not browser or not driver:
        return "Debian's chromium and chromium-driver are not installed (make setup installs them as root: " \
               "apt-get install chromium chromium-driver)"
    return browser, driver


def start_browser(downloads: Path, width: int = 1400, height: int = 1000):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = find_browser()
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--disable-extensions", "--no-first-run"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    drv = webdriver.Chrome(options=opts, service=Service(executable_path=driver))
    drv.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    drv.set_page_load_timeout(WAIT)
    return drv


def until(fn, what: str, timeout: float = WAIT):
    """Poll ``fn`` (bounded) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def generate_and_scrub(drv, url: str, prompt: str = "a person walks forward and waves", seconds: str = "2",
                       samples: int = 1) -> dict:
    """Generate in the page, check the viewer plays, pause, scrub; returns what was seen."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    drv.get(url + "/")
    until(lambda: "ok" in drv.find_element(By.ID, "ready").get_attribute("class"), "the page to say ready")
    drv.find_element(By.ID, "prompt").send_keys(prompt)
    length = drv.find_element(By.ID, "length")
    length.clear()
    length.send_keys(seconds)
    n = drv.find_element(By.ID, "samples")
    n.clear()
    n.send_keys(str(samples))
    drv.find_element(By.ID, "generate").click()
    until(lambda: drv.find_element(By.ID, "viewer").is_displayed() or drv.find_element(By.ID, "error").is_displayed(),
          "the result (or an error)", timeout=600)
    error = drv.find_element(By.ID, "error")
    assert not error.is_displayed(), error.text
    status = drv.find_element(By.ID, "status").text
    drv.switch_to.frame(drv.find_element(By.ID, "viewer"))
    try:
        clock = lambda: drv.find_element(By.ID, "clock").text
        panels = until(lambda: drv.find_elements(By.CSS_SELECTOR, ".panel canvas"), "the viewer's panels")
        first = until(lambda: clock() if clock().startswith("frame") else None, "the viewer's clock")
        until(lambda: clock() != first, "the viewer to play (its clock to move)", timeout=10)
        play = drv.find_element(By.ID, "play")
        assert play.text == "Pause"
        play.click()
        assert play.text == "Play"
        scrub = drv.find_element(By.ID, "scrub")
        scrub.click()                                   # a click on the slider jumps there
        scrub.send_keys(Keys.END)
        last = int(scrub.get_attribute("max"))
        until(lambda: clock().startswith(f"frame {last} "), f"frame {last} after scrubbing to the end", timeout=5)
        scrub.send_keys(Keys.HOME)
        until(lambda: clock().startswith("frame 0 "), "frame 0 after scrubbing to the start", timeout=5)
        paused = clock()
        time.sleep(0.5)
        assert clock() == paused, "the viewer kept playing after pause"
        scrub.send_keys(Keys.END)                       # leave it on the last pose for the screenshot
        tops = {p.location["y"] for p in drv.find_elements(By.CSS_SELECTOR, ".panel")}
        seen = {"status": status, "panels": len(panels), "frames": last + 1, "side_by_side": len(tops) == 1}
    finally:
        drv.switch_to.default_content()
    return seen


def download_bvh(drv, downloads: Path, name: str = "sample_00.bvh") -> Path:
    from selenium.webdriver.common.by import By

    drv.find_element(By.CSS_SELECTOR, f"#downloads a[data-file='{name}']").click()
    path = downloads / name
    until(lambda: path.is_file() and not list(downloads.glob("*.crdownload")) and path.stat().st_size > 0,
          f"the download of {name}", timeout=30)
    return path


def recognise_file(drv, motion: Path) -> list[str]:
    """Upload ``motion`` on the Recognise tab and return the ranked labels the page shows."""
    from selenium.webdriver.common.by import By

    drv.find_element(By.CSS_SELECTOR, "#tabs button[data-tab='recognize']").click()
    drv.find_element(By.ID, "rec-files").send_keys(str(motion))
    drv.find_element(By.ID, "rec-run").click()
    until(lambda: drv.find_elements(By.CSS_SELECTOR, "#rec-out .bars") or drv.find_element(By.ID, "error").is_displayed(),
          "the recognition bars")
    error = drv.find_element(By.ID, "error")
    assert not error.is_displayed(), error.text
    return [e.text for e in drv.find_elements(By.CSS_SELECTOR, "#rec-out .bars .lab")]


# ------------------------------------------------------------------------------------------------ tests
@pytest.fixture(scope="module")
def live(tiny_bundle, tmp_path_factory):
    found = find_browser()
    if isinstance(found, str):
        pytest.skip(found)
    tmp = tmp_path_factory.mktemp("browser")
    server = LiveServer(tiny_bundle, tmp / "results")
    downloads = tmp / "downloads"
    downloads.mkdir()
    drv = start_browser(downloads)
    try:
        yield server, drv, tmp, downloads
    finally:
        drv.quit()
        server.close()


def test_generate_view_scrub_download(live):
    from coamd import load_motion

    server, drv, tmp, downloads = live
    seen = generate_and_scrub(drv, server.url, seconds="2", samples=2)
    assert seen == {"status": "done", "panels": 2, "frames": 40, "side_by_side": True}
    drv.save_screenshot(str(tmp / "serve_generate.png"))
    bvh = download_bvh(drv, downloads)
    motion = load_motion(bvh)
    assert motion.joints.shape == (40, 22, 3)
    assert (tmp / "serve_generate.png").stat().st_size > 10_000


def test_recognise_real_bvh(live, realdata):
    server, drv, tmp, _ = live
    bvh = next(iter(sorted(realdata.rglob("*.bvh"))), None)
    if bvh is None:
        pytest.skip(f"no .bvh file under {realdata}")
    drv.get(server.url + "/")
    labels = recognise_file(drv, bvh)
    bundle_labels = server.get_json("/api/v1/info")["labels"]
    assert labels and set(labels) <= set(bundle_labels)
    drv.save_screenshot(str(tmp / "serve_recognise.png"))


def test_edit_an_uploaded_file(live):
    """The Edit tab: upload a motion, read its length onto the timeline, keep a range and the legs, edit."""
    import numpy as np
    from selenium.webdriver.common.by import By

    server, drv, tmp, _ = live
    rng = np.random.default_rng(0)
    pose = rng.normal(0, 0.3, (1, 22, 3)) + np.array([0, 1.0, 0])
    motion = pose + np.cumsum(rng.normal(0, 0.005, (60, 22, 3)), axis=0)          # 3 s at 20 fps
    np.save(tmp / "upload.npy", motion.astype(np.float32))
    drv.get(server.url + "/")
    until(lambda: "ok" in drv.find_element(By.ID, "ready").get_attribute("class"), "the page to say ready")
    drv.find_element(By.CSS_SELECTOR, "#tabs button[data-tab='edit']").click()
    drv.find_element(By.ID, "edit-file").send_keys(str(tmp / "upload.npy"))
    until(lambda: drv.find_element(By.ID, "edit-duration").text == "source: 3.00 s", "the upload's length")
    drv.find_element(By.ID, "edit-text").send_keys("a person jumps")
    drv.find_element(By.ID, "range-add").click()                        # keep 0-25 % = 0-0.75 s
    assert drv.find_element(By.ID, "range-label").text == "0.00\u20130.75 s"
    assert len(drv.find_elements(By.CSS_SELECTOR, "#timeline-ranges div:not(.cursor)")) == 1
    drv.find_element(By.CSS_SELECTOR, "input.part[value='lower']").click()
    drv.find_element(By.ID, "edit-run").click()
    until(lambda: drv.find_element(By.ID, "status").text == "done" or drv.find_element(By.ID, "error").is_displayed(),
          "the edit", timeout=600)
    error = drv.find_element(By.ID, "error")
    assert not error.is_displayed(), error.text
    assert drv.find_element(By.ID, "result-title").text == "edit: a person jumps"
    assert "kept frames error cm" in drv.find_element(By.ID, "report").text
    files = {a.get_attribute("data-file") for a in drv.find_elements(By.CSS_SELECTOR, "#downloads a")}
    assert {"edited.bvh", "edited.npy", "report.json"} <= files
    drv.switch_to.frame(drv.find_element(By.ID, "viewer"))
    try:
        titles = until(lambda: [e.text for e in drv.find_elements(By.CSS_SELECTOR, ".panel .caption")], "the panels")
        assert titles == ["source", "a person jumps"]
    finally:
        drv.switch_to.default_content()
    drv.save_screenshot(str(tmp / "serve_edit.png"))


def test_api_docs_render_without_network(live):
    """/docs is Swagger UI from the package: it lists every operation with no CDN to reach."""
    from selenium.webdriver.common.by import By

    server, drv, tmp, _ = live
    drv.get(server.url + "/docs")
    ops = until(lambda: drv.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"), "the operations in /docs")
    paths = {e.get_attribute("data-path") or e.text for e in ops}
    assert {"/api/v1/generate", "/api/v1/edit", "/api/v1/recognize", "/api/v1/retrieve"} <= paths, paths
    drv.save_screenshot(str(tmp / "serve_docs.png"))


# ------------------------------------------------------------------------------------------------ screenshot
def main() -> int:
    p = argparse.ArgumentParser(description="make the README screenshot of the coamd serve page (the test's steps)")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--checkpoint", default=None, help="model bundle (default: the bundled weights)")
    p.add_argument("--prompt", default="a person walks forward and waves")
    p.add_argument("--seconds", default="4")
    p.add_argument("--samples", type=int, default=2)
    p.add_argument("--bvh", default=None, help="a BVH to recognise on the page before the screenshot")
    args = p.parse_args()
    found = find_browser()
    if isinstance(found, str):
        print(f"error: {found}", file=sys.stderr)
        return 2
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(args.checkpoint, Path(tmp) / "results", timeout=300)
        drv = start_browser(Path(tmp))
        try:
            seen = generate_and_scrub(drv, server.url, args.prompt, args.seconds, args.samples)
            if args.bvh:
                recognise_file(drv, Path(args.bvh).resolve())
            drv.save_screenshot(args.out)
        finally:
            drv.quit()
            server.close()
    print(f"{args.out}: {seen}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
