"""The officer's page tells the whole story before they decide, to everyone who may read it: axe-core
(WCAG 2.1 A and AA) on every view, for an officer and a viewer, at desktop and phone widths; the
decision card with the live alert in the charts' units; one risk tier per filter option; what is
reachable without a mouse (the legend, the count cards); only sign-in when signed out; and a decision
made with the keyboard alone, landing on the next item of the queue."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select

from govsync_local.accounts import Accounts, dev_bucket_name
from govsync_local.demo import user_client, user_keys
from govsync_local.demo_data import GROUP, register

from .conftest import requires_chromium
from .test_dashboard import KEY, REPORT_KEY, go, renders, screenshot, sign_in, wait

pytestmark = requires_chromium()
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VERSION = f"models/{GROUP}/1"
VIEWS = {  # address -> what shows it is drawn
    "inventory": "#inventory tbody tr",
    "approvals": "article.queue-item",
    VERSION: "#timeline li",
    "usecases": ".board",
}
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}


def violations(browser) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is, each with the elements it names."""
    from axe_selenium_python import Axe

    axe = Axe(browser)
    axe.inject()
    found = axe.run(options={"runOnly": {"type": "tag", "values": WCAG}})["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in found]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("person", ["olivia", "victor"])
def test_every_view_has_no_accessibility_violation(demo, browser, person, width):
    browser.set_window_size(*WIDTHS[width])
    browser.get(demo.url)
    wait(browser).until(seen.presence_of_element_located((By.NAME, "username")))
    found = {"sign-in": violations(browser)}
    sign_in(browser, demo, person)
    for view, ready in VIEWS.items():
        go(browser, view, ready)
        if view == VERSION:  # the chart's data table and the legend open too
            for summary in browser.find_elements(By.CSS_SELECTOR, "details > summary")[:3]:
                browser.execute_script("arguments[0].parentElement.open = true", summary)
        found[view] = violations(browser)
        if view == VERSION and width == "phone":  # the charts' text stays legible on a phone
            legible = browser.execute_script(
                "const svg = document.querySelector('.chart-svg'), t = svg.querySelector('text');"
                "return parseFloat(getComputedStyle(t).fontSize) * svg.getBoundingClientRect().width"
                " / svg.viewBox.baseVal.width")  # fmt: skip
            assert legible >= 10, f"chart text drawn at {legible:.1f} px"
        if width == "phone":
            screenshot(browser, f"{person}-{view.replace('/', '-')}-390")
    assert {view: v for view, v in found.items() if v} == {}
    if (person, width) == ("olivia", "desktop"):  # and axe does see a violation where there is one
        browser.execute_script("document.getElementById('main').append(document.createElement('img'))")
        assert [v for v in violations(browser) if v.startswith("image-alt")]


def approvals_card(browser, stage: str = "production"):
    return browser.find_element(By.CSS_SELECTOR, f'article.queue-item[data-model="{GROUP}/1"][data-stage="{stage}"]')


def test_the_decision_card_shows_the_live_alert_in_the_charts_words(demo, browser):
    sign_in(browser, demo, "olivia")
    go(browser, "approvals", "article.queue-item")
    card = approvals_card(browser)
    screenshot(browser, "approvals")
    text = card.text
    # why it waits, and the alert a decision must not miss: metric names and units as the charts show them
    assert re.search(r"production waits for a decision: 1 more approval needed \(0 of 1 for a high risk tier\)", text)
    alert = card.find_element(By.CSS_SELECTOR, ".card-alert").text
    assert alert.startswith("Alert in production: ")
    assert re.search(r"server errors \d+(\.\d+)?% over 2%", alert) and re.search(
        r"p90 model latency \d+ ms over 250 ms", alert
    )
    assert "invocation_5xx_rate" not in text and "_us" not in text
    assert "Card fraud detection" in text  # the use case's name, not its id
    assert card.find_element(By.CSS_SELECTOR, ".card-approvals").text.endswith("none yet")


def test_one_option_per_risk_tier_and_count_cards_lead_to_what_they_count(demo, browser):
    sign_in(browser, demo, "olivia")
    go(browser, "inventory", "#inventory tbody tr")
    tiers = [o.text for o in Select(browser.find_element(By.ID, "filter-risk")).options][1:]
    assert tiers == sorted(set(tiers)) and tiers == [t.lower() for t in tiers] and "high" in tiers
    Select(browser.find_element(By.ID, "filter-risk")).select_by_visible_text("high")
    models = {r.get_attribute("data-model") for r in browser.find_elements(By.CSS_SELECTOR, "#inventory tbody tr")}
    assert {f"{GROUP}/1", f"{GROUP}/2"} <= models  # "High" and "high" alike
    # the legend is in the page, and a count card is a link to its list
    browser.find_element(By.CSS_SELECTOR, "#legend summary").click()
    assert "waits for a decision in this stage" in browser.find_element(By.ID, "legend").text
    before = renders(browser)
    browser.find_element(By.ID, "count-alerts").click()
    wait(browser).until(lambda b: renders(b) > before)
    assert browser.execute_script("return location.hash") == "#/inventory?alerts=yes"
    rows = wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#inventory tbody tr"))
    assert rows and all("⚠" in r.text for r in rows)
    assert "missing: " in browser.page_source or all("complete" in r.text for r in rows)  # which keys, in words


def test_signed_out_the_page_offers_only_sign_in(demo, browser):
    browser.get(demo.url)
    username = wait(browser).until(seen.presence_of_element_located((By.NAME, "username")))
    assert not browser.find_element(By.ID, "nav").is_displayed()
    assert not browser.find_element(By.ID, "sign-out").is_displayed()
    # the form has the focus on arrival, and nothing stands between the skip link and it
    assert browser.switch_to.active_element == username
    browser.execute_script("document.querySelector('.skip').focus()")
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element == username


def test_a_viewer_is_not_offered_a_decision(demo, browser):
    sign_in(browser, demo, "victor")
    go(browser, VERSION, "#timeline li")
    assert "Decide in the approval queue" not in browser.find_element(By.ID, "main").text
    # the version's timeline says what is still to be decided
    waiting = browser.find_element(By.CSS_SELECTOR, "#timeline li.waiting").text
    assert "production waits for a decision" in waiting and "An alert is open on it" in waiting
    go(browser, "approvals", "article.queue-item")
    assert browser.find_elements(By.CSS_SELECTOR, "article.queue-item textarea") == []


def tab_to(browser, wanted, limit: int = 20):
    """Press Tab until the focused element is `wanted` (at most `limit` times); that element."""
    for _ in range(limit):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if wanted(active := browser.switch_to.active_element):
            return active
    raise AssertionError(f"not reached with {limit} Tabs")


@pytest.fixture
def two_new_versions(demo) -> list[str]:
    """Two versions registered from the dev account by alice: both wait in the first stage."""
    accounts = Accounts.from_env()
    scientist = user_client(
        "sagemaker", demo.endpoint, user_keys(demo.endpoint, "alice-keyboard", accounts.dev, accounts)
    )
    group_arn = f"arn:aws:sagemaker:us-east-1:{accounts.central}:model-package-group/{GROUP}"
    arns = [register(scientist, dev_bucket_name(accounts), KEY, REPORT_KEY, group=group_arn) for _ in range(2)]
    return [f"{GROUP}/{arn.rsplit('/', 1)[1]}" for arn in arns]


def test_with_the_keyboard_alone_an_officer_decides_and_lands_on_the_next_item(demo, browser, two_new_versions):
    first, second = two_new_versions
    sign_in(browser, demo, "oscar")
    go(browser, "approvals", f'article.queue-item[data-model="{second}"]')  # both wait in the queue by now
    keys = [c.get_attribute("data-key") for c in browser.find_elements(By.CSS_SELECTOR, "article.queue-item")]
    decided = next(k for k in keys if k.startswith(f"{first}/"))
    go(browser, "inventory", "#inventory tbody tr")
    # from the top of the page, Tab to the menu's queue and open it with Enter
    browser.execute_script("document.querySelector('.skip').focus()")
    tab_to(browser, lambda a: a.get_attribute("data-view") == "approvals")
    before = renders(browser)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait(browser).until(lambda b: renders(b) > before)
    # then Tab through the queue to the decided card's comment
    comment = tab_to(browser, lambda a: a.tag_name == "textarea" and a.find_element(
        By.XPATH, "ancestor::article").get_attribute("data-key") == decided, limit=120)  # fmt: skip
    comment.send_keys("Validation report and lineage read: approved")
    browser.switch_to.active_element.send_keys(Keys.TAB)  # Approve
    assert browser.switch_to.active_element.text == "Approve"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    following = keys[keys.index(decided) + 1 :]
    wait(browser).until(lambda b: not b.find_elements(By.CSS_SELECTOR, f'article[data-key="{decided}"]')
                        or b.switch_to.active_element.tag_name != "textarea")  # fmt: skip
    active = wait(browser).until(lambda b: (a := b.switch_to.active_element).tag_name in ("a", "h1") and a)
    if following:
        card = active.find_element(By.XPATH, "ancestor::article")
        assert card.get_attribute("data-key") in following
    else:
        assert active.get_attribute("id") == "queue-heading"


CONTRAST = """
const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
const linear = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
const lum = (c) => { const [r, g, b] = rgb(c).map(linear); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const el = document.activeElement;
let bg = el.parentElement;
while (bg && getComputedStyle(bg).backgroundColor === "rgba(0, 0, 0, 0)") bg = bg.parentElement;
const [a, b] = [lum(getComputedStyle(el).outlineColor), lum(getComputedStyle(bg || document.body).backgroundColor)];
return [getComputedStyle(el).outlineStyle, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
"""


def test_the_keyboard_focus_outline_stands_out_on_every_background(demo, browser):
    """WCAG 1.4.11: the focus outline is at least 3:1 against what is behind it, on the dark header too."""
    sign_in(browser, demo, "olivia")
    go(browser, "inventory", "#inventory tbody tr")
    browser.execute_script("document.querySelector('.skip').focus()")  # the top of the page
    seen_on = {}
    for _ in range(14):  # through the header (brand, menu, sign out) into the page
        browser.switch_to.active_element.send_keys(Keys.TAB)
        active = browser.switch_to.active_element
        where = "header" if active.find_elements(By.XPATH, "ancestor::header") else "page"
        style, ratio = browser.execute_script(CONTRAST)
        assert style != "none", active.get_attribute("outerHTML")[:120]
        seen_on.setdefault(where, []).append(round(ratio, 2))
    assert set(seen_on) == {"header", "page"}
    assert min(min(r) for r in seen_on.values()) >= 3, seen_on


# what each group is offered, as docs/dashboard.md's table says (the API refuses the rest all the same)
OFFERED = {  # person: (Export in the menu, decides in the queue and on the version page, acts on use cases)
    "olivia": (False, True, True),  # approvers
    "audrey": (True, False, False),  # auditors
    "victor": (False, False, False),  # viewers
    "adam": (True, True, True),  # admins
}


@pytest.mark.parametrize("person", OFFERED)
def test_each_group_is_offered_what_the_docs_say(demo, browser, person):
    export, decides, manages = OFFERED[person]
    sign_in(browser, demo, person)
    menu = [a.get_attribute("data-view") for a in browser.find_elements(By.CSS_SELECTOR, "#nav a") if a.is_displayed()]
    assert menu == ["inventory", "approvals", "usecases", *(["export"] if export else [])]
    go(browser, "approvals", "article.queue-item")
    assert bool(browser.find_elements(By.CSS_SELECTOR, "article.queue-item form.decision")) == decides
    go(browser, VERSION, "#timeline li")
    assert ("Decide in the approval queue" in browser.find_element(By.ID, "main").text) == decides
    go(browser, "usecases", ".board")
    assert bool(browser.find_elements(By.CSS_SELECTOR, "main form")) == manages
