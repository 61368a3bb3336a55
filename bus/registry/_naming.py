"""Names and ARNs of the registry's resources, and the name a discovered schema gets.

Discovered schemas are named ``<source>@<DetailType>``, where ``DetailType`` is the event's
detail-type normalised the way EventBridge's discovery does it:

1. split the detail-type on every character that is not an ASCII letter or digit (spaces,
   hyphens, dots, slashes, underscores...);
2. upper-case the first character of each piece and keep the rest as written;
3. join the pieces.

    >>> discovered_name("aws.ec2", "EC2 Instance State-change Notification")
    'aws.ec2@EC2InstanceStateChangeNotification'
    >>> type_name("Step Functions Execution Status Change")
    'StepFunctionsExecutionStatusChange'

The same rule names the components of a discovered OpenAPI document (``detail`` of an
``OrderPlaced`` event is ``#/components/schemas/OrderPlaced``, a nested ``line_items`` array's
objects ``LineItemsItem``), so generated classes get readable names.
"""

from __future__ import annotations

import re

from bus.registry.errors import BadRequest

__all__ = [
    "REGISTRY_NAME",
    "SCHEMA_NAME",
    "check_registry_name",
    "check_schema_name",
    "discovered_name",
    "type_name",
]

_WORD = re.compile(r"[A-Za-z0-9]+")
# What our keys tolerate: a '/' would break prefix listing, control characters the ARNs
REGISTRY_NAME = re.compile(r"[.\-_A-Za-z0-9]{1,64}")
SCHEMA_NAME = re.compile(r"[.\-_A-Za-z0-9@]{1,385}")
_UNSAFE = re.compile(r"[^.\-_A-Za-z0-9]")


def type_name(text: str, default: str = "Event") -> str:
    """``text`` as a PascalCase identifier by the discovery rule above (``default`` when no word)."""
    words = _WORD.findall(text)
    if not words:
        return default
    return "".join(word[0].upper() + word[1:] for word in words)


def discovered_name(source: str, detail_type: str) -> str:
    """The name discovery gives the schema of events with this source and detail-type. Characters
    a schema name cannot hold (rare in sources: ``/``, spaces) become ``_``."""
    return f"{_UNSAFE.sub('_', source)}@{type_name(detail_type)}"


def check_registry_name(name: str) -> None:
    if not REGISTRY_NAME.fullmatch(name):
        raise BadRequest(f"Invalid registry name {name!r}: 1 to 64 letters, digits, '.', '-' or '_'.")


def check_schema_name(name: str) -> None:
    if not SCHEMA_NAME.fullmatch(name):
        raise BadRequest(f"Invalid schema name {name!r}: 1 to 385 letters, digits, '.', '-', '_' or '@'.")
