"""The pages in a real browser: headless Chromium (Debian's, which .ci/run installs) driven by selenium. Each page
loads with no console errors, the trace tree folds and unfolds, a flag made in the page shows in `obsql -c review`,
the script-named pointer stays text; screenshots of the main pages go to the test's temporary directory."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

from obsql.serve.config import ServeConfig
from obsql.serve.server import serving
from tests.serve.conftest import TOKEN
from tests.serve.pipeline import XSS
from tests.serve.test_pages import last_forecast

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), shutil.which("chromedriver") or "/usr/bin/chromedriver"
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the dev extra has it)")
if not CHROMIUM.exists() or not Path(DRIVER).exists():
    pytest.skip("no Chromium here: apt-get install -y chromium chromium-driver (.ci/run does)", allow_module_level=True)

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


@pytest.fixture
def site(bakery) -> str:
    with serving(ServeConfig(bakery, port=0, token=TOKEN, allow_writes=True, workers=2)) as url:
        yield url


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def visit(browser, url: str) -> list[dict]:
    """Load a page; the console's errors while it loaded."""
    browser.get(url)
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def main_pages(bakery: Path) -> dict[str, str]:
    return {"runs": "/", "components": "/components", "component": "/components/forecast",
            "run": f"/runs/{last_forecast(bakery)}", "pointer": "/pointers?" + urlencode({"p": XSS}),
            "trace": "/trace?" + urlencode({"pointer": XSS}), "review": "/review", "alerts": "/alerts",
            "query": "/query?" + urlencode({"q": "history forecast metric accuracy"}),
            "query-error": "/query?" + urlencode({"q": "recent 5 | limit"})}


def test_every_page_loads_without_console_errors(bakery, site, browser, tmp_path):
    for name, path in main_pages(bakery).items():
        errors = visit(browser, site + path)
        if name == "query-error":  # the page answers 400 (the error is shown): the console notes the status
            errors = [e for e in errors if "status of 400" not in e["message"]]
        assert errors == [], (name, errors)
        assert browser.find_element(By.TAG_NAME, "h1").text
        browser.save_screenshot(str(tmp_path / f"{name}.png"))
    assert len(list(tmp_path.glob("*.png"))) == len(main_pages(bakery))


def test_the_trace_tree_folds_and_unfolds(site, browser):
    visit(browser, site + "/trace?" + urlencode({"pointer": XSS}))
    top = browser.find_element(By.CSS_SELECTOR, ".tree > details")
    child = top.find_element(By.CSS_SELECTOR, ":scope > details")
    assert top.get_attribute("open") is not None and child.is_displayed()
    summary = top.find_element(By.CSS_SELECTOR, ":scope > summary")
    marker = -summary.size["width"] // 2 + 4  # the disclosure triangle, left of the links in the line
    ActionChains(browser).move_to_element_with_offset(summary, marker, 0).click().perform()
    assert top.get_attribute("open") is None and not child.is_displayed()
    ActionChains(browser).move_to_element_with_offset(summary, marker, 0).click().perform()
    assert top.get_attribute("open") is not None and child.is_displayed()


def test_a_flag_made_in_the_page_shows_in_review(bakery, site, browser):
    visit(browser, site + "/pointers?" + urlencode({"p": "loaves-3-north"}))
    flag = browser.find_element(By.CSS_SELECTOR, 'form[action="/actions/flag"]')
    flag.find_element(By.NAME, "token").send_keys(TOKEN)
    flag.find_element(By.TAG_NAME, "button").click()
    assert browser.current_url.endswith("/pointers?p=loaves-3-north")
    review = subprocess.run([sys.executable, "-m", "obsql", "--store", str(bakery), "-c", "review"],
                            capture_output=True, text=True, timeout=300)
    assert review.returncode == 0, review.stderr
    assert last_forecast(bakery) in review.stdout  # the run that wrote the flagged output ranks
    flagged = subprocess.run([sys.executable, "-m", "obsql", "--store", str(bakery), "-c",
                              "inspect 'loaves-3-north'"], capture_output=True, text=True, timeout=300)
    assert "flagged" in flagged.stdout and "True" in flagged.stdout


def test_the_script_named_pointer_stays_text(site, browser):
    visit(browser, site + "/pointers?" + urlencode({"p": XSS}))
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    assert XSS in browser.find_element(By.TAG_NAME, "h1").text
    visit(browser, site + "/trace?" + urlencode({"pointer": XSS}))
    assert XSS in browser.find_element(By.CSS_SELECTOR, ".tree").text
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
