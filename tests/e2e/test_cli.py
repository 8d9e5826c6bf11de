"""The govsync CLI as a person uses it against the local stack: region, lookups, filters, invoke,
audit totals, and reading records without the local extras installed."""

import json
import subprocess
import sys
import uuid

import pytest

from .conftest import CLEAN_ENV, ROOT, wait_until
from .test_local_stack import METADATA, SPEC, new_group, record, register

pytestmark = pytest.mark.e2e

STAGES = "development, test, production"


@pytest.fixture(scope="module")
def synced(local) -> str:
    """A model group whose version 1 is recorded."""
    group = new_group(local)
    register(local, group)
    wait_until(lambda: record(local, group).get("development"), what="the development record")
    return group


@pytest.fixture(scope="module")
def fraud_detector(local) -> None:
    """The package the events/ files name, in the local registry."""
    sagemaker = local.client("sagemaker")
    if not sagemaker.list_model_package_groups(NameContains="fraud-detector")["ModelPackageGroupSummaryList"]:
        sagemaker.create_model_package_group(ModelPackageGroupName="fraud-detector")
    if not sagemaker.list_model_packages(ModelPackageGroupName="fraud-detector")["ModelPackageSummaryList"]:
        sagemaker.create_model_package(ModelPackageGroupName="fraud-detector", InferenceSpecification=SPEC,
                                       ModelApprovalStatus="PendingManualApproval")  # fmt: skip


# ---------------------------------------------------------------- 1. the region, resolved like the AWS CLI
@pytest.mark.parametrize(
    "env",
    [
        {"AWS_DEFAULT_REGION": "us-east-1"},  # what most shells and CI have
        {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "eu-west-1"},  # AWS_REGION wins
    ],
)
def test_records_show_with_the_region_a_shell_has(local, synced, env):
    shown = local.govsync("records", "show", synced, "1", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)[0]["model_group"] == synced


def test_region_flag_wins_over_the_environment(local, synced):
    elsewhere = local.govsync("records", "show", synced, "1", env={"AWS_DEFAULT_REGION": "eu-west-1"})
    assert elsewhere.returncode == 2 and "cannot find stack 'govsync'" in elsewhere.stderr  # the stack is in us-east-1
    here = local.govsync(
        "--region", "us-east-1", "records", "show", synced, "1", env={"AWS_DEFAULT_REGION": "eu-west-1"}
    )
    assert here.returncode == 0, here.stderr


# ---------------------------------------------------------------- 4. invoke takes sam local invoke's arguments
def test_invoke_wraps_a_plain_eventbridge_event_for_a_queue_fed_function(local, fraud_detector):
    invoked = local.govsync("invoke", "RegistrySyncFunction", "-e", "events/model-package-created.json")
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout) == {"batchItemFailures": []}
    assert "wrapped the event as the SQS record RegistrySyncFunction receives" in invoked.stderr
    assert "Traceback" not in invoked.stderr


def test_invoke_reads_the_event_from_standard_input(local, fraud_detector):
    event = (ROOT / "events" / "model-package-created.json").read_text()
    invoked = local.govsync("invoke", "RegistrySyncFunction", "-e", "-", stdin=event)
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout) == {"batchItemFailures": []}


def test_invoke_exits_1_when_the_function_rejects_the_event(local):
    forged = json.loads((ROOT / "events" / "model-package-created.json").read_text())
    forged["detail"]["ModelPackageGroupName"] = "../../etc"
    invoked = local.govsync("invoke", "RegistrySyncFunction", "-e", "-", stdin=json.dumps(forged))
    assert invoked.returncode == 1
    assert "rejected" in invoked.stderr and "ModelPackageGroupName" in invoked.stderr
    assert "Traceback" not in invoked.stderr


def test_invoke_without_an_event_sends_an_empty_one(local):
    invoked = local.govsync("invoke", "RegistrySyncFunction")  # {} is no SageMaker event: rejected, not a crash
    assert invoked.returncode == 1
    assert "govsync: RegistrySyncFunction:" in invoked.stderr and "rejected" in invoked.stderr
    assert "Traceback" not in invoked.stderr


def test_invoke_applies_env_vars_like_sam_local_invoke(local, fraud_detector, tmp_path):
    env_vars = tmp_path / "env.json"
    env_vars.write_text(json.dumps({"RegistrySyncFunction": {"GOVSYNC_ALLOWED_ACCOUNTS": "999999999999"}}))
    invoked = local.govsync(
        "invoke", "RegistrySyncFunction", "-e", "events/model-package-created.json", "--env-vars", str(env_vars)
    )
    assert invoked.returncode == 1  # the event's account 111111111111 is no longer allowed
    assert "111111111111" in invoked.stderr


# ---------------------------------------------------------------- 5. filters, lookups, help, pipes, empty cells
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        # bad input: exit 2, naming the valid values
        (("records", "list", "--stage", "staging"), 2, f"--stage 'staging' is not one of: {STAGES}"),
        (("records", "list", "--status", "deployed"), 2, "--status 'deployed' is not one of: pending, approved"),
        (("records", "list", "--deployment", "live"), 2, "--deployment 'live' is not one of: deploying, deployed"),
        (("records", "show", "g", "zero"), 2, "version must be a positive whole number"),
        (("invoke", "NoSuchFunction", "-e", "events/model-package-created.json"), 2, "no function 'NoSuchFunction'"),
        (("invoke", "RegistrySyncFunction", "-e", "events/missing.json"), 2, "cannot read event"),
        (("lineage", "--commit", "main"), 2, "--commit: 'main' is not a commit hash"),
        (
            ("lineage", "--training-job", "fraud-train-7"),
            2,
            "--training-job: 'fraud-train-7' is not a training job ARN",
        ),
        (("lineage", "--dataset", "s3://b/k", "--stage", "prod"), 2, "--stage 'prod' is not one of: development"),
        (("lineage", "--dataset", "s3://b/k", "--commit", "abcdef1"), 2, "not allowed with argument --dataset"),
        (("lineage",), 2, "one of the arguments --dataset --commit --training-job --mlflow-run is required"),
        (("due-dates", "--as-of", "soon"), 2, "--as-of: 'soon' is not an ISO 8601 date or time"),
        (("review", "g", "1", "--comment", "  "), 2, "comment: a decision takes a comment saying why"),
        (("retire", "g", "1", "--stage", "prod", "--comment", "x"), 2, "--stage 'prod' is not a stage of the chain"),
        (
            (
                "register",
                "--group",
                "g",
                "--model-data",
                "s3://b/m.tar.gz",
                "--image",
                "x",
                "--use-case",
                "uc",
                "--owner",
                "o",
                "--risk",
                "high",
                "--commit",
                "main",
                "--allowed-buckets",
                "b",
            ),
            2,
            "--commit: 'main' is not a commit hash",
        ),
        # what is named does not exist: exit 1, naming it
        (("records", "show", "no-such-group", "1"), 1, "no governance record for no-such-group version 1"),
        (("audit", "show", "no-such-group", "1"), 1, "no audit trail"),
        (("audit", "verify", "no-such-group", "1"), 1, "no audit trail for no-such-group version 1"),
        (("usecases", "show", "no-such-use-case"), 1, "no use case 'no-such-use-case'"),
        (("records", "list", "--group", "no-such-group"), 1, "no records of model group 'no-such-group'"),
        (("reconcile", "--group", "no-such-group"), 1, "no model package group named 'no-such-group'"),
        (("review", "no-such-group", "1", "--comment", "fine"), 1, "no production record for no-such-group version 1"),
        (("retire", "no-such-group", "1", "--stage", "test", "--comment", "x"), 1, "no test record for no-such-group"),
    ],
)
def test_cli_errors_name_the_problem_and_exit_non_zero(local, args, code, message):
    result = local.govsync(*args)
    assert result.returncode == code, result.stderr
    assert message in result.stderr


@pytest.mark.parametrize("command", ["records", "usecases", "audit", "schedule", "local"])
def test_a_command_group_alone_prints_its_help(local, command):
    result = local.govsync(command)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ") and not result.stderr


def test_no_command_prints_the_help(local):
    result = local.govsync()
    assert result.returncode == 0 and "records" in result.stdout and "usecases" in result.stdout


def test_records_list_by_group(local, synced):
    listed = local.govsync("records", "list", "--group", synced, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert rows and {r["model_group"] for r in rows} == {synced}


def test_empty_values_print_as_a_dash(local, synced):
    listed = local.govsync("records", "list", "--group", synced)
    shown = local.govsync("records", "show", synced, "1")
    for text in (listed.stdout, shown.stdout):
        words = text.split()
        assert "—" in words
        assert not {"None", "{}", "[]", "null"} & set(words), text


def test_a_reader_that_leaves_early_gets_no_traceback(local, synced):
    # as `govsync records list | head -1`: the pipe's reader is gone before the CLI writes
    proc = subprocess.Popen(
        [sys.executable, "-m", "govsync_cli", "records", "list"],
        env={**CLEAN_ENV, "AWS_ENDPOINT_URL": local.endpoint}, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr


# ---------------------------------------------------------------- 6. reading records without the local extras
BLOCKER = """
import sys
from importlib.abc import MetaPathFinder

class NotInstalled(MetaPathFinder):
    missing = ("moto", "yaml", "samtranslator", "cfnlint", "awscrt", "crc32c", "hypothesis", "pytest")

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.missing:
            raise ModuleNotFoundError(f"No module named {name!r} (not installed)")

sys.meta_path.insert(0, NotInstalled())
from govsync_cli.main import main
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    "args",
    [
        ("records", "show", "{group}", "1"),
        ("records", "list", "--stage", "test"),
        ("records", "list", "--group", "{group}", "--deployment", "deploying"),
        ("usecases", "list"),
        ("audit", "show", "{group}", "1"),
        ("audit", "verify", "{group}", "1"),
    ],
)
def test_reading_records_needs_no_local_extras(local, synced, args):
    result = local.govsync(*(a.format(group=synced) for a in args), python=("-c", BLOCKER))
    assert result.returncode == 0, result.stderr
    assert "not installed" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [("local", "up"), ("demo",), ("invoke", "RegistrySyncFunction"), ("schedule", "run", "ReconcilerFunction"),
     ("reconcile",)],
)  # fmt: skip
def test_the_local_tooling_without_its_extras_says_what_to_install(local, args):
    # a plain `pip install .`: the operator CLI works, the local tooling's commands say what they need
    result = local.govsync(*args, python=("-c", BLOCKER))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "pip install 'govsync[local]'" in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------- 7. audit verify: totals, which version, exit code
def test_audit_verify_counts_every_entry_and_names_the_broken_version(local, synced):
    clean = local.govsync("audit", "verify", synced, "1", "--json")
    assert clean.returncode == 0, clean.stdout
    one = json.loads(clean.stdout)
    assert one["ok"] and one["versions"] == 1 and one["entries"] >= 1 and one["broken"] == []
    # Given another version whose second entry is edited in the table
    tampered = new_group(local)
    arn = register(local, tampered)
    wait_until(lambda: record(local, tampered).get("development"), what="record")
    local.client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    wait_until(lambda: record(local, tampered)["development"]["model_status"] == "approved", what="approval")
    local.client("dynamodb").update_item(
        TableName=local.info["governance_table"],
        Key={"pk": {"S": f"MODEL#{tampered}#1"}, "sk": {"S": "AUDIT#0000000002"}},
        UpdateExpression="SET actor = :a",
        ExpressionAttributeValues={":a": {"S": "mallory"}},
    )
    # When every version is verified
    everything = local.govsync("audit", "verify", "--json")
    text = local.govsync("audit", "verify")
    # Then the totals add up, the broken version is named with its entry, and the exit code says so
    summary = json.loads(everything.stdout)
    assert everything.returncode == 1 and text.returncode == 1
    assert summary["entries"] == sum(r["entries"] for r in summary["results"]) > one["entries"]
    assert summary["versions"] == len(summary["results"]) >= 2
    assert {"model_group": tampered, "model_version": 1, "broken_seq": 2} in [
        {k: b[k] for k in ("model_group", "model_version", "broken_seq")} for b in summary["broken"]
    ]
    assert f"{synced} v1: {one['entries']} entries, ok" in text.stdout
    last = text.stdout.strip().splitlines()[-1]
    assert f"{summary['versions']} versions, {summary['entries']} entries checked" in last
    assert f"{tampered} v1 at entry 2" in last


# ---------------------------------------------------------------- 8. one use-case stage
def test_the_record_and_the_use_case_agree_after_the_use_case_advances(local):
    # Given a use case of its own, in development, with one model
    use_case = f"uc-{uuid.uuid4().hex[:8]}"
    group = new_group(local)
    arn = local.registrant().create_model_package(
        ModelPackageGroupName=group, InferenceSpecification=SPEC, ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={**METADATA, "UseCaseId": use_case, "UseCaseStage": "development"},
    )["ModelPackageArn"]  # fmt: skip
    wait_until(lambda: record(local, group).get("development"), what="record")
    # When its only model is approved in development (the use case moves on to qa)
    local.client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

    def use_case_stage():
        shown = local.govsync("usecases", "show", use_case, "--json")
        return shown.returncode == 0 and json.loads(shown.stdout)["use_case_stage"] == "qa"

    wait_until(use_case_stage, what="the use case in qa")
    # Then every record of the version says qa, as the use case does
    records = record(local, group)
    assert {r["use_case_stage"] for r in records.values()} == {"qa"}
    listed = json.loads(local.govsync("records", "list", "--use-case", use_case, "--json").stdout)
    assert {r["use_case_stage"] for r in listed} == {"qa"}
    # and `usecases list` names it, in its stage
    every = json.loads(local.govsync("usecases", "list", "--json").stdout)
    assert {u["use_case_id"]: u["use_case_stage"] for u in every}[use_case] == "qa"
    table = local.govsync("usecases", "list").stdout
    assert any(line.split()[:1] == [use_case] and " qa " in line for line in table.splitlines()), table


# ---------------------------------------------------------------- 9. the policy gates, asked
def test_gates_check_says_what_would_block_and_exits_1(local, synced):
    # Given version 1, registered but not approved: its deployment into test would wait
    text = local.govsync("gates", "check", synced, "1")
    shown = local.govsync("gates", "check", synced, "1", "--json")
    # Then the table names each rule's outcome and the verdict, and the exit code says it would block
    assert text.returncode == 1 and shown.returncode == 1, text.stderr
    assert "policy 2026-12-06" in text.stdout and f"BLOCKED: a deployment of {synced} v1 into test" in text.stdout
    assert "approvers" in text.stdout and "no approval of development is recorded" in text.stdout
    report = json.loads(shown.stdout)
    assert report["stage"] == "test" and report["blocked"] and report["recorded"] is None
    assert [r["rule"] for r in report["results"]] == ["records_current", "separation_of_duties", "approvers",
                                                      "risk_tier", "metadata_complete"]  # fmt: skip
    # and bad input is named: a stage nothing is deployed into (2), a version that does not exist (1)
    wrong = local.govsync("gates", "check", synced, "1", "--stage", "development")
    assert wrong.returncode == 2 and "is not a stage a version is deployed into (test, production)" in wrong.stderr
    missing = local.govsync("gates", "check", synced, "99")
    assert missing.returncode == 1 and "no governance record" in missing.stderr


# ---------------------------------------------------------------- 10. every bad value named, exit 2
def test_every_bad_value_exits_2_naming_it(local, synced):
    cases = [
        (("approve", synced, "1", "--stage", "nosuch", "--comment", "x"), {},
         "--stage 'nosuch' is not a stage of the chain (development, test, production)"),
        (("--region", "not-a-region", "records", "list"), {}, "--region: 'not-a-region' is not a region name"),
        (("schedule", "run", "MetricsAggregatorFunction", "--window-end", "notadate"), {},
         "--window-end 'notadate' is not an ISO 8601 date or time"),
        (("local", "info"), {"GOVSYNC_LOCAL_PORT": "abc"}, "GOVSYNC_LOCAL_PORT must be a port number, not 'abc'"),
    ]  # fmt: skip
    for args, env, words in cases:
        done = local.govsync(*args, env=env)
        assert done.returncode == 2 and words in done.stderr, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and "<html" not in done.stderr.lower(), args


def test_reconcile_progress_counts_each_group_on_its_own(local, synced):
    # Given a second group with two recorded versions
    group = new_group(local)
    register(local, group), register(local, group)
    wait_until(lambda: record(local, group, 2).get("development"), what="the second group's records")
    # When both groups are reconciled, the first one first
    done = local.govsync("reconcile", "--group", synced, "--group", group)
    assert done.returncode == 0, done.stderr
    # Then each group's line counts that group's versions, not the run's running total
    lines = {line.split(":", 1)[0].strip(): line for line in done.stderr.splitlines() if line.startswith("  ")}
    assert f"{lines[group].split(': ', 1)[1]}".startswith("2 checked"), done.stderr
    assert lines[synced].split(": ", 1)[1].startswith("1 checked"), done.stderr
