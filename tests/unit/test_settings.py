"""Settings are read from the environment once, with clear errors."""

from pathlib import Path

import pytest

from govsync.settings import (
    FUNCTION_SETTINGS,
    ApiSettings,
    Common,
    ConfigurationError,
    ReconcileSettings,
    SettingsModel,
    SyncSettings,
    UseCaseStages,
    forget_settings,
    settings_for,
)
from govsync.settings.declare import declared
from govsync.settings.functions import reference_table
from govsync_local import template as tpl

ROOT = Path(__file__).resolve().parents[2]

ENV = {"GOVSYNC_TABLE": "gov", "AWS_REGION": "us-east-1", "GOVSYNC_ALLOWED_ACCOUNTS": "111111111111, 222222222222"}


def reading(env: dict[str, str]) -> type[SettingsModel]:
    """The settings of a function that reads every variable `env` adds to or changes in ENV."""
    tried = {var for var, value in env.items() if ENV.get(var) != value}
    return next(model for model in FUNCTION_SETTINGS.values() if tried <= set(model.variables().values()))


def test_defaults():
    settings = SyncSettings.from_env(ENV)
    assert settings.allowed_accounts == {"111111111111", "222222222222"}
    assert settings.allowed_regions == {"us-east-1"}
    assert settings.stages == ("development", "test", "production")
    assert settings.stage_config.stage_for("Staging") == "test"


def test_the_dashboards_settings():
    settings = ApiSettings.from_env(ENV)
    assert settings.metrics_history_days == 30
    assert settings.cadence.review_every("High") == 90 and settings.cadence.sla(None) == 24
    assert settings.cognito_url == "https://cognito-idp.us-east-1.amazonaws.com/"
    local = ApiSettings.from_env(
        {**ENV, "GOVSYNC_COGNITO_ENDPOINT": "http://127.0.0.1:5050", "GOVSYNC_USER_POOL_CLIENT_ID": "3dfa2a07cee647a0",
         "GOVSYNC_APPROVAL_SLA_HOURS": '{"high": 4}'}
    )  # fmt: skip
    assert local.cognito_url == "http://127.0.0.1:5050"
    assert (local.user_pool_client_id, local.cadence.sla("medium")) == ("3dfa2a07cee647a0", 4)


def test_overrides():
    settings = SyncSettings.from_env(
        {
            **ENV,
            "GOVSYNC_STAGES": "dev,qa,live",
            "GOVSYNC_STAGE_ALIASES": '{"staging": "qa"}',
            "GOVSYNC_METADATA_KEYS": '{"model_owner": "Owner"}',
        }
    )
    assert settings.stages == ("dev", "qa", "live")
    assert settings.metadata_keys["model_owner"] == "Owner"
    assert settings.metadata_keys["model_risk"] == "ModelRisk"


def test_artifact_copy_settings():
    settings = SyncSettings.from_env(
        {
            **ENV,
            "GOVSYNC_ARTIFACT_BUCKET": "central",
            "GOVSYNC_ARTIFACT_KEY_ARN": "arn:aws:kms:us-east-1:111111111111:key/abc",
            "GOVSYNC_COPY_THRESHOLD_MIB": "512",
        }
    )
    assert (settings.artifact_bucket, settings.copy_threshold_mib, settings.copy_part_mib) == ("central", 512, 128)
    assert settings.source_role_name is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({**ENV, "GOVSYNC_TABLE": ""}, "GOVSYNC_TABLE=''"),
        ({**ENV, "GOVSYNC_STAGE_ALIASES": "{not json"}, "invalid govsync configuration"),
        ({**ENV, "GOVSYNC_METADATA_KEYS": '{"colour": "Colour"}'}, "unknown record fields"),
        ({**ENV, "GOVSYNC_STAGES": "test,TEST"}, "distinct"),
        ({**ENV, "GOVSYNC_ARTIFACT_KEY_ARN": "alias/govsync"}, "KMS key ARN"),
        ({**ENV, "GOVSYNC_COPY_PART_MIB": "1"}, "GOVSYNC_COPY_PART_MIB='1'"),
        ({**ENV, "GOVSYNC_COPY_CONCURRENCY": "many"}, "GOVSYNC_COPY_CONCURRENCY='many'"),
        # a list parameter handed over as a Python repr (what the local stack once did) is not a bucket
        (
            {**ENV, "GOVSYNC_ARTIFACT_BUCKETS": "['govsync-dev-artifacts-222222222222']"},
            r"GOVSYNC_ARTIFACT_BUCKETS=.*\['govsync-dev-artifacts-222222222222'\].* is not an S3 bucket name",
        ),
        ({**ENV, "GOVSYNC_ARTIFACT_BUCKET": "Central_Bucket"}, "GOVSYNC_ARTIFACT_BUCKET='Central_Bucket'"),
        (
            {**ENV, "GOVSYNC_ALLOWED_ACCOUNTS": "111111111111,2222"},
            "GOVSYNC_ALLOWED_ACCOUNTS=.*'2222' is not a 12-digit",
        ),
        ({**ENV, "GOVSYNC_ALLOWED_REGIONS": "us-east-1,mars"}, "GOVSYNC_ALLOWED_REGIONS=.*'mars' is not a region"),
        ({**ENV, "GOVSYNC_STAGES": "dev,pre prod"}, "GOVSYNC_STAGES=.*'pre prod' is not a stage name"),
        ({**ENV, "GOVSYNC_DEPLOY_QUEUE_URL": "deploy-queue"}, "GOVSYNC_DEPLOY_QUEUE_URL='deploy-queue'.*SQS queue URL"),
        ({**ENV, "GOVSYNC_STAGE_TARGETS": '{"test": {"account": "333"}}'}, r"GOVSYNC_STAGE_TARGETS=.*\(test.account\)"),
        ({**ENV, "GOVSYNC_METRICS_HISTORY_DAYS": "0"}, "GOVSYNC_METRICS_HISTORY_DAYS='0'"),
        ({**ENV, "GOVSYNC_COGNITO_ENDPOINT": "cognito.local"}, "GOVSYNC_COGNITO_ENDPOINT='cognito.local'"),
        ({**ENV, "GOVSYNC_USER_POOL_CLIENT_ID": "a client"}, "GOVSYNC_USER_POOL_CLIENT_ID='a client'"),
    ],
)
def test_bad_configuration_names_the_problem(env, message):
    with pytest.raises(ConfigurationError, match=message):
        reading(env).from_env(env)


def declared_variables(model: type[SettingsModel], *, tuning: bool) -> set[str]:
    """The variables the model reads (Lambda sets AWS_REGION), with or without the tuning knobs."""
    return {declared(model, name).env for name in model.model_fields
            if tuning or not declared(model, name).tuning} - {"AWS_REGION"}  # fmt: skip


def test_the_template_gives_each_function_exactly_the_variables_its_settings_read():
    template = tpl.load()
    # Given the template: no govsync variable is shared through Globals
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    assert not [name for name in shared if name.startswith("GOVSYNC_")]
    functions = {k for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert functions == set(FUNCTION_SETTINGS)
    for function, model in FUNCTION_SETTINGS.items():
        given = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        # Then each function gets what its settings read (tuning knobs keep their defaults) and nothing else
        assert {v for v in given if v.startswith("GOVSYNC_")} == declared_variables(model, tuning=False), function


def test_the_docs_table_of_variables_is_made_from_the_declarations():
    doc = (ROOT / "docs" / "configuration.md").read_text()
    table = doc.split("<!-- settings-table:start -->\n", 1)[1].split("<!-- settings-table:end -->", 1)[0]
    assert table == reference_table(), "docs/configuration.md: run scripts/settings_table.py to remake the table"


def test_a_function_reads_only_its_own_variables():
    # Given the registry sync's environment with a malformed dashboard variable it does not read
    env = {**ENV, "GOVSYNC_USER_POOL_ID": "not a pool"}
    # Then the registry sync starts, and the API (which reads it) names it
    assert SyncSettings.from_env(env).stages
    with pytest.raises(ConfigurationError, match="GOVSYNC_USER_POOL_ID='not a pool'"):
        ApiSettings.from_env(env)


def test_a_function_parses_its_environment_once_and_answers_its_blocks_from_it(monkeypatch):
    # Given the reconciler's environment, its settings read first
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    forget_settings()
    reconciler = settings_for(ReconcileSettings)
    # Then the blocks its services ask for (the table's, the sync's, the use-case stages') are those settings
    assert settings_for(Common) is reconciler and settings_for(SyncSettings) is reconciler
    assert settings_for(UseCaseStages) is reconciler
    forget_settings()
    assert settings_for(Common) is not reconciler
    forget_settings()
