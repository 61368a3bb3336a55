"""The console's errors: each names the HTTP status the JSON API answers with.

Engine errors (``bus.errors``) pass through unchanged and are mapped by ``status_of``: a missing
rule is a 404 whether the engine or the console noticed it.
"""

from __future__ import annotations

from typing import ClassVar

from bus.errors import BusError, ResourceNotFound
from bus.registry.errors import RegistryError

__all__ = ["BadRequest", "ConsoleError", "Forbidden", "NotFound", "Unavailable", "status_of"]


class ConsoleError(Exception):
    status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ConsoleError):
    status = 400


class Forbidden(ConsoleError):
    status = 403


class NotFound(ConsoleError):
    status = 404


class Unavailable(ConsoleError):
    """The bus runs on a store the console cannot read this from (only ``SqliteStore`` is readable
    outside the ``Store`` interface)."""

    status = 501


def status_of(exc: ConsoleError | BusError) -> int:
    if isinstance(exc, ConsoleError):
        return exc.status
    if isinstance(exc, RegistryError):
        return exc.status
    if isinstance(exc, ResourceNotFound):
        return 404
    return 400 if exc.sender_fault else 500
