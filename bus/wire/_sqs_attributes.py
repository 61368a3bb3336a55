"""Message bodies and message attributes: AWS's checks, sizes and MD5 digests.

The digest of message attributes is AWS's: for each attribute in name order, the name, the data
type and the value, each as a 4-byte big-endian length and its UTF-8 bytes (binary values as
they are), with a transport byte (1 text, 2 binary) before the value. SDKs that verify it compare
against their own computation, so it must be exact:

    >>> md5_of_attributes({"SellerName": {"DataType": "String", "StringValue": "Example Store"}})
    'cd28f3b68aeee4b2eac9c66f2f694b58'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bus.wire._sqs_errors import SqsError

__all__ = [
    "check_attributes",
    "check_body",
    "check_system_attributes",
    "md5_of_attributes",
    "md5_of_body",
    "select",
    "size_of",
]

MAX_ATTRIBUTES = 10
_INVALID_CHARACTER = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,256}")
_TYPE = re.compile(r"(String|Number|Binary)(\..+)?", re.DOTALL)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()


def md5_of_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(attributes):
        value = attributes[name]
        digest.update(_field(name.encode()))
        digest.update(_field(str(value["DataType"]).encode()))
        if "BinaryValue" in value:
            digest.update(b"\x02" + _field(base64.b64decode(value["BinaryValue"])))
        else:
            digest.update(b"\x01" + _field(str(value["StringValue"]).encode()))
    return digest.hexdigest()


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def check_body(body: object) -> str:
    if not isinstance(body, str) or not body:
        raise SqsError("MissingParameter", "The request must contain the parameter MessageBody.")
    bad = _INVALID_CHARACTER.search(body)
    if bad is not None:
        raise SqsError(
            "InvalidMessageContents",
            f"Invalid binary character '#x{ord(bad.group()):X}' was found in the message body, the set of "
            "allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
        )
    return body


def check_attributes(given: object) -> dict[str, dict[str, str]]:
    """MessageAttributes as stored: ``{name: {"DataType": ..., "StringValue" | "BinaryValue": ...}}``
    (binary values as base64 text, the JSON protocol's form)."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise _invalid("MessageAttributes must be a map.")
    if len(given) > MAX_ATTRIBUTES:
        raise _invalid(
            f"Number of message attributes [{len(given)}] exceeds the allowed maximum [{MAX_ATTRIBUTES}]."
        )
    return {name: _attribute(name, value) for name, value in given.items()}


def _attribute(name: object, value: object) -> dict[str, str]:
    if not isinstance(name, str) or not _valid_name(name):
        raise _invalid(
            f"Message (user) attribute name '{name}' is invalid: use up to 256 characters among "
            "A-Z a-z 0-9 _ - . , not starting or ending with a period, without two periods in a row, "
            "not starting with AWS. or Amazon."
        )
    if not isinstance(value, Mapping) or not isinstance(value.get("DataType"), str) or not value["DataType"]:
        raise _invalid(f"The message attribute '{name}' must contain non-empty message attribute type.")
    data_type = value["DataType"]
    kind = _TYPE.fullmatch(data_type)
    if kind is None or len(data_type) > 256 or _INVALID_CHARACTER.search(data_type):
        raise _invalid(
            f"The type of message (user) attribute '{name}' is invalid. You must use only the following "
            "supported type prefixes: Binary, Number, String."
        )
    empty = _invalid(
        f"The message attribute '{name}' must contain non-empty message attribute value "
        f"for message attribute type '{kind.group(1)}'."
    )
    if kind.group(1) == "Binary":
        raw = value.get("BinaryValue")
        if not isinstance(raw, str) or not raw or "StringValue" in value:
            raise empty
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise _invalid(f"The message attribute '{name}' has an invalid binary value.") from None
        if not data:
            raise empty
        return {"DataType": data_type, "BinaryValue": base64.b64encode(data).decode()}
    text = value.get("StringValue")
    if not isinstance(text, str) or not text or "BinaryValue" in value:
        raise empty
    if kind.group(1) == "Number" and not _NUMBER.fullmatch(text):
        raise _invalid(f"Can't cast the value of message (user) attribute '{name}' to a number.")
    if _INVALID_CHARACTER.search(text):
        raise _invalid(f"Message (user) attribute '{name}' value contains invalid characters.")
    return {"DataType": data_type, "StringValue": text}


def _valid_name(name: str) -> bool:
    lowered = name.lower()
    return (
        _NAME.fullmatch(name) is not None
        and not name.startswith(".")
        and not name.endswith(".")
        and ".." not in name
        and not lowered.startswith(("aws.", "amazon."))
    )


def check_system_attributes(given: object) -> dict[str, dict[str, str]]:
    """MessageSystemAttributes: only ``AWSTraceHeader``, a String, exists."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise _invalid("MessageSystemAttributes must be a map.")
    out = {}
    for name, value in given.items():
        if name != "AWSTraceHeader":
            raise _invalid(f"Message system attribute name '{name}' is invalid.")
        out[name] = _system_value(value)
    return out


def _system_value(value: object) -> dict[str, str]:
    if (
        not isinstance(value, Mapping)
        or value.get("DataType") != "String"
        or not isinstance(value.get("StringValue"), str)
        or not value["StringValue"]
        or _INVALID_CHARACTER.search(value["StringValue"])
    ):
        raise _invalid("Message system attribute AWSTraceHeader must be a non-empty String.")
    return {"DataType": "String", "StringValue": value["StringValue"]}


def size_of(attributes: Mapping[str, Mapping[str, str]]) -> int:
    """The bytes attributes add to a message's size: names, data types and values."""
    total = 0
    for name, value in attributes.items():
        total += len(name.encode()) + len(value["DataType"].encode())
        if "BinaryValue" in value:
            total += len(base64.b64decode(value["BinaryValue"]))
        else:
            total += len(value["StringValue"].encode())
    return total


def select(attributes: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The attributes a receive asked for: ``All``, ``.*``, exact names, or prefixes like ``order.*``."""
    wanted = list(names)
    if "All" in wanted or ".*" in wanted:
        return dict(attributes)
    prefixes = tuple(n[:-1] for n in wanted if n.endswith(".*"))
    exact = set(wanted)
    return {k: v for k, v in attributes.items() if k in exact or (prefixes and k.startswith(prefixes))}


def _invalid(message: str) -> SqsError:
    return SqsError("InvalidParameterValue", message)
