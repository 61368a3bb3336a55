"""The schema registry's errors: the REST-JSON error codes of AWS's ``schemas`` service.

Each class carries the code botocore looks for in the ``x-amzn-errortype`` header and the HTTP
status AWS answers with, so the wire layer maps them without a table of its own::

    >>> NotFound("Schema OrderPlaced does not exist.").status
    404
"""

from __future__ import annotations

from typing import ClassVar

from bus.errors import BusError

__all__ = ["BadRequest", "Conflict", "Forbidden", "NotFound", "PreconditionFailed", "RegistryError"]


class RegistryError(BusError):
    """Base of the registry's errors; ``status`` is the HTTP status of AWS's error shape."""

    status: ClassVar[int] = 400


class BadRequest(RegistryError):
    code = "BadRequestException"
    status = 400


class NotFound(RegistryError):
    code = "NotFoundException"
    status = 404


class Conflict(RegistryError):
    code = "ConflictException"
    status = 409


class Forbidden(RegistryError):
    code = "ForbiddenException"
    status = 403


class PreconditionFailed(RegistryError):
    code = "PreconditionFailedException"
    status = 412
