"""The demo's upkeep: a lost record repaired by the reconciler; an approval past its SLA reminded, a live
model's periodic review coming due and being done, and a retirement tearing down the test endpoint. The
due dates are judged as of later times (`govsync due-dates --as-of`), as the hourly DueDatesFunction would
find them then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from govsync_local.accounts import Accounts, client
from govsync_local.api_client import GovernanceApi
from govsync_local.demo_data import GROUP, DemoError, local_info, records_of, say, wait_for
from govsync_local.demo_notifications import skip_told, told


def reconcile(endpoint: str, group: str, version: int) -> None:
    from govsync_cli import main as cli

    say(f"\n9. version {version}'s development record is lost (deleted from the table); no event will come for it")
    table = local_info(endpoint)["governance_table"]
    client("dynamodb", endpoint).delete_item(
        TableName=table, Key={"pk": {"S": f"MODEL#{group}#{version}"}, "sk": {"S": "V#STAGE#development"}}
    )
    say("\ngovsync reconcile   (daily on its EventBridge schedule)")
    if cli.main(["--endpoint-url", endpoint, "reconcile"]) != 0:
        raise DemoError("the reconciler left failures")
    if "development" not in records_of(endpoint, group, version):
        raise DemoError("the reconciler did not repair the lost record")


def due_dates(cli: Any, endpoint: str, as_of: datetime) -> None:
    say(f"\ngovsync due-dates --as-of {as_of:%Y-%m-%dT%H:%MZ}   (hourly on its EventBridge schedule)")
    if cli.main(["--endpoint-url", endpoint, "due-dates", "--as-of", as_of.isoformat()]) != 0:
        raise DemoError("the due-dates run left failures")


def post(api: GovernanceApi, user: str, path: str, comment: str, expect: int) -> dict[str, Any]:
    status, body = api.call(user, "POST", path, {"comment": comment})
    say(f"   {api.users[user]['email']}: POST {path} -> {status}")
    if status != expect:
        raise DemoError(f"POST {path} as {user} answered {status}, not {expect}: {body}")
    return dict(body)


def upkeep(cli: Any, endpoint: str, accounts: Accounts, version: int) -> None:
    """`version` is live in production (high risk: reviewed every 90 days) and waits for its production
    approval (high risk: reminded after 24 hours); `version + 1` serves the test endpoint."""
    from govsync.adapters.store import GovernanceStore

    store = GovernanceStore(local_info(endpoint)["governance_table"], "us-east-1")
    skipped = skip_told(endpoint)
    say(f"\n13. due dates and retirement ({skipped} earlier notifications were on the queue: `govsync local up` "
        "prints each as it comes)")  # fmt: skip
    now = datetime.now(UTC)
    say(f"   version {version}'s production approval has waited since it went live; a day later:")
    due_dates(cli, endpoint, now + timedelta(hours=25))
    told(endpoint, "approval-reminder", "production", version)
    review = store.load_version(GROUP, version).records["production"].review
    if review is None:
        raise DemoError(f"version {version} is live in production without a review date")
    due = datetime.fromisoformat(review.next_review_due)
    say(f"   its periodic review is due {due:%Y-%m-%d} (every {review.every_days} days for its risk); "
        f"{review.every_days - 10} days after it went live:")  # fmt: skip
    due_dates(cli, endpoint, due - timedelta(days=10))
    told(endpoint, "review-due", "production", version)

    api = GovernanceApi(endpoint)
    path = f"/models/{GROUP}/versions/{version}/reviews"
    post(api, "alice", path, "My own model is fine", expect=403)
    done = post(api, "oscar", path, "Quarterly review: drift within bounds, fairness report attached", expect=200)
    reviewed = done["review"]
    say(f"   reviewed by {reviewed['last_by']} today; the next review is due {reviewed['next_review_due'][:10]}, "
        f"{reviewed['every_days']} days from the review")  # fmt: skip

    test = store.load_version(GROUP, version + 1).records["test"]
    name = test.deployment.endpoint_name
    say(f"   version {version + 1} serves the test endpoint {name} in {test.deployment.account}; it is retired there:")
    post(api, "olivia", f"/models/{GROUP}/versions/{version + 1}/stages/test/retirement",
         "Test endpoint no longer needed: version 1 stays in production", expect=202)  # fmt: skip

    def torn_down() -> bool:
        retirement = store.load_version(GROUP, version + 1).records["test"].retirement
        return retirement is not None and retirement.teardown != "requested"

    wait_for("the test endpoint's teardown", torn_down)
    retirement = store.load_version(GROUP, version + 1).records["test"].retirement
    say(f"   {retirement.teardown}: {retirement.result}")
    told(endpoint, "retired", "test", version + 1)
    try:
        client("sagemaker", endpoint, accounts.test, accounts).describe_endpoint(EndpointName=name)
    except ClientError:
        say(f"   account {accounts.test}: endpoint {name} is gone")
    else:
        raise DemoError(f"the endpoint {name} still runs in {accounts.test}")
