"""TagResource, UntagResource, ListTagsForResource: tags of event buses and rules, by ARN.

Tags are a store resource of kind ``tags`` keyed by the ARN (``{"Tags": {key: value}}``). As on
AWS only event buses and rules can be tagged, an ARN naming nothing that exists is a
ResourceNotFoundException, and deleting a bus or a rule forgets its tags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bus.engine.runtime import LocalBus
from bus.errors import ResourceNotFound, ValidationError
from bus.wire._events_common import WRITES, required
from bus.wire._protocol import Operation, Request

__all__ = ["OPERATIONS", "TAGS_KIND", "check_tags", "drop_tags", "merge_tags"]

TAGS_KIND = "tags"


def _owner(bus: LocalBus, arn: str) -> None:
    """Raise ResourceNotFound unless ``arn`` is an existing event bus or rule of this account."""
    engine = bus.engine
    prefix = f"arn:aws:events:{engine.region}:{engine.account}:"
    resource = arn.removeprefix(prefix) if arn.startswith(prefix) else ""
    kind, _, rest = resource.partition("/")
    if kind == "event-bus" and rest:
        engine.describe_event_bus(rest)
        return
    if kind == "rule" and rest:
        bus_name, _, rule = rest.rpartition("/")
        engine.describe_rule(rule, event_bus_name=bus_name or "default")
        return
    raise ResourceNotFound(f"Resource {arn} does not exist.")


def _tags(bus: LocalBus, arn: str) -> dict[str, str]:
    doc = bus.store.get_resource(TAGS_KIND, arn)
    return dict(doc["Tags"]) if doc else {}


def check_tags(tags: Sequence[Mapping[str, Any]] | None) -> None:
    """A request's tags, checked before anything is created (a key may appear once)."""
    keys = [str(tag.get("Key")) for tag in tags or ()]
    if len(set(keys)) != len(keys):
        raise ValidationError("Invalid parameter: Duplicated keys are not allowed.")


def merge_tags(bus: LocalBus, arn: str, tags: Sequence[Mapping[str, Any]] | None) -> None:
    """Add or overwrite ``tags`` (the wire's ``[{"Key", "Value"}]``) on ``arn``."""
    if not tags:
        return
    check_tags(tags)
    with WRITES:
        current = _tags(bus, arn)
        current.update({str(tag["Key"]): str(tag.get("Value", "")) for tag in tags})
        bus.store.put_resource(TAGS_KIND, arn, {"Tags": current})


def drop_tags(bus: LocalBus, arn: str) -> None:
    bus.store.delete_resource(TAGS_KIND, arn)


def tag_resource(bus: LocalBus, request: Request) -> dict[str, Any]:
    arn = required(request.params, "ResourceARN")
    _owner(bus, arn)
    merge_tags(bus, arn, request.params.get("Tags") or [])
    return {}


def untag_resource(bus: LocalBus, request: Request) -> dict[str, Any]:
    arn = required(request.params, "ResourceARN")
    _owner(bus, arn)
    with WRITES:
        current = _tags(bus, arn)
        for key in request.params.get("TagKeys") or []:
            current.pop(key, None)
        bus.store.put_resource(TAGS_KIND, arn, {"Tags": current})
    return {}


def list_tags_for_resource(bus: LocalBus, request: Request) -> dict[str, Any]:
    arn = required(request.params, "ResourceARN")
    _owner(bus, arn)
    return {"Tags": [{"Key": k, "Value": v} for k, v in _tags(bus, arn).items()]}


OPERATIONS: dict[str, Operation] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
