"""The dashboard in a real browser: headless Chromium from the system's packages (`chromium`,
`chromium-driver`), driven with Selenium, on the state `govsync demo --stay` leaves. Without a
Chromium every test here is skipped, saying what to install.

Screenshots of each page go to build/screenshots/ (GOVSYNC_SCREENSHOTS overrides)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from govsync_local.server import free_port, stop_process
from tests.e2e.conftest import CLEAN_ENV, ROOT, wait_until

SKIP_LINE = "skipped: install chromium chromium-driver (apt-get install -y chromium chromium-driver) to run them"
SCREENSHOTS = Path(os.environ.get("GOVSYNC_SCREENSHOTS") or ROOT / "build" / "screenshots")


def chromium() -> tuple[str, str] | None:
    """The browser and its driver, as Debian's packages install them."""
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def requires_chromium() -> list:
    """The marks of a browser test module: skipped, saying what to install, when Chromium is absent."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return [pytest.mark.browser, pytest.mark.skip(reason="browser tests skipped: `make venv` installs selenium")]
    return [pytest.mark.browser, pytest.mark.skipif(chromium() is None, reason=f"browser tests {SKIP_LINE}")]


@dataclass
class Demo:
    endpoint: str
    workdir: Path
    info: dict

    @property
    def url(self) -> str:
        return self.info["dashboard_url"]

    def user(self, name: str) -> dict:
        return self.info["users"][name]


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Iterator[Demo]:
    """`govsync demo --stay` as a user runs it: the demo's whole story, then the stack kept up."""
    workdir = tmp_path_factory.mktemp("demo-stay")
    log = (workdir / "demo.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "govsync_cli", "demo", "--stay", "--port", str(free_port())],
        cwd=workdir, env=CLEAN_ENV, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()  # type: ignore[arg-type]
    try:
        wait_until(lambda: any("Ctrl-C stops the local stack" in line for line in lines) or proc.poll() is not None,
                   timeout=400, what="the demo")  # fmt: skip
        assert proc.poll() is None, "".join(lines)[-4000:] + (workdir / "demo.log").read_text()[-4000:]
        endpoint = next(line for line in lines if line.startswith("AWS_ENDPOINT_URL=")).split()[0].split("=", 1)[1]
        assert any(line.startswith("dashboard: http://127.0.0.1:") for line in lines)
        shown = subprocess.run(
            [sys.executable, "-m", "govsync_cli", "local", "info", "--json"],
            env={**CLEAN_ENV, "AWS_ENDPOINT_URL": endpoint}, capture_output=True, text=True, check=True,
        )  # fmt: skip
        yield Demo(endpoint, workdir, json.loads(shown.stdout))
    finally:
        stop_process(proc)
        log.close()


@pytest.fixture
def browser(tmp_path) -> Iterator:
    """A fresh headless Chromium at 1280x800 (no session shared between tests), downloading to tmp_path."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    found = chromium()
    assert found is not None
    options = Options()
    options.binary_location = found[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800",
                     "--disable-gpu", "--lang=en-US"):  # fmt: skip
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(tmp_path),
                                              "download.prompt_for_download": False})  # fmt: skip
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    driver.download_dir = tmp_path
    try:
        yield driver
    finally:
        driver.quit()


def pytest_terminal_summary(terminalreporter):
    if chromium() is None:
        terminalreporter.write_line(f"browser tests {SKIP_LINE}", yellow=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test leaves its page behind: a screenshot and the page's text and console."""
    report = yield
    driver = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and driver is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = f"failed-{item.name}"
        driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
        console = "\n".join(e["message"] for e in driver.get_log("browser"))
        page = driver.execute_script("return document.body.innerText")
        (SCREENSHOTS / f"{name}.txt").write_text(f"{page}\n--\n{console}")
        report.sections.append(("browser", f"page and console saved as {SCREENSHOTS / name}.png/.txt"))
    return report
