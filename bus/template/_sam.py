"""Expand ``Transform: AWS::Serverless-2016-10-31`` with aws-sam-translator, offline.

The translator is what ``sam deploy`` runs, so an ``AWS::Serverless::Function`` with
``EventBridgeRule`` and ``Schedule`` events becomes exactly the AWS::Events::Rule,
AWS::Lambda::Function, AWS::Lambda::Permission and AWS::IAM::Role resources AWS would create.
Three things keep it offline (the first and the last are what SAM CLI and cfn-lint do too):

- managed policy names (``AWSLambdaBasicExecutionRole``) are looked up in the map bundled with
  the translator; ``managed_policy_map`` is ``None`` and ``get_managed_policy_map`` returns an
  empty map instead of listing policies through IAM;
- the region is given as ``boto_session``: an object with the one attribute the translator
  reads of a boto3 Session, ``region_name``. A real Session would read the user's AWS config
  (a stale ``AWS_PROFILE`` fails the load) and, without one, the translator builds a Session
  itself;
- local code paths (``CodeUri: src/``), which the translator only accepts as S3 URIs once
  ``sam package`` has uploaded them, are swapped for placeholder S3 URIs; ``expand`` returns
  the CodeUri as written, per function, so the loader can report it.

``AWS::Serverless::Application`` (a nested stack from the Serverless Application Repository)
would need the network; such resources are left out with a notice.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from bus.template._errors import TemplateError

__all__ = ["SERVERLESS_TRANSFORM", "expand", "transforms_of"]

SERVERLESS_TRANSFORM = "AWS::Serverless-2016-10-31"
_PLACEHOLDER_BUCKET = "choreo-local-code"
# other local artifact paths the translator insists are S3 URIs
_LOCAL_PATHS = {
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
}


def transforms_of(doc: dict[str, Any]) -> list[Any]:
    declared = doc.get("Transform")
    if declared is None:
        return []
    return declared if isinstance(declared, list) else [declared]


def expand(
    doc: dict[str, Any], *, parameters: dict[str, Any], account: str, region: str, stack_name: str
) -> tuple[dict[str, Any], dict[str, str | None], list[str]]:
    """The template with its SAM resources expanded, the CodeUri of each SAM function (``None``
    for inline code) and notices for what was left out."""
    unsupported = [t for t in transforms_of(doc) if t != SERVERLESS_TRANSFORM]
    if unsupported:
        raise TemplateError(
            f"Transform: {', '.join(map(str, unsupported))} not supported "
            f"(choreo expands {SERVERLESS_TRANSFORM} only)"
        )
    doc = copy.deepcopy(doc)
    resources = doc.get("Resources")
    if not isinstance(resources, dict):
        return doc, {}, []  # the loader reports the missing section
    notices = []
    for logical_id in [k for k, r in resources.items() if _type(r) == "AWS::Serverless::Application"]:
        del resources[logical_id]
        notices.append(
            f"{logical_id} (AWS::Serverless::Application): nested applications are not loaded locally"
        )
    code_uris = _replace_local_paths(doc, resources)
    try:
        translated = _translate(doc, parameters, account=account, region=region, stack_name=stack_name)
    except TemplateError:
        raise
    except Exception as exc:  # the translator raises its own tree, and plain errors on odd input
        raise TemplateError(f"SAM transform failed: {_reasons(exc)}") from exc
    return translated, code_uris, notices


def _type(resource: Any) -> Any:
    return resource.get("Type") if isinstance(resource, dict) else None


def _replace_local_paths(doc: dict[str, Any], resources: dict[str, Any]) -> dict[str, str | None]:
    function_globals = (doc.get("Globals") or {}).get("Function") or {}
    if not isinstance(function_globals, dict):
        function_globals = {}
    code_uris: dict[str, str | None] = {}
    for logical_id, resource in resources.items():
        props = resource.get("Properties") if isinstance(resource, dict) else None
        if not isinstance(props, dict):
            continue
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function":
            if props.get("PackageType", function_globals.get("PackageType")) == "Image":
                continue
            if "InlineCode" in props or ("InlineCode" in function_globals and "CodeUri" not in props):
                code_uris[logical_id] = None
                continue
            code_uris[logical_id] = _as_text(props.get("CodeUri", function_globals.get("CodeUri", ".")))
            props["CodeUri"] = f"s3://{_PLACEHOLDER_BUCKET}/{logical_id}"
        elif kind in _LOCAL_PATHS:
            key = _LOCAL_PATHS[kind]
            value = props.get(key)
            if isinstance(value, str) and not value.startswith("s3://"):
                props[key] = f"s3://{_PLACEHOLDER_BUCKET}/{logical_id}"
    return code_uris


def _as_text(code_uri: Any) -> str | None:
    if isinstance(code_uri, str):
        return code_uri
    if isinstance(code_uri, dict) and "Bucket" in code_uri and "Key" in code_uri:
        return f"s3://{code_uri['Bucket']}/{code_uri['Key']}"
    return None  # an intrinsic: the code's place is only known once deployed


def _translate(
    doc: dict[str, Any], parameters: dict[str, Any], *, account: str, region: str, stack_name: str
) -> dict[str, Any]:
    # imported here: the translator (and boto3) take most of a second to import, and only SAM
    # templates need them
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    values = {
        **parameters,
        "AWS::AccountId": account,
        "AWS::Region": region,
        "AWS::StackName": stack_name,
    }
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    translator = Translator(
        managed_policy_map=None,
        sam_parser=Parser(),
        boto_session=_Region(region),
        metrics=metrics,
    )
    try:
        translated: dict[str, Any] = translator.translate(
            sam_template=doc, parameter_values=values, get_managed_policy_map=dict
        )
    finally:
        metrics.publish()  # to the dummy publisher: else the translator warns at exit
    return translated


@dataclass(frozen=True, slots=True)
class _Region:
    """All the translator reads of its ``boto_session``."""

    region_name: str


def _reasons(exc: Exception) -> str:
    causes = getattr(exc, "causes", None)
    if causes:
        return "; ".join(str(getattr(cause, "message", cause)) for cause in causes)
    return str(getattr(exc, "message", None) or exc)
