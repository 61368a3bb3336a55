"""What can go wrong with traces, as types: a refused datagram is data the daemon counts, a bad
request to the read API carries X-Ray's error code."""

from __future__ import annotations

from bus.errors import BusError

__all__ = ["InvalidRequest", "InvalidSegment", "TracingError"]


class TracingError(BusError):
    """Base class of the X-Ray errors (``code`` is what X-Ray's API would answer)."""

    code = "InvalidRequestException"


class InvalidSegment(TracingError):
    """A datagram or document that is not an X-Ray segment (the daemon drops it and counts it)."""


class InvalidRequest(TracingError):
    """A read API call X-Ray would refuse (bad time range, unknown pagination token)."""
