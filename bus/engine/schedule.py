"""Schedule expressions of EventBridge rules: ``rate(5 minutes)`` and six-field ``cron(...)``.

AWS's cron has six fields (minutes, hours, day-of-month, month, day-of-week, year), one of
day-of-month and day-of-week must be ``?``, day-of-week counts 1-7 from Sunday, and ``L``,
``W`` and ``#`` pick last days, nearest weekdays and the n-th weekday. Times are UTC.
A scheduled rule fires an event with source ``aws.events`` and detail-type ``Scheduled Event``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bus.errors import ValidationError

__all__ = ["Schedule", "parse_schedule"]

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86_400}
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_INVALID = "Parameter ScheduleExpression is not valid."


@dataclass(frozen=True, slots=True)
class _Field:
    values: frozenset[int] | None  # None: any ("*" or "?")
    last: bool = False  # L
    last_offset: int = 0  # L-3
    weekday_nearest: int | None = None  # 15W
    last_weekday: bool = False  # LW
    nth: tuple[int, int] | None = None  # 6#3: (weekday, n)
    last_dow: int | None = None  # 6L: last Friday


class Schedule:
    """A parsed expression; ``next_after(t)`` is the first firing strictly after ``t`` (epoch seconds)."""

    def __init__(
        self, expression: str, *, every: float | None = None, cron: tuple[_Field, ...] | None = None
    ):
        self.expression = expression
        self._every = every
        self._cron = cron

    def next_after(self, t: float, *, anchor: float = 0.0) -> float | None:
        if self._every is not None:
            # rates fire on a fixed grid from the rule's creation (``anchor``)
            n = int((t - anchor) // self._every) + 1
            return anchor + n * self._every
        assert self._cron is not None
        return _next_cron(self._cron, t)


def parse_schedule(expression: str) -> Schedule:
    rate = _RATE.fullmatch(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value <= 0 or (value == 1) != (not unit.endswith("s")):
            raise ValidationError(_INVALID)  # AWS wants "1 minute" but "5 minutes"
        return Schedule(expression, every=value * _UNIT_SECONDS[unit.rstrip("s")])
    if expression.startswith("cron(") and expression.endswith(")"):
        parts = expression[5:-1].split()
        if len(parts) != 6:
            raise ValidationError(_INVALID)
        minute, hour, dom, month, dow, year = parts
        if (dom == "?") == (dow == "?"):
            raise ValidationError(_INVALID)  # exactly one of day-of-month and day-of-week is "?"
        fields = (
            _field(minute, 0, 59),
            _field(hour, 0, 23),
            _field(dom, 1, 31, day_of_month=True),
            _field(month, 1, 12, names=_MONTHS),
            _field(dow, 1, 7, names=_DAYS, day_of_week=True),
            _field(year, 1970, 2199),
        )
        return Schedule(expression, cron=fields)
    raise ValidationError(_INVALID)


def _number(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValidationError(_INVALID)
    return int(text)


def _field(
    text: str, lo: int, hi: int, *, names: dict[str, int] | None = None, day_of_month: bool = False,
    day_of_week: bool = False,
) -> _Field:  # fmt: skip
    if text in ("*", "?"):
        return _Field(None)
    if day_of_month:
        if text == "L":
            return _Field(frozenset(), last=True)
        if text == "LW":
            return _Field(frozenset(), last_weekday=True)
        if m := re.fullmatch(r"L-(\d+)", text):
            return _Field(frozenset(), last=True, last_offset=int(m.group(1)))
        if m := re.fullmatch(r"(\d+)W", text):
            return _Field(frozenset(), weekday_nearest=int(m.group(1)))
    if day_of_week:
        if m := re.fullmatch(r"(\w+)#(\d)", text):
            return _Field(frozenset(), nth=(_number(m.group(1), names), int(m.group(2))))
        if m := re.fullmatch(r"(\w+)L", text):
            return _Field(frozenset(), last_dow=_number(m.group(1), names))
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = _number(step_text, None)
        if part in ("*", ""):
            start, end = lo, hi
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _number(a, names), _number(b, names)
        else:
            start = _number(part, names)
            end = hi if step > 1 else start
        if not (lo <= start <= hi and lo <= end <= hi) or step <= 0:
            raise ValidationError(_INVALID)
        values.update(range(start, end + 1, step))
    return _Field(frozenset(values))


def _day_matches(f: _Field, day: datetime) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    if f.values is None:
        return True
    if f.last:
        return day.day == last - f.last_offset
    if f.last_weekday:
        target = last
        while datetime(day.year, day.month, target).weekday() >= 5:
            target -= 1
        return day.day == target
    if f.weekday_nearest is not None:
        target = min(f.weekday_nearest, last)
        wd = datetime(day.year, day.month, target).weekday()
        if wd == 5:
            target = target - 1 if target > 1 else target + 2
        elif wd == 6:
            target = target + 1 if target < last else target - 2
        return day.day == target
    return day.day in f.values


def _dow_matches(f: _Field, day: datetime) -> bool:
    aws_dow = (day.weekday() + 1) % 7 + 1  # Monday=0 in Python; Sunday=1 in AWS
    if f.values is None:
        return True
    if f.nth is not None:
        weekday, n = f.nth
        return aws_dow == weekday and (day.day - 1) // 7 + 1 == n
    if f.last_dow is not None:
        last = calendar.monthrange(day.year, day.month)[1]
        return aws_dow == f.last_dow and day.day + 7 > last
    return aws_dow in f.values


def _next_cron(fields: tuple[_Field, ...], t: float) -> float | None:
    minute, hour, dom, month, dow, year = fields
    start = datetime.fromtimestamp(t, UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = start.replace(hour=0, minute=0)
    for _ in range(366 * 5):  # five years ahead is enough for any expression that ever fires
        if (
            (year.values is None or day.year in year.values)
            and (month.values is None or day.month in month.values)
            and _day_matches(dom, day)
            and _dow_matches(dow, day)
        ):
            for h in sorted(hour.values) if hour.values is not None else range(24):
                for m in sorted(minute.values) if minute.values is not None else range(60):
                    candidate = day.replace(hour=h, minute=m)
                    if candidate >= start:
                        return candidate.timestamp()
        day += timedelta(days=1)
    return None
