"""The one error the template reader raises."""

from __future__ import annotations

__all__ = ["TemplateError"]


class TemplateError(ValueError):
    """The template cannot be loaded; the message says where (file, resource, property) and why.

    ``resource`` is the logical id of the resource at fault, when one is (``None`` for problems
    of the file or of a top-level section).
    """

    def __init__(self, message: str, *, resource: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.resource = resource
