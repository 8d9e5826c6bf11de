"""Retirement against the local AWS: through the API (one stage) and through the registry (the package's
ModelLifeCycle set to Archived: every stage). The deploy function deletes the endpoint, its config and its
model in the stage's account only while the endpoint still serves the retired version; the record keeps
the result, audited and told once; a redelivered teardown changes nothing; a use case whose models are all
retired is retired."""

from __future__ import annotations

from botocore.exceptions import ClientError

from govsync import wiring
from govsync.domain.naming import endpoint_name, version_resource_name

from .conftest import GROUP, PROD_ACCOUNT, TEST_ACCOUNT
from .test_governance_api import api
from .test_notifications import told
from .test_promotion import lifecycle, promote_to_production, records, sagemaker_in

RETIRE = f"/models/{GROUP}/versions/{{version}}/stages/{{stage}}/retirement"


def absent(describe, **name: str) -> bool:
    """Whether the resource `describe` (a Describe* call) names is not there."""
    try:
        describe(**name)
    except ClientError:
        return True
    return False


def test_an_approver_retires_production_and_the_endpoint_that_serves_it_goes(stack):
    promote_to_production(stack)
    stack.notifications()
    name, config = endpoint_name(GROUP, "production"), version_resource_name(GROUP, 1, "production")
    assert sagemaker_in(PROD_ACCOUNT).describe_endpoint(EndpointName=name)["EndpointConfigName"] == config
    # a viewer may not; a retirement takes a comment
    status, answer, _ = api(stack, "victor", "POST", RETIRE.format(version=1, stage="production"), {"comment": "x"})
    assert status == 403
    status, answer, _ = api(stack, "olivia", "POST", RETIRE.format(version=1, stage="production"), {"comment": ""})
    assert status == 400
    status, answer, _ = api(stack, "olivia", "POST", RETIRE.format(version=1, stage="nosuch"), {"comment": "x"})
    assert status == 404
    # an approver retires it: decided at once, the teardown asked of the deploy function
    status, answer, _ = api(stack, "olivia", "POST", RETIRE.format(version=1, stage="production"),
                            {"comment": "replaced by the new scoring service"})  # fmt: skip
    assert status == 202, answer
    assert answer["retirement"]["teardown"] == "requested" and answer["retirement"]["by"] == "olivia@example.com"
    assert records(1)["production"].model_status == "retired"
    stack.run_deployments()
    production = records(1)["production"]
    assert production.retirement is not None and production.retirement.teardown == "torn_down"
    assert production.retirement.result == (f"deleted endpoint {name} in {PROD_ACCOUNT} with its config {config} "
                                            "and its model")  # fmt: skip
    assert production.deployment_status == "retired"
    prod = sagemaker_in(PROD_ACCOUNT)
    assert absent(prod.describe_endpoint, EndpointName=name)
    assert absent(prod.describe_endpoint_config, EndpointConfigName=config)
    assert absent(prod.describe_model, ModelName=config)
    # the test stage still serves it: untouched
    assert sagemaker_in(TEST_ACCOUNT).describe_endpoint(EndpointName=endpoint_name(GROUP, "test"))
    assert told(stack) == [("retired", "production")]
    # asked again: 409 naming what was done; a redelivered teardown request changes nothing
    status, answer, _ = api(stack, "olivia", "POST", RETIRE.format(version=1, stage="production"), {"comment": "x"})
    assert status == 409 and "retired in production already" in answer["message"]
    seq = wiring.governance_store().load_version(GROUP, 1).audit_seq
    request = {"action": "retire", "model_group": GROUP, "model_version": 1, "stage": "production", "event_id": "e"}
    assert stack.invoke_function("DeployFunction", request) == {"batchItemFailures": []}
    assert wiring.governance_store().load_version(GROUP, 1).audit_seq == seq
    assert told(stack) == []


def test_a_retired_version_no_longer_served_deletes_nothing(stack):
    promote_to_production(stack)
    promote_to_production(stack)  # version 2 replaced version 1 on both endpoints
    status, answer, _ = api(stack, "olivia", "POST", RETIRE.format(version=1, stage="test"), {"comment": "old"})
    assert status == 202, answer
    stack.run_deployments()
    test = records(1)["test"]
    assert test.retirement is not None and test.retirement.teardown == "not_serving"
    assert (
        test.retirement.result
        == f"endpoint {endpoint_name(GROUP, 'test')} in {TEST_ACCOUNT} serves v2: nothing deleted"
    )
    served = sagemaker_in(TEST_ACCOUNT).describe_endpoint(EndpointName=endpoint_name(GROUP, "test"))
    assert served["EndpointConfigName"] == version_resource_name(GROUP, 2, "test")


def test_archiving_the_package_retires_every_stage_and_its_use_case(stack):
    arn = promote_to_production(stack)
    stack.notifications()
    lifecycle(stack, arn, "Archived", "Approved")  # as Studio or boto3 would archive it
    after = records(1)
    assert {stage: r.model_status for stage, r in after.items()} == dict.fromkeys(after, "retired")
    assert {r.retirement.door for r in after.values() if r.retirement} == {"registry"}
    stack.run_deployments()
    after = records(1)
    assert {s: r.retirement.teardown for s, r in after.items() if r.retirement} == {
        "development": "nothing_deployed", "test": "torn_down", "production": "torn_down"}  # fmt: skip
    for stage, account in (("test", TEST_ACCOUNT), ("production", PROD_ACCOUNT)):
        assert absent(sagemaker_in(account).describe_endpoint, EndpointName=endpoint_name(GROUP, stage))
    assert sorted(told(stack)) == [("retired", "development"), ("retired", "production"), ("retired", "test")]
    use_case = wiring.governance_store().load_use_case(after["production"].use_case_id or "")
    assert use_case is not None and use_case.stage == "retired"
    assert use_case.history[-1]["reason"] == "all its models retired"
