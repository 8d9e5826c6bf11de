"""The real `template.yaml`, turned into what the local stack creates in moto.

samtranslator transforms it exactly as CloudFormation would; the Lambda resources (functions,
layers, event source mappings, permissions) are taken out because the local stack plays them
in-process, and so is anything that only refers to them.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
LAMBDA_TYPES = ("AWS::Lambda::",)
PLACEHOLDER_BUCKET = "govsync-local-code"


class TemplateError(Exception):
    """The template cannot be loaded or transformed."""


@dataclass(frozen=True)
class Schedule:
    """A Schedule/ScheduleV2 event of a function: its expression (a template expression, resolve it
    with a Context) and the input the function receives."""

    name: str
    expression: Any
    input: dict[str, Any]


@dataclass(frozen=True)
class FunctionSpec:
    """What the local stack needs to play a function: code, handler, environment, triggers."""

    logical_id: str
    code_dir: Path
    handler: str
    environment: dict[str, Any]
    timeout: int
    batch_size: int = 10
    sqs_queue: Any = None  # the template expression naming the queue ARN
    report_batch_item_failures: bool = False
    schedules: list[Schedule] = field(default_factory=list)
    # Api events: (METHOD, resource path) as API Gateway routes them to the function, behind the API's
    # authorizer; and those whose event says `Auth: {Authorizer: NONE}` (public)
    routes: list[tuple[str, str]] = field(default_factory=list)
    public_routes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def queue_logical_id(self) -> str | None:
        """The template queue this function consumes (`Queue: !GetAtt <Queue>.Arn`), if any."""
        if isinstance(self.sqs_queue, dict) and "Fn::GetAtt" in self.sqs_queue:
            target = self.sqs_queue["Fn::GetAtt"]
            return target[0] if isinstance(target, list) else str(target).split(".")[0]
        return None


class _NoManagedPolicies:
    """samtranslator asks IAM for managed policy ARNs; the template uses none."""

    def load(self) -> dict[str, str]:
        return {}


@lru_cache(maxsize=4)
def load(path: str = str(TEMPLATE)) -> dict[str, Any]:
    try:
        return yaml_parse(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise TemplateError(f"cannot read {path}: {exc}") from exc


def function_specs(template: dict[str, Any], base_dir: Path = ROOT) -> dict[str, FunctionSpec]:
    """Every AWS::Serverless::Function, with Globals merged as SAM merges them."""
    globals_fn = template.get("Globals", {}).get("Function", {})
    specs = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties", {})
        env = {
            **globals_fn.get("Environment", {}).get("Variables", {}),
            **props.get("Environment", {}).get("Variables", {}),
        }
        spec_args: dict[str, Any] = {}
        schedules: list[Schedule] = []
        routes: list[tuple[str, str]] = []
        public_routes: list[tuple[str, str]] = []
        for event_name, event in props.get("Events", {}).items():
            event_props = event.get("Properties", {})
            if event.get("Type") == "SQS":
                spec_args["sqs_queue"] = event_props["Queue"]
                spec_args["batch_size"] = int(event_props.get("BatchSize", 10))
                spec_args["report_batch_item_failures"] = "ReportBatchItemFailures" in event_props.get(
                    "FunctionResponseTypes", []
                )
            elif event.get("Type") == "Api":
                public = event_props.get("Auth", {}).get("Authorizer") == "NONE"
                (public_routes if public else routes).append(
                    (str(event_props["Method"]).upper(), str(event_props["Path"]))
                )
            elif event.get("Type") in ("Schedule", "ScheduleV2"):
                raw_input = event_props.get("Input")
                schedules.append(
                    Schedule(
                        name=event_name,
                        expression=event_props.get("Schedule") or event_props.get("ScheduleExpression"),
                        input=json.loads(raw_input) if isinstance(raw_input, str) else {},
                    )
                )
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_dir=(base_dir / props.get("CodeUri", globals_fn.get("CodeUri", "."))).resolve(),
            handler=props.get("Handler", globals_fn.get("Handler", "app.handler")),
            environment=env,
            timeout=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
            schedules=schedules,
            routes=routes,
            public_routes=public_routes,
            **spec_args,
        )
    return specs


def transformed(template: dict[str, Any], region: str | None = None) -> dict[str, Any]:
    """The CloudFormation the SAM transform produces (code locations replaced by placeholders)."""
    doc = copy.deepcopy(template)
    for logical_id, resource in doc.get("Resources", {}).items():
        props = resource.setdefault("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function":
            props["CodeUri"] = f"s3://{PLACEHOLDER_BUCKET}/{logical_id}.zip"
        elif resource.get("Type") == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = f"s3://{PLACEHOLDER_BUCKET}/{logical_id}.zip"
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region or previous or "us-east-1"
    try:
        return transform(doc, {}, _NoManagedPolicies())
    except Exception as exc:  # samtranslator raises its own exception hierarchy
        raise TemplateError(f"SAM transform failed: {exc}") from exc
    finally:
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous


def _references(node: Any) -> set[str]:
    """Logical ids a template fragment refers to (Ref, Fn::GetAtt, Fn::Sub ${...}, DependsOn)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found.update(m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", str(text)))
                if isinstance(value, list):
                    found |= _references(value[1])
            else:
                found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found


def without_lambda(cfn: dict[str, Any]) -> dict[str, Any]:
    """Drop Lambda resources and, transitively, whatever refers to them (resources and outputs)."""
    doc = copy.deepcopy(cfn)
    resources = doc.get("Resources", {})
    dropped = {name for name, res in resources.items() if res.get("Type", "").startswith(LAMBDA_TYPES)}
    changed = True
    while changed:
        changed = False
        for name, res in resources.items():
            if name in dropped:
                continue
            refs = _references(res.get("Properties", {})) | set(
                res.get("DependsOn", []) if isinstance(res.get("DependsOn"), list) else [res.get("DependsOn")]
            )
            if refs & dropped:
                dropped.add(name)
                changed = True
    for name in dropped:
        resources.pop(name, None)
    for name in [n for n, out in doc.get("Outputs", {}).items() if _references(out) & dropped]:
        doc["Outputs"].pop(name)
    return doc


def table_definitions(cfn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """CreateTable arguments for each AWS::DynamoDB::Table, from the template's own properties."""
    tables = {}
    for name, res in cfn.get("Resources", {}).items():
        if res.get("Type") != "AWS::DynamoDB::Table":
            continue
        props = res["Properties"]
        args: dict[str, Any] = {
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        tables[name] = args
    return tables


@dataclass
class Context:
    """What intrinsic functions resolve against: parameters, pseudo parameters, created resources."""

    template: dict[str, Any]
    account_id: str
    region: str
    stack_name: str = "govsync"
    parameters: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # logical id -> physical id (Ref)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)  # (logical id, attr) -> value

    def parameter(self, name: str) -> Any:
        spec = self.template.get("Parameters", {}).get(name)
        if spec is None:
            raise TemplateError(f"unknown parameter {name}")
        value = self.parameters.get(name, spec.get("Default", ""))
        if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
            return [v.strip() for v in value.split(",")] if value else [""]
        return value

    def condition(self, name: str) -> bool:
        return bool(resolve(self.template["Conditions"][name], self))


NO_VALUE = object()  # AWS::NoValue: the list item or property is left out


def resolve(node: Any, ctx: Context) -> Any:
    """Evaluate the intrinsic functions the template uses."""
    if isinstance(node, list):
        return [item for item in (resolve(item, ctx) for item in node) if item is not NO_VALUE]
    if not isinstance(node, dict):
        return node
    if len(node) != 1:
        resolved = {key: resolve(value, ctx) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}
    ((key, value),) = node.items()
    if key == "Ref" and value == "AWS::NoValue":
        return NO_VALUE
    pseudo = {
        "AWS::AccountId": ctx.account_id,
        "AWS::Region": ctx.region,
        "AWS::StackName": ctx.stack_name,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    match key:
        case "Ref":
            if value in pseudo:
                return pseudo[value]
            if value in ctx.template.get("Parameters", {}):
                return ctx.parameter(value)
            if value in ctx.refs:
                return ctx.refs[value]
            raise TemplateError(f"cannot resolve Ref {value}")
        case "Fn::GetAtt":
            logical, attr = value if isinstance(value, list) else str(value).split(".", 1)
            try:
                return ctx.attributes[(logical, attr)]
            except KeyError:
                raise TemplateError(f"cannot resolve GetAtt {logical}.{attr}") from None
        case "Fn::Join":
            return str(resolve(value[0], ctx)).join(str(v) for v in _flat(resolve(value[1], ctx)))
        case "Fn::If":
            return resolve(value[1] if ctx.condition(value[0]) else value[2], ctx)
        case "Fn::Equals":
            left, right = resolve(value[0], ctx), resolve(value[1], ctx)
            return left == right
        case "Fn::Not":
            return not resolve(value[0], ctx)
        case "Fn::And":
            return all(resolve(v, ctx) for v in value)
        case "Fn::Or":
            return any(resolve(v, ctx) for v in value)
        case "Condition":
            return ctx.condition(value)
        case "Fn::Sub":
            text, extra = (value[0], resolve(value[1], ctx)) if isinstance(value, list) else (value, {})

            def substitute(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in extra:
                    return str(extra[name])
                if "." in name:
                    return str(resolve({"Fn::GetAtt": name.split(".", 1)}, ctx))
                return str(resolve({"Ref": name}, ctx))

            return re.sub(r"\$\{([^}!]+)\}", substitute, text)
        case _:
            return {key: resolve(value, ctx)}


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [item for v in value for item in _flat(v)]
    return [value]


def function_environment(spec: FunctionSpec, ctx: Context) -> dict[str, str]:
    """The function's environment as Lambda would set it, with refs resolved to local resources."""
    return {name: str(resolve(value, ctx)) for name, value in spec.environment.items()}
