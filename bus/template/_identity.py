"""Physical names, ARNs and what ``Ref`` / ``Fn::GetAtt`` return, per resource type.

A resource's name is its explicit name property (``Name``, ``QueueName``, ``FunctionName`` ...)
when it has one. Otherwise it is ``{stack_name}-{LogicalId}`` (cut to the type's length limit,
lower-cased for S3 buckets, ``.fifo`` appended for FIFO queues and topics), deterministic and
readable where CloudFormation would add a random suffix (``choreo-FraudCheckQueue`` rather than
``choreo-FraudCheckQueue-1A2B3C4D5E6F``). ARNs have AWS's formats; for connections and API
destinations AWS appends a random id to the ARN, choreo does not.

``Ref`` returns what it returns on AWS: the name for most types, the queue URL for SQS, the ARN
for SNS topics, state machines and schema registries, ``bus|rule`` for a rule on a custom bus.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bus.template._intrinsics import NO_VALUE, Intrinsics, fail

__all__ = ["Identity", "Stack"]

_EVENTS = "arn:{partition}:events:{region}:{account}"


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    arn: str | None
    ref: str
    attributes: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class _Kind:
    """How one resource type is named; templates are ``str.format``-ed with the resource's fields."""

    name_property: str | None
    max_length: int
    arn: str | None
    ref: str = "{name}"
    attributes: Mapping[str, str] = field(default_factory=lambda: {"Arn": "{arn}"})
    fifo_property: str | None = None  # generated names of FIFO queues/topics end in .fifo
    lowercase: bool = False
    fields: Callable[[Stack, str, Mapping[str, Any], str], Mapping[str, str]] | None = None


def _rule_fields(stack: Stack, logical_id: str, props: Mapping[str, Any], name: str) -> Mapping[str, str]:
    bus = "default"
    if "EventBusName" in props:
        bus = bus_name(stack.intrinsics.text(props["EventBusName"], f"{logical_id}.EventBusName"))
    custom = bus != "default"
    return {"bus_path": f"{bus}/" if custom else "", "rule_id": f"{bus}|{name}" if custom else name}


def _function_fields(stack: Stack, logical_id: str, props: Mapping[str, Any], name: str) -> Mapping[str, str]:
    function = stack.intrinsics.text(props.get("FunctionName"), f"{logical_id}.FunctionName")
    if not function.startswith("arn:"):
        function = stack.format("arn:{partition}:lambda:{region}:{account}:function:{name}", name=function)
    return {"function_arn": function}


def _schema_fields(stack: Stack, logical_id: str, props: Mapping[str, Any], name: str) -> Mapping[str, str]:
    return {"registry": stack.intrinsics.text(props.get("RegistryName"), f"{logical_id}.RegistryName")}


def _queue_fields(stack: Stack, logical_id: str, props: Mapping[str, Any], name: str) -> Mapping[str, str]:
    return {"url": f"{stack.endpoint}/{stack.account}/{name}"}


_KINDS: dict[str, _Kind] = {
    "AWS::Events::EventBus": _Kind(
        "Name", 256, _EVENTS + ":event-bus/{name}", attributes={"Arn": "{arn}", "Name": "{name}"}
    ),
    "AWS::Events::Rule": _Kind(
        "Name", 64, _EVENTS + ":rule/{bus_path}{name}", ref="{rule_id}", fields=_rule_fields
    ),
    "AWS::Events::Archive": _Kind("ArchiveName", 48, _EVENTS + ":archive/{name}"),
    "AWS::Events::Connection": _Kind(
        "Name",
        64,
        _EVENTS + ":connection/{name}",
        attributes={
            "Arn": "{arn}",
            "ArnForPolicy": "{arn}",
            "SecretArn": "arn:{partition}:secretsmanager:{region}:{account}:secret:events!connection/{name}",
        },
    ),
    "AWS::Events::ApiDestination": _Kind(
        "Name", 64, _EVENTS + ":api-destination/{name}", attributes={"Arn": "{arn}", "ArnForPolicy": "{arn}"}
    ),
    "AWS::SQS::Queue": _Kind(
        "QueueName",
        80,
        "arn:{partition}:sqs:{region}:{account}:{name}",
        ref="{url}",
        attributes={"Arn": "{arn}", "QueueName": "{name}", "QueueUrl": "{url}"},
        fifo_property="FifoQueue",
        fields=_queue_fields,
    ),
    "AWS::SNS::Topic": _Kind(
        "TopicName",
        256,
        "arn:{partition}:sns:{region}:{account}:{name}",
        ref="{arn}",
        attributes={"TopicArn": "{arn}", "TopicName": "{name}"},
        fifo_property="FifoTopic",
    ),
    "AWS::Lambda::Function": _Kind(
        "FunctionName", 64, "arn:{partition}:lambda:{region}:{account}:function:{name}"
    ),
    "AWS::Lambda::Alias": _Kind(
        "Name", 128, "{function_arn}:{name}", ref="{arn}", attributes={}, fields=_function_fields
    ),
    "AWS::Lambda::Version": _Kind(
        None,
        128,
        "{function_arn}:1",
        ref="{arn}",
        attributes={"Version": "1", "FunctionArn": "{function_arn}"},
        fields=_function_fields,
    ),
    "AWS::Logs::LogGroup": _Kind(
        "LogGroupName", 512, "arn:{partition}:logs:{region}:{account}:log-group:{name}:*"
    ),
    "AWS::EventSchemas::Registry": _Kind(
        "RegistryName",
        64,
        "arn:{partition}:schemas:{region}:{account}:registry/{name}",
        ref="{arn}",
        attributes={"RegistryArn": "{arn}", "RegistryName": "{name}"},
    ),
    "AWS::EventSchemas::Discoverer": _Kind(
        None,
        64,
        "arn:{partition}:schemas:{region}:{account}:discoverer/{name}",
        ref="{arn}",
        attributes={"DiscovererArn": "{arn}", "DiscovererId": "{name}"},
    ),
    "AWS::EventSchemas::Schema": _Kind(
        "SchemaName",
        385,
        "arn:{partition}:schemas:{region}:{account}:schema/{registry}/{name}",
        ref="{arn}",
        attributes={"SchemaArn": "{arn}", "SchemaName": "{name}", "SchemaVersion": "1"},
        fields=_schema_fields,
    ),
    "AWS::IAM::Role": _Kind(
        "RoleName", 64, "arn:{partition}:iam::{account}:role/{name}", attributes={"Arn": "{arn}"}
    ),
    "AWS::StepFunctions::StateMachine": _Kind(
        "StateMachineName",
        80,
        "arn:{partition}:states:{region}:{account}:stateMachine:{name}",
        ref="{arn}",
        attributes={"Arn": "{arn}", "Name": "{name}"},
    ),
    "AWS::Kinesis::Stream": _Kind("Name", 128, "arn:{partition}:kinesis:{region}:{account}:stream/{name}"),
    "AWS::DynamoDB::Table": _Kind(
        "TableName", 255, "arn:{partition}:dynamodb:{region}:{account}:table/{name}"
    ),
    "AWS::S3::Bucket": _Kind("BucketName", 63, "arn:{partition}:s3:::{name}", lowercase=True),
}
_OTHER = _Kind(None, 255, None, attributes={})


def bus_name(name_or_arn: str) -> str:
    """EventBusName is a name or an ARN (``arn:aws:events:us-east-1:123456789012:event-bus/orders``)."""
    if name_or_arn.startswith("arn:") and ":event-bus/" in name_or_arn:
        return name_or_arn.rsplit(":event-bus/", 1)[1]
    return name_or_arn


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class Stack:
    """The resources of one template as one local stack: their identities and intrinsics."""

    def __init__(
        self,
        resources: Mapping[str, Mapping[str, Any]],
        *,
        parameters: Mapping[str, Any],
        conditions: Mapping[str, Any],
        mappings: Mapping[str, Any],
        account: str,
        region: str,
        stack_name: str,
        endpoint: str,
    ) -> None:
        self.resources = resources
        self.account, self.region, self.stack_name = account, region, stack_name
        self.partition = partition_of(region)
        self.endpoint = endpoint.rstrip("/")
        suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        stack_id = f"arn:{self.partition}:cloudformation:{region}:{account}:stack/{stack_name}/local"
        pseudo: dict[str, Any] = {
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::StackName": stack_name,
            "AWS::StackId": stack_id,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": suffix,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        self.intrinsics = Intrinsics(
            parameters=parameters, pseudo=pseudo, conditions=conditions, mappings=mappings, resources=self
        )
        self._identities: dict[str, Identity] = {}
        self._naming: set[str] = set()

    def format(self, template: str, **fields: str) -> str:
        return template.format(partition=self.partition, region=self.region, account=self.account, **fields)

    def created(self, logical_id: str) -> bool:
        """False when the resource's Condition is false: CloudFormation would not create it."""
        condition = self.resources[logical_id].get("Condition")
        return condition is None or self.intrinsics.condition(str(condition), logical_id)

    # References ---------------------------------------------------------------------------------
    def has_resource(self, logical_id: str) -> bool:
        return logical_id in self.resources

    def ref(self, logical_id: str, path: str) -> Any:
        return self.identity(logical_id, path).ref

    def get_att(self, logical_id: str, attribute: str, path: str) -> Any:
        identity = self.identity(logical_id, path)
        if attribute not in identity.attributes:
            kind = self.resources[logical_id].get("Type")
            known = ", ".join(identity.attributes) or "none"
            raise fail(
                path, f"Fn::GetAtt {logical_id}.{attribute}: {kind} has no such attribute here ({known})"
            )
        return identity.attributes[attribute]

    # Identities ---------------------------------------------------------------------------------
    def identity(self, logical_id: str, path: str = "") -> Identity:
        if logical_id in self._identities:
            return self._identities[logical_id]
        if not self.created(logical_id):
            condition = self.resources[logical_id].get("Condition")
            raise fail(
                path or logical_id, f"{logical_id} is not created (its condition {condition} is false)"
            )
        if logical_id in self._naming:
            raise fail(path or logical_id, f"{logical_id} refers to itself")
        self._naming.add(logical_id)
        try:
            identity = self._make(logical_id)
        finally:
            self._naming.discard(logical_id)
        self._identities[logical_id] = identity
        return identity

    def _make(self, logical_id: str) -> Identity:
        resource = self.resources[logical_id]
        kind = _KINDS.get(str(resource.get("Type")), _OTHER)
        props = resource.get("Properties") or {}
        if not isinstance(props, dict):
            raise fail(logical_id, "Properties must be a mapping")
        name = self._name(logical_id, kind, props)
        fields = {"name": name, **(kind.fields(self, logical_id, props, name) if kind.fields else {})}
        arn = self.format(kind.arn, **fields) if kind.arn else None
        fields["arn"] = arn or name
        attributes = {attr: self.format(template, **fields) for attr, template in kind.attributes.items()}
        return Identity(name=name, arn=arn, ref=self.format(kind.ref, **fields), attributes=attributes)

    def _name(self, logical_id: str, kind: _Kind, props: Mapping[str, Any]) -> str:
        if kind.name_property and props.get(kind.name_property) is not None:
            where = f"{logical_id}.{kind.name_property}"
            if self.intrinsics.resolve(props[kind.name_property], where) is not NO_VALUE:
                return self.intrinsics.text(props[kind.name_property], where)
        name = f"{self.stack_name}-{logical_id}"
        if kind.lowercase:
            name = name.lower()
        fifo = props.get(kind.fifo_property) if kind.fifo_property else None
        if fifo is not None and _truthy(self.intrinsics.resolve(fifo, logical_id)):
            return name[: kind.max_length - 5] + ".fifo"
        return name[: kind.max_length]


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")
