"""The local Lambda runtime's errors. ``FunctionNotFound`` and ``FunctionThrottled`` are the
engine's (``bus.engine.targets``): the Lambda target kind maps them to AWS's delivery error codes."""

from __future__ import annotations

from bus.engine.targets import FunctionNotFound, FunctionThrottled

__all__ = [
    "DependencyError",
    "FunctionConfigError",
    "FunctionNotFound",
    "FunctionThrottled",
    "LambdaRuntimeError",
]


class LambdaRuntimeError(Exception):
    """Base of the errors the runtime raises itself."""


class FunctionConfigError(LambdaRuntimeError):
    """A template function that cannot run locally (no local code folder, no handler)."""


class DependencyError(LambdaRuntimeError):
    """A function's requirements.txt could not be installed (pip's own words in the message)."""
