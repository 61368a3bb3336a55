"""Numbers as EventBridge compares them: fixed point, six decimals, within +/-5e9.

AWS (Ruler's ComparableNumber) turns every number it compares into an integer count of
millionths. A pattern number outside the range, or with more than six decimals, is rejected;
an event number like that simply never matches numerically. Working in integers makes range
checks exact and cheap.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

SCALE = 1_000_000
LIMIT = 5_000_000_000 * SCALE
RANGE_MESSAGE = "Value must be between -5.0E9 and 5.0E9, inclusive"


class NumberOutOfRange(ValueError):
    """A number Ruler's ComparableNumber cannot represent; the message is Ruler's."""


def micros_from_text(text: str) -> int:
    """Exact conversion of a JSON number literal; raises NumberOutOfRange."""
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise NumberOutOfRange(f"Invalid number: {text}") from exc
    if not number.is_finite():
        raise NumberOutOfRange(RANGE_MESSAGE)
    exponent = number.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -6:
        raise NumberOutOfRange("Only values upto 6 decimals are supported")
    if abs(number) > 5_000_000_000:
        raise NumberOutOfRange(RANGE_MESSAGE)
    return int(number * SCALE)


def micros_from_value(value: int | float) -> int | None:
    """An event number as millionths, or None when AWS could not compare it numerically."""
    if type(value) is int:
        if -5_000_000_000 <= value <= 5_000_000_000:
            return value * SCALE
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    scaled = round(value * SCALE)
    if not -LIMIT <= scaled <= LIMIT or scaled / SCALE != value:
        # more than six decimals (or out of range): Ruler's conversion fails, no numeric match
        return None
    return scaled


def describe(micros: int) -> str:
    """Millionths back to the shortest decimal text, for explanations."""
    text = format(Decimal(micros) / SCALE, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
