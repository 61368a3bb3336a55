"""The one error the pattern engine raises, carrying AWS's exact wording."""

from __future__ import annotations

__all__ = ["InvalidEventPattern"]

_PREFIX = "Event pattern is not valid. Reason: "


class InvalidEventPattern(ValueError):
    """A pattern AWS would reject with ``InvalidEventPatternException``.

    ``str(exc)`` and ``exc.message`` are AWS's full text, e.g.
    ``Event pattern is not valid. Reason: Empty arrays are not allowed``;
    ``exc.reason`` is the part after ``Reason: ``, for callers that add their own framing.
    """

    code = "InvalidEventPatternException"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.message = _PREFIX + reason
        super().__init__(self.message)
