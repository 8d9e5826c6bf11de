"""The governance dashboard in headless Chromium, on the state `govsync demo --stay` leaves: people
sign in with the demo's Cognito users and do what their groups allow, as they would in their browser."""

from __future__ import annotations

import csv
import json

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select, WebDriverWait

from govsync.domain.export import CSV_HEADER
from govsync_local.accounts import Accounts, dev_bucket_name
from govsync_local.demo import user_client, user_keys
from govsync_local.demo_data import GROUP, register
from govsync_local.people import totp_code

from .conftest import SCREENSHOTS, requires_chromium

pytestmark = requires_chromium()
KEY = f"{GROUP}/training-job-2026-11-23/output/model.tar.gz"  # what the demo uploaded
REPORT_KEY = f"{GROUP}/training-job-2026-11-23/evaluation/statistics.json"


def wait(browser, seconds: float = 20):
    """Views re-render as data arrives: an element found a moment ago may be replaced, so look again."""
    return WebDriverWait(browser, seconds, ignored_exceptions=(StaleElementReferenceException,))


def screenshot(browser, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def sign_in(browser, demo, name: str) -> None:
    browser.get(demo.url)
    wait(browser).until(seen.presence_of_element_located((By.NAME, "username")))
    user = demo.user(name)
    browser.find_element(By.NAME, "username").send_keys(user["username"])
    browser.find_element(By.NAME, "password").send_keys(user["password"])
    browser.find_element(By.CSS_SELECTOR, "form.sign-in button[type=submit]").click()
    if user.get("totp_secret"):  # deciders have an authenticator app: the pool asks for its code
        code = wait(browser).until(seen.visibility_of_element_located((By.NAME, "code")))
        assert browser.switch_to.active_element == code
        code.send_keys(totp_code(user["totp_secret"]))
        browser.find_element(By.CSS_SELECTOR, "form.sign-in button[type=submit]").click()
    wait(browser).until(seen.text_to_be_present_in_element((By.ID, "who-name"), user["email"]))
    wait(browser).until(lambda b: renders(b) >= 1)


def renders(browser) -> int:
    """How many views the page has shown (main's data-renders, counted when one is drawn)."""
    return int(browser.execute_script("return document.getElementById('main').dataset.renders || 0"))


def go(browser, view: str, ready: str) -> None:
    """Open a view by its address, wait until it is drawn and has an element `ready` (CSS selector)."""
    before = renders(browser)
    was = browser.execute_script("const was = location.hash; location.hash = arguments[0]; return was", f"#/{view}")
    if was != f"#/{view}":
        wait(browser).until(lambda b: renders(b) > before)
    wait(browser).until(seen.presence_of_element_located((By.CSS_SELECTOR, ready)))


def unlabelled(browser) -> list[str]:
    """Form controls with no accessible name (no label, no aria-label)."""
    return browser.execute_script(
        "return [...document.querySelectorAll('input, select, textarea')]"
        ".filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.outerHTML)"
    )


def card(browser, model: str, stage: str):
    return browser.find_element(By.CSS_SELECTOR, f'article.queue-item[data-model="{model}"][data-stage="{stage}"]')


def decide(browser, model: str, stage: str, comment: str, button: str = "Approve"):
    item = card(browser, model, stage)
    item.find_element(By.TAG_NAME, "textarea").send_keys(comment)
    item.find_element(By.XPATH, f".//button[normalize-space()='{button}']").click()
    return item


@pytest.fixture(scope="module")
def third_version(demo) -> str:
    """Version 3, registered from the dev account by alice (the registrant) with boto3, as the demo's was."""
    accounts = Accounts.from_env()
    scientist = user_client(
        "sagemaker", demo.endpoint, user_keys(demo.endpoint, "alice-browser", accounts.dev, accounts)
    )
    group_arn = f"arn:aws:sagemaker:us-east-1:{accounts.central}:model-package-group/{GROUP}"
    arn = register(scientist, dev_bucket_name(accounts), KEY, REPORT_KEY, group=group_arn)
    return f"{GROUP}/{arn.rsplit('/', 1)[1]}"


def test_an_officer_approves_a_version_and_sees_it_go_live_in_test(demo, third_version, browser):
    # Given olivia, a governance officer, signed in
    sign_in(browser, demo, "olivia")
    # When she opens the approval queue
    go(browser, "approvals", "article.queue-item")
    # Then the demo's version waits there (version 1 in production, after the rollback), oldest first
    wait(browser).until(lambda b: card(b, third_version, "development"))
    models = [e.get_attribute("data-model") for e in browser.find_elements(By.CSS_SELECTOR, "article.queue-item")]
    assert models.index(f"{GROUP}/1") < models.index(third_version)
    assert "0 of 1" in card(browser, f"{GROUP}/1", "production").text
    assert unlabelled(browser) == []
    screenshot(browser, "approvals")
    # When she approves version 3's development stage with a comment
    decide(browser, third_version, "development", "Checked in the dashboard: metrics within bounds")
    # Then the page says it went to the registry
    wait(browser).until(seen.text_to_be_present_in_element((By.ID, "toast"), "sent to the model registry"))
    # and on the version's page the stage turns approved, then test goes live once the events flow
    go(browser, f"models/{third_version}", "#stage-chips")
    wait(browser, 60).until(
        seen.presence_of_element_located(
            (By.CSS_SELECTOR, '#stage-chips [data-stage="development"][data-state="approved"]')
        )
    )
    wait(browser, 60).until(
        seen.presence_of_element_located((By.CSS_SELECTOR, '#stage-chips [data-stage="test"][data-state="live"]'))
    )
    said = "approved development: “Checked in the dashboard: metrics within bounds” — olivia@example.com"
    wait(browser).until(seen.text_to_be_present_in_element((By.ID, "timeline"), said))
    wait(browser).until(seen.text_to_be_present_in_element((By.ID, "timeline"), "live in test (333333333333, "))
    screenshot(browser, "version-live-in-test")


def test_the_registrant_is_refused_in_words(demo, third_version, browser):
    # Given alice, who registered version 3 (an approver, but its registrant)
    sign_in(browser, demo, "alice")
    go(browser, "approvals", "article.queue-item")
    wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, f'article.queue-item[data-model="{third_version}"]'))
    stage = browser.find_element(By.CSS_SELECTOR, f'article.queue-item[data-model="{third_version}"]').get_attribute(
        "data-stage"
    )
    # When she approves it
    item = decide(browser, third_version, stage, "Ready")
    # Then the page says why not, in words
    wait(browser).until(lambda b: "Refused:" in item.text)
    assert "separation of duties: alice@example.com registered this version" in item.text
    assert "403" not in item.text
    screenshot(browser, "refused-registrant")


def test_a_viewer_reads_but_has_no_approve_button_and_no_export(demo, browser):
    sign_in(browser, demo, "victor")
    go(browser, "approvals", "article.queue-item")
    assert browser.find_elements(By.CSS_SELECTOR, "form.decision") == []
    assert "deciding takes the group approvers or admins" in browser.find_element(By.ID, "main").text
    assert not browser.find_element(By.CSS_SELECTOR, '#nav a[data-view="export"]').is_displayed()
    go(browser, "usecases", "#board")
    assert browser.find_elements(By.ID, "new-use-case") == []


def test_the_inventory_counts_filters_and_searches(demo, browser):
    sign_in(browser, demo, "olivia")
    go(browser, "inventory", "#inventory tbody tr")
    # the demo leaves version 1 live in production with an alert, version 2 rejected there
    assert browser.find_element(By.CSS_SELECTOR, "#count-live .count-value").text == "1"
    assert int(browser.find_element(By.CSS_SELECTOR, "#count-alerts .count-value").text) >= 1
    assert int(browser.find_element(By.CSS_SELECTOR, "#count-pending .count-value").text) >= 1
    screenshot(browser, "inventory")
    Select(browser.find_element(By.ID, "filter-stage")).select_by_visible_text("production")
    Select(browser.find_element(By.ID, "filter-status")).select_by_visible_text("rejected")
    rows = browser.find_elements(By.CSS_SELECTOR, "#inventory tbody tr")
    assert [r.get_attribute("data-model") for r in rows] == [f"{GROUP}/2"]
    Select(browser.find_element(By.ID, "filter-status")).select_by_visible_text("any")
    browser.find_element(By.ID, "filter-search").send_keys("nothing-like-this")
    assert browser.find_elements(By.CSS_SELECTOR, "#inventory tbody tr") == []
    assert browser.find_element(By.ID, "inventory-shown").text.startswith("0 of ")
    assert unlabelled(browser) == []


def test_the_monitoring_chart_draws_the_history_and_its_threshold(demo, browser):
    sign_in(browser, demo, "olivia")
    go(browser, f"models/{GROUP}/1", "#chart-production-model_latency_p90_us")
    chart = browser.find_element(By.ID, "chart-production-model_latency_p90_us")
    # twelve hourly windows, the production threshold (250 ms) drawn, the hot hours above it marked
    assert chart.get_attribute("data-points") == "12"
    assert len(chart.find_elements(By.CSS_SELECTOR, "circle.dot")) == 12
    assert chart.find_elements(By.CSS_SELECTOR, "line.threshold")
    assert int(chart.get_attribute("data-breaches")) >= 1
    assert "alert above 250" in chart.text
    assert browser.find_element(By.ID, "chain").text.startswith("✔ Chain verified")
    for section in ("attributes", "artifacts", "deployments", "audit"):
        assert browser.find_elements(By.ID, section), section
    # the 15 governance attributes, each labelled in words (Line of business, not model_lob)
    rows = browser.find_elements(By.CSS_SELECTOR, "#attributes tbody tr")
    assert {r.get_attribute("data-attribute") for r in rows} >= set(CSV_HEADER[:15])
    labels = [r.find_element(By.TAG_NAME, "th").text for r in rows]
    assert "Line of business" in labels and not [label for label in labels if "_" in label]
    screenshot(browser, "version")
    browser.execute_script("document.getElementById('monitoring').scrollIntoView()")
    screenshot(browser, "version-monitoring")


def test_an_auditor_downloads_the_inventory_and_the_evidence_pack(demo, browser):
    sign_in(browser, demo, "audrey")
    go(browser, "export", "#export-csv")
    browser.find_element(By.ID, "export-csv").click()
    found = wait(browser).until(lambda b: [p for p in b.download_dir.glob("*.csv") if p.stat().st_size])
    rows = list(csv.reader(found[0].open()))
    assert rows[0] == list(CSV_HEADER) and len(rows) > 3
    browser.find_element(By.ID, "export-json").click()
    found = wait(browser).until(lambda b: [p for p in b.download_dir.glob("*.json") if p.stat().st_size])
    pack = json.loads(found[0].read_text())
    assert pack["records"] and all(v["verified"] for v in pack["chains"]) if "chains" in pack else pack["records"]
    screenshot(browser, "export")


def test_use_cases_are_recorded_and_advanced_on_the_board(demo, browser):
    sign_in(browser, demo, "oscar")
    go(browser, "usecases", "#board")
    assert browser.find_element(By.CSS_SELECTOR, '[data-lifecycle="preproduction"] [data-use-case="uc-fraud"]')
    form = browser.find_element(By.ID, "new-use-case")
    for name, value in (("id", "uc-churn"), ("name", "Customer churn"), ("owner", "oscar@example.com"),
                        ("lob", "retail")):  # fmt: skip
        form.find_element(By.NAME, name).send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser).until(
        seen.presence_of_element_located((By.CSS_SELECTOR, '[data-lifecycle="poc"] [data-use-case="uc-churn"]'))
    )
    new = browser.find_element(By.CSS_SELECTOR, '[data-use-case="uc-churn"]')
    new.find_element(By.NAME, "comment").send_keys("Business case approved")
    new.find_element(By.XPATH, ".//button[normalize-space()='Advance']").click()
    wait(browser).until(
        seen.presence_of_element_located((By.CSS_SELECTOR, '[data-lifecycle="development"] [data-use-case="uc-churn"]'))
    )
    assert unlabelled(browser) == []
    screenshot(browser, "usecases")


def test_a_wrong_password_is_said_and_a_narrow_window_still_works(demo, browser):
    browser.get(demo.url)
    wait(browser).until(seen.presence_of_element_located((By.NAME, "username")))
    browser.find_element(By.NAME, "username").send_keys("olivia")
    browser.find_element(By.NAME, "password").send_keys("not-her-password")
    browser.find_element(By.CSS_SELECTOR, "form.sign-in button[type=submit]").click()
    wait(browser).until(seen.text_to_be_present_in_element((By.CSS_SELECTOR, "form.sign-in"), "Sign-in failed"))
    # a narrow window: one column, nothing wider than the window but the tables' own scrollers
    browser.set_window_size(480, 900)
    sign_in(browser, demo, "olivia")
    go(browser, "inventory", "#inventory tbody tr")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 480, width
    screenshot(browser, "inventory-narrow")


def test_keyboard_alone_signs_in(demo, browser):
    from selenium.webdriver.common.keys import Keys

    browser.get(demo.url)
    wait(browser).until(seen.presence_of_element_located((By.NAME, "username")))
    active = browser.switch_to.active_element
    assert active.get_attribute("name") == "username"  # focused on arrival
    user = demo.user("victor")
    active.send_keys(user["username"], Keys.TAB, user["password"], Keys.ENTER)
    try:
        wait(browser).until(seen.text_to_be_present_in_element((By.ID, "who-name"), user["email"]))
    except TimeoutException:
        pytest.fail(browser.find_element(By.ID, "main").text)


def test_a_version_its_registrant_approved_herself_says_why_it_is_not_deployed(demo, browser):
    # Given a version the data scientist registered from the dev account and approved herself, with boto3
    accounts = Accounts.from_env()
    scientist = user_client(
        "sagemaker", demo.endpoint, user_keys(demo.endpoint, "alice-self-approval", accounts.dev, accounts)
    )
    group_arn = f"arn:aws:sagemaker:us-east-1:{accounts.central}:model-package-group/{GROUP}"
    arn = register(scientist, dev_bucket_name(accounts), KEY, REPORT_KEY, group=group_arn)
    scientist.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    model = f"{GROUP}/{arn.rsplit('/', 1)[1]}"
    # When an officer opens its page
    sign_in(browser, demo, "olivia")
    go(browser, f"models/{model}", "#stage-chips")
    # Then it says, in words, that the approval counts for nothing and what the gates would say now
    failing = '#gates-now tr[data-outcome="fail"]'
    for _ in range(2):  # the page refreshes itself only while something is on its way: look again once judged
        wait(browser, 60).until(seen.presence_of_element_located((By.CSS_SELECTOR, failing)))
        browser.refresh()
    wait(browser, 60).until(seen.text_to_be_present_in_element((By.ID, "gates-section"), "it would wait"))
    notes = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, ".note-error"))
    assert "Unauthorized decision on development" in notes and "It counts for nothing" in notes
    failed = [r.get_attribute("data-rule") for r in browser.find_elements(By.CSS_SELECTOR, failing)]
    assert failed == ["separation_of_duties", "approvers"]
    judged = "development approved in the registry by arn:aws:iam::"
    wait(browser).until(seen.text_to_be_present_in_element((By.ID, "timeline"), judged))
    assert "it counts for nothing" in browser.find_element(By.ID, "timeline").text
    screenshot(browser, "version-blocked-by-gates")


def test_a_decider_without_mfa_sets_up_an_authenticator_app_then_signs_in_with_its_code(demo, browser):
    import boto3

    # Given a new approver with no MFA yet (the stack requires it of deciders: DeciderMfa=required)
    cognito = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=demo.endpoint,
                           aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    pool, password = demo.info["cognito"]["user_pool_id"], "Nina-Passw0rd!-2026"
    cognito.admin_create_user(UserPoolId=pool, Username="nina", MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": "nina@example.com"}])  # fmt: skip
    cognito.admin_set_user_password(UserPoolId=pool, Username="nina", Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="nina", GroupName="approvers")

    def password_step() -> None:
        browser.get(demo.url)
        wait(browser).until(seen.presence_of_element_located((By.NAME, "username"))).send_keys("nina")
        browser.find_element(By.NAME, "password").send_keys(password)
        browser.find_element(By.CSS_SELECTOR, "form.sign-in button[type=submit]").click()

    # When she signs in with her password alone, the bar offers to set MFA up
    password_step()
    offer = wait(browser).until(seen.visibility_of_element_located((By.ID, "mfa-setup")))
    offer.click()
    # and she adds the key to her app and enters its code
    secret = wait(browser).until(seen.visibility_of_element_located((By.ID, "mfa-secret"))).text
    browser.find_element(By.NAME, "mfa-code").send_keys(totp_code(secret))
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # Then she is asked to sign in again, and the pool now asks for the app's code
    wait(browser).until(seen.text_to_be_present_in_element((By.ID, "main"), "MFA is on"))
    screenshot(browser, "mfa-set-up")
    password_step()
    code = wait(browser).until(seen.visibility_of_element_located((By.NAME, "code")))
    code.send_keys(totp_code(secret))
    browser.find_element(By.CSS_SELECTOR, "form.sign-in button[type=submit]").click()
    wait(browser).until(seen.text_to_be_present_in_element((By.ID, "who-name"), "nina@example.com"))
    assert not browser.find_element(By.ID, "mfa-setup").is_displayed()
    assert cognito.admin_get_user(UserPoolId=pool, Username="nina")["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]


def test_the_registrant_may_not_review_her_own_model(demo, browser):
    # Given version 1 live in production, reviewed once in the demo (by oscar)
    sign_in(browser, demo, "alice")
    go(browser, f"models/{GROUP}/1", "#review-section")
    assert browser.find_element(By.ID, "review-state").text == "scheduled"
    assert "by oscar@example.com" in browser.find_element(By.ID, "review-facts").text
    # When its registrant records a review, she is refused in words
    browser.find_element(By.ID, "review-comment").send_keys("My own model is fine")
    browser.find_element(By.ID, "record-review").click()
    form = browser.find_element(By.ID, "review-form")
    wait(browser).until(lambda b: "Refused:" in form.text)
    assert "separation of duties: alice@example.com registered this version" in form.text


def test_an_officer_records_a_periodic_review(demo, browser):
    # When olivia, an officer, records a review of version 1, live in production
    sign_in(browser, demo, "olivia")
    go(browser, f"models/{GROUP}/1", "#review-section")
    assert unlabelled(browser) == []
    browser.find_element(By.ID, "review-comment").send_keys("Drift within bounds; fairness report attached")
    browser.find_element(By.ID, "record-review").click()
    # Then the page says when the next one is due, and the section names her and her words
    wait(browser).until(seen.text_to_be_present_in_element((By.ID, "toast"), "Review recorded: the next one is due"))
    wait(browser).until(seen.text_to_be_present_in_element((By.ID, "review-facts"), "by olivia@example.com"))
    assert "“Drift within bounds; fairness report attached”" in browser.find_element(By.ID, "review-facts").text
    wait(browser).until(seen.text_to_be_present_in_element((By.ID, "timeline"), "production reviewed: “Drift within"))
    screenshot(browser, "version-review")
    # and the inventory counts no review due or overdue
    go(browser, "inventory", "#inventory tbody tr")
    assert browser.find_element(By.CSS_SELECTOR, "#count-reviews-due .count-value").text == "0"
    assert browser.find_element(By.CSS_SELECTOR, "#count-reviews-overdue .count-value").text == "0"


def test_a_viewer_sees_the_review_but_no_form(demo, browser):
    sign_in(browser, demo, "victor")
    go(browser, f"models/{GROUP}/1", "#review-section")
    assert browser.find_elements(By.ID, "review-form") == []
    assert browser.find_element(By.ID, "review-facts").text
    # version 2's test stage, retired in the demo: its endpoint torn down, in the timeline
    go(browser, f"models/{GROUP}/2", "#timeline")
    assert "retired" in browser.find_element(By.ID, "timeline").text
