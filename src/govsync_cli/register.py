"""govsync register: a data scientist registers a model version from a dev account into a group the
central account shares with it, as the SageMaker guide's CLI example does (`create_model_package`
with PendingManualApproval and the governance keys as CustomerMetadataProperties), after checking
everything the central stack would otherwise reject or flag. Any problem: exit 2 naming every
problem found, nothing created."""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field
from typing import Any

from govsync.domain.arns import MODEL_PACKAGE_GROUP_ARN
from govsync.domain.artifacts import InvalidArtifact, parse_s3_uri
from govsync.domain.events import GROUP_NAME
from govsync.domain.governance import DEFAULT_METADATA_KEYS
from govsync.domain.sharing import REGISTER_ACTIONS, permission_by_arn
from govsync_cli.base import EXIT_OK, CliError, emit, region, subcommand

RISKS = ("high", "medium", "low")
USE_CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
IMAGE_URI = re.compile(
    r"[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/[a-z0-9._/-]+(?::[\w.-]+|@sha256:[0-9a-f]{64})?"
)


class RegistrationRefused(CliError):
    """Every problem found, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("not registered:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


@dataclass
class Checks:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def allowed_buckets(args: argparse.Namespace) -> list[str] | None:
    """The central sync's artifact allow-list: --allowed-buckets, else GOVSYNC_ARTIFACT_BUCKETS."""
    value = args.allowed_buckets if args.allowed_buckets is not None else os.environ.get("GOVSYNC_ARTIFACT_BUCKETS")
    if value is None:
        return None
    return [b.strip() for b in value.split(",") if b.strip()]


def check_metadata(args: argparse.Namespace, checks: Checks) -> None:
    if not USE_CASE_ID.fullmatch(args.use_case or ""):
        checks.problems.append(f"--use-case {args.use_case!r} is not a use case id (letters, digits, _ . : -)")
    if not (args.owner or "").strip():
        checks.problems.append("--owner is empty: name the model's owner (an email or a user name)")
    if (args.risk or "").lower() not in RISKS:
        checks.problems.append(f"--risk {args.risk!r} is not one of: {', '.join(RISKS)}")
    if args.description is not None and len(args.description) > 1024:
        checks.problems.append(f"--description is {len(args.description)} characters; SageMaker takes at most 1024")
    if not IMAGE_URI.fullmatch(args.image or ""):
        checks.problems.append(
            f"--image {args.image!r} is not an ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG)"
        )


def check_lineage(args: argparse.Namespace, checks: Checks) -> None:
    """Each lineage option a valid form of its kind, and short enough for a metadata value (256)."""
    from govsync.domain.lineage_keys import BadLineageQuery, canonical

    given = [("--training-job", "training-job", args.training_job), ("--commit", "commit", args.commit),
             ("--mlflow-run", "mlflow-run", args.mlflow_run), ("--code-repository", None, args.code_repository),
             *(("--dataset", "dataset", uri) for uri in args.dataset or [])]  # fmt: skip
    for option, kind, value in given:
        if value is None:
            continue
        if len(value) > 256:
            checks.problems.append(f"{option}: {len(value)} characters; a metadata value takes at most 256")
            continue
        try:
            canonical(kind or "dataset", value)
        except BadLineageQuery as exc:
            checks.problems.append(f"{option}: {exc}")
    if len(args.dataset or []) > 20:
        checks.problems.append(f"--dataset given {len(args.dataset)} times; at most 20")


def lineage_metadata(args: argparse.Namespace) -> dict[str, str]:
    """The lineage options as the documented CustomerMetadataProperties keys (docs/lineage.md)."""
    from govsync.domain.lineage import DATASET_KEY_PREFIX, LINEAGE_KEYS

    values = {"training_job": args.training_job, "code_repository": args.code_repository,
              "code_commit": args.commit, "mlflow_run_id": args.mlflow_run}  # fmt: skip
    metadata = {LINEAGE_KEYS[name][0]: value for name, value in values.items() if value}
    metadata.update({f"{DATASET_KEY_PREFIX}{n}": uri for n, uri in enumerate(args.dataset or [], start=1)})
    return metadata


def check_artifacts(args: argparse.Namespace, s3: Any, checks: Checks) -> None:
    buckets = allowed_buckets(args)
    if buckets is None:
        checks.problems.append(
            "the central stack's artifact allow-list is unknown: pass --allowed-buckets (its AllowedArtifactBuckets "
            "parameter) or set GOVSYNC_ARTIFACT_BUCKETS"
        )
        return
    for option, uri in (("--model-data", args.model_data), ("--metrics", args.metrics)):
        if uri is None:
            continue
        try:
            location = parse_s3_uri(uri, frozenset(buckets))
        except InvalidArtifact as exc:
            checks.problems.append(f"{option} {uri}: {exc}")
            continue
        from botocore.exceptions import ClientError

        from govsync.adapters.aws import error_code

        try:
            s3.head_object(Bucket=location.bucket, Key=location.key)
        except ClientError as exc:
            code = error_code(exc)
            if code in ("404", "NoSuchKey", "NotFound"):
                checks.problems.append(f"{option} {uri}: no such object")
            else:
                checks.problems.append(f"{option} {uri}: cannot read it ({code or exc})")


def resolve_group(args: argparse.Namespace, sagemaker: Any, checks: Checks) -> str | None:
    """The group's ARN: given, or found among the groups shared with this account (or its own)."""
    if MODEL_PACKAGE_GROUP_ARN.fullmatch(args.group):
        return str(args.group)
    if not GROUP_NAME.fullmatch(args.group):
        checks.problems.append(f"--group {args.group!r} is neither a group name nor a model package group ARN")
        return None
    shared = sagemaker.list_model_package_groups(CrossAccountFilterOption="CrossAccount")[
        "ModelPackageGroupSummaryList"
    ]
    matches = [g["ModelPackageGroupArn"] for g in shared if g["ModelPackageGroupName"] == args.group]
    if len(matches) == 1:
        return str(matches[0])
    if len(matches) > 1:
        checks.problems.append(
            f"--group {args.group}: shared with you by several accounts; pass its ARN: {', '.join(matches)}"
        )
        return None
    checks.problems.append(
        f"--group {args.group}: no group of that name is shared with this account (through RAM); accept the "
        "central account's invitation (`govsync groups list` shows pending ones) or pass the group's ARN"
    )
    return None


def check_shared(group_arn: str, me: str, sagemaker: Any, ram: Any, checks: Checks) -> None:
    """The group is this account's, or shared with it with the permission to register."""
    from botocore.exceptions import ClientError

    owner = group_arn.split(":")[4]
    if owner == me:
        return
    found = ram.list_resources(resourceOwner="OTHER-ACCOUNTS", resourceArns=[group_arn])["resources"]
    for resource in found:
        permissions = ram.list_resource_share_permissions(resourceShareArn=resource["resourceShareArn"])["permissions"]
        actions = {a for p in permissions if (known := permission_by_arn(p["arn"])) for a in known[1]}
        if set(REGISTER_ACTIONS) <= actions:
            return
    if found:
        checks.problems.append(
            f"{group_arn} is shared with account {me} without the permission to register versions: ask the "
            "central account for `govsync groups create ... --permission register`"
        )
        return
    pending = [i for i in ram.get_resource_share_invitations()["resourceShareInvitations"]
               if i["status"] == "PENDING" and i["senderAccountId"] == owner]  # fmt: skip
    if pending:
        checks.problems.append(
            f"{group_arn}: the invitation from {owner} is still pending; accept it first "
            f"(aws ram accept-resource-share-invitation --resource-share-invitation-arn "
            f"{pending[0]['resourceShareInvitationArn']})"
        )
        return
    try:
        sagemaker.describe_model_package_group(ModelPackageGroupName=group_arn)
    except ClientError as exc:
        from govsync.adapters.aws import error_code

        if error_code(exc) == "AccessDeniedException":
            checks.problems.append(
                f"{group_arn} is not shared with account {me} "
                "(no RAM share, and its policy lets this account read nothing)"
            )
        else:
            checks.problems.append(f"{group_arn}: {exc}")
        return
    checks.notes.append(f"{group_arn} is shared with account {me} by its group policy")


def check_use_case(args: argparse.Namespace, checks: Checks) -> None:
    """The use case is recorded in the governance table, when this account can read the table."""
    table = args.table or os.environ.get("GOVSYNC_TABLE")
    if not table:
        checks.notes.append("use case not checked: no governance table named (--table or GOVSYNC_TABLE)")
        return
    from govsync.adapters.store import GovernanceStore

    try:
        found = GovernanceStore(table, region()).load_use_case(args.use_case)
    except Exception as exc:  # not readable from this account: say so, go on
        checks.notes.append(
            f"use case not checked: the governance table {table} is not readable here ({type(exc).__name__})"
        )
        return
    if found is None and not args.new_use_case:
        checks.problems.append(
            f"--use-case {args.use_case} is not in the governance table {table} (pass --new-use-case for the first "
            "version of a new use case)"
        )


def request(args: argparse.Namespace, group_arn: str) -> dict[str, Any]:
    """create_model_package's input, as the SageMaker guide's CLI example writes it."""
    keys = DEFAULT_METADATA_KEYS
    metadata = {keys["use_case_id"]: args.use_case, keys["model_owner"]: args.owner.strip(),
                keys["model_risk"]: args.risk.lower()}  # fmt: skip
    for option, key in (("use_case_name", "use_case_name"), ("lob", "model_lob"), ("project", "model_project")):
        if value := getattr(args, option):
            metadata[keys[key]] = value
    body: dict[str, Any] = {
        "ModelPackageGroupName": group_arn,
        "ModelPackageDescription": args.description or f"{args.use_case} model registered by {args.owner.strip()}",
        "InferenceSpecification": {
            "Containers": [{"Image": args.image, "ModelDataUrl": args.model_data}],
            "SupportedContentTypes": [args.content_type],
            "SupportedResponseMIMETypes": [args.content_type],
        },
        "ModelApprovalStatus": "PendingManualApproval",
        "CustomerMetadataProperties": {**metadata, **lineage_metadata(args)},
    }
    if args.training_job:
        body["SourceUri"] = args.training_job
    if args.metrics:
        body["ModelMetrics"] = {
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": args.metrics}}
        }
    return body


def cmd_register(args: argparse.Namespace) -> int:
    import boto3

    sagemaker = boto3.client("sagemaker", region_name=region())
    checks = Checks()
    check_metadata(args, checks)
    check_lineage(args, checks)
    check_artifacts(args, boto3.client("s3", region_name=region()), checks)
    me = boto3.client("sts", region_name=region()).get_caller_identity()["Account"]
    group_arn = resolve_group(args, sagemaker, checks)
    if group_arn is not None:
        check_shared(group_arn, me, sagemaker, boto3.client("ram", region_name=region()), checks)
    check_use_case(args, checks)
    if checks.problems:
        raise RegistrationRefused(checks.problems)
    assert group_arn is not None
    body = request(args, group_arn)
    if args.dry_run:
        import json

        emit(args, {"dry_run": True, "request": body, "notes": checks.notes},
             "would call create_model_package with:\n" + json.dumps(body, indent=2))  # fmt: skip
        return EXIT_OK
    arn = sagemaker.create_model_package(**body)["ModelPackageArn"]
    notes = "".join(f"\n  note: {n}" for n in checks.notes)
    emit(args, {"model_package_arn": arn, "group_arn": group_arn, "account": me, "notes": checks.notes},
         f"registered {arn} (PendingManualApproval) from account {me}{notes}")  # fmt: skip
    return EXIT_OK


def add_command(commands: Any) -> None:
    p = subcommand(
        commands,
        "register",
        help_text="register a model version from a dev account into a shared group, after checking it",
        description=__doc__,
        func=cmd_register,
    )
    p.add_argument(
        "--group",
        required=True,
        metavar="NAME|ARN",
        help="the shared group (a name is looked up among the groups shared with you)",
    )
    p.add_argument("--model-data", required=True, metavar="S3_URI", help="model.tar.gz in your artifact bucket")
    p.add_argument("--image", required=True, metavar="URI", help="the inference image (ECR URI)")
    p.add_argument("--metrics", metavar="S3_URI", help="model quality statistics (JSON) for ModelMetrics")
    p.add_argument("--use-case", required=True, metavar="ID", help="governance key UseCaseId")
    p.add_argument("--owner", required=True, help="governance key ModelOwner")
    p.add_argument("--risk", required=True, help="governance key ModelRisk: high, medium or low")
    p.add_argument("--description", help="ModelPackageDescription")
    p.add_argument("--use-case-name", help="governance key UseCaseName")
    p.add_argument("--lob", help="governance key ModelLoB")
    p.add_argument("--project", help="governance key ModelProject")
    p.add_argument("--content-type", default="text/csv", help="supported content and response type (default text/csv)")
    p.add_argument("--allowed-buckets", metavar="BUCKET[,BUCKET...]",
                   help="the central stack's AllowedArtifactBuckets (default: GOVSYNC_ARTIFACT_BUCKETS)")  # fmt: skip
    p.add_argument("--new-use-case", action="store_true", help="the use case is new: not yet in the governance table")
    p.add_argument("--dry-run", action="store_true", help="check, then print the request instead of sending it")
    p.add_argument("--training-job", metavar="ARN", help="lineage: the training job that made the model")
    p.add_argument("--dataset", action="append", metavar="URI", help="lineage: a training dataset (repeatable)")
    p.add_argument("--code-repository", metavar="URL", help="lineage: the training code's repository")
    p.add_argument("--commit", metavar="SHA", help="lineage: the training code's commit")
    p.add_argument("--mlflow-run", metavar="RUN_ID", help="lineage: the MLflow run that trained it")
