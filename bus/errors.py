"""One error tree for the bus. Each error carries the AWS error code a client would see.

Only the wire layer turns these into HTTP responses; everything below it raises them, so the
Python API and the AWS API report the same failures in the same words.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BusError",
    "ConcurrentModification",
    "IllegalStatus",
    "InternalError",
    "InvalidEventPatternError",
    "LimitExceeded",
    "ResourceAlreadyExists",
    "ResourceNotFound",
    "StoreError",
    "ValidationError",
]


class BusError(Exception):
    """Base class: ``code`` is AWS's error code (the ``__type`` of an AWS JSON error)."""

    code: ClassVar[str] = "InternalException"
    sender_fault: ClassVar[bool] = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(BusError):
    code = "ValidationException"


class InvalidEventPatternError(BusError):
    code = "InvalidEventPatternException"


class ResourceNotFound(BusError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExists(BusError):
    code = "ResourceAlreadyExistsException"


class LimitExceeded(BusError):
    code = "LimitExceededException"


class IllegalStatus(BusError):
    code = "IllegalStatusException"


class ConcurrentModification(BusError):
    code = "ConcurrentModificationException"


class InternalError(BusError):
    code = "InternalException"
    sender_fault = False


class StoreError(InternalError):
    """The store failed (disk full, database locked too long, corruption): never the client's fault."""
