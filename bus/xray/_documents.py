"""Segment documents as the SDKs send them, and trace headers as services pass them on.

A datagram is a JSON header line and one document::

    {"format":"json","version":1}
    {"trace_id":"1-6756a2c0-5f1c2d3e4f5a6b7c8d9e0f1a","id":"53995c3f42cd8ad8","name":"orders",
     "start_time":1764259200.1,"end_time":1764259200.3}

A document is a segment, a subsegment sent on its own (``"type":"subsegment"`` with ``parent_id``
and ``trace_id``), or either one ``"in_progress": true`` without ``end_time`` (sent when it starts
and again, complete, when it ends). Only what assembly relies on is checked, as the X-Ray service
does: ids and times; everything else is kept as sent.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from bus.xray.errors import InvalidSegment

__all__ = [
    "TraceHeader",
    "derived_id",
    "parse_datagram",
    "parse_header",
    "validate_document",
]

_TRACE_ID = re.compile(r"1-[0-9a-f]{8}-[0-9a-f]{24}")
_SEGMENT_ID = re.compile(r"[0-9a-f]{16}")
_MAX_DATAGRAM = 64 * 1024  # the SDKs' limit: a bigger segment is streamed as subsegments


@dataclass(frozen=True, slots=True)
class TraceHeader:
    """``Root=1-...;Parent=53995c3f42cd8ad8;Sampled=1`` as its parts (X-Ray drops invalid ones)."""

    root: str
    parent: str | None
    sampled: bool

    def text(self, parent: str | None = None) -> str:
        """The header a callee sees when ``parent`` is the calling segment."""
        chosen = parent or self.parent
        middle = f";Parent={chosen}" if chosen else ""
        return f"Root={self.root}{middle};Sampled={int(self.sampled)}"


def parse_header(text: str | None) -> TraceHeader | None:
    """The header's parts, or None when it names no valid trace (AWS then traces nothing)."""
    fields: dict[str, str] = {}
    for part in (text or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    root = fields.get("Root", "")
    if not _TRACE_ID.fullmatch(root):
        return None
    parent = fields.get("Parent")
    return TraceHeader(
        root, parent if parent and _SEGMENT_ID.fullmatch(parent) else None, fields.get("Sampled") != "0"
    )


def derived_id(*parts: str) -> str:
    """A segment id computed from what identifies it (event, replay, rule, job and attempt).

    The bus writes its segments from several threads and across restarts; deriving the id means
    a rule's subsegment written at match time and again at delivery time is one record, and an
    attempt's segment can name its rule's subsegment as parent without shared state."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()


def validate_document(doc: Any) -> dict[str, Any]:
    """``doc`` if it is a segment or subsegment document the store can index, else InvalidSegment."""
    if not isinstance(doc, dict):
        raise InvalidSegment("A segment document must be a JSON object.")
    trace_id, seg_id = doc.get("trace_id"), doc.get("id")
    if not isinstance(trace_id, str) or not _TRACE_ID.fullmatch(trace_id):
        raise InvalidSegment(f"Invalid trace_id {trace_id!r}.")
    if not isinstance(seg_id, str) or not _SEGMENT_ID.fullmatch(seg_id):
        raise InvalidSegment(f"Invalid segment id {seg_id!r}.")
    if not isinstance(doc.get("name"), str) or not doc["name"]:
        raise InvalidSegment("A segment needs a name.")
    start = doc.get("start_time")
    if not isinstance(start, int | float) or isinstance(start, bool):
        raise InvalidSegment("A segment needs a numeric start_time.")
    end = doc.get("end_time")
    if end is None and doc.get("in_progress") is not True:
        raise InvalidSegment("A segment needs an end_time unless it is in_progress.")
    if end is not None and (not isinstance(end, int | float) or isinstance(end, bool)):
        raise InvalidSegment("end_time must be a number.")
    parent = doc.get("parent_id")
    if parent is not None and (not isinstance(parent, str) or not _SEGMENT_ID.fullmatch(parent)):
        raise InvalidSegment(f"Invalid parent_id {parent!r}.")
    if doc.get("type") == "subsegment" and parent is None:
        raise InvalidSegment("A subsegment sent on its own needs a parent_id.")
    return doc


def parse_datagram(data: bytes) -> dict[str, Any]:
    """The document a daemon datagram carries (``{"format":"json","version":1}\\n{...}``)."""
    if len(data) > _MAX_DATAGRAM:
        raise InvalidSegment("Datagram is larger than 64 KiB.")
    head, sep, body = data.partition(b"\n")
    if not sep:
        raise InvalidSegment("Datagram has no header line.")
    try:
        header = json.loads(head)
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidSegment(f"Datagram is not JSON: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != "json" or header.get("version") != 1:
        raise InvalidSegment('Datagram header must be {"format":"json","version":1}.')
    return validate_document(doc)
