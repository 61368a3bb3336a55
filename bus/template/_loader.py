"""``load_template``: a SAM/CloudFormation template as the engine's records.

The file is read as CloudFormation reads it, SAM resources are expanded by aws-sam-translator
(``_sam``), parameters take their overrides or defaults, conditions are decided, and every
intrinsic is resolved against one local stack (``_identity``, ``_intrinsics``). Resources whose
Condition is false are not created, as on AWS.

Resource types fall in three groups: those loaded into records (``BUILDERS``); those with no
local effect, dropped silently (IAM roles and policies, Lambda permissions, queue and bus
policies: choreo does not check permissions; Lambda versions and aliases: targets name them by
ARN and the function itself is loaded); and all others, skipped with a one-line notice in
``Configuration.skipped``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bus.model import DEFAULT_ACCOUNT, DEFAULT_REGION
from bus.template import _events, _services
from bus.template._build import Build, Builder
from bus.template._checks import check_references
from bus.template._config import Configuration
from bus.template._dynamic import DynamicReferences
from bus.template._errors import TemplateError
from bus.template._identity import Stack
from bus.template._parameters import parameter_values
from bus.template._sam import SERVERLESS_TRANSFORM, expand, transforms_of
from bus.template._yaml import read_template

__all__ = ["DEFAULT_ENDPOINT", "load_template"]

DEFAULT_ENDPOINT = "http://127.0.0.1:4010"

BUILDERS: dict[str, Builder] = {**_events.BUILDERS, **_services.BUILDERS}
IGNORED = frozenset(
    {
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::Lambda::Permission",
        "AWS::Lambda::Version",
        "AWS::Lambda::Alias",
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::Events::EventBusPolicy",
        "AWS::Logs::ResourcePolicy",
    }
)
_PSEUDO = (
    "AWS::AccountId",
    "AWS::Region",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::Partition",
    "AWS::URLSuffix",
    "AWS::NotificationARNs",
    "AWS::NoValue",
)


def load_template(
    path: str | Path,
    *,
    parameters: Mapping[str, str] | None = None,
    account: str = DEFAULT_ACCOUNT,
    region: str = DEFAULT_REGION,
    stack_name: str = "choreo",
    endpoint: str = DEFAULT_ENDPOINT,
    max_pattern_length: int = 2048,
    secrets_file: str | Path | None = None,
    keep_unresolved: bool = False,
) -> Configuration:
    """Everything the template at ``path`` configures, as one stack named ``stack_name``.

    ``parameters`` override the template's parameter defaults; ``endpoint`` is where the local
    SQS API listens (queue URLs are ``{endpoint}/{account}/{name}``); ``max_pattern_length`` is
    the account's event-pattern size quota (2,048 on AWS unless raised, at most 4,096).
    ``{{resolve:secretsmanager:...}}`` and ``{{resolve:ssm:...}}`` references take their values
    from ``CHOREO_RESOLVE_...`` environment variables or ``secrets_file`` (``_dynamic``); with
    ``keep_unresolved`` one without a value stays as written (reading, not deploying).
    Raises TemplateError naming the file, the resource and the reason.
    """
    try:
        config = _load(
            read_template(path),
            parameters=parameters,
            account=account,
            region=region,
            stack_name=stack_name,
            endpoint=endpoint,
            max_pattern_length=max_pattern_length,
            dynamic=DynamicReferences(secrets_file=secrets_file, keep_unresolved=keep_unresolved),
        )
    except TemplateError as exc:
        raise TemplateError(f"{path}: {exc.message}", resource=exc.resource) from exc
    return _with_code_dirs(config, Path(path).resolve().parent)


def _with_code_dirs(config: Configuration, base: Path) -> Configuration:
    """Each function's local CodeUri as an absolute folder: SAM reads CodeUri relative to the
    template's folder, whatever the working directory."""
    functions = tuple(
        dataclasses.replace(f, code_dir=str((base / f.code_uri).resolve()))
        if f.code_uri and "://" not in f.code_uri and (base / f.code_uri).is_dir()
        else f
        for f in config.functions
    )
    return dataclasses.replace(config, functions=functions)


def _load(
    doc: dict[str, Any],
    *,
    parameters: Mapping[str, str] | None,
    account: str,
    region: str,
    stack_name: str,
    endpoint: str,
    max_pattern_length: int,
    dynamic: DynamicReferences,
) -> Configuration:
    _resources(doc)
    values = parameter_values(doc.get("Parameters"), parameters)
    code_uris: Mapping[str, str | None] = {}
    notices: list[str] = []
    if transforms_of(doc):
        doc, code_uris, notices = expand(
            doc, parameters=dict(values), account=account, region=region, stack_name=stack_name
        )
    resources = _resources(doc)
    conditions = _section(doc, "Conditions")
    check_references(resources, doc.get("Outputs"), names=[*_PSEUDO, *values], conditions=conditions)
    stack = Stack(
        resources,
        parameters=values,
        conditions=conditions,
        mappings=_section(doc, "Mappings"),
        account=account,
        region=region,
        stack_name=stack_name,
        endpoint=endpoint,
    )
    build = Build(stack, max_pattern_length=max_pattern_length, code_uris=code_uris, dynamic=dynamic)
    build.notices.extend(notices)
    for logical_id, resource in resources.items():
        if not stack.created(logical_id):
            continue
        kind = resource["Type"]
        builder = BUILDERS.get(kind)
        if builder is not None:
            builder(build, logical_id)
        elif kind not in IGNORED:
            build.notices.append(_skipped(logical_id, kind))
    return build.configuration()


def _resources(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resources = doc.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("no Resources section (a template declares at least one resource)")
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict):
            raise TemplateError(f"{logical_id}: a resource must be a mapping", resource=str(logical_id))
        if not isinstance(resource.get("Type"), str):
            raise TemplateError(f"{logical_id}: Type is required and must be text", resource=str(logical_id))
    return resources


def _section(doc: dict[str, Any], name: str) -> dict[str, Any]:
    section = doc.get(name) or {}
    if not isinstance(section, dict):
        raise TemplateError(f"{name} must be a mapping")
    return section


def _skipped(logical_id: str, kind: str) -> str:
    notice = f"{logical_id} ({kind}): not loaded; choreo does not model this type"
    if kind.startswith("AWS::Serverless::"):
        notice += f" without Transform: {SERVERLESS_TRANSFORM}"
    return notice
