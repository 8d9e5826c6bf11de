"""The governance API under requests nobody should send: every route of the template, any path
parameter, the query parameters its OpenAPI document names with any value, any body and content type,
as any of the people or none. Property: the answer is never
a 5xx, an error is always `{"message": ...}`, and a refused request writes nothing to the table."""

from __future__ import annotations

import functools
import json
import os
import re
from urllib.parse import quote, urlencode

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govsync_local.api_gateway import Route, rest_event

from .conftest import GROUP, REGION, load_handler, use_function_environment
from .test_governance_api import PEOPLE, ROUTES, claims, registered  # noqa: F401 (a fixture)

# path parameters: real ones, near misses (a space, a sign, an exponent, Arabic-Indic digits), and anything
NEAR = (GROUP, "1", "2", "development", "test", "production", "uc-fraud", "0", "%201", "+1", "1e3", "9" * 25, "-1",
        " 1", "..", "\u0661")  # fmt: skip
PARAMETER = st.one_of(st.sampled_from(NEAR), st.text(min_size=0, max_size=40))
# words the API knows (a stage, a group, a use case, a risk tier): a free-form parameter is often one
WORDS = ("development", "test", "production", GROUP, "uc-fraud", "high", "csv", "json")
# query values: cursors that decode to JSON of the wrong shape, huge numbers, dates, formats
NEAR_QUERY = ("eyJ4IjoxfQ", "WyJnIiwgMWU5OTksIDBd", "W10", "WyJnIiwgdHJ1ZSwgMF0", "1e999", "0", "-5", "401",
              "csv", "json", "2026-12-06", "2026-13-45T99:00", "test", "approved", "live")  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
)
BODY = st.one_of(
    st.none(),
    JSON.map(json.dumps),
    st.fixed_dictionaries(
        {},
        optional={
            "decision": st.sampled_from(["approve", "reject", "advance", "x"]),
            "comment": st.text(max_size=30),
            "from_stage": PARAMETER,
            "id": PARAMETER,
            "name": st.text(max_size=20),
            "owner": st.text(max_size=20),
            "lob": st.text(max_size=20),
        },
    ).map(json.dumps),
    st.text(max_size=60),
)
CONTENT_TYPE = st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""])


STATUSES: dict[int, int] = {}  # what the examples were answered, for a reader of a failing run


@functools.cache
def openapi() -> dict:
    from govsync.api.routes import openapi_document

    return json.loads(openapi_document())


def query_parameters(method: str, resource: str) -> dict[str, dict]:
    """The query parameters the OpenAPI document gives the operation, with their schemas."""
    operation = openapi()["paths"].get(resource, {}).get(method.lower(), {})
    return {p["name"]: p.get("schema", {}) for p in operation.get("parameters", []) if p["in"] == "query"}


def valid(schema: dict) -> st.SearchStrategy[str]:
    """Values the schema accepts, as a query string carries them (so a request gets past validation
    often enough to reach the code behind it)."""
    for option in schema.get("anyOf") or [schema]:
        if "enum" in option:
            return st.sampled_from([str(v) for v in option["enum"]])
        if option.get("type") == "integer":
            return st.integers(int(option.get("minimum", -1000)), int(option.get("maximum", 10**6))).map(str)
        if "pattern" in option:  # as the API reads it: `\d` is an ASCII digit there
            return st.from_regex(option["pattern"].replace("\\d", "[0-9]"), fullmatch=True)
        if option.get("type") == "string":  # the words this API knows, or any text
            return st.sampled_from(WORDS) | st.text(max_size=min(int(option.get("maxLength", 40)), 40))
    return st.text(max_size=20)


def items(table: str) -> int:
    return int(boto3.client("dynamodb", region_name=REGION).scan(TableName=table, Select="COUNT")["Count"])


@settings(max_examples=2000 if os.environ.get("GOVSYNC_EXPLORE") else 400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(data=st.data())
def test_no_request_gets_a_5xx_and_a_refused_one_writes_nothing(registered, stack, data):  # noqa: F811
    if stack.current != "GovernanceApiFunction":
        use_function_environment(stack.monkeypatch, "GovernanceApiFunction", stack.ctx)
        stack.current = "GovernanceApiFunction"
    handler, context = load_handler("GovernanceApiFunction")
    method, resource = data.draw(st.sampled_from(sorted(ROUTES)), label="route")
    names = re.findall(r"\{(\w+)\}", resource)
    params = {name: data.draw(PARAMETER, label=name) for name in names}
    path = resource
    for name, value in params.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    documented = query_parameters(method, resource)  # what the OpenAPI document says it reads
    # valid values where the schema says what they are, then at most one of them made odd: a request gets
    # past validation often enough to reach the code behind it
    query = data.draw(st.fixed_dictionaries({}, optional={n: valid(s) for n, s in documented.items()}), label="query")
    if documented and data.draw(st.booleans(), label="one odd query value"):
        odd = data.draw(st.sampled_from(sorted(documented)), label="odd")
        query[odd] = data.draw(st.one_of(st.sampled_from(NEAR_QUERY), st.text(max_size=20)), label="odd value")
    body = data.draw(BODY, label="body") if method == "POST" else None
    headers = {"Content-Type": data.draw(CONTENT_TYPE, label="content type")} if body is not None else {}
    user = data.draw(st.sampled_from([None, *PEOPLE]), label="user")
    url = f"{path}?{urlencode(query)}" if query else path
    event = rest_event(Route.of(method, resource), params, method, url, headers, body, claims(user) if user else {})
    before = items(stack.table)
    answer = handler(event, context)
    status, text = answer["statusCode"], answer["body"]
    STATUSES[status] = STATUSES.get(status, 0) + 1
    assert status < 500, (method, url, body, text)
    if status >= 400:
        assert set(json.loads(text)) == {"message"}, (method, url, text)
        assert items(stack.table) == before, (method, url, body, "a refused request wrote to the table")
