"""What every govsync command shares: the AWS environment resolved once (like the AWS CLI), the
deployed stack's table and stages, the governance store, exit codes, and output (tables, --json)."""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from govsync_cli.cloudformation import parameter_value

if TYPE_CHECKING:  # PynamoDB and botocore load when a command reads the table, not for --help
    from govsync.adapters.store import GovernanceStore

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
EMPTY = "—"


class CliError(Exception):
    """A user-facing error: printed as `govsync: <message>`, exit 2."""

    exit_code = EXIT_ERROR


class NotFound(CliError):
    """What the user named does not exist: exit 1."""

    exit_code = EXIT_FAILED


# ---------------------------------------------------------------------------- environment
REGION_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")


def prepare_aws(args: argparse.Namespace) -> None:
    """Resolve endpoint, profile and region once, as the AWS CLI does (--region, AWS_REGION,
    AWS_DEFAULT_REGION, the profile's region), and hand the region to every client through both
    variables. A loopback endpoint gets test credentials and, lacking any region, us-east-1."""
    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint_url
    if args.profile:
        os.environ["AWS_PROFILE"] = args.profile
    loopback = urlparse(os.environ.get("AWS_ENDPOINT_URL", "")).hostname in LOOPBACK
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        import boto3

        region = boto3.session.Session().region_name or ("us-east-1" if loopback else None)
    if region and not REGION_NAME.fullmatch(region):
        source = "--region" if args.region else "AWS_REGION / AWS_DEFAULT_REGION / the profile's region"
        raise CliError(f"{source}: {region[:60]!r} is not a region name (e.g. us-east-1)")
    if region:
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = region
    if loopback and not args.profile:
        import boto3

        if boto3.session.Session().get_credentials() is None:
            os.environ["AWS_ACCESS_KEY_ID"] = "testing"
            os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"


def region() -> str:
    region = os.environ.get("AWS_REGION")
    if not region:
        raise CliError("no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or give your profile one")
    return region


@dataclass(frozen=True)
class StackInfo:
    """What reading the records needs from the deployed stack: its table and its stage chain."""

    table: str
    stages: tuple[str, ...]


def _default_stages() -> tuple[str, ...]:
    from govsync.settings import StageChain

    return tuple(StageChain.model_fields["stages"].default)


def _csv_stages(value: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in value.split(",") if s.strip())


def describe_stack(args: argparse.Namespace) -> dict[str, Any]:
    """The deployed stack (--stack): one DescribeStacks, once per command."""
    cached: dict[str, Any] | None = getattr(args, "described_stack", None)
    if cached is not None:
        return cached
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        stacks = boto3.client("cloudformation", region_name=region()).describe_stacks(StackName=args.stack)
    except (ClientError, BotoCoreError) as exc:
        where = os.environ.get("AWS_ENDPOINT_URL") or "AWS"
        raise CliError(
            f"cannot find stack {args.stack!r} at {where} ({exc}); pass --table, set GOVSYNC_TABLE, or start "
            "the local stack (make up) and export the AWS_ENDPOINT_URL it prints"
        ) from exc
    described: dict[str, Any] = stacks["Stacks"][0]
    args.described_stack = described
    return described


def stack_parameters(args: argparse.Namespace) -> dict[str, str]:
    """The deployed stack's parameters, list values as CloudFormation writes them ("a,b")."""
    stack = describe_stack(args)
    return {p["ParameterKey"]: parameter_value(p["ParameterValue"]) for p in stack.get("Parameters", [])}


def stack_info(args: argparse.Namespace) -> StackInfo:
    """--table / GOVSYNC_TABLE (stages from GOVSYNC_STAGES, else the default chain), else the stack's
    GovernanceTableName output and StageNames parameter."""
    table = args.table or os.environ.get("GOVSYNC_TABLE")
    env_stages = _csv_stages(os.environ.get("GOVSYNC_STAGES", ""))
    if table:
        return StackInfo(table, env_stages or _default_stages())
    outputs = {o["OutputKey"]: o["OutputValue"] for o in describe_stack(args).get("Outputs", [])}
    if "GovernanceTableName" not in outputs:
        raise CliError(f"stack {args.stack!r} has no GovernanceTableName output")
    stages = _csv_stages(stack_parameters(args).get("StageNames", "")) or env_stages or _default_stages()
    return StackInfo(outputs["GovernanceTableName"], stages)


def store_for(args: argparse.Namespace) -> GovernanceStore:
    from govsync.adapters.store import GovernanceStore

    return GovernanceStore(stack_info(args).table, region())


def stages_of(args: argparse.Namespace) -> tuple[str, ...]:
    return stack_info(args).stages


def one_of(value: str | None, allowed: Sequence[str], option: str) -> None:
    if value is not None and value not in allowed:
        raise CliError(f"{option} {value!r} is not one of: {', '.join(allowed)}")


def views(store: Any, records: Sequence[Any]) -> list[dict[str, Any]]:
    """The records as people read them: both facts per stage, the use case's stage from its own item."""
    stages = store.use_case_stages(r.use_case_id for r in records if r.use_case_id)
    return [r.view(stages) for r in records]


# ---------------------------------------------------------------------------- output
def cell(value: Any) -> str:
    if value is None or value == "" or (isinstance(value, dict | list | tuple) and not value):
        return EMPTY
    return str(value)


def table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if getattr(args, "json", False) else text)


def version_number(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"version must be a positive whole number, not {value!r}")
    return int(value)


def print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_OK


def with_json(parser: argparse.ArgumentParser, help_text: str = "JSON for scripts") -> None:
    parser.add_argument("--json", action="store_true", help=help_text)


def subcommand(
    group: Any,
    name: str,
    help_text: str,
    func: Callable[[argparse.Namespace], int | None],
    *,
    json_help: str | None = "JSON for scripts",
    defaults: dict[str, Any] | None = None,
    **options: Any,
) -> argparse.ArgumentParser:
    """A command of `group` that runs `func`, with `--json` (its help `json_help`; None: no --json)."""
    parser: argparse.ArgumentParser = group.add_parser(name, help=help_text, **options)
    if json_help is not None:
        with_json(parser, json_help)
    parser.set_defaults(func=func, **(defaults or {}))
    return parser


def command_group(commands: Any, name: str, help_text: str) -> Any:
    """A command group: alone, it prints its help."""
    group = commands.add_parser(name, help=help_text, description=help_text)
    group.set_defaults(func=lambda _args: print_help(group))
    return group.add_subparsers(dest="sub", metavar="COMMAND")
