"""The benchmarks' moto server: the local stack's moto extension, plus two controls a benchmark needs
and a user never does.

- `POST /govsync-bench/latency?ms=N`: every AWS call answered from then on waits N ms first (requests
  are served on threads, so concurrent calls wait side by side, as they would for a real service).
- `POST /govsync-bench/seed`: a large registry and its records, put straight into moto's backends (a
  100,000-version registry through the API would take longer than the benchmark itself): the body names
  the account and region, the groups and versions per group, the SageMaker package to copy, and the
  table with templates of the items each version gets (`__GROUP__`, `__VERSION__`, `__REF__` replaced).

Run: python -m benchmarks.bench_server -H 127.0.0.1 -p PORT   (moto.server's options)
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any
from urllib.parse import parse_qs

LATENCY = {"seconds": 0.0}


def _seed(spec: dict[str, Any]) -> dict[str, int]:
    from moto.dynamodb.models import dynamodb_backends
    from moto.sagemaker.models import ModelPackage, ModelPackageGroup, sagemaker_backends

    account, region = spec["account"], spec["region"]
    sagemaker = sagemaker_backends[account][region]
    table = dynamodb_backends[account][region].get_table(spec["table"]) if spec.get("table") else None
    package, packages, items = spec.get("package") or {}, 0, 0
    for group in spec["groups"]:
        if package and group not in sagemaker.model_package_groups:
            sagemaker.model_package_groups[group] = ModelPackageGroup(group, "", account, region)
        for version in range(1, spec["versions"] + 1):
            if package:
                created = ModelPackage(
                    model_package_name=group, model_package_group_name=group, model_package_version=version,
                    model_package_description=None, inference_specification=package["InferenceSpecification"],
                    source_algorithm_specification=None, validation_specification=None, certify_for_marketplace=False,
                    model_approval_status=package.get("ModelApprovalStatus", "PendingManualApproval"),
                    metadata_properties=None, model_metrics=None, approval_description=None,
                    customer_metadata_properties=package.get("CustomerMetadataProperties"), drift_check_baselines=None,
                    domain="", task="", sample_payload_url="", additional_inference_specifications=[],
                    client_token="", region_name=region, account_id=account, model_package_type="Versioned",
                )  # fmt: skip
                sagemaker.model_package_name_mapping[created.arn] = created.arn
                sagemaker.model_packages[created.arn] = created
                packages += 1
            for template in spec.get("items", []) if table is not None else []:
                text = (template.replace("__GROUP__", group).replace("__VERSION__", str(version))
                        .replace("__REF__", f"{group}#{version:010d}"))  # fmt: skip
                table.put_item(json.loads(text))
                items += 1
    return {"packages": packages, "items": items}


def install() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    from govsync_local import motoext

    motoext.install()
    dispatch = DomainDispatcherApplication.__call__

    def call(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/govsync-bench/"):
            if path == "/govsync-bench/latency":
                LATENCY["seconds"] = float(parse_qs(environ.get("QUERY_STRING", ""))["ms"][0]) / 1000
                answer = {"latency_ms": LATENCY["seconds"] * 1000}
            else:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                answer = _seed(json.loads(environ["wsgi.input"].read(length)))
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(answer).encode()]
        if LATENCY["seconds"]:
            time.sleep(LATENCY["seconds"])
        return dispatch(self, environ, start_response)

    DomainDispatcherApplication.__call__ = call


if __name__ == "__main__":
    install()
    from moto.server import main

    from govsync_local import motoext

    motoext.set_default_account("111111111111")
    main(sys.argv[1:])
