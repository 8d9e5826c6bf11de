"""The local tooling's commands for the govsync CLI (entry point `govsync.cli` = this module):
`govsync local up/info/env-vars`, `govsync invoke` (sam local invoke without Docker) and
`govsync demo`; and the functions' environments resolved against the running local stack."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from govsync_cli.base import EXIT_FAILED, EXIT_OK, LOOPBACK, CliError, command_group, emit, region

# what the local tooling runs on: installed by `pip install 'govsync[local]'` (the dev venv has them)
LOCAL_EXTRAS = ("moto", "yaml", "samtranslator")


def _installed(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except ImportError:
        return False


def require_extras() -> None:
    missing = [name for name in LOCAL_EXTRAS if not _installed(name)]
    if missing:
        raise CliError(
            f"this runs the local tooling, which needs the local extras (missing: {', '.join(missing)}): "
            "pip install 'govsync[local]'"
        )


def needs_extras(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """The command, refusing clearly when the local extras are not installed."""

    def run(args: argparse.Namespace) -> int:
        require_extras()
        return command(args)

    return run


def register(commands: Any) -> None:
    p = commands.add_parser("invoke", help="run a function's handler in-process (like sam local invoke, no Docker)")
    p.add_argument("function_id", metavar="FUNCTION_ID", help="logical id in the template, e.g. RegistrySyncFunction")
    p.add_argument(
        "-e", "--event", help="event JSON file, - for standard input (default: {}); a plain EventBridge event or "
        "request for a queue-fed function is wrapped as the SQS record it receives"
    )  # fmt: skip
    p.add_argument(
        "-n", "--env-vars", help="sam local invoke style JSON: {FunctionId: {VAR: value}, Parameters: {...}}"
    )
    p.add_argument("-t", "--template", default="template.yaml", help="SAM template (default: template.yaml)")
    p.set_defaults(func=needs_extras(cmd_invoke))

    local = command_group(commands, "local", "the embedded local AWS")
    p = local.add_parser(
        "up", help="start moto, deploy template.yaml, emit SageMaker events, poll queues (Ctrl-C stops)"
    )
    p.add_argument("--port", type=int, help="port (default: GOVSYNC_LOCAL_PORT or 5050)")
    p.add_argument("--duplicate-events", action="store_true", help="put every SageMaker event twice (at-least-once)")
    p.add_argument(
        "--api-port", type=int, help="port of the governance API (default: GOVSYNC_LOCAL_API_PORT or port+1)"
    )
    p.add_argument(
        "--state", default=".govsync/state", help="folder the local AWS's state is kept in (default: .govsync/state)"
    )
    p.add_argument("--fresh", action="store_true", help="start empty: forget the state kept in --state")
    p.add_argument("--stage-targets", metavar="FILE",
                   help="a JSON file of stage targets (the StageTargets parameter) in place of the local chain's, "
                        "e.g. to try a production canary (the local test and production accounts only)")  # fmt: skip
    p.set_defaults(func=needs_extras(cmd_local_up))
    p = local.add_parser("info", help="where the running local stack's resources are")
    p.add_argument("--port", type=int, help="port (default: GOVSYNC_LOCAL_PORT or 5050)")
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.set_defaults(func=needs_extras(cmd_local_info))

    p = local.add_parser("mfa-code", help="the authenticator code a demo decider signs in with now")
    p.add_argument("user", help="a demo user with MFA set up (an approver or admin, e.g. olivia)")
    p.add_argument("--port", type=int, help="port (default: GOVSYNC_LOCAL_PORT or 5050)")
    p.add_argument("--json", action="store_true", help="JSON for scripts")
    p.set_defaults(func=needs_extras(cmd_local_mfa_code))

    p = local.add_parser("env-vars", help="write the sam local invoke --env-vars file for the running stack")
    p.add_argument("--port", type=int, help="port (default: GOVSYNC_LOCAL_PORT or 5050)")
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    p.add_argument("--container-endpoint", help="endpoint as seen from a container (default: host.docker.internal)")
    p.set_defaults(func=needs_extras(cmd_local_env_vars))

    p = commands.add_parser("demo", help="the blog's workflow on the local stack, start to finish")
    p.add_argument("--port", type=int, default=0, help="port for the local stack (default: a free one)")
    p.add_argument("--stay", action="store_true",
                   help="keep the local stack up when the demo ends and print the dashboard's URL and users "
                        "(Ctrl-C stops it)")  # fmt: skip
    p.set_defaults(func=needs_extras(cmd_demo))


def function_environment(args: argparse.Namespace, function_id: str) -> dict[str, str] | None:
    """The function's environment resolved against the local stack (None unless the endpoint is the
    local stack's loopback one)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if urlparse(endpoint).hostname not in LOOPBACK:
        return None
    require_extras()
    from govsync_local import template as tpl
    from govsync_local.accounts import Accounts, LocalStackError
    from govsync_local.deployed import deployed_stack

    specs = tpl.function_specs(tpl.load())
    if function_id not in specs:
        raise CliError(f"no function {function_id!r} in template.yaml (functions: {', '.join(sorted(specs))})")
    try:
        _, ctx = deployed_stack(endpoint, Accounts.from_env(), args.stack)
    except LocalStackError as exc:
        raise CliError(str(exc)) from exc
    return tpl.function_environment(specs[function_id], ctx)


# ---------------------------------------------------------------------------- local stack
def local_port(args: argparse.Namespace) -> int:
    from govsync_local.stack import DEFAULT_PORT

    if args.port:
        return args.port
    raw = os.environ.get("GOVSYNC_LOCAL_PORT", str(DEFAULT_PORT))
    if not raw.isdigit():
        raise CliError(f"GOVSYNC_LOCAL_PORT must be a port number, not {raw!r}")
    return int(raw)


def local_endpoint(args: argparse.Namespace) -> str:
    """AWS_ENDPOINT_URL, else the local stack's on its port; a bad GOVSYNC_LOCAL_PORT is named either way
    (it would be the port the next `govsync local up` takes)."""
    port = local_port(args)
    return os.environ.get("AWS_ENDPOINT_URL") or f"http://127.0.0.1:{port}"


def read_stage_targets(path: str | None) -> dict[str, dict[str, object]] | None:
    """--stage-targets: each target checked as the functions will check it, in the local accounts only."""
    if path is None:
        return None
    from pydantic import ValidationError

    from govsync.domain.targets import StageTarget
    from govsync_local.accounts import Accounts

    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise CliError(f"--stage-targets {path}: {exc}") from exc
    if not isinstance(raw, dict) or not raw or not all(isinstance(v, dict) for v in raw.values()):
        raise CliError(f"--stage-targets {path}: want a JSON object of stage name -> target object")
    accounts = Accounts.from_env()
    for stage, target in raw.items():
        try:
            checked = StageTarget.model_validate(target)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise CliError(f"--stage-targets {path}: {stage}.{where}: {problem['msg']}") from exc
        if checked.account not in (accounts.test, accounts.prod):
            raise CliError(f"--stage-targets {path}: {stage}: account {checked.account} is not a local stage "
                           f"account ({accounts.test}, {accounts.prod})")  # fmt: skip
    return raw


def cmd_local_up(args: argparse.Namespace) -> int:
    from govsync_local.accounts import LocalStackError
    from govsync_local.stack import LocalStack
    from govsync_local.state import StateStore

    raw_api_port = os.environ.get("GOVSYNC_LOCAL_API_PORT", "")
    if raw_api_port and not raw_api_port.isdigit():
        raise CliError(f"GOVSYNC_LOCAL_API_PORT must be a port number, not {raw_api_port!r}")
    api_port = args.api_port if args.api_port is not None else (int(raw_api_port) if raw_api_port else None)
    stack = LocalStack(port=local_port(args), stack_name=args.stack, duplicate_events=args.duplicate_events,
                       log=lambda line: print(f"[local] {line}", file=sys.stderr, flush=True),
                       api_port=api_port, state=StateStore(Path(args.state)), fresh=args.fresh,
                       stage_targets=read_stage_targets(args.stage_targets))  # fmt: skip
    try:
        stack.start()
    except LocalStackError as exc:
        stack.stop()
        raise CliError(str(exc)) from exc
    print(f"AWS_ENDPOINT_URL={stack.endpoint}", flush=True)
    print(f"[local] ready: function logs in .govsync/logs/, state in {args.state}/, Ctrl-C stops", file=sys.stderr,
          flush=True)  # fmt: skip
    stack.run_forever()
    return EXIT_OK


def cmd_local_mfa_code(args: argparse.Namespace) -> int:
    """What the user's authenticator app shows now (the local pool's secret, published with the users)."""
    from govsync_local.accounts import Accounts, LocalStackError
    from govsync_local.deployed import info
    from govsync_local.people import totp_code

    try:
        users = info(local_endpoint(args), Accounts.from_env(), args.stack).get("users", {})
    except LocalStackError as exc:
        raise CliError(str(exc)) from exc
    user = users.get(args.user)
    if user is None:
        raise CliError(f"no demo user {args.user!r} (users: {', '.join(sorted(users)) or 'none yet'})")
    if not user.get("totp_secret"):
        raise CliError(f"{args.user} has no MFA set up (only approvers and admins do): no code to give")
    code = totp_code(user["totp_secret"])
    emit(args, {"user": args.user, "code": code}, code)
    return EXIT_OK


def cmd_local_info(args: argparse.Namespace) -> int:
    from govsync_local.accounts import Accounts, LocalStackError
    from govsync_local.deployed import info

    endpoint = local_endpoint(args)
    try:
        data = info(endpoint, Accounts.from_env(), args.stack)
    except LocalStackError as exc:
        raise CliError(str(exc)) from exc
    lines = [f"{k:<16} {v}" for k, v in data.items() if k not in {"accounts", "queues", "cognito", "users"}]
    lines += [f"cognito {k:<8} {v}" for k, v in data.get("cognito", {}).items()]
    lines += [f"user {u['username']:<8} {', '.join(u['groups']):<10} {u['email']} ({u['role']}; password in --json"
              + ("; MFA: govsync local mfa-code " + u["username"] if u.get("totp_secret") else "") + ")"
              for u in data.get("users", {}).values()]  # fmt: skip
    lines += [f"account {k:<8} {v}" for k, v in data["accounts"].items()]
    lines += [f"queue {fn}: {q['queue_url']}  (DLQ {q['dlq_url']})" for fn, q in data["queues"].items()]
    emit(args, data, "\n".join(lines))
    return EXIT_OK


def cmd_local_env_vars(args: argparse.Namespace) -> int:
    """The `sam local invoke --env-vars` file for every function, resolved against the running stack."""
    from govsync_local import template as tpl
    from govsync_local.accounts import Accounts, LocalStackError
    from govsync_local.deployed import deployed_stack

    endpoint = local_endpoint(args)
    try:
        _, ctx = deployed_stack(endpoint, Accounts.from_env(), args.stack)
    except LocalStackError as exc:
        raise CliError(str(exc)) from exc
    container_endpoint = args.container_endpoint or endpoint.replace("127.0.0.1", "host.docker.internal")
    data = {
        logical: {**tpl.function_environment(spec, ctx), "AWS_ENDPOINT_URL": container_endpoint}
        for logical, spec in tpl.function_specs(ctx.template).items()
    }
    text = json.dumps(data, indent=2)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text + "\n")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from govsync_local.demo import run_demo

    return run_demo(port=args.port, stay=args.stay)


# ---------------------------------------------------------------------------- invoke
def _read_event(source: str | None) -> Any:
    """`-e FILE`, `-e -` (standard input), or no event at all: `{}` (as sam local invoke)."""
    if source is None:
        return {}
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
        return json.loads(text)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read event {'from standard input' if source == '-' else source}: {exc}") from exc


def cmd_invoke(args: argparse.Namespace) -> int:
    from govsync_local import invoke
    from govsync_local import template as tpl
    from govsync_local.accounts import Accounts, LocalStackError
    from govsync_local.deployed import deployed_stack

    template = tpl.load(str(Path(args.template).resolve()))
    specs = tpl.function_specs(template, Path(args.template).resolve().parent)
    if args.function_id not in specs:
        raise CliError(f"no function {args.function_id!r} in {args.template} (functions: {', '.join(sorted(specs))})")
    spec = specs[args.function_id]
    event = _read_event(args.event)
    overrides: dict[str, Any] = {}
    if args.env_vars:
        try:
            overrides = json.loads(Path(args.env_vars).read_text())
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read env vars {args.env_vars}: {exc}") from exc
    env: dict[str, str] = {}
    ctx = None
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        with contextlib.suppress(LocalStackError):
            ctx = deployed_stack(endpoint, Accounts.from_env(), args.stack)[1]
            env = tpl.function_environment(spec, ctx)
    # as in sam local invoke: "Parameters" applies to every function, "<FunctionId>" to that one
    env.update({k: str(v) for k, v in overrides.get("Parameters", {}).items()})
    env.update({k: str(v) for k, v in overrides.get(args.function_id, {}).items()})
    missing = [k for k, v in spec.environment.items() if k not in env and not isinstance(v, str)]
    if missing:
        raise CliError(
            f"environment of {args.function_id} needs {', '.join(missing)}: start the local stack and export its "
            "AWS_ENDPOINT_URL, or give them in --env-vars"
        )
    queue_arn = ctx.attributes.get((spec.queue_logical_id, "Arn")) if ctx and spec.queue_logical_id else None
    if spec.queue_logical_id and isinstance(event, dict) and "Records" not in event:
        # a plain event for a queue-fed function: the SQS record Lambda would hand it
        event = invoke.sqs_event(event, queue_arn=queue_arn, region=region())
        print(f"wrapped the event as the SQS record {args.function_id} receives", file=sys.stderr)
    os.environ.update({k: v for k, v in spec.environment.items() if isinstance(v, str)})
    os.environ.update(env)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    handler = invoke.load_handler(spec)
    with invoke.outcomes() as seen, invoke.stdout_to_stderr():  # the response alone on stdout
        try:
            response = handler(event, invoke.LocalContext(spec, region=region()))
        except Exception as exc:  # as Lambda reports an unhandled error
            response = {"errorMessage": str(exc), "errorType": type(exc).__name__}
    print(json.dumps(response, default=str))
    failures = invoke.failures(response, seen)
    for failure in failures:
        print(f"govsync: {args.function_id}: {failure}", file=sys.stderr)
    return EXIT_FAILED if failures else EXIT_OK
