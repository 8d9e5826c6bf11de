"""The dashboard's side of the governance API against moto: its public page, script and style (no
token, a strict CSP, ETags), its settings, who is signed in (`/me`) and the metrics history a
version's chart draws."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from govsync import wiring
from govsync.domain.monitoring import MetricsPoint

from .conftest import APP_CLIENT, GROUP
from .test_governance_api import api, registered  # noqa: F401  (the fixture)


def public(stack, path: str, headers: dict | None = None) -> tuple:
    """A GET of one of the API's public routes, with no token (as API Gateway hands it on)."""
    return api(stack, None, "GET", path, headers=headers)


def test_the_page_and_its_modules_are_public_and_every_module_they_import_is_served(stack):
    # Given no token at all
    status, page, headers = public(stack, "/dashboard/index.html")
    # Then the page is served, with a policy that allows only its own scripts and styles
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    # and every file it names, and every module those import, is served with its type
    wanted = set(re.findall(r'(?:href|src)="([\w.-]+)"', page))
    seen: set[str] = set()
    while wanted - seen:
        name = sorted(wanted - seen)[0]
        seen.add(name)
        status, text, headers = public(stack, f"/dashboard/{name}")
        assert status == 200, name
        kind = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}[name.rsplit(".", 1)[1]]
        assert headers["Content-Type"].startswith(kind), name
        wanted |= set(re.findall(r'from "\./([\w.-]+)"', text))
    assert {"app.js", "api.js", "auth.js", "chart.js", "inventory.js", "version.js"} <= seen


def test_an_unchanged_asset_answers_304_to_its_etag(stack):
    _, _, headers = public(stack, "/dashboard/app.js")
    status, body, _ = public(stack, "/dashboard/app.js", {"If-None-Match": headers["ETag"]})
    assert status == 304 and body == ""


@pytest.mark.parametrize("name", ["nothing.js", "..%2Fsettings.py", "APP.JS", "app.py", ".env"])
def test_only_the_dashboards_own_files_are_served(stack, name):
    status, body, _ = public(stack, f"/dashboard/{name}")
    # (a path that leaves /dashboard/ matches no route at all)
    assert status == 404 and re.match(r"no (dashboard asset|route GET)", body["message"])


def test_the_bare_address_redirects_to_the_page_within_the_apis_stage(stack):
    status, _, headers = public(stack, "/dashboard")
    assert status == 302 and headers["Location"] == "dashboard/index.html"


def test_the_settings_say_where_to_sign_in_and_hold_no_secret(stack):
    status, config, _ = public(stack, "/dashboard/config.json")
    assert status == 200
    assert config["stages"] == ["development", "test", "production"]
    assert set(config) == {"cognito", "stages"}
    assert config["cognito"] == {"endpoint": "https://cognito-idp.us-east-1.amazonaws.com/", "region": "us-east-1",
                                 "client_id": APP_CLIENT}  # fmt: skip


def test_me_names_the_person_and_what_their_groups_allow(stack):
    status, me, _ = api(stack, "audrey", "GET", "/me")
    assert status == 200
    assert me == {"username": "audrey", "name": "audrey@example.com", "email": "audrey@example.com",
                  "groups": ["auditors"], "permissions": ["export", "read"],
                  "mfa": {"required": False, "set_up": None}}  # fmt: skip
    status, me, _ = api(stack, "olivia", "GET", "/me")
    assert me["permissions"] == ["decide", "manage-use-cases", "read"]


def test_the_metrics_history_of_a_stage_with_its_thresholds(registered, stack):  # noqa: F811
    # Given production alerts above 2% server errors, and three windows kept, one of them 10 days old
    stack.configure(MonitoringThresholds=json.dumps({"production": {"invocation_5xx_rate": 0.02}}))
    store = wiring.governance_store()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for hours, rate in ((240, 0.001), (2, 0.01), (1, 0.03)):
        end = now - timedelta(hours=hours)
        point = MetricsPoint(GROUP, 1, "production", "fraud-detector-production",
                             (end - timedelta(hours=1)).isoformat(), end.isoformat(),
                             {"invocations": 100, "invocation_5xx_rate": rate})  # fmt: skip
        store.save_metrics_point(point, now + timedelta(days=30))
    # When a reader asks for the last week
    status, answer, _ = api(stack, "victor", "GET", f"/models/{GROUP}/versions/1/metrics?stage=production&days=7")
    # Then the two recent windows come, oldest first, with production's thresholds
    assert status == 200
    assert [p["values"]["invocation_5xx_rate"] for p in answer["points"]] == [0.01, 0.03]
    assert answer["thresholds"] == {"invocation_5xx_rate": 0.02, "min_invocations": 1, "monitor_violations": False}
    assert answer["kept_days"] == 30
    # and a stage with nothing kept answers an empty history
    status, answer, _ = api(stack, "victor", "GET", f"/models/{GROUP}/versions/1/metrics?stage=test")
    assert status == 200 and answer["points"] == [] and answer["thresholds"] == {}


@pytest.mark.parametrize(
    ("query", "problem"),
    [("stage=staging", "stage: 'staging' is not a stage"), ("", "stage: Field required"),
     ("stage=test&days=0", "days: Input should be greater than or equal to 1")],
)  # fmt: skip
def test_bad_metrics_queries_name_what_is_wrong(stack, query, problem):
    status, answer, _ = api(stack, "victor", "GET", f"/models/{GROUP}/versions/1/metrics?{query}")
    assert status == 400 and problem in answer["message"], answer
